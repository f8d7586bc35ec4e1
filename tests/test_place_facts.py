"""Place facts found at publish (``table_places``, ``table_values`` of the key field).

They equal a live computation; a new release with a new table gets its own; and the first
profile and index request after a publish read them instead of grouping a data table.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, select

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.data_tables import define_data_table, stored_places
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import DATASET, RELEASE, RESOURCE, TABLE_PLACES
from opendata_sozial.model.parse import parse_dataset
from opendata_sozial.query.regions import place_keys_select
from opendata_sozial.services.indicators import RegionTable, region_tables
from opendata_sozial.services.region_facts import find_facts, held_places
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES
from tests.publishing import Statement, publish_into, recording_statements, scale_package

NAME = "gemeinde-indikatoren-synthetisch"


@pytest.fixture
def recorded() -> Iterator[list[Statement]]:
    """Every statement any engine sends to its driver while the test runs."""
    with recording_statements() as seen:
        yield seen


def _region_tables(
    conn: Connection, release: int | None = None
) -> list[tuple[str, RegionTable, dict[str, Any]]]:
    """(physical table, region table, schema) of every table with a region column."""
    statement = (
        select(DATASET.c.descriptor, RESOURCE.c.name, RESOURCE.c.table_name, RESOURCE.c.schema)
        .join(DATASET, DATASET.c.id == RESOURCE.c.dataset_id)
        .where(RESOURCE.c.table_name != "")
    )
    if release is not None:
        statement = statement.join(RELEASE, RELEASE.c.id == DATASET.c.release_id).where(
            RELEASE.c.number == release
        )
    found = []
    for descriptor, resource, table, schema in conn.execute(statement):
        model = parse_dataset(
            descriptor if isinstance(descriptor, dict) else json.loads(descriptor)
        )
        found += [(table, t, schema) for t in region_tables(model) if t.resource == resource]
    return found


def _ordered(entries: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(entries, key=repr)


def test_stored_facts_equal_a_live_computation(published_url: str) -> None:
    engine = create_db_engine(published_url)
    checked = 0
    try:
        with engine.connect() as conn:
            for name, region, schema in _region_tables(conn):
                sql = define_data_table(name, schema)
                stored = stored_places(conn, sql, region.key_field)
                live = find_facts(conn, sql, region)
                assert stored is not None, (region.dataset, region.resource)
                assert stored.place_fields == live.place_fields, region.resource
                assert stored.groups == live.groups, region.resource
                assert _ordered(stored.entries) == _ordered(live.entries), region.resource
                keys = conn.execute(place_keys_select(sql, region.key_field)).scalars()
                assert held_places(conn, sql, region.key_field) == {str(k) for k in keys}
                checked += 1
    finally:
        engine.dispose()
    shipped = [
        parse_dataset(json.loads(path.read_text(encoding="utf-8")))
        for path in DATAPACKAGES.glob("*/datapackage.json")
    ]
    assert checked == sum(len(region_tables(d)) for d in shipped) > 0


def _client(url: str) -> TestClient[Litestar]:
    return TestClient(create_app(Settings(database_url=url, rate_limit_requests=0)))


def _grouped(seen: list[Statement], tables: set[str]) -> list[str]:
    """Recorded statements that group or count distinct values of a data table."""
    return [
        sql
        for sql, _ in seen
        if any(t in sql for t in tables) and ("GROUP BY" in sql or "DISTINCT" in sql)
    ]


def test_first_profile_and_index_request_group_no_data_table(
    database_url: str, catalog: CatalogInfo, tmp_path: Path, recorded: list[Statement]
) -> None:
    publish_into(
        database_url,
        [DATAPACKAGES / "nrw-regionen", scale_package(tmp_path, 12_000)],
        catalog=catalog,
    )
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = {name for name, _, _ in _region_tables(conn)}
    finally:
        engine.dispose()
    recorded.clear()
    with _client(database_url) as client:
        profile = client.get("/api/v1/regions/05513/profile")
        listed = client.get("/api/v1/regions/index/indicators?ebene=gemeinde")
        gemeinde = client.get("/api/v1/regions/05513000/profile")
    assert profile.status_code == listed.status_code == gemeinde.status_code == 200
    assert any(NAME in json.dumps(i) for i in listed.json()["indicators"])
    assert gemeinde.json()["indicators"]
    assert any(t in sql for sql, _ in recorded for t in tables)  # the tables were read
    assert _grouped(recorded, tables) == []


def test_a_new_release_gets_its_own_facts(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    regions = DATAPACKAGES / "nrw-regionen"
    publish_into(database_url, [regions, scale_package(tmp_path / "a", 6_000)], catalog=catalog)
    second = publish_into(
        database_url, [regions, scale_package(tmp_path / "b", 12_000)], catalog=catalog
    )
    assert second.release == 2
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            first = {n: (t, s) for n, t, s in _region_tables(conn, 1) if t.dataset == NAME}
            then = {n: (t, s) for n, t, s in _region_tables(conn, 2) if t.dataset == NAME}
            assert len(first) == len(then) == 1
            assert first.keys() != then.keys()
            counts = {}
            for name, (region, schema) in {**first, **then}.items():
                facts = stored_places(conn, define_data_table(name, schema), region.key_field)
                assert facts is not None
                counts[name] = sum(entry[-1] for entry in facts.entries)
            kept = conn.execute(select(TABLE_PLACES.c.table_name)).scalars().all()
    finally:
        engine.dispose()
    assert counts == {next(iter(first)): 6_000, next(iter(then)): 12_000}
    assert set(counts) <= set(kept)
