"""Publishing some packages keeps the others; withdrawing is explicit; the plan comes first.

Runs the real command line against a catalog that serves every shipped package, on SQLite and
PostgreSQL, and reads the result through the HTTP API.
"""

import csv
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import delete, select

from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import PUBLISH_RUN, TABLE_DIFF, TABLE_DIFF_ROW
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.web.app import create_app
from tests.cli import ok, run_cli
from tests.conftest import DATAPACKAGES
from tests.table_digest import table_digests

SHIPPED = sorted(p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json"))


def cli(cwd: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(cwd, *args, url=url)


def served(url: str) -> set[str]:
    settings = Settings(database_url=url, base_url="http://testserver.local", rate_limit_requests=0)
    with TestClient[Litestar](create_app(settings)) as http:
        body = http.get("/api/v1/datasets?_size=100").json()
    return {d["name"] for d in body["datasets"]}


def edited_lebensformen(tmp_path: Path) -> Path:
    """A copy of lebensformen with one value changed and its hash recomputed."""
    folder = tmp_path / "lebensformen"
    shutil.copytree(DATAPACKAGES / "lebensformen", folder)
    data = folder / "data" / "lebensformen.csv"
    data.write_text(data.read_text(encoding="utf-8").replace(",2123,", ",2124,"), encoding="utf-8")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["hash"], descriptor["resources"][0]["bytes"] = file_digest(data)
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False))
    return folder


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> str:
    ok(cli(tmp_path, database_url, "publish", str(DATAPACKAGES)))
    return database_url


def test_publishing_one_package_keeps_every_other(live: str, tmp_path: Path) -> None:
    folder = edited_lebensformen(tmp_path)
    before = table_digests(live)
    plan = ok(cli(tmp_path, live, "publish", "--dry-run", str(folder)))
    assert "geändert:     lebensformen (80 → 80 Zeilen)" in plan
    assert f"unverändert:  {len(SHIPPED) - 1} (" in plan
    assert "zurückgezogen" not in plan
    assert "Probelauf" in plan
    assert table_digests(live) == before
    out = ok(cli(tmp_path, live, "publish", str(folder)))
    assert out.index("Plan:") < out.index("Release 2:")
    assert served(live) == set(SHIPPED)
    engine = create_db_engine(live)
    with engine.connect() as conn:
        plan_record = conn.execute(
            select(PUBLISH_RUN.c.plan).order_by(PUBLISH_RUN.c.id.desc()).limit(1)
        ).scalar_one()
    engine.dispose()
    assert plan_record["changed"] == [{"name": "lebensformen", "rows_before": 80, "rows_after": 80}]
    assert plan_record["withdrawn"] == []
    assert len(plan_record["unchanged"]) == len(SHIPPED) - 1


def test_withdrawing_needs_the_explicit_option(live: str, tmp_path: Path) -> None:
    out = ok(cli(tmp_path, live, "publish", "--withdraw", "lebensformen"))
    assert "zurückgezogen: lebensformen (80 Zeilen)" in out
    assert served(live) == set(SHIPPED) - {"lebensformen"}
    settings = Settings(database_url=live, base_url="http://testserver.local")
    with TestClient[Litestar](create_app(settings)) as http:
        feed = http.get("/api/v1/changes").json()
    first = feed["items"][0]
    assert first["_opendata_sozial"]["dataset"] == "lebensformen"
    assert first["_opendata_sozial"]["kind"] == "removed"
    assert first["_opendata_sozial"]["plan"] == {
        "group": "withdrawn",
        "name": "lebensformen",
        "rows_before": 80,
        "rows_after": None,
    }
    with TestClient[Litestar](create_app(settings)) as http:
        release = http.get("/api/v1/releases/2").json()
    assert release["plan"]["withdrawn"] == [
        {"name": "lebensformen", "rows_before": 80, "rows_after": None}
    ]
    assert len(release["plan"]["unchanged"]) == len(SHIPPED) - 1
    with TestClient[Litestar](create_app(settings)) as http:
        rows = http.get("/api/v1/datasets/lebensformen/diff/rows?from=1&to=2").json()
        page = http.get("/datensaetze/lebensformen/versionen?von=1&bis=2")
    assert rows["kind"] == "removed"
    assert rows["rows"] == []
    assert page.status_code == 200
    assert "in Veröffentlichung 2 nicht mehr enthalten (zurückgezogen)" in page.text


def test_exact_withdraws_what_is_not_named(live: str, tmp_path: Path) -> None:
    keep = DATAPACKAGES / "nrw-regionen"
    out = ok(cli(tmp_path, live, "publish", "--exact", str(keep)))
    assert out.count("zurückgezogen:") == len(SHIPPED) - 1
    assert served(live) == {"nrw-regionen"}


def test_unsafe_requests_are_refused_and_change_nothing(live: str, tmp_path: Path) -> None:
    before = table_digests(live)
    unknown = cli(tmp_path, live, "publish", "--withdraw", "gibt-es-nicht")
    assert unknown.returncode == 1
    assert "--withdraw nennt Datensätze, die das laufende Release nicht enthält: gibt-es-nicht" in (
        unknown.stderr
    )
    assert "Zurückziehen lassen sich: " in unknown.stderr
    assert "lebensformen" in unknown.stderr
    both = cli(
        tmp_path, live, "publish", "--withdraw", "lebensformen", str(DATAPACKAGES / "lebensformen")
    )
    assert both.returncode == 1
    assert "zugleich veröffentlicht und zurückgezogen" in both.stderr
    dangling = cli(tmp_path, live, "publish", "--withdraw", "nrw-regionen")
    assert dangling.returncode == 1
    assert "nrw-regionen kann nicht zurückgezogen werden" in dangling.stderr
    assert "Das bisherige Release bleibt in Betrieb" in dangling.stderr
    assert table_digests(live) == before


def test_dry_run_into_no_database_creates_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'neu' / 'ods.sqlite'}"
    out = ok(cli(tmp_path, url, "publish", "--dry-run", str(DATAPACKAGES / "lebensformen")))
    assert "neu:          lebensformen (80 Zeilen)" in out
    assert not (tmp_path / "neu" / "ods.sqlite").exists()


def test_releases_without_stored_comparisons_are_counted_on_read(live: str, tmp_path: Path) -> None:
    """A database upgraded from before migration 0003 has no stored comparison: same counts."""
    ok(cli(tmp_path, live, "publish", str(edited_lebensformen(tmp_path))))
    engine = create_db_engine(live)
    with engine.begin() as conn:
        conn.execute(delete(TABLE_DIFF_ROW))
        conn.execute(delete(TABLE_DIFF))
    engine.dispose()
    settings = Settings(database_url=live, base_url="http://testserver.local")
    with TestClient[Litestar](create_app(settings)) as http:
        diff = http.get("/api/v1/datasets/lebensformen/diff?from=1&to=2").json()
        rows = http.get("/api/v1/datasets/lebensformen/diff/rows?from=1&to=2").json()
    assert diff["resources"][0]["rows"] == {
        "added": 0,
        "changed": 1,
        "removed": 0,
        "is_comparable": True,
        "listed": None,
    }
    assert rows["rows"] == []


def test_changed_rows_are_paged_by_their_own_next_links(live: str, tmp_path: Path) -> None:
    folder = tmp_path / "lebensformen"
    shutil.copytree(DATAPACKAGES / "lebensformen", folder)
    data = folder / "data" / "lebensformen.csv"
    with data.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    value = rows[0].index("wert")
    for cells in rows[1:]:
        cells[value] = str(Decimal(cells[value]) + 1) if cells[value] else "1"
    with data.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    ok(cli(tmp_path, live, "refresh", str(folder)))
    ok(cli(tmp_path, live, "publish", str(folder)))
    settings = Settings(database_url=live, base_url="http://testserver.local")
    keys: list[str] = []
    pages = 0
    with TestClient[Litestar](create_app(settings)) as http:
        url: str | None = "/api/v1/datasets/lebensformen/diff/rows?from=1&to=2&_size=7"
        while url:
            body = http.get(url.removeprefix("http://testserver.local")).json()
            keys += [json.dumps(r["key"], sort_keys=True) for r in body["rows"]]
            assert {r["kind"] for r in body["rows"]} == {"changed"}, body["rows"][:2]
            url, pages = body["next"], pages + 1
        page = http.get("/datensaetze/lebensformen/versionen?von=1&bis=2&seite=1")
    assert len(keys) == len(set(keys)) == len(rows) - 1
    assert pages == -(-(len(rows) - 1) // 7)
    assert page.status_code == 200
    assert "Zeilen 1 bis 80" in page.text
