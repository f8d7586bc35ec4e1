"""Engines from one URL: SQLite (WAL, foreign keys) or PostgreSQL via psycopg 3.

Behind a pooler in transaction mode (PgBouncer ``pool_mode = transaction``, ``pooler=
"transaction"``) consecutive transactions of one client connection may run on different
server connections. psycopg prepares a statement on the server after it has run
``prepare_threshold`` times (default 5) and then only names it, which fails on another server
connection ("prepared statement _pg3_0 does not exist"), so the engine turns preparing off.
Startup options (``options=-c …``) are refused by PgBouncer; ``db.timeouts`` sets the
statement time limit per transaction instead.
"""

from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry


def normalize_url(url: str) -> URL:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite backend."""
    return engine.dialect.name == "sqlite"


Pooler = Literal["none", "transaction"]
"""What sits between us and PostgreSQL (``ODS_DATABASE_POOLER``)."""


def create_db_engine(url: str, *, pool_size: int = 10, pooler: Pooler = "none") -> Engine:
    """Create the engine; for SQLite make the folder and turn on WAL and foreign keys.

    ``pooler="transaction"``: PostgreSQL through a transaction-pooling PgBouncer (no prepared
    statements); ignored for SQLite.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"prepare_threshold": None} if pooler == "transaction" else {}
    return create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def _sqlite_pragmas(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]  # sqlite3.Connection
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
