"""Boundaries as published files and map data, on SQLite and PostgreSQL.

The geography package ``geography/nrw-geometrie`` is published beside ``datapackages/`` (as
``make serve`` does): its files download byte for byte, every current Kreis and Gemeinde of
``nrw-regionen`` has exactly one feature, map values equal the rows API for the same filters,
bad parameters are German 4xx, and every link of the answers is followed.
"""

import csv
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, SKOS

from tests.conftest import CATALOG_FILE, DATAPACKAGES, REFERENCE_DIRS, ROOT
from tests.json_links import BASE, follow_every_link, get_json
from tests.publishing import publish_into
from tests.test_dcat import KNOWN_WARNINGS, shacl_results

GEOGRAPHY = ROOT / "geography"
PACKAGE = GEOGRAPHY / "nrw-geometrie"
FILES = {
    "kreise": ("kreise.geojson", "application/geo+json"),
    "gemeinden": ("gemeinden.geojson", "application/geo+json"),
    "topologie": ("nrw.topojson", "application/json"),
}
LEVEL_FILES = {"kreis": "kreise.geojson", "gemeinde": "gemeinden.geojson"}
ARBEITSLOSE = {"dataset": "arbeitslose-kreise", "indikator": "Arbeitslose insgesamt"}
MAPS = [  # (map parameters, period field): one indicator each
    (ARBEITSLOSE, "jahr"),
    ({**ARBEITSLOSE, "period": "2023"}, "jahr"),
    ({**ARBEITSLOSE, "ebene": "gemeinde"}, "jahr"),
    (
        {
            "dataset": "arbeitslose-kreise",
            "indikator": "Arbeitslosenquote bez. auf alle zivilen Erwerbspersonen",
        },
        "jahr",
    ),
    (
        {
            "dataset": "bevoelkerung-altersgruppen-kreise",
            "altersgruppe": "unter 3 Jahre",
            "geschlecht": "insgesamt",
        },
        "stichtag",
    ),
    ({"dataset": "verfuegbares-einkommen-kreise", "indikator__contains": "je Einwohner"}, "jahr"),
]


def _publish(url: str, paths: list[Path]) -> None:
    from opendata_sozial.catalog import load_catalog
    from opendata_sozial.db.engine import create_db_engine
    from opendata_sozial.services.publish import publish

    engine = create_db_engine(url)
    try:
        publish(
            paths,
            engine=engine,
            catalog=load_catalog(CATALOG_FILE),
            reference_dirs=REFERENCE_DIRS,
        )
    finally:
        engine.dispose()


def _current(level: str) -> list[str]:
    path = DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return [r["ags"] for r in rows if r["ebene"] == level and not r["gueltig_bis"]]


def _problem(client: TestClient[Litestar], url: str, status: int) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    return detail


# The package as a dataset with file resources


def test_the_dataset_lists_its_files_and_every_link_answers(geo: TestClient[Litestar]) -> None:
    body = get_json(geo, "/api/v1/datasets/nrw-geometrie")
    links = {r["name"]: r for r in body["links"]["resources"]}
    assert set(links) == set(FILES)
    for name, (file_name, media) in FILES.items():
        original = links[name]["downloads"]["original"]
        assert original == {
            "url": f"{BASE}/api/v1/datasets/nrw-geometrie/resources/{name}{Path(file_name).suffix}",
            "bytes": (PACKAGE / "data" / file_name).stat().st_size,
            "media_type": media,
        }
        assert "rows" not in links[name]
    package = get_json(geo, "/api/v1/datasets/nrw-geometrie/datapackage.json")
    paths = {r["name"]: r["path"] for r in package["resources"]}
    assert paths == {n: links[n]["downloads"]["original"]["url"] for n in FILES}
    follow_every_link(geo, body)
    hits = get_json(geo, "/api/v1/datasets", q="Gemeinden Grenzen")
    assert "nrw-geometrie" in [d["name"] for d in hits["datasets"]]


@pytest.mark.parametrize("resource", list(FILES))
def test_files_download_byte_for_byte_with_etag(geo: TestClient[Litestar], resource: str) -> None:
    file_name, media = FILES[resource]
    url = f"/api/v1/datasets/nrw-geometrie/resources/{resource}{Path(file_name).suffix}"
    response = geo.get(url, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.content == (PACKAGE / "data" / file_name).read_bytes()
    assert response.headers["content-type"] == media
    assert (
        f'filename="{resource}{Path(file_name).suffix}"' in response.headers["content-disposition"]
    )
    etag = response.headers["etag"]
    assert "cache-control" in response.headers
    again = geo.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_file_resources_have_no_rows_and_another_ending_is_404(
    geo: TestClient[Litestar],
) -> None:
    base = "/api/v1/datasets/nrw-geometrie/resources"
    detail = _problem(geo, f"{base}/kreise/rows", 404)
    assert "ist eine Datei (GeoJSON/TopoJSON) ohne Zeilen" in detail
    detail = _problem(geo, f"{base}/kreise.csv", 404)
    assert "heißt 'kreise.geojson'" in detail
    assert "vorhanden: kreise, gemeinden, topologie" in _problem(geo, f"{base}/nrw.topojson", 404)


def test_the_dataset_page_offers_the_files(geo: TestClient[Litestar]) -> None:
    page = geo.get("/datensaetze/nrw-geometrie")
    assert page.status_code == 200
    assert "© GeoBasis-DE / BKG" in page.text
    for name, (file_name, _) in FILES.items():
        url = f"{BASE}/api/v1/datasets/nrw-geometrie/resources/{name}{Path(file_name).suffix}"
        assert f'href="{url}"' in page.text


def test_dcat_has_a_distribution_per_file_and_passes_shacl(geo: TestClient[Litestar]) -> None:
    graph = Graph().parse(data=geo.get("/datasets/nrw-geometrie.ttl").text, format="turtle")
    node = URIRef(f"{BASE}/datasets/nrw-geometrie")
    found = {}
    for distribution in graph.objects(node, DCAT.distribution):
        found[str(distribution).rsplit("#", 1)[1]] = (
            str(graph.value(distribution, DCAT.downloadURL)),
            str(graph.value(distribution, DCTERMS.format)).rsplit("/", 1)[1],
            str(graph.value(distribution, DCAT.mediaType)),
        )
    iana = "https://www.iana.org/assignments/media-types/"
    resources = f"{BASE}/api/v1/datasets/nrw-geometrie/resources"
    assert found == {
        "kreise-original": (
            f"{resources}/kreise.geojson",
            "GEOJSON",
            f"{iana}application/geo+json",
        ),
        "gemeinden-original": (
            f"{resources}/gemeinden.geojson",
            "GEOJSON",
            f"{iana}application/geo+json",
        ),
        "topologie-original": (
            f"{resources}/topologie.topojson",
            "JSON",
            f"{iana}application/json",
        ),
    }
    assert not list(graph.objects(node, DCTERMS.conformsTo))  # no Table Schema
    for profile, known in KNOWN_WARNINGS.items():
        results = shacl_results(graph, profile)
        assert not [r for r in results if r[0] == "Violation"], profile
        assert {(r[1], r[2]) for r in results if r[0] == "Warning"} <= known, profile


def test_dcat_spatial_of_a_kreis_table_names_all_53_kreise(geo: TestClient[Litestar]) -> None:
    graph = Graph().parse(data=geo.get("/datasets/arbeitslose-kreise.ttl").text, format="turtle")
    node = URIRef(f"{BASE}/datasets/arbeitslose-kreise")
    places = {str(p).rsplit("/", 1)[1]: p for p in graph.objects(node, DCTERMS.spatial)}
    assert set(_current("kreis")) <= set(places)
    assert "05" in places
    path = DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        names = {r["ags"]: r["name"] for r in csv.DictReader(handle)}
    for key, place in places.items():
        assert graph.value(place, SKOS.prefLabel) == Literal(names[key], lang="de")


def test_ckan_lists_the_files(geo: TestClient[Litestar]) -> None:
    package = get_json(geo, "/api/3/action/package_show", id="nrw-geometrie")["result"]
    found = [(r["format"], r["mimetype"], r["url"]) for r in package["resources"]]
    resources = f"{BASE}/api/v1/datasets/nrw-geometrie/resources"
    assert found == [
        ("GEOJSON", "application/geo+json", f"{resources}/kreise.geojson"),
        ("GEOJSON", "application/geo+json", f"{resources}/gemeinden.geojson"),
        ("TOPOJSON", "application/json", f"{resources}/topologie.topojson"),
    ]
    assert package["license_id"] == "geonutzv-de-2013-03-19"


# Boundaries per level and region


@pytest.mark.parametrize(("level", "file_name"), list(LEVEL_FILES.items()))
def test_level_geometry_is_the_package_file(
    geo: TestClient[Litestar], level: str, file_name: str
) -> None:
    response = geo.get(f"/api/v1/regions/geometry/{level}.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.content == (PACKAGE / "data" / file_name).read_bytes()
    assert (
        geo.get(response.url.path, headers={"If-None-Match": response.headers["etag"]}).status_code
        == 304
    )


def test_topology_is_the_package_file(geo: TestClient[Litestar]) -> None:
    response = geo.get("/api/v1/regions/geometry.topojson")
    assert response.status_code == 200
    assert response.content == (PACKAGE / "data" / "nrw.topojson").read_bytes()


@pytest.mark.parametrize("level", list(LEVEL_FILES))
def test_every_current_region_has_exactly_one_feature(
    geo: TestClient[Litestar], level: str
) -> None:
    collection = json.loads(geo.get(f"/api/v1/regions/geometry/{level}.geojson").content)
    keys = [f["properties"]["ags"] for f in collection["features"]]
    current = _current(level)
    assert len(current) == {"kreis": 53, "gemeinde": 396}[level]
    assert sorted(keys) == sorted(current)  # each once
    by_key = {f["properties"]["ags"]: f for f in collection["features"]}
    for key in current:
        feature = get_json(geo, f"/api/v1/regions/{key}/geometry.geojson")
        assert feature["type"] == "Feature"
        assert feature["id"] == key
        assert feature["geometry"] == by_key[key]["geometry"]
        assert feature["properties"] == by_key[key]["properties"]


def test_a_region_links_its_boundary(geo: TestClient[Litestar]) -> None:
    region = get_json(geo, "/api/v1/regions/05513")
    assert region["links"]["geometry"] == {
        "feature": f"{BASE}/api/v1/regions/05513/geometry.geojson",
        "level": f"{BASE}/api/v1/regions/geometry/kreis.geojson",
        "topojson": f"{BASE}/api/v1/regions/geometry.topojson",
    }
    follow_every_link(geo, region)
    feature = get_json(geo, "/api/v1/regions/05513/geometry.geojson")
    follow_every_link(geo, feature)
    assert get_json(geo, "/api/v1/regions/05513000")["links"]["geometry"]["level"].endswith(
        "/gemeinde.geojson"
    )
    assert get_json(geo, "/api/v1/regions/05")["links"]["geometry"] is None
    assert get_json(geo, "/api/v1/regions/055")["links"]["geometry"] is None


def _every_key() -> list[str]:
    path = DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [r["ags"] for r in csv.DictReader(handle)]


def test_a_region_links_a_boundary_exactly_where_one_exists(geo: TestClient[Litestar]) -> None:
    """Every key of ``nrw-regionen``: a geometry link answers 200, no link means a German 404."""
    linked = 0
    for key in _every_key():
        links = get_json(geo, f"/api/v1/regions/{key}")["links"]["geometry"]
        url = f"/api/v1/regions/{key}/geometry.geojson"
        if links is not None:
            assert get_json(geo, links["feature"])["id"] == key
            linked += 1
        else:
            assert "keine Grenze" in _problem(geo, url, 404)  # "keine Grenzen" for a level
    assert linked == 53 + 396


def test_a_former_region_explains_why_it_has_no_boundary(geo: TestClient[Litestar]) -> None:
    """Aachen 05313 existed until 2009; VG250 shows today's territory (Städteregion 05334)."""
    assert get_json(geo, "/api/v1/regions/05313")["links"]["geometry"] is None
    assert _problem(geo, "/api/v1/regions/05313/geometry.geojson", 404) == (
        "Für Aachen, kreisfreie Stadt (05313) ist keine Grenze veröffentlicht: die Region "
        "bestand bis 20.10.2009, die Grenzen zeigen den heutigen Gebietsstand; ihr Gebiet "
        "gehört heute zu 05334 (Städteregion Aachen)."
    )


# Map data


def _rows(
    client: TestClient[Litestar], dataset: str, filters: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Every row of the rows API for ``filters`` (the same parameters as the map)."""
    url = f"/api/v1/datasets/{dataset}/resources/{dataset}/rows?{urlencode(filters)}&_size=1000"
    body = get_json(client, url)
    assert body["total"] == len(body["rows"])
    rows: list[dict[str, Any]] = body["rows"]
    return rows


@pytest.mark.parametrize(("params", "period_field"), MAPS)
def test_map_values_equal_the_rows_api(
    geo: TestClient[Litestar], params: dict[str, str], period_field: str
) -> None:
    values = get_json(geo, "/api/v1/regions/map.json", **params)
    indicator = values["indicator"]
    level = params.get("ebene", "kreis")
    assert indicator["level"] == level
    places = set(_current(level))
    filters = [(k, v) for k, v in params.items() if k not in {"dataset", "ebene", "period"}]
    if "period" in params:
        assert str(indicator["period"]) == params["period"]
    else:  # the latest period of the filtered rows at the level
        periods = {
            r[period_field] for r in _rows(geo, params["dataset"], filters) if r["ags"] in places
        }
        assert indicator["period"] == max(periods)
    rows = _rows(geo, params["dataset"], [*filters, (period_field, str(indicator["period"]))])
    expected = {
        r["ags"]: {"value": r["wert"], "status": r["wert_status"], "unit": r["einheit"]}
        for r in rows
        if r["ags"] in places
    }
    assert expected
    assert values["values"] == expected
    assert indicator["places"] == len(places)
    assert indicator["places_with_value"] == sum(
        1 for v in expected.values() if v["value"] is not None
    )
    linked = get_json(geo, values["links"]["rows"], _size="1000")["rows"]
    assert {r["ags"]: r["wert"] for r in linked if r["ags"] in places} == {
        k: v["value"] for k, v in expected.items()
    }

    geojson = geo.get("/api/v1/regions/map?" + urlencode(params))
    assert geojson.status_code == 200
    assert geojson.headers["content-type"] == "application/geo+json"
    collection = geojson.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["indicator"] == indicator
    assert len(collection["features"]) == len(places)
    for feature in collection["features"]:
        props = feature["properties"]
        figure = expected.get(props["ags"])
        if figure is None:
            assert (props["value"], props["status"], props["period"]) == (None, None, None)
        else:
            assert {k: props[k] for k in ("value", "status", "unit")} == figure
            assert props["period"] == indicator["period"]
    follow_every_link(geo, {"links": values["links"]})


def test_map_names_the_dimension_to_fix(geo: TestClient[Litestar]) -> None:
    detail = _problem(geo, "/api/v1/regions/map?dataset=arbeitslose-kreise", 400)
    assert detail.startswith(
        "Mehr als ein Wert je Region: die Dimension 'indikator' muss festgelegt werden, "
        "z. B. indikator="
    )
    assert "Arbeitslose insgesamt" in detail
    detail = _problem(
        geo, "/api/v1/regions/map.json?dataset=bevoelkerung-altersgruppen-kreise", 400
    )
    assert "die Dimension 'altersgruppe' muss festgelegt werden" in detail
    detail = _problem(
        geo,
        "/api/v1/regions/map.json?dataset=bevoelkerung-altersgruppen-kreise"
        "&altersgruppe=unter%203%20Jahre",
        400,
    )
    assert "die Dimension 'geschlecht' muss festgelegt werden" in detail
    assert "insgesamt" in detail


@pytest.mark.parametrize(
    ("url", "status", "fragment"),
    [
        ("/api/v1/regions/map", 400, "Parameter 'dataset' fehlt"),
        ("/api/v1/regions/map?dataset=lebensformen", 400, "keine Tabelle mit Regionalschlüssel"),
        ("/api/v1/regions/map?dataset=gibtsnicht", 400, "keine Tabelle mit Regionalschlüssel"),
        (
            "/api/v1/regions/map?dataset=arbeitslose-kreise&resource=x",
            400,
            "Parameter 'resource'",
        ),
        (
            "/api/v1/regions/map?dataset=arbeitslose-kreise&indikator=Arbeitslose%20insgesamt"
            "&period=2019",
            400,
            "vorhanden: 2023, 2025",
        ),
        (
            "/api/v1/regions/map?dataset=arbeitslose-kreise&indikator=Arbeitslose%20insgesamt"
            "&period=zwanzig",
            400,
            "Parameter 'period'",
        ),
        (
            "/api/v1/regions/map?dataset=arbeitslose-kreise&indikator=Arbeitslose%20insgesamt"
            "&ebene=land",
            400,
            "Parameter 'ebene'",
        ),
        ("/api/v1/regions/map.json?dataset=arbeitslose-kreise&farbe=rot", 400, "Unbekanntes Feld"),
        (
            "/api/v1/regions/map.json?dataset=arbeitslose-kreise&indikator=gibtsnicht",
            400,
            "Keine Zeilen",
        ),
        ("/api/v1/regions/map.json?dataset=arbeitslose-kreise&jahr__gt=x", 400, "jahr__gt"),
        ("/api/v1/regions/geometry/land.geojson", 404, "Ebenen mit Grenzen: kreis, gemeinde"),
        ("/api/v1/regions/geometry/kreis.json", 404, "Endung .geojson erwartet"),
        ("/api/v1/regions/05/geometry.geojson", 404, "Ebene 'land'"),
        ("/api/v1/regions/99999/geometry.geojson", 404, "nrw-regionen"),
    ],
)
def test_bad_parameters_are_german_4xx(
    geo: TestClient[Litestar], url: str, status: int, fragment: str
) -> None:
    assert fragment in _problem(geo, url, status)


# Without a published geography


def test_without_geography_boundaries_are_404(api: TestClient[Litestar]) -> None:
    for url in (
        "/api/v1/regions/geometry/kreis.geojson",
        "/api/v1/regions/geometry.topojson",
        "/api/v1/regions/05513/geometry.geojson",
        "/api/v1/regions/map?dataset=arbeitslose-kreise&indikator=Arbeitslose%20insgesamt",
    ):
        assert "Es ist keine Geografie veröffentlicht" in _problem(api, url, 404)
    assert get_json(api, "/api/v1/regions/05513")["links"]["geometry"] is None


# A package with a table and a boundary file


def test_a_package_with_a_table_and_a_file_publishes_both(
    tmp_path: Path, database_url: str
) -> None:
    from opendata_sozial.config import Settings
    from opendata_sozial.web.app import create_app

    folder = tmp_path / "arbeitslose-kreise"
    shutil.copytree(DATAPACKAGES / "arbeitslose-kreise", folder)
    shutil.copy(PACKAGE / "data" / "kreise.geojson", folder / "data" / "kreise.geojson")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    boundaries = json.loads((PACKAGE / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"].append(boundaries["resources"][0])
    descriptor["x_foreign_keys"].append(boundaries["x_foreign_keys"][0])
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    publish_into(database_url, [folder, DATAPACKAGES / "nrw-regionen"])
    settings = Settings(database_url=database_url, base_url=BASE, rate_limit_requests=0)
    with TestClient(create_app(settings)) as client:
        page = client.get("/datensaetze/arbeitslose-kreise")
        assert page.status_code == 200  # the table is previewed, the file is not a tab
        assert "ressource=kreise" not in page.text
        resources = "/api/v1/datasets/arbeitslose-kreise/resources"
        assert get_json(client, f"{resources}/arbeitslose-kreise/rows")["total"] > 0
        download = client.get(f"{resources}/kreise.geojson")
        assert download.content == (PACKAGE / "data" / "kreise.geojson").read_bytes()
        level = client.get("/api/v1/regions/geometry/kreis.geojson")
        assert level.content == download.content
        values = get_json(client, "/api/v1/regions/map.json", **ARBEITSLOSE)
        assert len(values["values"]) == 53
