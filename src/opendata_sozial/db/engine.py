"""Engines from one URL: SQLite (WAL, foreign keys) or PostgreSQL via psycopg 3."""

from pathlib import Path

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


def create_db_engine(url: str, *, pool_size: int = 10, pool_timeout: float = 30.0) -> Engine:
    """Create the engine; for SQLite make the folder and turn on WAL and foreign keys.

    The pool holds at most ``pool_size`` connections (no overflow); a checkout waits at most
    ``pool_timeout`` seconds and then raises ``sqlalchemy.exc.TimeoutError``, which the web
    layer answers with 503. An in-memory SQLite database keeps SQLAlchemy's own pool.
    """
    parsed = normalize_url(url)
    pool = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            pool = {}
        else:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **pool)


def _sqlite_pragmas(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]  # sqlite3.Connection
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
