"""CSV exports (RFC 4180 profile) spelled by the database, without a Python call per cell.

The rows of an export are written as the canonical CSV spells them (``domain.number_text``:
``2016``, never ``2016.0``; ``true``/``false``; dates ``2019-05-31``; NULL as an empty cell)
and byte for byte as the Python path of ``formats/export.py`` writes them (C ``csv`` writer,
minimal quoting, CRLF). ``tests/test_export_copy.py`` proves it on every shipped package and on
edge values, on both databases.

- **PostgreSQL**: the server writes the CSV text with ``COPY (SELECT …) TO STDOUT (FORMAT
  csv)``. The SELECT spells each cell as text (``spelled_columns``); COPY quotes exactly the
  cells the ``csv`` writer quotes (separator, quote, CR or LF inside) once empty text is sent as
  NULL. COPY ends a line with LF, the export with CRLF: ``write_crlf`` adds the CR outside quoted
  cells. The data messages are read with libpq's ``PQgetCopyData`` in non-blocking mode (about
  a third of the CPU of psycopg's ``Copy`` iterator, which does the same one message per row),
  waiting on the socket without the GIL.
  Not spelt in SQL, and so left to the Python path: a ``number`` column holding a value of at
  least 2**53 in size, infinity or NaN (PostgreSQL's shortest text for those differs from
  Python's ``repr``; checked per export with the columns' indexes), an export of a single
  column (COPY quotes a lone end-of-data marker, backslash and dot, and writes a lone NULL
  unquoted; the ``csv`` writer does neither), and a connection whose client encoding is not
  UTF-8 or that runs in autocommit mode.
- **SQLite**: the SELECT turns integral doubles into integers and passes every other cell as
  the ``csv`` writer already spells it; the rare double that ``repr`` would write with an
  exponent goes through ``number_text`` as a SQL function. The rows are fetched from the
  driver's cursor in large batches (no SQLAlchemy row objects) and written with ``writerows``.

The PostgreSQL statement time limit is lifted for the one ``COPY`` statement, as SQLite's limit
never covered fetching an export's rows: a filtered export's rows were counted under the limit
before, an unfiltered one reads the table once, and the rendering slots
(``ODS_EXPORT_CONCURRENCY``) bound how many run at once.
"""

import csv
import io
import selectors
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, Final

from sqlalchemy import ColumnElement, Engine, Select, Table, literal_column, or_, select
from sqlalchemy.exc import DBAPIError

from opendata_sozial.domain import EXACT_INTEGERS, number_text

SQLITE_BATCH: Final = 20_000
"""Rows per ``fetchmany`` on SQLite."""
COPY_CHUNK: Final = 1 << 20
"""Bytes of COPY output gathered before they are written."""
NUMBER_FUNCTION: Final = "ods_number_text"
"""The SQLite function that spells a double as ``domain.number_text`` does."""
_PG_SETTINGS: Final = (
    "SELECT set_config('extra_float_digits', '1', true), "  # shortest exact text of a double
    "set_config('DateStyle', 'ISO, YMD', true), "  # dates as 2019-05-31
    "set_config('statement_timeout', '0', true)"
)


def spelled_columns(
    table: Table, columns: Sequence[str], types: dict[str, str], dialect: str
) -> list[ColumnElement[Any]] | None:
    """The SELECT list that spells ``columns`` of ``table`` for the CSV, or ``None``.

    ``types`` maps a field to its Table Schema type; ``None`` where the database cannot write
    this export byte for byte (see the module's description).
    """
    if dialect == "postgresql" and len(columns) < 2:
        return None
    quote = _quoter(table)
    spell = _postgres_cell if dialect == "postgresql" else _sqlite_cell
    return [literal_column(spell(quote(c), types.get(c, ""))) for c in columns]


def _quoter(table: Table) -> Callable[[str], str]:
    """Quote a column name of ``table`` for the dialect of its statements."""

    def quote(name: str) -> str:
        return f'"{table.c[name].name.replace(chr(34), chr(34) * 2)}"'

    return quote


def _postgres_cell(column: str, field_type: str) -> str:
    if field_type == "number":  # large values, infinity and NaN: see number_columns_fit
        return (
            f"CASE WHEN {column} = trunc({column}) AND abs({column}) < {EXACT_INTEGERS} "
            f"THEN ({column}::bigint)::text "
            f"WHEN abs({column}) >= 1e-4 AND abs({column}) < 1e15 THEN {column}::text "
            f"ELSE {column}::text::numeric::text END"  # numeric writes no exponent
        )
    if field_type == "boolean":
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    if field_type in {"string", "yearmonth"}:
        return f"NULLIF({column}, '')"  # COPY would quote an empty text; the csv writer does not
    return column


def _sqlite_cell(column: str, field_type: str) -> str:
    if field_type == "number":
        return (
            f"CASE WHEN {column} IS NULL THEN NULL "
            f"WHEN {column} = CAST({column} AS INTEGER) AND abs({column}) < {EXACT_INTEGERS}.0 "
            f"THEN CAST({column} AS INTEGER) "
            f"WHEN abs({column}) >= 1e-4 AND abs({column}) < 1e16 THEN {column} "  # repr plain
            f"ELSE {NUMBER_FUNCTION}({column}) END"
        )
    if field_type == "boolean":
        return f"CASE {column} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
    return column


def number_columns_fit(engine: Engine, table: Table, numbers: Sequence[str]) -> bool:
    """True when no ``number`` column of ``table`` holds a value PostgreSQL spells otherwise.

    Those are values of at least 2**53 in size, infinity and NaN (which PostgreSQL sorts
    above every number); each column's index answers at once.
    """
    if not numbers:
        return True
    limit = float(EXACT_INTEGERS)
    outside = or_(*((table.c[n] >= limit) | (table.c[n] <= -limit) for n in numbers))
    with engine.connect() as conn:
        return conn.execute(select(select(1).where(outside).exists())).scalar_one() is False


def write_postgres_csv(engine: Engine, statement: Select[Any], target: BinaryIO) -> bool:
    """Write the rows of ``statement`` as CSV into ``target`` with ``COPY … TO STDOUT``.

    ``False`` (nothing written) when the connection's client encoding is not UTF-8 or it runs
    in autocommit mode (the spelling settings hold for one transaction).
    """
    import psycopg

    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        if not isinstance(driver, psycopg.Connection) or driver.autocommit:
            return False
        conn.exec_driver_sql(_PG_SETTINGS)
        if driver.info.encoding != "utf-8":
            return False
        compiled = statement.compile(
            dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
        )
        query = psycopg.ClientCursor(driver).mogrify(str(compiled), compiled.params)
        copy = f"COPY ({query}) TO STDOUT (FORMAT csv)"
        try:
            _copy_out(driver.pgconn, copy.encode("utf-8"), target)
        except BaseException as exc:
            conn.invalidate()  # never hand a connection that may be mid-COPY back to the pool
            if isinstance(exc, psycopg.Error):
                raise DBAPIError.instance(copy, None, exc, psycopg.Error) from exc
            raise
    return True


def _copy_out(pgconn: Any, query: bytes, target: BinaryIO) -> None:  # noqa: ANN401  # psycopg.pq.PGconn
    """Run a ``COPY … TO STDOUT`` on the raw connection; write its data with CRLF line ends."""
    from psycopg import pq

    with selectors.DefaultSelector() as selector:
        selector.register(pgconn.socket, selectors.EVENT_READ)

        def readable() -> None:  # a system call: other threads run on meanwhile
            selector.select()
            pgconn.consume_input()

        pgconn.send_query(query)
        result = _next_result(pgconn, readable)
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            _raise_for(pgconn, result, readable)
        _copy_data(pgconn, target, readable)
        final = _next_result(pgconn, readable)
        while _next_result(pgconn, readable) is not None:
            pass
        if final is None or final.status != pq.ExecStatus.COMMAND_OK:
            _raise_for(pgconn, final, readable)


def _copy_data(pgconn: Any, target: BinaryIO, readable: Callable[[], None]) -> None:  # noqa: ANN401
    """Write every data message of the COPY into ``target`` (1 MiB at a time, CRLF)."""
    pending = bytearray()
    inside = False  # within a quoted cell at the end of what was written
    get = pgconn.get_copy_data
    while True:
        size, data = get(1)  # 1: never block inside libpq (it would keep the GIL)
        if size > 0:
            pending += data
            if len(pending) >= COPY_CHUNK:
                inside = write_crlf(target, pending, inside)
                pending.clear()
        elif size == 0:
            readable()
        else:
            break
    write_crlf(target, pending, inside)


def _next_result(pgconn: Any, readable: Callable[[], None]) -> Any:  # noqa: ANN401  # -> PGresult | None
    """The next result of the connection, waiting on its socket until it is complete."""
    while pgconn.flush() != 0:  # the query is short: this practically never waits
        with selectors.DefaultSelector() as writable:
            writable.register(pgconn.socket, selectors.EVENT_READ | selectors.EVENT_WRITE)
            writable.select()
        pgconn.consume_input()
    while pgconn.is_busy():
        readable()
    return pgconn.get_result()


def _raise_for(pgconn: Any, result: Any, readable: Callable[[], None]) -> None:  # noqa: ANN401
    """Raise the error of ``result`` (or of the connection), leaving the connection idle."""
    import psycopg.errors

    while result is not None and _next_result(pgconn, readable) is not None:
        pass
    if result is None:
        raise psycopg.OperationalError(pgconn.error_message.decode("utf-8", "replace"))
    raise psycopg.errors.error_from_result(result, encoding="utf-8")


def write_crlf(target: BinaryIO, data: bytearray, inside: bool) -> bool:
    """Write COPY's CSV with CRLF after each line; whether the end lies in a quoted cell.

    A line feed outside quotes ends a line; one inside a quoted cell is data and stays. The
    quotes of a cell toggle the state, a doubled quote twice.
    """
    if not inside and b'"' not in data:
        target.write(data.replace(b"\n", b"\r\n"))
        return False
    parts = data.split(b'"')
    for i in range(1 if inside else 0, len(parts), 2):
        parts[i] = parts[i].replace(b"\n", b"\r\n")
    target.write(b'"'.join(parts))
    return inside != (len(parts) % 2 == 0)


def write_sqlite_csv(engine: Engine, statement: Select[Any], target: BinaryIO) -> bool:
    """Write the rows of ``statement`` as CSV into ``target``: driver batches, ``writerows``."""
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        with engine.connect() as conn:
            driver: Any = conn.connection.driver_connection  # sqlite3.Connection
            driver.create_function(NUMBER_FUNCTION, 1, number_text, deterministic=True)
            cursor = conn.execute(statement).cursor  # the time limit covers the execution
            while batch := cursor.fetchmany(SQLITE_BATCH):
                writer.writerows(batch)
        text.flush()
    finally:
        text.detach()  # the target stays open for its reader
    return True


def database_csv_writer(
    engine: Engine, table: Table, statement: Select[Any], numbers: Sequence[str]
) -> Callable[[BinaryIO], bool]:
    """A function writing ``statement``'s rows (spelled by ``spelled_columns``) as CSV.

    It returns ``False``, having written nothing, where the database cannot spell this export.
    """
    if engine.dialect.name == "postgresql":

        def write(target: BinaryIO) -> bool:
            if not number_columns_fit(engine, table, numbers):
                return False
            return write_postgres_csv(engine, statement, target)

        return write
    return lambda target: write_sqlite_csv(engine, statement, target)
