"""The database spells a CSV export byte for byte as the Python path does (``db/csv_export.py``).

PostgreSQL writes it with ``COPY … TO STDOUT``, SQLite hands over driver batches; both are
compared with the Python path (``formats/export.csv_chunks`` over the same stream's batches) on
every table of every shipped package, unfiltered and filtered, and on a table of edge values.
"""

import csv
import dataclasses
import io
import math
import os
import random
import struct
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, literal_column, select
from sqlalchemy.exc import DBAPIError

from opendata_sozial.db.csv_export import (
    database_csv_writer,
    spelled_columns,
    write_crlf,
    write_postgres_csv,
)
from opendata_sozial.db.data_tables import create_and_load, define_data_table
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import NO_TABLE
from opendata_sozial.formats.export import csv_chunks, write_csv
from opendata_sozial.services.catalog import CatalogService, DatasetRecord, ResourceRecord
from opendata_sozial.services.rows import ReleaseRows, RowService, RowsStream
from tests.conftest import BACKENDS, backend_database


@pytest.fixture(scope="module")
def service(published_url: str) -> Iterator[tuple[CatalogService, ReleaseRows]]:
    """The catalog and the rows of the published release."""
    engine = create_db_engine(published_url)
    catalog = CatalogService(engine)
    rows = RowService(engine, catalog, default_size=100, max_size=10_000)
    yield catalog, rows.at(catalog.current_release_info())
    engine.dispose()


def _both_paths(rows: ReleaseRows, name: str, resource: str, params: dict[str, list[str]]) -> None:
    """The export of ``params`` spelled by the database equals the Python path's bytes."""
    python = rows.stream(name, resource, params)
    expected = b"".join(csv_chunks(dataclasses.replace(python, database_csv=None), "rfc4180"))
    python.close()
    stream = rows.stream(name, resource, params)
    assert stream.database_csv is not None
    target = io.BytesIO()
    assert stream.database_csv(target), f"{name}/{resource} fell back to the Python path"
    stream.close()
    header = expected.split(b"\r\n", 1)[0] + b"\r\n"
    assert header + target.getvalue() == expected, (name, resource, params)


def _tables(catalog: CatalogService, rows: ReleaseRows) -> list[ResourceRecord]:
    found = []
    for dataset in catalog.list_datasets(rows.release):
        for resource in catalog.get_dataset(rows.release, dataset.name).model.resources:
            record = catalog.get_resource(rows.release, dataset.name, resource.name)
            if record.table_name != NO_TABLE:
                found.append(record)
    return found


def _filtered(rows: ReleaseRows, record: ResourceRecord) -> dict[str, list[str]]:
    """An equality filter on the first key (or first) field, sorted by a number, descending."""
    fields = record.model.fields
    first = record.model.primary_key[0] if record.model.primary_key else fields[0].name
    page = rows.page(record.dataset.name, record.name, {"_size": ["1"]})
    value = page.rows[0][page.columns.index(first)] if page.rows else None
    params: dict[str, list[str]] = {first: ["" if value is None else str(value)]}
    numbers = [f.name for f in fields if f.type == "number"]
    if numbers:
        params["_sort"] = [f"-{numbers[0]}"]
    return params


def test_every_shipped_table_is_spelled_alike_by_both_paths(
    service: tuple[CatalogService, ReleaseRows],
) -> None:
    catalog, release_rows = service
    tables = _tables(catalog, release_rows)
    assert len({t.dataset.name for t in tables}) >= 30
    for record in tables:
        name, resource = record.dataset.name, record.name
        _both_paths(release_rows, name, resource, {})
        _both_paths(release_rows, name, resource, _filtered(release_rows, record))
        fields = [f.name for f in record.model.fields]
        _both_paths(release_rows, name, resource, {"_select": [",".join(fields[::-1][:3])]})


def test_an_export_written_by_the_server_is_the_python_paths(
    service: tuple[CatalogService, ReleaseRows],
) -> None:
    release_rows = service[1]
    stream = release_rows.stream("lebensformen", "lebensformen", {"jahr__gte": ["2017"]})
    expected = b"".join(csv_chunks(dataclasses.replace(stream, database_csv=None), "rfc4180"))
    again = release_rows.stream("lebensformen", "lebensformen", {"jahr__gte": ["2017"]})
    target = io.BytesIO()
    write_csv(again, target, "rfc4180")
    again.close()
    assert target.getvalue() == expected


# A table of edge values on each database

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "text", "type": "string"},
        {"name": "zahl", "type": "number"},
        {"name": "anzahl", "type": "integer"},
        {"name": "jahr", "type": "year"},
        {"name": "tag", "type": "date"},
        {"name": "monat", "type": "yearmonth"},
        {"name": "ja", "type": "boolean"},
        {"name": "weitere zahl", "type": "number"},
    ]
}
TEXTS = ["", "a", 'a, "b"\nc', "x\r\ny", "\\.", " lead", "trail ", "=1+2", "é;ß", '"', ",", None]
NUMBERS = [
    2016.0, -3.0, 14.6, 0.1 + 0.2, 1e-05, 1.5e-07, 0.0001, 9.999e-05, -0.0, 0.0, 123456.789,
    1e15 + 0.5, 999999999999999.9, 2.0**53 - 1, -(2.0**53 - 1), 5e-324, 1e-300, None,
]  # fmt: skip
LARGE = [2.0**53, 9465442812124738.0, 1e16, 2.0**60, 3.092535278770144e18, -1e300, math.inf]


def _edge_rows(numbers: list[float | None]) -> list[tuple[Any, ...]]:
    rows = []
    for i, number in enumerate(numbers):
        text = TEXTS[i % len(TEXTS)]
        rows.append(
            (
                i + 1,
                text,
                number,
                None if i % 5 == 0 else i * 10 ** (i % 16) * (-1) ** i,
                None if i % 4 == 0 else 1990 + i,
                None if i % 3 == 0 else date(1000 + i * 50, 1 + i % 12, 1 + i % 28),
                None if i % 6 == 0 else f"20{i:02d}-0{1 + i % 9}",
                None if i % 3 == 2 else i % 2 == 0,
                numbers[-1 - i],
            )
        )
    return rows


def _engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    with backend_database(backend, tmp_path, f"ods_export_copy_{os.getpid()}") as url:
        engine = create_db_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def edge_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from _engine(request.param, tmp_path)


@pytest.fixture(params=[b for b in BACKENDS if b != "sqlite"])
def postgres_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """PostgreSQL only (``COPY`` is its own); skipped with the suite's reason without a server."""
    yield from _engine(request.param, tmp_path)


def _stream_of(engine: Engine, table_name: str, columns: list[str]) -> tuple[RowsStream, Any]:
    """The Python path's stream over ``columns`` and the database's writer for the same rows."""
    table = define_data_table(table_name, SCHEMA)
    types = {f["name"]: f["type"] for f in SCHEMA["fields"]}
    statement = select(*(table.c[c] for c in columns)).order_by(table.c["_row"])
    dataset = DatasetRecord(name="d", title="D", release=1, modified="", descriptor={})
    record = ResourceRecord(dataset, "r", table_name, 0, SCHEMA)
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    stream = RowsStream(record, columns, len(rows), iter([rows]))
    spelled = spelled_columns(table, columns, types, engine.dialect.name)
    if spelled is None:
        return stream, None
    numbers = [c for c in columns if types[c] == "number"]
    text = statement.with_only_columns(*spelled).select_from(table)
    return stream, database_csv_writer(engine, table, text, numbers)


def _load(engine: Engine, name: str, rows: list[tuple[Any, ...]]) -> None:
    with engine.begin() as conn:
        create_and_load(conn, define_data_table(name, SCHEMA), rows)


def _compare(engine: Engine, name: str, columns: list[str]) -> bool | None:
    """Both paths over ``columns``: equal bytes; whether the database wrote (None: not offered)."""
    stream, write = _stream_of(engine, name, columns)
    expected = b"".join(csv_chunks(stream, "rfc4180"))
    if write is None:
        return None
    target = io.BytesIO()
    written = write(target)
    if written:
        header = expected.split(b"\r\n", 1)[0] + b"\r\n"
        assert header + target.getvalue() == expected
    else:
        assert target.getvalue() == b""
    return bool(written)


def test_edge_values_are_spelled_alike_by_both_paths(edge_engine: Engine) -> None:
    columns = [f["name"] for f in SCHEMA["fields"]]
    _load(edge_engine, "edge_plain", _edge_rows(NUMBERS))
    assert _compare(edge_engine, "edge_plain", columns) is True
    assert _compare(edge_engine, "edge_plain", ["ja", "text"]) is True


def _random_doubles(generator: random.Random, count: int) -> list[float | None]:
    """Finite doubles of every shape: random bit patterns, short decimals, integers, tiny ones."""
    found: list[float | None] = []
    while len(found) < count:
        shape = len(found) % 4
        if shape == 0:
            value = struct.unpack("<d", generator.getrandbits(64).to_bytes(8, "little"))[0]
        elif shape == 1:
            digits = generator.randint(1, 17)
            value = generator.randint(-(10**digits), 10**digits) / 10 ** generator.randint(0, 20)
        elif shape == 2:
            value = float(generator.randint(-(2**54), 2**54))
        else:
            value = generator.uniform(-1, 1) * 10.0 ** generator.randint(-8, 16)
        if math.isfinite(value) and abs(value) < 2.0**53:  # larger: left to Python on PostgreSQL
            found.append(value)
    return found


def _random_text(generator: random.Random) -> str:
    alphabet = 'ab ,;"\r\n\téß=-+.0'
    return "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 6)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_doubles_and_texts_are_spelled_alike_by_both_paths(
    edge_engine: Engine, seed: int
) -> None:
    generator = random.Random(seed)  # noqa: S311  # test data, not secrets
    numbers = _random_doubles(generator, 3000)
    rows = [  # the edge rows' other columns, 150 rows at a time (their dates stay valid)
        (start + row[0], _random_text(generator), *row[2:])
        for start in range(0, len(numbers), 150)
        for row in _edge_rows(numbers[start : start + 150])
    ]
    _load(edge_engine, f"edge_random_{seed}", rows)
    columns = [f["name"] for f in SCHEMA["fields"]]
    assert _compare(edge_engine, f"edge_random_{seed}", columns) is True
    assert _compare(edge_engine, f"edge_random_{seed}", ["text", "zahl"]) is True


def test_large_numbers_are_spelled_alike_or_left_to_python(edge_engine: Engine) -> None:
    columns = [f["name"] for f in SCHEMA["fields"]]
    _load(edge_engine, "edge_large", _edge_rows(NUMBERS + LARGE))
    written = _compare(edge_engine, "edge_large", columns)
    assert written is (edge_engine.dialect.name == "sqlite")  # PostgreSQL: the Python path
    assert _compare(edge_engine, "edge_large", ["text", "anzahl"]) is True  # no number column


def test_a_single_column_is_left_to_python_on_postgresql(edge_engine: Engine) -> None:
    _load(edge_engine, "edge_single", _edge_rows(NUMBERS))
    written = _compare(edge_engine, "edge_single", ["text"])
    assert written is (True if edge_engine.dialect.name == "sqlite" else None)


def test_line_ends_become_crlf_outside_quotes_wherever_a_chunk_ends() -> None:
    rows = [["a", 'x\ny "q" z\r\n', ""], ['"', "\n", "b"], ["", "c,d", '""\n""']]
    lf, crlf = io.StringIO(), io.StringIO()
    csv.writer(lf, lineterminator="\n").writerows(rows)
    csv.writer(crlf, lineterminator="\r\n").writerows(rows)
    data = lf.getvalue().encode()
    for cut in range(len(data) + 1):
        target = io.BytesIO()
        inside = write_crlf(target, bytearray(data[:cut]), False)
        write_crlf(target, bytearray(data[cut:]), inside)
        assert target.getvalue() == crlf.getvalue().encode(), cut


@pytest.mark.parametrize(
    "query",
    [
        {"jahr__in": ["2015,2017"], "lebensform__notin": ["Ehepaare ohne Kind"]},
        {"lebensform__contains": ["%'\"_"]},  # bound by psycopg into COPY's text, not pasted
        {"lebensform__startswith": ["Ehe"], "wert__lt": ["2000.5"], "jahr__not": ["2016"]},
        {"fussnote__isnull": ["true"], "_sort": ["einheit,-jahr"]},
        {"wert__gte": ["100"], "_sort": ["-wert"], "_select": ["wert,jahr"]},
    ],
)
def test_every_filter_operator_reaches_the_database_path(
    service: tuple[CatalogService, ReleaseRows], query: dict[str, list[str]]
) -> None:
    _both_paths(service[1], "lebensformen", "lebensformen", query)


def test_an_error_during_copy_is_a_database_error_and_the_pool_stays_usable(
    postgres_engine: Engine,
) -> None:
    edge_engine = postgres_engine
    _load(edge_engine, "edge_error", _edge_rows(NUMBERS))
    table = define_data_table("edge_error", SCHEMA)
    failing = select(literal_column('1 / ("_row" - 5)'), table.c["text"]).order_by(table.c["_row"])
    target = io.BytesIO()
    with pytest.raises(DBAPIError, match="division by zero"):
        write_postgres_csv(edge_engine, failing, target)
    assert _compare(edge_engine, "edge_error", ["text", "zahl"]) is True  # the next export works
    with edge_engine.connect() as conn:
        assert conn.execute(select(literal_column("1"))).scalar_one() == 1
