"""SIGKILL at every stage of a publish: the previous release stays intact and served.

The publish runs as the real command line in a subprocess with ``ODS_TEST_PAUSE_AT`` set, so
it stops at exactly that point (``services/faults.py``) and says so on stderr; the test then
kills it. Afterwards the API answers exactly as before the attempt, and the next publish
succeeds and removes whatever the killed one left (unfinished release, half-loaded tables).
"""

import threading
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import inspect, select

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import DATA_TABLE, FILE_CHUNK, RELEASE, RESOURCE
from opendata_sozial.db.schema import publish_lock, upgrade_schema
from opendata_sozial.errors import ConfigError
from opendata_sozial.services.faults import (
    PAUSE_POINTS,
    no_checkpoint,
    pause_from_environment,
)
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES
from tests.publishing import changed_copy, kill_publish_at

PACKAGE = "lebensformen"
READS = [
    "/health/ready",
    f"/api/v1/datasets/{PACKAGE}",
    f"/api/v1/datasets/{PACKAGE}/resources/{PACKAGE}/rows?_size=500",
    f"/api/v1/datasets/{PACKAGE}/resources/{PACKAGE}.csv",
]


def _served(url: str) -> list[tuple[int, bytes]]:
    """Status and body of the reads that show what is served."""
    settings = Settings(database_url=url, release_poll_seconds=0)
    with TestClient(create_app(settings)) as client:
        return [(r.status_code, r.content) for r in (client.get(path) for path in READS)]


def _assert_clean(url: str) -> None:
    """Only complete releases, ready tables that exist, file chunks that a resource uses."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            statuses = set(conn.execute(select(RELEASE.c.status)).scalars())
            assert statuses == {"complete"}
            tables = dict(conn.execute(select(DATA_TABLE.c.name, DATA_TABLE.c.status)).all())
            assert set(tables.values()) == {"ready"}
            hashes = set(conn.execute(select(RESOURCE.c.hash)).scalars())
            stored = set(conn.execute(select(FILE_CHUNK.c.file_hash).distinct()).scalars())
            assert stored <= hashes
        physical = {
            name
            for name in inspect(engine).get_table_names()
            if name.startswith("data_") and name != "data_table"
        }
        assert physical == set(tables)
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_publish_killed_at_point_keeps_previous_release(
    database_url: str, catalog: CatalogInfo, tmp_path: Path, point: str
) -> None:
    engine = create_db_engine(database_url)
    try:
        publish([DATAPACKAGES / PACKAGE], engine=engine, catalog=catalog)
    finally:
        engine.dispose()
    before = _served(database_url)
    assert before[0] == (200, b'{"status":"ok","release":1}')
    changed = changed_copy(tmp_path / PACKAGE)

    kill_publish_at(database_url, changed, point)

    assert _served(database_url) == before
    engine = create_db_engine(database_url)
    try:
        result = publish([changed], engine=engine, catalog=catalog)
    finally:
        engine.dispose()
    assert (result.release, result.changed) == (2, [PACKAGE])
    after = _served(database_url)
    assert after[0] == (200, b'{"status":"ok","release":2}')
    assert after[3] == (200, (changed / "data" / f"{PACKAGE}.csv").read_bytes())
    _assert_clean(database_url)


def test_publish_waits_for_the_publish_lock(database_url: str, catalog: CatalogInfo) -> None:
    """Two publishes never interleave: a second one waits until the first lets go."""
    engine = create_db_engine(database_url)
    upgrade_schema(engine)
    outcome: list[int | None] = []

    def second() -> None:
        other = create_db_engine(database_url)
        try:
            outcome.append(publish([DATAPACKAGES / PACKAGE], engine=other, catalog=catalog).release)
        finally:
            other.dispose()

    try:
        with publish_lock(engine):
            waiting = threading.Thread(target=second)
            waiting.start()
            waiting.join(timeout=2)
            assert waiting.is_alive()  # blocked on the lock
            assert outcome == []
        waiting.join(timeout=60)
        assert outcome == [1]
    finally:
        engine.dispose()


def test_pause_switch_is_read_from_the_environment_only() -> None:
    assert not any("pause" in name for name in Settings.model_fields)
    assert pause_from_environment({}) is no_checkpoint
    assert pause_from_environment({"ODS_TEST_PAUSE_AT": ""}) is no_checkpoint
    with pytest.raises(ConfigError, match="ODS_TEST_PAUSE_AT='later' ist kein Haltepunkt"):
        pause_from_environment({"ODS_TEST_PAUSE_AT": "later"})
