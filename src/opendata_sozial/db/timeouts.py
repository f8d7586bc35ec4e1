"""Time limits on database work, so that no request waits on the database without bound.

``apply_time_limits(engine, ...)`` adds them to an engine made by ``create_db_engine``:

- PostgreSQL: ``connect_timeout`` for new connections and ``statement_timeout`` for every
  statement, both set as connection parameters when the pool opens a connection. Behind a
  transaction pooler (``per_transaction=True``) the server connection changes between
  transactions and PgBouncer refuses the ``options`` startup parameter, so the limit is set
  with ``SET LOCAL statement_timeout`` at the start of each transaction instead.
- SQLite: a progress handler that interrupts a statement once it has run longer than the
  limit. The limit covers executing a statement up to its first row (counting, sorting,
  filtering); fetching the rows of a streamed export afterwards is not limited.

``is_query_timeout(exc)`` tells a statement stopped by the limit from other database errors.
"""

import math
import sqlite3
import time
from typing import Any

import psycopg.errors
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

PROGRESS_STEPS = 1_000
"""SQLite virtual-machine instructions between two looks at the clock."""
_DEADLINE = "ods_deadline"


def apply_time_limits(
    engine: Engine,
    *,
    connect_timeout: float | None,
    query_timeout: float | None,
    per_transaction: bool = False,
) -> None:
    """Install the limits on ``engine``; ``None`` or ``0`` leaves a limit off.

    ``per_transaction``: PostgreSQL is reached through a transaction pooler.
    """
    if engine.dialect.name == "postgresql":
        _limit_postgres(engine, connect_timeout, None if per_transaction else query_timeout or None)
        if per_transaction and query_timeout:
            _limit_each_transaction(engine, query_timeout)
    elif engine.dialect.name == "sqlite" and query_timeout:
        _limit_sqlite(engine, query_timeout)


def is_query_timeout(exc: BaseException) -> bool:
    """True when ``exc`` is a statement stopped by the time limit (either backend)."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(original, psycopg.errors.QueryCanceled):
        return True
    return isinstance(original, sqlite3.OperationalError) and str(original) == "interrupted"


def _limit_postgres(
    engine: Engine, connect_timeout: float | None, query_timeout: float | None
) -> None:
    def set_parameters(
        _dialect: object, _record: object, _cargs: object, cparams: dict[str, Any]
    ) -> None:
        if connect_timeout:
            cparams["connect_timeout"] = max(2, math.ceil(connect_timeout))
        if query_timeout:
            milliseconds = max(1, round(query_timeout * 1000))
            options = str(cparams.get("options", ""))
            cparams["options"] = f"{options} -c statement_timeout={milliseconds}".strip()

    event.listen(engine, "do_connect", set_parameters)


def _limit_each_transaction(engine: Engine, seconds: float) -> None:
    statement = f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}"

    def set_limit(conn: Connection) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is not None:  # psycopg opens the transaction with this statement
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(statement)
            finally:
                cursor.close()

    event.listen(engine, "begin", set_limit)


def _limit_sqlite(engine: Engine, seconds: float) -> None:
    def on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        deadline = [math.inf]
        record.info[_DEADLINE] = deadline
        dbapi_connection.set_progress_handler(
            lambda: time.monotonic() > deadline[0], PROGRESS_STEPS
        )

    def start_clock(conn: Connection, *_args: object) -> None:
        if (deadline := conn.info.get(_DEADLINE)) is not None:
            deadline[0] = time.monotonic() + seconds

    def stop_clock(conn: Connection, *_args: object) -> None:
        if (deadline := conn.info.get(_DEADLINE)) is not None:
            deadline[0] = math.inf

    def on_error(context: ExceptionContext) -> None:
        if context.connection is not None:
            stop_clock(context.connection)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "before_cursor_execute", start_clock)
    event.listen(engine, "after_cursor_execute", stop_clock)
    event.listen(engine, "handle_error", on_error)
