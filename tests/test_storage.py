"""Storage is collected (issue 16, item 4): nothing that no release references stays behind.

Publishes of new package versions are killed (SIGKILL) at random points of
``services/faults.py``; they leave data tables (loaded, or only registered as ``loading``) and
stored original files that no release uses. One more publish, or ``opendata-sozial gc``,
removes all of it, while every complete release (pinned URLs of old ones included) keeps
serving byte for byte.
"""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import inspect, select, text

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import (
    DATA_TABLE,
    DATASET,
    FILE_CHUNK,
    RELEASE,
    RESOURCE,
    TABLE_DIFF,
    TABLE_DIFF_ROW,
    TABLE_VALUES,
)
from opendata_sozial.services.faults import PAUSE_POINTS
from opendata_sozial.web.app import create_app
from tests.conftest import CATALOG_FILE, DATAPACKAGES, ROOT
from tests.publishing import changed_copy, kill_publish_at, publish_into

PACKAGE = "lebensformen"
STRAY = "data_0123456789abcdef0123"
"""A physical table of our name pattern without a ``data_table`` row."""


def _pinned(number: int) -> list[str]:
    base = f"/api/v1/releases/{number}/datasets/{PACKAGE}"
    return [f"{base}/resources/{PACKAGE}.csv", f"{base}/resources/{PACKAGE}/rows.csv?_size=500"]


def _served(url: str, numbers: list[int]) -> dict[str, tuple[int, bytes]]:
    """Status and body of the original file and the rows of every release, pinned."""
    with TestClient(create_app(Settings(database_url=url, release_poll_seconds=0))) as client:
        return {
            path: (r.status_code, r.content)
            for path in [p for n in numbers for p in _pinned(n)]
            for r in [client.get(path)]
        }


def _storage(url: str) -> dict[str, set[str]]:
    """Tables and files that exist, and those that complete releases reference."""
    engine = create_db_engine(url)
    try:
        physical = {
            name
            for name in inspect(engine).get_table_names()
            if name.startswith("data_") and name != "data_table"
        }
        with engine.connect() as conn:
            complete = (
                select(RESOURCE.c.table_name, RESOURCE.c.hash)
                .join(DATASET, DATASET.c.id == RESOURCE.c.dataset_id)
                .join(RELEASE, RELEASE.c.id == DATASET.c.release_id)
                .where(RELEASE.c.status == "complete")
            )
            used = conn.execute(complete).all()
            return {
                "physical": physical,
                "registered": set(conn.execute(select(DATA_TABLE.c.name)).scalars()),
                "files": set(conn.execute(select(FILE_CHUNK.c.file_hash).distinct()).scalars()),
                "used tables": {str(row[0]) for row in used},
                "used files": {str(row[1]) for row in used},
                "releases": set(conn.execute(select(RELEASE.c.status)).scalars()),
                "compared": {
                    str(name)
                    for pair in conn.execute(
                        select(TABLE_DIFF.c.old_table, TABLE_DIFF.c.new_table)
                    ).all()
                    for name in pair
                }
                | {
                    str(name)
                    for pair in conn.execute(
                        select(TABLE_DIFF_ROW.c.old_table, TABLE_DIFF_ROW.c.new_table).distinct()
                    ).all()
                    for name in pair
                },
                "counted": set(conn.execute(select(TABLE_VALUES.c.table_name)).scalars()),
            }
    finally:
        engine.dispose()


def _assert_no_orphan(url: str) -> None:
    found = _storage(url)
    assert found["releases"] == {"complete"}
    assert found["physical"] == found["used tables"]
    assert found["registered"] == found["used tables"]
    assert found["files"] == found["used files"]
    assert found["compared"] <= found["used tables"]
    assert found["counted"] <= found["used tables"]


def _leave_garbage(url: str, catalog: CatalogInfo, tmp_path: Path) -> list[int]:
    """Two releases, then seven killed publishes of new versions (every point at least once).

    Each publish first cleans up what the one before left unfinished, so the last is killed
    mid-load: its release stays ``loading`` and its table only registered. Returns the numbers
    of the complete releases.
    """
    assert publish_into(url, [DATAPACKAGES / PACKAGE], catalog=catalog).release == 1
    assert (
        publish_into(url, [changed_copy(tmp_path / "v2" / PACKAGE, 3001)], catalog=catalog).release
        == 2
    )
    chooser = random.Random(16)  # noqa: S311  # reproducible test order, not cryptography
    points = [*PAUSE_POINTS, *chooser.choices(PAUSE_POINTS, k=2)]
    chooser.shuffle(points)
    points.append("data-load")
    for number, point in enumerate(points):
        kill_publish_at(
            url, changed_copy(tmp_path / f"killed-{number}" / PACKAGE, 4000 + number), point
        )
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:  # a stray table of our name pattern, no data_table row
            conn.execute(text(f'CREATE TABLE "{STRAY}" (_row INTEGER PRIMARY KEY, x TEXT)'))
    finally:
        engine.dispose()
    found = _storage(url)
    assert found["physical"] - found["used tables"], "the kills left no table behind"
    assert found["registered"] - found["used tables"]
    assert found["files"] - found["used files"], "the kills left no stored file behind"
    return [1, 2]


def _gc(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ODS_DATABASE_URL": url}
    env.pop("ODS_TEST_PAUSE_AT", None)
    command = [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE), "gc"]
    return subprocess.run(
        [*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_next_publish_removes_what_killed_publishes_left(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    numbers = _leave_garbage(database_url, catalog, tmp_path)
    before = _served(database_url, numbers)
    assert all(status == 200 for status, _ in before.values())

    assert (
        publish_into(
            database_url, [changed_copy(tmp_path / "v3" / PACKAGE, 5001)], catalog=catalog
        ).release
        == 3
    )

    _assert_no_orphan(database_url)
    after = _served(database_url, [*numbers, 3])
    assert {path: after[path] for path in before} == before
    assert after[_pinned(3)[0]][0] == 200


@pytest.mark.slow
def test_gc_removes_what_killed_publishes_left(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    numbers = _leave_garbage(database_url, catalog, tmp_path)
    before = _served(database_url, numbers)
    garbage = _storage(database_url)

    dry = _gc(database_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Traceback" not in dry.stderr
    assert dry.stdout.startswith("Würde entfernt:\n")
    for name in garbage["physical"] - garbage["used tables"]:
        assert f"Datentabelle {name}: " in dry.stdout
    assert f"  Datentabelle {STRAY}: ohne Eintrag in data_table" in dry.stdout
    assert ": Laden abgebrochen" in dry.stdout  # the last publish was killed mid-load
    assert " Zeilen, " in dry.stdout  # a table a publish killed before its switch had loaded
    for digest in garbage["files"] - garbage["used files"]:
        assert f"Originaldatei {digest}: " in dry.stdout
    assert "  Release 3: nie fertig geworden (loading)\n" in dry.stdout
    assert dry.stdout.splitlines()[-1].startswith("Zusammen: 1 unfertiges Release, ")
    assert _storage(database_url) == garbage  # a dry run changes nothing

    done = _gc(database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Entfernt:\n")
    assert done.stdout.splitlines()[1:] == dry.stdout.splitlines()[1:]
    _assert_no_orphan(database_url)
    assert _served(database_url, numbers) == before

    again = _gc(database_url)
    assert again.stdout == "Nichts zu entfernen: jedes Objekt gehört zu einem Release.\n"


def test_gc_reports_an_unfinished_release_and_removes_it(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    """A publish killed before its switch left release 2 ``loading``: gc removes it too."""
    assert publish_into(database_url, [DATAPACKAGES / PACKAGE], catalog=catalog).release == 1
    kill_publish_at(database_url, changed_copy(tmp_path / "v2" / PACKAGE, 3001), "before-switch")
    dry = _gc(database_url, "--dry-run")
    assert "  Release 2: nie fertig geworden (loading)\n" in dry.stdout
    assert "Zusammen: 1 unfertiges Release, 1 Datentabelle (" in dry.stdout
    assert _gc(database_url).returncode == 0
    _assert_no_orphan(database_url)
    assert (
        publish_into(database_url, [DATAPACKAGES / PACKAGE], catalog=catalog).release is None
    )  # still release 1


def test_gc_never_creates_a_database(tmp_path: Path) -> None:
    database = tmp_path / "keine.sqlite"
    result = _gc(f"sqlite:///{database}", "--dry-run")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Fehler (database-file): Die Datenbank {database} gibt es nicht; zuerst "
        "`opendata-sozial publish` ausführen (oder ODS_DATABASE_URL prüfen)"
    ]
    assert not database.exists()
