"""Own small areas on maps: boundaries per own level, map data, Steckbrief and dataset maps.

The synthetic municipality of ``tests/fixtures/smallarea`` (Stadtbezirke, Stadtteile and
Quartiere as nested rectangles inside Münster, one GeoJSON holding all levels) is published with
the official directory and boundaries, on SQLite and PostgreSQL. The own-area GeoJSON is split
by the level of each feature's key; every own level is then served, linked, mapped and drawn
like an official one, while the official files stay byte for byte the package's. Köln (keys and
names, no boundaries) shows that pages without boundaries say so instead of drawing a map.
"""

import csv
import json
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.config import Settings
from opendata_sozial.formats.formatting import NBSP
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.web.app import create_app
from tests.conftest import BACKENDS, DATAPACKAGES, GEOGRAPHY, ROOT, backend_database
from tests.json_links import BASE, follow_every_link, get_json
from tests.publishing import publish_into

FIXTURES = ROOT / "tests" / "fixtures" / "smallarea"
AREAS = FIXTURES / "musterstadt-gebiete"
FIGURES = FIXTURES / "musterstadt-kennzahlen"
MUENSTER = "05515000"
KOELN = "05315000"
OFFICIAL = [DATAPACKAGES / "nrw-regionen", GEOGRAPHY / "nrw-geometrie"]
OWN_LEVELS = {
    "stadtbezirk": ["n", "s"],
    "stadtteil": ["no", "nw", "so", "sw"],
    "quartier": ["nw-1", "nw-2", "so-1"],
}


def _key(code: str) -> str:
    return f"{MUENSTER}-{code}"


def _client(url: str) -> TestClient[Litestar]:
    settings = Settings(database_url=url, base_url=BASE, rate_limit_requests=0)
    return TestClient(create_app(settings))


@pytest.fixture(scope="module", params=BACKENDS)
def muster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient[Litestar]]:
    """Directory, official boundaries and the Musterstadt packages, published once."""
    folder = tmp_path_factory.mktemp("own-area-maps")
    with backend_database(request.param, folder, "ods_own_area_maps") as url:
        publish_into(url, [*OFFICIAL, AREAS, FIGURES])
        with _client(url) as client:
            yield client


def _fixture_shapes() -> dict[str, dict[str, Any]]:
    data = json.loads((AREAS / "data" / "grenzen.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["schluessel"]: f["geometry"] for f in data["features"]}


def _fixture_rows() -> list[dict[str, str]]:
    with (FIGURES / "data" / "musterstadt-kennzahlen.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _problem(client: TestClient[Litestar], url: str, status: int) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    return detail


# Boundaries per level


@pytest.mark.parametrize("level", list(OWN_LEVELS))
def test_each_own_level_holds_exactly_its_areas(muster: TestClient[Litestar], level: str) -> None:
    response = muster.get(f"/api/v1/regions/geometry/{level}.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    collection = json.loads(response.content)
    keys = [_key(c) for c in OWN_LEVELS[level]]
    assert [f["id"] for f in collection["features"]] == sorted(keys)  # in key order
    shapes = _fixture_shapes()
    with (AREAS / "data" / "gebiete.csv").open(encoding="utf-8") as handle:
        names = {r["schluessel"]: r for r in csv.DictReader(handle)}
    for feature in collection["features"]:
        key = feature["id"]
        assert feature["geometry"] == shapes[key]
        assert feature["properties"] == {
            "schluessel": key,
            "name": names[key]["name"],
            "ebene": level,
            "uebergeordnet": names[key]["uebergeordnet"],
            "gemeinde": MUENSTER,
        }
    built = {"type": "FeatureCollection", "name": level, "features": collection["features"]}
    assert response.content == json.dumps(built, ensure_ascii=False, separators=(",", ":")).encode()
    etag = response.headers["etag"]
    again = muster.get(f"/api/v1/regions/geometry/{level}.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304
    # one Gemeinde: the same bytes here, as it is the only one with areas
    same = muster.get(f"/api/v1/regions/geometry/{level}.geojson?gemeinde={MUENSTER}")
    assert same.status_code == 200
    assert same.content == response.content
    assert f'filename="{level}-{MUENSTER}.geojson"' in same.headers["content-disposition"]
    assert muster.get(f"/api/v1/regions/geometry/{level}.geojson").content == response.content


@pytest.mark.parametrize(("level", "file_name"), [("kreis", "kreise"), ("gemeinde", "gemeinden")])
def test_official_levels_are_still_the_package_files(
    muster: TestClient[Litestar], level: str, file_name: str
) -> None:
    response = muster.get(f"/api/v1/regions/geometry/{level}.geojson")
    assert response.status_code == 200
    expected = GEOGRAPHY / "nrw-geometrie" / "data" / f"{file_name}.geojson"
    assert response.content == expected.read_bytes()
    topology = muster.get("/api/v1/regions/geometry.topojson")
    assert topology.content == (GEOGRAPHY / "nrw-geometrie" / "data" / "nrw.topojson").read_bytes()


def test_the_gemeinde_parameter_is_checked(muster: TestClient[Litestar]) -> None:
    detail = _problem(muster, "/api/v1/regions/geometry/stadtteil.geojson?gemeinde=05315000", 404)
    assert detail == (
        "Die Gemeinde '05315000' hat auf der Ebene 'stadtteil' keine Grenzen; Gemeinden mit "
        f"Grenzen dieser Ebene: {MUENSTER}"
    )
    detail = _problem(muster, f"/api/v1/regions/geometry/kreis.geojson?gemeinde={MUENSTER}", 400)
    assert detail == (
        "Parameter 'gemeinde' gilt nur für eigene Ebenen der Gemeinden (vorhanden: stadtbezirk, "
        "stadtteil, quartier); 'kreis' ist eine amtliche Ebene"
    )
    detail = _problem(muster, "/api/v1/regions/geometry/sozialraum.geojson", 404)
    assert detail.endswith("kreis, gemeinde, stadtbezirk, stadtteil, quartier")


@pytest.mark.parametrize("code", ["n", "nw", "nw-1"])
def test_an_own_area_links_its_boundary_and_every_link_answers(
    muster: TestClient[Litestar], code: str
) -> None:
    key = _key(code)
    region = get_json(muster, f"/api/v1/regions/{key}")
    level = region["level"]
    assert region["links"]["geometry"] == {
        "feature": f"{BASE}/api/v1/regions/{key}/geometry.geojson",
        "level": f"{BASE}/api/v1/regions/geometry/{level}.geojson?gemeinde={MUENSTER}",
    }
    follow_every_link(muster, region)
    feature = get_json(muster, f"/api/v1/regions/{key}/geometry.geojson")
    assert (feature["id"], feature["geometry"]) == (key, _fixture_shapes()[key])
    assert feature["links"]["level"] == region["links"]["geometry"]["level"]
    follow_every_link(muster, feature)
    collection = get_json(muster, feature["links"]["level"])
    assert key in [f["id"] for f in collection["features"]]


def test_neighbours_of_an_own_area_come_from_its_boundaries(
    muster: TestClient[Litestar],
) -> None:
    region = get_json(muster, f"/api/v1/regions/{_key('nw')}")
    assert [n["key"] for n in region["neighbours"]] == [_key("no"), _key("sw")]


# Map data


@pytest.mark.parametrize(
    ("level", "indikator", "period"),
    [
        (None, "Einwohner", None),
        ("stadtbezirk", "Einwohner", "2022"),
        ("quartier", "Einwohner unter 18 Jahren", None),
        ("quartier", "Einwohner unter 18 Jahren", "2021"),
    ],
)
def test_map_data_joins_the_rows_to_the_own_boundaries(
    muster: TestClient[Litestar], level: str | None, indikator: str, period: str | None
) -> None:
    params = {"dataset": "musterstadt-kennzahlen", "indikator": indikator}
    if level is not None:
        params["ebene"] = level
    if period is not None:
        params["period"] = period
    geojson = get_json(muster, "/api/v1/regions/map", **params)
    shown = level or "stadtteil"  # the level with the most places of the table
    assert geojson["indicator"]["level"] == shown
    assert geojson["indicator"]["places"] == len(OWN_LEVELS[shown])
    mapped = {f["id"]: f["properties"] for f in geojson["features"]}
    assert sorted(mapped) == sorted(_key(c) for c in OWN_LEVELS[shown])
    year = int(period or 2023)
    expected = {
        r["schluessel"]: (int(r["wert"]) if r["wert"] else None, r["wert_status"] or None)
        for r in _fixture_rows()
        if r["indikator"] == indikator and int(r["jahr"]) == year
    }
    found = {k: (p["value"], p["status"]) for k, p in mapped.items() if p["period"] == year}
    assert found == {k: v for k, v in expected.items() if k in mapped}
    rows = get_json(muster, geojson["links"]["rows"])["rows"]
    assert {r["schluessel"]: r["wert"] for r in rows} == {k: v for k, (v, _) in found.items()}
    values = get_json(muster, geojson["links"]["values"])["values"]
    assert {k: v["value"] for k, v in values.items()} == {k: v for k, (v, _) in found.items()}
    assert geojson["links"]["geometry"] == (
        f"{BASE}/api/v1/regions/geometry/{shown}.geojson?gemeinde={MUENSTER}"
    )
    follow_every_link(muster, geojson)


# Pages


def _map_areas(html: str) -> dict[str, str]:
    """Area key (from its link) -> accessible name of every map area on a page."""
    found = re.findall(
        r'<a class="map__link" href="[^"]*/regionen/([^"]+)" aria-label="([^"]*)"', html
    )
    return {key: unescape(label) for key, label in found}


def test_a_stadtteil_page_shows_its_stadtteile_with_itself_highlighted(
    muster: TestClient[Litestar],
) -> None:
    page = muster.get(f"/regionen/{_key('nw')}")
    assert page.status_code == 200
    areas = _map_areas(page.text)
    assert sorted(areas) == sorted(_key(c) for c in OWN_LEVELS["stadtteil"])
    assert (
        f'href="{BASE}/regionen/{_key("nw")}" aria-label="Nordwestheide: 3{NBSP}150{NBSP}Personen" aria-current="page"'
        in page.text
    )
    assert "Umrandet: Nordwestheide. Stadtteile der Gemeinde Münster." in page.text
    profile = get_json(muster, f"/api/v1/regions/{_key('nw')}/profile")
    einwohner = next(i for i in profile["indicators"] if i["label"] == "Einwohner")
    assert einwohner["latest"]["period"] == 2023
    figures = {  # the map's figures are the peers' figures of the profile's latest period
        r["schluessel"]: int(r["wert"])
        for r in _fixture_rows()
        if (r["indikator"], r["jahr"]) == ("Einwohner", "2023")
    }
    for key, label in areas.items():
        assert label.endswith(f": {figures[key]:,}{NBSP}Personen".replace(",", NBSP)), label
    figure = page.text.split('id="karte"')[1].split("</figure>")[0]
    assert "Grenzen: Erfundene Testdaten" in figure
    assert "© GeoBasis-DE" not in figure
    assert "Kartengrundlage: Erfundene Testdaten." in page.text
    cc0 = '<a href="https://creativecommons.org/publicdomain/zero/1.0/">Creative Commons CC0'
    assert f"Lizenz: {cc0}" in page.text  # the source's licence, not a fixed one


def test_the_gemeinde_page_offers_the_map_of_its_own_areas(
    muster: TestClient[Litestar],
) -> None:
    page = muster.get(f"/regionen/{MUENSTER}")
    assert page.status_code == 200
    assert 'id="gebiete-karte"' in page.text
    section = page.text.split('id="gebiete-karte"')[1].split("</section>")[0]
    assert sorted(_map_areas(section)) == [_key("n"), _key("s")]  # default: the top own level
    for level in ("stadtteil", "quartier"):
        assert f"?gebiete={level}#gebiete-karte" in section
    stadtteile = muster.get(f"/regionen/{MUENSTER}?gebiete=stadtteil")
    section = stadtteile.text.split('id="gebiete-karte"')[1].split("</section>")[0]
    assert sorted(_map_areas(section)) == sorted(_key(c) for c in OWN_LEVELS["stadtteil"])
    assert muster.get(f"/regionen/{MUENSTER}?gebiete=sozialraum").status_code == 200


def test_the_dataset_page_maps_the_stadtteile(muster: TestClient[Litestar]) -> None:
    page = muster.get("/datensaetze/musterstadt-kennzahlen")
    assert page.status_code == 200
    assert "Stadtteile" in page.text
    areas = _map_areas(page.text)
    assert sorted(areas) == sorted(_key(c) for c in OWN_LEVELS["stadtteil"])
    assert "map__legend" in page.text
    api = re.search(r'<a href="([^"]+)">Kartendaten \(JSON\)</a>', page.text)
    assert api is not None
    rows = get_json(muster, unescape(api.group(1)))["rows"]
    assert {r["schluessel"] for r in rows} == set(areas)
    for row in rows:  # the number in each area's name is the API row's
        number = f"{row['wert']:,}".replace(",", NBSP)
        assert areas[row["schluessel"]].endswith(f": {number}{NBSP}Personen"), areas
    table = re.search(r'gefiltert, in der <a href="([^"]+)">Tabelle oben</a>', page.text)
    assert table is not None
    filtered = muster.get(unescape(table.group(1)))
    assert filtered.status_code == 200
    above = filtered.text.split('id="karte-titel"')[0]
    shown = set(re.findall(rf'<th scope="row">({MUENSTER}-[a-z0-9-]+)</th>', above))
    assert shown == {r["schluessel"] for r in rows}  # the table above holds the map's rows


# Köln: own areas without boundaries (beside Musterstadt's, which have them)


@pytest.fixture(scope="module", params=BACKENDS)
def koeln(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient[Litestar]]:
    folder = tmp_path_factory.mktemp("own-area-maps-koeln")
    packages = [GEOGRAPHY / "koeln-gebiete", DATAPACKAGES / "koeln-bevoelkerung-stadtteile"]
    with backend_database(request.param, folder, "ods_own_area_maps_koeln") as url:
        publish_into(url, [*OFFICIAL, AREAS, FIGURES, *packages])
        with _client(url) as client:
            yield client


def test_a_koeln_stadtteil_says_it_has_no_map(koeln: TestClient[Litestar]) -> None:
    page = koeln.get(f"/regionen/{KOELN}-609")
    assert page.status_code == 200
    assert "map__link" not in page.text
    assert (
        "<p>Für die Stadtteile der Gemeinde Köln sind keine Grenzen veröffentlicht; eine Karte "
        "gibt es deshalb nicht.</p>"
    ) in page.text
    region = get_json(koeln, f"/api/v1/regions/{KOELN}-609")
    assert region["links"]["geometry"] is None
    assert region["neighbours"] == []
    follow_every_link(koeln, region)
    detail = _problem(koeln, f"/api/v1/regions/{KOELN}-609/geometry.geojson", 404)
    assert detail.startswith(f"Für Chorweiler ({KOELN}-609) ist keine Grenze veröffentlicht")
    _problem(koeln, f"/api/v1/regions/geometry/stadtteil.geojson?gemeinde={KOELN}", 404)
    stadtteile = json.loads(koeln.get("/api/v1/regions/geometry/stadtteil.geojson").content)
    assert {f["properties"]["gemeinde"] for f in stadtteile["features"]} == {MUENSTER}


def test_the_koeln_gemeinde_page_says_its_areas_have_no_boundaries(
    koeln: TestClient[Litestar],
) -> None:
    page = koeln.get(f"/regionen/{KOELN}")
    assert page.status_code == 200
    section = page.text.split('id="gebiete-karte"')[1].split("</section>")[0]
    assert "map__link" not in section
    assert (
        "Für die Stadtbezirke und Stadtteile der Gemeinde Köln sind keine Grenzen "
        "veröffentlicht; eine Karte gibt es deshalb nicht."
    ) in section
    assert 'id="gebiete-karte"' in koeln.get(f"/regionen/{MUENSTER}").text


def test_the_koeln_dataset_page_says_why_it_has_no_map(koeln: TestClient[Litestar]) -> None:
    page = koeln.get("/datensaetze/koeln-bevoelkerung-stadtteile")
    assert page.status_code == 200
    # the Gemeinde Köln's own totals are on the map of the Gemeinden; its areas are not
    areas = _map_areas(page.text)
    assert len(areas) == 396
    assert not [k for k in areas if "-" in k]
    assert (
        "Die Tabelle enthält Werte für Stadtbezirke und Stadtteile der Gemeinde Köln; für sie "
        "sind keine Grenzen veröffentlicht, eine Karte von ihnen gibt es deshalb nicht."
    ) in page.text
    muster = koeln.get("/datensaetze/musterstadt-kennzahlen").text
    assert "keine Grenzen veröffentlicht" not in muster
    detail = _problem(
        koeln, "/api/v1/regions/map?dataset=koeln-bevoelkerung-stadtteile&ebene=stadtteil", 400
    )
    assert detail == (
        "Parameter 'ebene': koeln-bevoelkerung-stadtteile/koeln-bevoelkerung-stadtteile hat "
        "keine Zeilen für Gebiete mit Grenzen der Ebene 'stadtteil'; Grenzen dieser Ebene gibt "
        f"es in den Gemeinden {MUENSTER}"
    )


def test_the_index_of_the_stadtteile_is_drawn_on_their_boundaries(
    muster: TestClient[Litestar],
) -> None:
    profile = get_json(muster, f"/api/v1/regions/{_key('nw')}/profile")
    ids = [i["id"] for i in profile["indicators"]]
    assert len(ids) == 2
    query = "&".join(f"indikator={i}" for i in ids)
    page = muster.get(f"/regionen/index?ebene=stadtteil&{query}")
    assert page.status_code == 200
    areas = _map_areas(page.text)
    assert sorted(areas) == sorted(_key(c) for c in OWN_LEVELS["stadtteil"])
    index = get_json(muster, f"/api/v1/regions/index?ebene=stadtteil&{query}")
    assert {p["key"] for p in index["places"]} == set(areas)
    for place in index["places"]:  # the map's number is the API's index, two decimals
        shown = f"{place['index']:.2f}".replace(".", ",").replace("-", "\u2212")
        assert areas[place["key"]].endswith(f": {shown}"), areas
    assert "Kartengrundlage: Erfundene Testdaten." in page.text
    cc0 = '<a href="https://creativecommons.org/publicdomain/zero/1.0/">Creative Commons CC0'
    assert f"Lizenz der Zahlen: {cc0}" in page.text  # the inputs' licence, not a fixed one
    citation = page.text.split('class="citation"')[1].split("</p>")[0]
    assert "Datenlizenz Deutschland" not in citation


# A municipality whose Quartiere have no boundaries (the other levels have)


def _without_quartier_boundaries(target: Path) -> Path:
    folder = target / "musterstadt-gebiete"
    shutil.copytree(AREAS, folder)
    path = folder / "data" / "grenzen.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["schluessel"].count("-") < 2]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        resource["hash"], resource["bytes"] = file_digest(folder / resource["path"])
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    return folder


def test_a_level_without_boundaries_is_named_beside_those_with(
    database_url: str, tmp_path: Path
) -> None:
    areas = _without_quartier_boundaries(tmp_path)
    publish_into(database_url, [*OFFICIAL, areas, FIGURES])
    with _client(database_url) as client:
        gemeinde = client.get(f"/regionen/{MUENSTER}?gebiete=quartier")  # falls back
        section = gemeinde.text.split('id="gebiete-karte"')[1].split("</section>")[0]
        assert sorted(_map_areas(section)) == [_key("n"), _key("s")]
        assert "Ohne veröffentlichte Grenzen: Quartiere." in section
        assert "?gebiete=quartier" not in section
        quartier = client.get(f"/regionen/{_key('nw-1')}")
        assert quartier.status_code == 200
        assert "map__link" not in quartier.text
        assert (
            "Für die Quartiere der Gemeinde Münster sind keine Grenzen veröffentlicht"
            in quartier.text
        )
        assert get_json(client, f"/api/v1/regions/{_key('nw-1')}")["links"]["geometry"] is None
        dataset = client.get("/datensaetze/musterstadt-kennzahlen")
        assert sorted(_map_areas(dataset.text)) == sorted(_key(c) for c in OWN_LEVELS["stadtteil"])
        assert (
            "Die Tabelle enthält Werte für Quartiere der Gemeinde Münster; für sie sind keine "
            "Grenzen veröffentlicht, eine Karte von ihnen gibt es deshalb nicht."
        ) in dataset.text
        _problem(client, "/api/v1/regions/geometry/quartier.geojson", 404)
