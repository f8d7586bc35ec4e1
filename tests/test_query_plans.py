"""The statements the rows API runs use the indexes chosen at publish, on SQLite and PostgreSQL.

A synthetic package of 60 000 rows (the bench generator) is published; the statements the
server really executes for a request are recorded at the driver (SQLAlchemy's
``before_cursor_execute``) and explained with their parameters. None may read the whole table
(``SCAN <table>`` without an index on SQLite, ``Seq Scan`` on PostgreSQL).
"""

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, inspect, text

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.data_tables import define_data_table
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.web.app import create_app
from tests.conftest import BACKENDS, DATAPACKAGES, backend_database
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


# Sorted by the measure (issue 17): a seek into the composite index, the page in index order


@pytest.fixture(scope="module", params=BACKENDS)
def scale_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    scale_package: Path,
    catalog: CatalogInfo,
) -> Iterator[str]:
    """The 60 000-row package published once per backend, shared by the tests below."""
    folder = tmp_path_factory.mktemp("sorted")
    with backend_database(request.param, folder, f"ods_plans_{os.getpid()}") as url:
        publish_into(url, [scale_package], catalog=catalog)
        yield url


def _page_plans(url: str, seen: list[Statement]) -> list[str]:
    """The plans of the recorded page statements (those with an ORDER BY) on the data table."""
    engine = create_db_engine(url)
    try:
        table = _table_name(engine)
        return [
            _plan(engine, sql, params)
            for sql, params in _data_statements(seen, table)
            if "ORDER BY" in sql
        ]
    finally:
        engine.dispose()


def _assert_index_ordered(plan: str, index_suffix: str, *, seek: bool) -> None:
    """The page reads the composite index in order: no sort of any kind, no table scan."""
    assert f"{index_suffix} " in plan + " " or f"{index_suffix}\n" in plan + "\n", plan
    assert "TEMP B-TREE" not in plan, plan  # neither all rows nor the ties (RIGHT PART)
    assert "Sort" not in plan, plan  # Sort, Incremental Sort
    assert "Seq Scan" not in plan, plan
    if seek:  # the cursor is a range of the index, not a filter of a walk from its start
        assert "SEARCH" in plan or "Index Cond" in plan, plan


def _follow_pages(client: TestClient[Litestar], first: str, pages: int) -> dict[str, Any]:
    page = client.get(first).json()
    for _ in range(pages - 1):
        page = client.get(page["next"].removeprefix("http://testserver.local")).json()
    return dict(page)


@pytest.mark.parametrize(("sort", "index_suffix"), [("-wert", "_desc"), ("wert", "_asc")])
def test_keyset_pages_sorted_by_the_measure_seek_into_its_composite_index(
    scale_url: str, recorded: list[Statement], sort: str, index_suffix: str
) -> None:
    with _client(scale_url) as client:
        recorded.clear()
        first = client.get(f"{ROWS}?_sort={sort}&_size=100")
        first_plans = _page_plans(scale_url, recorded)
        page = _follow_pages(client, f"{ROWS}?_sort={sort}&_size=100", 49)
        recorded.clear()
        deep = client.get(page["next"].removeprefix("http://testserver.local"))
        deep_plans = _page_plans(scale_url, recorded)
    assert first.status_code == deep.status_code == 200
    assert len(deep.json()["rows"]) == 100
    assert len(first_plans) == 1
    _assert_index_ordered(first_plans[0], index_suffix, seek=False)
    assert deep_plans  # the first segment fills the page here: one statement
    for plan in deep_plans:
        _assert_index_ordered(plan, index_suffix, seek=True)


def test_range_filter_and_sort_on_the_measure_read_the_range_in_index_order(
    scale_url: str, recorded: list[Statement]
) -> None:
    with _client(scale_url) as client:
        recorded.clear()
        first = client.get(f"{ROWS}?wert__gte=20&_sort=-wert&_size=100")
        second = client.get(first.json()["next"].removeprefix("http://testserver.local"))
        plans = _page_plans(scale_url, recorded)
    assert first.status_code == second.status_code == 200
    assert len(plans) == 2
    for plan in plans:
        _assert_index_ordered(plan, "_desc", seek=True)


@pytest.mark.parametrize(
    "query",
    [
        "_sort=-wert&_size=2500",  # 24 pages; the NULLs (withheld values) come last
        "_sort=wert&_size=2500",  # NULLs first
        # 1 980 rows, values 2.0 to 25.0 with one decimal: about 9 rows per value
        "indikator=Mindestsicherungsquote&jahr=2015&_sort=-wert&_size=37",
        # a second sort key before the primary key
        "indikator=Mindestsicherungsquote&jahr__lte=2011&_sort=wert,-bevoelkerungsgruppe&_size=97",
    ],
)
def test_next_links_of_a_measure_sort_give_every_row_once_in_order(
    scale_url: str, query: str
) -> None:
    """Followed to the end, the pages are the unpaged answer: ties and NULLs included."""
    with _client(scale_url) as client:
        expected = client.get(f"{ROWS}.json?{query.rsplit('&', 1)[0]}").json()
        rows: list[dict[str, Any]] = []
        url: str | None = f"{ROWS}?{query}"
        while url is not None:
            page = client.get(url.removeprefix("http://testserver.local")).json()
            rows += page["rows"]
            url = page["next"]
    values = [r["wert"] for r in expected]
    assert None in values
    assert len({v for v in values if v is not None}) < len(values) / 2  # many ties
    assert rows == expected
    keys = [(r["indikator"], r["jahr"], r["bevoelkerungsgruppe"], r["ags"]) for r in rows]
    assert len(set(keys)) == len(keys)


def _index_names(url: str, table: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return {str(i["name"]) for i in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def test_a_table_published_before_gets_the_composite_indexes_when_published_again(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    """Data tables are reused by content: a publish meeting an older one adds what it lacks.

    The second version of the package changes only its title, so its table (same file, same
    schema) is the one the first publish built, here without the composite indexes, as a
    publish before issue 17 left it.
    """
    package = shutil.copytree(DATAPACKAGES / "lebensformen", tmp_path / "lebensformen")
    publish_into(database_url, [package], catalog=catalog)
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            name, schema = conn.execute(
                text("SELECT table_name, schema FROM resource WHERE name = 'lebensformen'")
            ).one()
        schema = schema if isinstance(schema, dict) else json.loads(schema)
        composite = {
            str(i.name)
            for i in define_data_table(name, schema).indexes
            if str(i.name).endswith(("_asc", "_desc"))
        }
        assert len(composite) == 2
        with engine.begin() as conn:
            for index in sorted(composite):
                conn.exec_driver_sql(f'DROP INDEX "{index}"')
    finally:
        engine.dispose()
    assert not composite & _index_names(database_url, name)
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["title"] += " (neue Fassung)"
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert publish_into(database_url, [package], catalog=catalog).release == 2
    assert composite <= _index_names(database_url, name)
