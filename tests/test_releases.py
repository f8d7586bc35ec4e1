"""Releases: old figures stay retrievable, the feed reports changes, JSON-stat and citations."""

import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pyjstat import pyjstat

from opendata_sozial.catalog import load_catalog
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from tests.conftest import (
    BACKENDS,
    CATALOG_FILE,
    DATAPACKAGES,
    GEOGRAPHY,
    REFERENCE_DIRS,
    backend_database,
)

BASE = "http://testserver.local"
ROWS = "/datasets/lebensformen/resources/lebensformen/rows"
QUERY = "lebensform=Ehepaare ohne Kind&jahr=2015"


def _rehash(folder: Path, csv: Path) -> dict:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["hash"], descriptor["resources"][0]["bytes"] = file_digest(csv)
    return descriptor


def _second_edition(target: Path) -> Path:
    """All packages; one value of lebensformen changed, a field of verbraucherinsolvenzen renamed."""
    shutil.copytree(DATAPACKAGES, target)
    lebensformen = target / "lebensformen"
    csv = lebensformen / "data" / "lebensformen.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",2123,", ",2124,"), encoding="utf-8")
    (lebensformen / "datapackage.json").write_text(
        json.dumps(_rehash(lebensformen, csv), ensure_ascii=False), encoding="utf-8"
    )
    insolvenz = target / "verbraucherinsolvenzen"
    csv = insolvenz / "data" / "verbraucherinsolvenzen.csv"
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace("jahr,merkmal,", "jahr,verfahren,", 1), encoding="utf-8")
    descriptor = _rehash(insolvenz, csv)
    schema = descriptor["resources"][0]["schema"]
    for field in schema["fields"]:
        if field["name"] == "merkmal":
            field["name"] = "verfahren"
    schema["primaryKey"] = ["verfahren" if k == "merkmal" else k for k in schema["primaryKey"]]
    for resource in descriptor["x_translations"]["en"]["resources"].values():  # the English too
        fields = resource.get("fields", {})
        if "merkmal" in fields:
            fields["verfahren"] = fields.pop("merkmal")
    (insolvenz / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False), encoding="utf-8"
    )
    return target


@pytest.fixture(scope="module", params=BACKENDS)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient[Litestar]]:
    """Two releases (the second with a changed value and a renamed field), once per backend."""
    folder = tmp_path_factory.mktemp("releases")
    with backend_database(request.param, folder, f"ods_releases_{os.getpid()}") as url:
        yield from _two_releases(url, folder)


def _two_releases(url: str, folder: Path) -> Iterator[TestClient[Litestar]]:
    """A client over ``url`` after two publishes: datapackages/, then a corrected edition."""
    catalog = load_catalog(CATALOG_FILE)
    engine = create_db_engine(url)
    try:
        publish(
            [DATAPACKAGES],
            engine=engine,
            catalog=catalog,
            reference_dirs=REFERENCE_DIRS,
            notes="Erstausgabe",
        )
        second = _second_edition(folder / "packages")
        publish(
            [second],
            engine=engine,
            catalog=catalog,
            reference_dirs=[second, GEOGRAPHY],
            notes="Korrektur",
        )
    finally:
        engine.dispose()
    with TestClient(
        create_app(Settings(database_url=url, base_url=BASE, release_poll_seconds=0))
    ) as test_client:
        yield test_client


def test_old_figures_stay_served_under_their_release(client: TestClient[Litestar]) -> None:
    assert client.get(f"/api/v1{ROWS}?{QUERY}").json()["rows"][0]["wert"] == 2124.0
    pinned = client.get(f"/api/v1/releases/1{ROWS}?{QUERY}")
    assert pinned.json()["rows"][0]["wert"] == 2123.0
    assert pinned.json()["release"] == 1
    assert "immutable" in pinned.headers["cache-control"]
    original = client.get(
        "/api/v1/releases/1/datasets/lebensformen/resources/lebensformen.csv"
    ).content
    assert original == (DATAPACKAGES / "lebensformen" / "data" / "lebensformen.csv").read_bytes()
    descriptor = client.get("/api/v1/releases/1/datasets/lebensformen/datapackage.json").json()
    assert descriptor["resources"][0]["path"].startswith(f"{BASE}/api/v1/releases/1/datasets/")
    page = client.get(f"/api/v1/releases/1{ROWS}?_size=5").json()
    assert page["next"].startswith(f"{BASE}/api/v1/releases/1/datasets/")
    assert client.get(page["next"].removeprefix(BASE)).json()["release"] == 1
    assert (
        client.get(f"/api/v1/releases/1{ROWS}").headers["etag"]
        != client.get(f"/api/v1{ROWS}").headers["etag"]
    )


def test_unknown_release_is_a_404_problem(client: TestClient[Litestar]) -> None:
    response = client.get(f"/api/v1/releases/9{ROWS}")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/problems/release-not-found")
    assert "1, 2" in response.json()["detail"]


def test_release_list_and_change_feed_report_breaking_schema_change(
    client: TestClient[Litestar],
) -> None:
    releases = client.get("/api/v1/releases").json()["releases"]
    assert [r["release"] for r in releases] == [2, 1]
    assert releases[0]["notes"] == "Korrektur"
    changed = {c["dataset"]: c for c in releases[0]["changes"]}
    assert set(changed) == {"lebensformen", "verbraucherinsolvenzen"}
    assert changed["lebensformen"]["is_breaking"] is False
    assert changed["lebensformen"]["resources"][0]["rows"] == {
        "added": 0,
        "changed": 1,
        "removed": 0,
        "is_comparable": True,
        "listed": 1,
    }
    assert changed["lebensformen"]["rows_url"] == (
        f"{BASE}/api/v1/datasets/lebensformen/diff/rows?from=1&to=2"
    )
    assert changed["verbraucherinsolvenzen"]["is_breaking"] is True
    assert len(releases[1]["changes"]) == len(list(DATAPACKAGES.glob("*/datapackage.json")))
    assert {c["kind"] for c in releases[1]["changes"]} == {"added"}
    feed = client.get("/api/v1/changes")
    assert feed.headers["content-type"].startswith("application/feed+json")
    items = feed.json()["items"]
    breaking = [i for i in items if "breaking" in i["tags"]]
    assert [i["url"] for i in breaking] == [
        f"{BASE}/api/v1/releases/2/datasets/verbraucherinsolvenzen"
    ]
    atom = ET.fromstring(client.get("/api/v1/changes.atom").content)  # noqa: S314  # our own response
    entries = atom.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == len(items)


def test_diff_names_the_renamed_field(client: TestClient[Litestar]) -> None:
    diff = client.get("/api/v1/datasets/verbraucherinsolvenzen/diff?from=1&to=2").json()
    kinds = {(c["kind"], c["detail"]) for c in diff["resources"][0]["schema"]}
    assert ("field-renamed", "merkmal → verfahren") in kinds
    assert ("key-changed", "['jahr', 'merkmal'] → ['jahr', 'verfahren']") in kinds or any(
        k == "key-changed" for k, _ in kinds
    )
    assert diff["is_breaking"] is True
    rows = client.get("/api/v1/datasets/lebensformen/diff?from=1&to=2").json()["resources"][0][
        "rows"
    ]
    assert rows["changed"] == 1
    assert client.get("/api/v1/datasets/lebensformen/diff?from=1&to=1").status_code == 400


def test_changed_rows_are_listed_by_key_with_old_and_new_values(
    client: TestClient[Litestar],
) -> None:
    feed = client.get("/api/v1/changes").json()["items"]
    item = next(i for i in feed if i["_opendata_sozial"]["dataset"] == "lebensformen")
    assert item["external_url"] == f"{BASE}/datensaetze/lebensformen/versionen?von=1&bis=2"
    body = client.get(item["_opendata_sozial"]["rows_url"].removeprefix(BASE)).json()
    assert body["counts"]["changed"] == 1
    assert body["rows"] == [
        {
            "kind": "changed",
            "key": {
                "lebensform_gruppe": "Lebensformen ohne Kind",
                "lebensform": "Ehepaare ohne Kind",
                "jahr": 2015,
                "einheit": "1 000",
            },
            "old": {"wert": 2123.0},
            "new": {"wert": 2124.0},
        }
    ]
    assert body["next"] is None
    backwards = client.get("/api/v1/datasets/lebensformen/diff/rows?from=2&to=1").json()
    assert backwards["rows"][0]["old"] == {"wert": 2124.0}
    assert backwards["rows"][0]["new"] == {"wert": 2123.0}
    renamed = client.get("/api/v1/datasets/verbraucherinsolvenzen/diff/rows?from=1&to=2").json()
    assert renamed["counts"]["is_comparable"] is False
    assert renamed["rows"] == []
    wrong = client.get("/api/v1/datasets/lebensformen/diff/rows?from=1&to=2&resource=x")
    assert wrong.status_code == 400
    assert "gültig: lebensformen" in wrong.json()["detail"]
    page = client.get(item["external_url"].removeprefix(BASE))
    assert page.status_code == 200
    assert "Ehepaare ohne Kind" in page.text
    assert "2\u00a0123" in page.text
    assert "2\u00a0124" in page.text


def test_jsonstat_round_trips_through_pyjstat_over_http(client: TestClient[Litestar]) -> None:
    response = client.get(f"/api/v1/releases/1{ROWS}.jsonstat?jahr=2015")
    assert response.status_code == 200
    cube = pyjstat.Dataset.read(response.text).write("dataframe")
    frame = cube[cube["value"].notna()]  # the dense cube also holds combinations without a row
    expected = client.get(f"/api/v1/releases/1{ROWS}?jahr=2015").json()["rows"]
    assert len(frame) == len(expected)
    assert sorted(frame["value"].tolist()) == sorted(r["wert"] for r in expected)
    assert response.json()["href"].startswith(f"{BASE}/api/v1/releases/1/")


@pytest.mark.parametrize("style", ["text", "bibtex", "ris", "csl"])
def test_citations_name_title_release_and_url(client: TestClient[Litestar], style: str) -> None:
    current = client.get(f"/api/v1/datasets/lebensformen/citation?format={style}")
    pinned = client.get(f"/api/v1/releases/1/datasets/lebensformen/citation?format={style}")
    assert current.status_code == 200
    assert "Veröffentlichung 2" in current.text
    assert "Veröffentlichung 1" in pinned.text
    assert f"{BASE}/api/v1/releases/1/datasets/lebensformen" in pinned.text
    if style == "csl":
        assert json.loads(pinned.text)[0]["type"] == "dataset"
    assert client.get("/api/v1/datasets/lebensformen/citation?format=apa").status_code == 400


def test_config_tells_clients_the_limits(client: TestClient[Litestar]) -> None:
    config = client.get("/api/v1/config").json()
    assert config["page_size"]["max"] == 10_000
    assert "rows.jsonstat" in config["formats"]["rows"]
    assert config["license"]["url"] == "https://www.govdata.de/dl-de/by-2-0"


def test_web_catalog_shows_history_change_notes_and_versions(client: TestClient[Litestar]) -> None:
    history = client.get("/aenderungen")
    assert history.status_code == 200
    assert "Veröffentlichung 2" in history.text  # plain words, not "Release" (issue 15)
    assert "Korrektur" in history.text
    assert "nicht abwärtskompatibel" in history.text
    assert "merkmal → verfahren" in history.text
    assert ">Lebensformen in NRW 2015–2019</a>" in history.text  # titles, not package names
    page = client.get("/datensaetze/lebensformen").text
    assert 'id="versionen"' in page
    assert f"{BASE}/api/v1/releases/1/datasets/lebensformen" in page
    assert "1 geändert" in page
    assert "Zeilen" in page
