"""The statements the rows API runs use the indexes chosen at publish, on SQLite and PostgreSQL.

A synthetic package of 60 000 rows (the bench generator) is published; the statements the
server really executes for a request are recorded at the driver (SQLAlchemy's
``before_cursor_execute``) and explained with their parameters. None may read the whole table
(``SCAN <table>`` without an index on SQLite, ``Seq Scan`` on PostgreSQL).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.web.app import create_app
from tests.publishing import Statement, publish_into, recording_statements
from tests.publishing import scale_package as make_scale_package

NAME = "gemeinde-indikatoren-synthetisch"
ROWS = f"/api/v1/datasets/{NAME}/resources/{NAME}/rows"


@pytest.fixture(scope="module")
def scale_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bench's synthetic package with 60 000 rows."""
    return make_scale_package(tmp_path_factory.mktemp("plans"), 60_000)


@pytest.fixture
def recorded() -> Iterator[list[Statement]]:
    """Every statement any engine sends to its driver while the test runs (SQL, parameters)."""
    with recording_statements() as seen:
        yield seen


def _data_statements(seen: list[Statement], table: str) -> list[Statement]:
    return [(sql, params) for sql, params in seen if table in sql]


def _plan(engine: Engine, sql: str, params: Any) -> str:
    """The query plan of one recorded statement, as text."""
    with engine.connect() as conn:
        cursor = conn.connection.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(str(row[0]) for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _table_name(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT table_name FROM resource WHERE name = :name"), {"name": NAME}
            ).scalar_one()
        )


def _assert_no_full_scan(url: str, seen: list[Statement], *, index_order: bool = True) -> int:
    """Explain every recorded statement on the data table; return how many there were.

    With ``index_order`` the rows must also come in the order of an index (no sort of every
    matching row); an equality filter may instead sort the rows it found through an index.
    """
    engine = create_db_engine(url)
    try:
        table = _table_name(engine)
        statements = _data_statements(seen, table)
        for sql, params in statements:
            plan = _plan(engine, sql, params)
            assert "Seq Scan" not in plan, (sql, plan)
            assert f"SCAN {table}\n" not in plan + "\n", (sql, plan)
            if index_order:
                assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (sql, plan)
    finally:
        engine.dispose()
    return len(statements)


def _client(url: str) -> TestClient[Litestar]:
    return TestClient(
        create_app(
            Settings(database_url=url, base_url="http://testserver.local", rate_limit_requests=0)
        )
    )


def test_range_filter_with_a_sort_on_the_measure_uses_an_index(
    database_url: str, catalog: CatalogInfo, scale_package: Path, recorded: list[Statement]
) -> None:
    publish_into(database_url, [scale_package], catalog=catalog)
    recorded.clear()
    with _client(database_url) as client:
        first = client.get(f"{ROWS}?wert__gte=20&_sort=-wert&_size=100")
        second = client.get(first.json()["next"].removeprefix("http://testserver.local"))
    assert first.status_code == second.status_code == 200
    values = [r["wert"] for r in first.json()["rows"] + second.json()["rows"]]
    assert values == sorted(values, reverse=True)
    assert min(values) >= 20
    assert _assert_no_full_scan(database_url, recorded) >= 4  # count and page, twice


def test_keyset_page_50_uses_an_index(
    database_url: str, catalog: CatalogInfo, scale_package: Path, recorded: list[Statement]
) -> None:
    publish_into(database_url, [scale_package], catalog=catalog)
    for query in (
        "_size=100",
        "_sort=-wert&_size=100",
        "jahr=2015&_size=50",  # 4 000 of the 60 000 rows: a filter on a later key column
        "jahr=2015&_sort=-wert&_size=50",
    ):
        with _client(database_url) as client:
            page = client.get(f"{ROWS}?{query}").json()
            for _ in range(48):
                page = client.get(page["next"].removeprefix("http://testserver.local")).json()
            recorded.clear()
            last = client.get(page["next"].removeprefix("http://testserver.local"))
        assert last.status_code == 200
        assert len(last.json()["rows"]) == int(query.rsplit("=", 1)[1])
        filtered = query.startswith("jahr")
        assert _assert_no_full_scan(database_url, recorded, index_order=not filtered) >= 1
