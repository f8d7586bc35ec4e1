"""A municipality's own areas (Stadtbezirk, Stadtteil, Quartier) below its Gemeinde.

The synthetic municipality of ``tests/fixtures/smallarea`` (made-up areas with small nested
rectangles inside the real Gemeinde Münster, 05515000, and a made-up table keyed by them)
exercises ``validate`` (each fault with its German message), a failed publish (the previous
release keeps serving) and, on SQLite and PostgreSQL over HTTP, the directory, profiles, pages
and search. The Köln packages (keys only, from the city's population table) are checked against
the source CSV in ``shared/data/smallarea/koeln``.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.errors import PackageInvalid
from opendata_sozial.formats.formatting import NBSP
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.ingest.validate import validate_paths
from opendata_sozial.web.app import create_app
from tests.cli import run_cli
from tests.conftest import DATAPACKAGES, GEOGRAPHY, REFERENCE_DIRS, ROOT
from tests.json_links import BASE, follow_every_link, get_json
from tests.publishing import publish_into

FIXTURES = ROOT / "tests" / "fixtures" / "smallarea"
AREAS = FIXTURES / "musterstadt-gebiete"
FIGURES = FIXTURES / "musterstadt-kennzahlen"
MUENSTER = "05515000"
OFFICIAL = [DATAPACKAGES / "nrw-regionen"]
KOELN = "05315000"


def _key(code: str) -> str:
    return f"{MUENSTER}-{code}"


# validate: each fault with its exact German message


def _broken(tmp_path: Path, change: Callable[[Path], None]) -> Path:
    """A copy of the fixture's geography package with ``change`` applied, digests renewed."""
    folder = tmp_path / "musterstadt-gebiete"
    shutil.copytree(AREAS, folder)
    change(folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        resource["hash"], resource["bytes"] = file_digest(folder / resource["path"])
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    return folder


def _edit_table(folder: Path, edit: Callable[[list[list[str]]], None]) -> None:
    path = folder / "data" / "gebiete.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _set(key: str, column: str, value: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        def edit(rows: list[list[str]]) -> None:
            position = rows[0].index(column)
            next(r for r in rows if r[0] == key)[position] = value

        _edit_table(folder, edit)

    return change


def _append(row: list[str]) -> Callable[[Path], None]:
    return lambda folder: _edit_table(folder, lambda rows: rows.append(row))


def _shape(key: str, ring: list[list[float]]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / "data" / "grenzen.geojson"
        data = json.loads(path.read_text(encoding="utf-8"))
        feature = next(f for f in data["features"] if f["properties"]["schluessel"] == key)
        feature["geometry"] = {"type": "Polygon", "coordinates": [ring]}
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    return change


def _box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


FAULTS = {
    "duplicate key": (
        _append([_key("nw"), "Doppelt", "stadtteil", _key("n"), "", ""]),
        ("area-key-duplicate", "data/gebiete.csv", 11, "schluessel"),
        f"Schlüssel '{_key('nw')}' kommt mehrfach vor (zuerst in Zeile 3)",
    ),
    "missing parent": (
        _set(_key("nw-1"), "uebergeordnet", _key("xx")),
        ("area-parent", "data/gebiete.csv", 4, "uebergeordnet"),
        f"übergeordnetes Gebiet '{_key('xx')}' gibt es weder in gebiete noch als amtlichen "
        "Schlüssel in nrw-regionen",
    ),
    "official parent not a Gemeinde": (
        _set(_key("n"), "uebergeordnet", "05515"),
        ("area-parent", "data/gebiete.csv", 2, "uebergeordnet"),
        "übergeordnetes Gebiet '05515' ist eine Einheit der Ebene 'kreis'",
    ),
    "unknown level": (
        _set(_key("sw"), "ebene", "ortsteil"),
        ("area-level-unknown", "data/gebiete.csv", 8, "ebene"),
        "Ebene 'ortsteil' ist unbekannt",
    ),
    "parent on a lower level": (
        _set(_key("no"), "uebergeordnet", _key("nw-1")),
        ("area-parent", "data/gebiete.csv", 6, "uebergeordnet"),
        f"übergeordnetes Gebiet '{_key('nw-1')}' hat die Ebene 'quartier', die nicht über "
        "'stadtteil' liegt",
    ),
    "key without the Gemeinde's AGS": (
        _append(["05315000-x", "Fremd", "stadtteil", _key("n"), "", ""]),
        ("area-key-prefix", "data/gebiete.csv", 11, "schluessel"),
        f"Schlüssel '05315000-x' beginnt nicht mit dem AGS seiner Gemeinde {MUENSTER}",
    ),
    "key not URL-safe": (
        _append([f"{MUENSTER}-Nord West", "Falsch", "stadtteil", _key("n"), "", ""]),
        ("area-key-invalid", "data/gebiete.csv", 11, "schluessel"),
        f"Schlüssel '{MUENSTER}-Nord West' ist ungültig",
    ),
    "self-intersecting geometry": (
        _shape(
            _key("nw-2"),
            [[7.595, 51.95], [7.61, 51.965], [7.61, 51.95], [7.595, 51.965], [7.595, 51.95]],
        ),
        ("area-geometry-invalid", "data/grenzen.geojson", None, "schluessel"),
        f"Feature 4 (schluessel {_key('nw-2')}): Geometrie ungültig: Selbstüberschneidung bei "
        "(7.6025, 51.9575)",
    ),
    "area outside its own parent": (
        _shape(_key("so-1"), _box(7.65, 51.935, 7.665, 51.95)),
        ("area-outside-parent", "data/grenzen.geojson", None, "schluessel"),
        f"Feature 9 (schluessel {_key('so-1')}): 100,0 % der Fläche liegen außerhalb des "
        f"übergeordneten Gebiets {_key('so')} (Toleranz 5 m)",
    ),
    "area outside its Gemeinde": (
        lambda folder: _shift(folder, ["s", "sw", "so", "so-1"], -0.63, -1.005),
        ("area-outside-parent", "data/grenzen.geojson", None, "schluessel"),
        f"Feature 6 (schluessel {_key('s')}): 100,0 % der Fläche liegen außerhalb des "
        f"übergeordneten Gebiets {MUENSTER} (Toleranz 100 m)",
    ),
    "two geometries for one key": (
        lambda folder: _two_geometries(folder, _key("no")),
        ("geometry-key-duplicate", "data/grenzen.geojson", None, None),
        f"Feature 10 (schluessel {_key('no')}): Schlüssel kommt mehrfach vor",
    ),
}


def _shift(folder: Path, codes: list[str], dx: float, dy: float) -> None:
    """Move the areas ``codes`` (a branch of the tree) together, out of the Gemeinde."""
    path = folder / "data" / "grenzen.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["properties"]["schluessel"] in {_key(c) for c in codes}:
            for ring in feature["geometry"]["coordinates"]:
                ring[:] = [[round(x + dx, 6), round(y + dy, 6)] for x, y in ring]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _two_geometries(folder: Path, key: str) -> None:
    path = folder / "data" / "grenzen.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"].append(
        next(f for f in data["features"] if f["properties"]["schluessel"] == key)
    )
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_the_fixture_municipality_is_valid(catalog: CatalogInfo) -> None:
    report = validate_paths([FIXTURES], catalog, reference_dirs=REFERENCE_DIRS)
    assert report.errors() == []
    assert len(report.packages) == 2


@pytest.mark.parametrize("fault", FAULTS)
def test_validate_names_each_fault(catalog: CatalogInfo, tmp_path: Path, fault: str) -> None:
    change, (code, file, row, field), message = FAULTS[fault]
    folder = _broken(tmp_path, change)
    report = validate_paths([folder], catalog, reference_dirs=REFERENCE_DIRS)
    found = [i for i in report.errors() if i.code == code]
    assert [(i.file, i.row, i.field, i.message) for i in found] == [(file, row, field, message)]
    assert found[0].hint  # and what would be valid


def test_a_wrong_parent_is_named_once_not_for_every_area_below(
    catalog: CatalogInfo, tmp_path: Path
) -> None:
    folder = _broken(tmp_path, _set(_key("n"), "uebergeordnet", "05515"))
    errors = validate_paths([folder], catalog, reference_dirs=REFERENCE_DIRS).errors()
    assert [(i.code, i.row) for i in errors] == [("area-parent", 2)]


def test_the_hints_say_what_is_valid(catalog: CatalogInfo, tmp_path: Path) -> None:
    folder = _broken(tmp_path, _set(_key("sw"), "ebene", "ortsteil"))
    (issue,) = [
        i
        for i in validate_paths([folder], catalog, reference_dirs=REFERENCE_DIRS).errors()
        if i.code == "area-level-unknown"
    ]
    assert (
        issue.hint == "gültig: stadtbezirk, stadtteil, sozialraum, quartier (von oben nach unten)"
    )
    assert issue.location() == "data/gebiete.csv, Zeile 8, Feld 'ebene'"


def test_validate_names_the_file_row_and_field_on_the_command_line(tmp_path: Path) -> None:
    folder = _broken(tmp_path, _append([_key("nw"), "Doppelt", "stadtteil", _key("n"), "", ""]))
    result = run_cli(ROOT, "validate", str(folder))
    assert result.returncode == 1
    assert (
        f"data/gebiete.csv, Zeile 11, Feld 'schluessel', Wert '{_key('nw')}': Schlüssel "
        f"'{_key('nw')}' kommt mehrfach vor (zuerst in Zeile 3)" in result.stdout
    )


# Publish and read over HTTP (SQLite and PostgreSQL)


def _client(url: str) -> TestClient[Litestar]:
    settings = Settings(database_url=url, base_url=BASE, rate_limit_requests=0)
    return TestClient(create_app(settings))


@pytest.fixture
def musterstadt(database_url: str) -> Iterator[TestClient[Litestar]]:
    publish_into(database_url, [*OFFICIAL, AREAS, FIGURES])
    with _client(database_url) as client:
        yield client


def test_a_failed_publish_leaves_the_previous_release_serving(
    database_url: str, tmp_path: Path
) -> None:
    first = publish_into(database_url, [*OFFICIAL, AREAS, FIGURES])
    broken = _broken(tmp_path, _set(_key("nw-1"), "uebergeordnet", _key("xx")))
    with pytest.raises(PackageInvalid):
        publish_into(database_url, [broken])
    with _client(database_url) as client:
        releases = get_json(client, "/api/v1/releases")
        assert [r["release"] for r in releases["releases"]] == [first.release]
        region = get_json(client, f"/api/v1/regions/{_key('nw-1')}")
        assert region["parent"] == _key("nw")


def test_the_hierarchy_reaches_from_the_quartier_to_the_land(
    musterstadt: TestClient[Litestar],
) -> None:
    region = get_json(musterstadt, f"/api/v1/regions/{_key('nw-1')}")
    assert (region["name"], region["level"]) == ("Quartier Am Anger", "quartier")
    assert [p["key"] for p in region["parents"]] == [
        _key("nw"),
        _key("n"),
        MUENSTER,
        "05515",
        "055",
        "05",
    ]
    assert region["children"] == []
    follow_every_link(musterstadt, region)


@pytest.mark.parametrize(
    ("key", "children"),
    [
        (MUENSTER, [_key("n"), _key("s")]),
        (_key("n"), [_key("no"), _key("nw")]),
        (_key("nw"), [_key("nw-1"), _key("nw-2")]),
        (_key("so"), [_key("so-1")]),
    ],
)
def test_children_are_the_areas_one_level_below(
    musterstadt: TestClient[Litestar], key: str, children: list[str]
) -> None:
    region = get_json(musterstadt, f"/api/v1/regions/{key}")
    assert sorted(c["key"] for c in region["children"]) == children


def test_search_finds_own_areas_by_name_key_level_and_parent(
    musterstadt: TestClient[Litestar],
) -> None:
    hit = get_json(musterstadt, "/api/v1/regions", q="Lindenhof")["regions"][0]
    assert (hit["key"], hit["level"], hit["parent"]) == (_key("nw-2"), "quartier", _key("nw"))
    by_key = get_json(musterstadt, "/api/v1/regions", q=_key("nw"))
    assert [r["key"] for r in by_key["regions"]] == [_key("nw"), _key("nw-1"), _key("nw-2")]
    quartiere = get_json(musterstadt, "/api/v1/regions", ebene="quartier", parent=_key("n"))
    assert sorted(r["key"] for r in quartiere["regions"]) == [_key("nw-1"), _key("nw-2")]
    stadtteile = get_json(musterstadt, "/api/v1/regions", ebene="stadtteil", parent=MUENSTER)
    assert stadtteile["total"] == 4


def _fixture_rows() -> list[dict[str, str]]:
    path = FIGURES / "data" / "musterstadt-kennzahlen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_profile_values_equal_the_published_rows(musterstadt: TestClient[Litestar]) -> None:
    rows = _fixture_rows()
    for key in sorted({r["schluessel"] for r in rows}):
        profile = get_json(musterstadt, f"/api/v1/regions/{key}/profile")
        series = {
            (i["label"], p["period"]): (p["value"], p["status"])
            for i in profile["indicators"]
            for p in i["series"]
        }
        expected = {
            (r["indikator"], int(r["jahr"])): (
                int(r["wert"]) if r["wert"] else None,
                r["wert_status"] or None,
            )
            for r in rows
            if r["schluessel"] == key
        }
        assert series == expected, key
        for indicator in profile["indicators"]:  # the rows link returns the same figures
            table = get_json(musterstadt, indicator["links"]["rows"])
            assert sorted((r["jahr"], r["wert"]) for r in table["rows"]) == [
                (p["period"], p["value"]) for p in indicator["series"]
            ]


def test_profile_compares_with_parents_and_peers_of_the_municipality(
    musterstadt: TestClient[Litestar],
) -> None:
    profile = get_json(musterstadt, f"/api/v1/regions/{_key('nw')}/profile")
    einwohner = next(i for i in profile["indicators"] if i["label"] == "Einwohner")
    assert einwohner["latest"] == {"period": 2023, "value": 3150, "status": None}
    assert [(p["key"], p["value"]) for p in einwohner["parents"]] == [(_key("n"), 5350)]
    assert einwohner["peers"] == {
        "level": "stadtteil",
        "period": 2023,
        "count": 4,
        "rank": 1,
        "min": 2200,
        "median": 2395.0,
        "max": 3150,
    }


def test_pages_show_the_hierarchy_and_search_offers_the_areas(
    musterstadt: TestClient[Litestar],
) -> None:
    gemeinde = musterstadt.get(f"/regionen/{MUENSTER}")
    assert gemeinde.status_code == 200
    for key in (_key("n"), _key("s")):
        assert f'href="{BASE}/regionen/{key}"' in gemeinde.text
    bezirk = musterstadt.get(f"/regionen/{_key('n')}")
    assert bezirk.status_code == 200
    assert "Nordwestheide" in bezirk.text
    assert "Nordostfeld" in bezirk.text
    assert "Platz 1 von 2" in bezirk.text  # ranked among the Stadtbezirke of the Gemeinde
    quartier = musterstadt.get(f"/regionen/{_key('nw-1')}")
    assert quartier.status_code == 200
    assert "Quartier Am Anger" in quartier.text
    assert f"1{NBSP}420" in quartier.text
    assert "unter den Quartieren der Gemeinde Münster im selben Zeitraum" in quartier.text
    for path in ("/suche?q=Lindenhof", "/regionen?q=Lindenhof"):
        page = musterstadt.get(path)
        assert page.status_code == 200
        assert f'href="{BASE}/regionen/{_key("nw-2")}"' in page.text, path


def test_an_own_area_reads_as_its_level_and_an_unknown_key_is_explained(
    musterstadt: TestClient[Litestar],
) -> None:
    quartier = musterstadt.get(f"/regionen/{_key('nw-1')}")
    assert "<dt>Ebene</dt><dd>Quartier</dd>" in quartier.text
    assert "<dt>Art</dt>" not in quartier.text  # the kind of an own area is its level
    assert ">quartier<" not in quartier.text
    licence = '<a href="https://creativecommons.org/publicdomain/zero/1.0/">Creative Commons CC0'
    assert f"Lizenz: {licence}" in quartier.text  # the source's licence, not a fixed one
    assert "dl-de/by-2-0" not in quartier.text.split('class="citation"')[1].split("</p>")[0]
    kreis = musterstadt.get("/regionen/05515")
    assert "<dt>Art</dt>" in kreis.text  # official places keep their kind (kreisfreie Stadt)
    missing = musterstadt.get(f"/api/v1/regions/{_key('zz')}")
    assert missing.status_code == 404
    detail = missing.json()["detail"]
    assert "weder als amtlichen Schlüssel (nrw-regionen)" in detail
    assert "noch als Gebiet eines veröffentlichten Geografie-Pakets" in detail


# Köln: keys and names only, figures from the city's population table


@pytest.fixture
def koeln(database_url: str) -> Iterator[TestClient[Litestar]]:
    packages = [GEOGRAPHY / "koeln-gebiete", DATAPACKAGES / "koeln-bevoelkerung-stadtteile"]
    publish_into(database_url, [*OFFICIAL, *packages])
    with _client(database_url) as client:
        yield client


def _koeln_source(shared_data: Path) -> list[dict[str, str]]:
    path = shared_data / "smallarea" / "koeln" / "raw" / "bevoelkerung" / "bevoelkerung.csv"
    if not path.is_file():
        pytest.skip(f"Köln source table not found at {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_koeln_stadtteil_has_its_einwohner_2012_from_the_source(
    koeln: TestClient[Litestar], shared_data: Path
) -> None:
    source = {
        r["raum_id"]: (r["raum"], float(r["zahl"]))
        for r in _koeln_source(shared_data)
        if (r["tab_id"], r["zei_id"], r["jahr"]) == ("005", "10", "2012")
        and int(r["raum_id"]) >= 100
    }
    assert len(source) == 86
    listed = get_json(koeln, "/api/v1/regions", ebene="stadtteil", parent=KOELN, _size=100)
    assert listed["total"] == 86
    for raum_id, (name, einwohner) in source.items():
        key = f"{KOELN}-{int(raum_id)}"
        profile = get_json(koeln, f"/api/v1/regions/{key}/profile")
        assert (profile["region"]["name"], profile["region"]["level"]) == (name, "stadtteil")
        indicator = next(i for i in profile["indicators"] if i["label"] == "Einwohner")
        figure: dict[str, Any] = next(p for p in indicator["series"] if p["period"] == 2012)
        assert figure["value"] == einwohner, key


def test_chorweiler_is_found_and_offers_its_profile(koeln: TestClient[Litestar]) -> None:
    hits = get_json(koeln, "/api/v1/regions", q="Chorweiler")["regions"]
    assert [(h["key"], h["level"]) for h in hits] == [
        (f"{KOELN}-6", "stadtbezirk"),
        (f"{KOELN}-609", "stadtteil"),
    ]
    for path in ("/suche?q=Chorweiler", "/regionen?q=Chorweiler"):
        page = koeln.get(path)
        assert f'href="{BASE}/regionen/{KOELN}-609"' in page.text, path
    stadt = koeln.get(f"/regionen/{KOELN}")
    assert all(name in stadt.text for name in ("Innenstadt", "Chorweiler", "Mülheim"))
    steckbrief = koeln.get(f"/regionen/{KOELN}-609")
    assert steckbrief.status_code == 200
    assert "Stadtteil" in steckbrief.text
    assert "Einwohner mit Migrationshintergrund" in steckbrief.text


def test_koeln_geography_publishes_no_boundaries() -> None:
    descriptor = json.loads(
        (GEOGRAPHY / "koeln-gebiete" / "datapackage.json").read_text(encoding="utf-8")
    )
    assert [r["format"] for r in descriptor["resources"]] == ["csv"]
    assert descriptor["x_areas"] == {}
    assert "keine Lizenz" in descriptor["description"]


def test_the_koeln_packages_are_rebuilt_byte_for_byte(shared_data: Path, tmp_path: Path) -> None:
    _koeln_source(shared_data)  # skips without the source
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_koeln_areas.py"),
            "--source",
            str(shared_data / "smallarea" / "koeln"),
            "--target",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr
    for folder in ("geography/koeln-gebiete", "datapackages/koeln-bevoelkerung-stadtteile"):
        built = sorted(p.relative_to(tmp_path) for p in (tmp_path / folder).rglob("*.*"))
        shipped = sorted(p.relative_to(ROOT) for p in (ROOT / folder).rglob("*.*"))
        assert built == shipped
        for path in built:
            assert (tmp_path / path).read_bytes() == (ROOT / path).read_bytes(), path
