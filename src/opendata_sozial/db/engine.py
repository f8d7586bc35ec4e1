"""Engines from one URL: SQLite (WAL, foreign keys) or PostgreSQL via psycopg 3.

Behind a pooler in transaction mode (PgBouncer ``pool_mode = transaction``, ``pooler=
"transaction"``) consecutive transactions of one client connection may run on different
server connections. psycopg prepares a statement on the server after it has run
``prepare_threshold`` times (default 5) and then only names it, which fails on another server
connection ("prepared statement _pg3_0 does not exist"), so the engine turns preparing off.
Startup options (``options=-c …``) are refused by PgBouncer; ``db.timeouts`` sets the
statement time limit per transaction instead.

The server reads through a read-only engine: on SQLite it opens the file with ``mode=ro``, so
it never creates an empty database file where none was published. ``publish`` and ``gc`` write
through the default engine, which creates the file (``publish``) and refuses up front, in one
German line naming the path, a file or folder it may not write.
"""

import os
import sqlite3
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from opendata_sozial.errors import DatabaseFileError

_SQLITE_REASONS = {
    "SQLITE_READONLY_DIRECTORY": "der Ordner ist schreibgeschützt, und SQLite braucht im "
    "WAL-Modus dort die Dateien {name}-shm und {name}-wal",
    "SQLITE_CANTOPEN": "die Datei lässt sich nicht öffnen (Leserechte von Datei und Ordner prüfen)",
    "SQLITE_NOTADB": "die Datei ist keine SQLite-Datenbank",
    "SQLITE_CORRUPT": "die Datei ist beschädigt",
}


def normalize_url(url: str) -> URL:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


Pooler = Literal["none", "transaction"]
"""What sits between us and PostgreSQL (``ODS_DATABASE_POOLER``)."""


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL (``None``: PostgreSQL or in memory)."""
    parsed = normalize_url(url) if isinstance(url, str) else url
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in {"", ":memory:"}:
        return None
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        return Path(unquote(database.removeprefix("file:")))  # our read-only engines
    return Path(database)


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file of ``url`` when it does not exist (nothing was ever published there)."""
    path = sqlite_file(url)
    return path if path is not None and not path.exists() else None


def create_db_engine(
    url: str,
    *,
    pool_size: int = 10,
    pool_timeout: float = 30.0,
    read_only: bool = False,
    pooler: Pooler = "none",
) -> Engine:
    """Create the engine; for SQLite turn on WAL and foreign keys.

    ``read_only``: SQLite opens the file with ``mode=ro`` (never creates it); otherwise the
    folder is made and ``DatabaseFileError`` says which file or folder is not writable.
    The pool holds at most ``pool_size`` connections (no overflow); a checkout waits at most
    ``pool_timeout`` seconds and then raises ``sqlalchemy.exc.TimeoutError``, which the web
    layer answers with 503. An in-memory SQLite database keeps SQLAlchemy's own pool.
    ``pooler="transaction"``: PostgreSQL through a transaction-pooling PgBouncer (no prepared
    statements); ignored for SQLite.
    """
    parsed = normalize_url(url)
    path = sqlite_file(parsed)
    pool: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() == "sqlite":
        if path is None:
            pool = {}
        if path is not None and read_only:
            parsed = parsed.set(
                database=f"file:{quote(str(path.absolute()))}", query={"mode": "ro", "uri": "true"}
            )
        elif path is not None:
            _check_writable(path)
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"prepare_threshold": None} if pooler == "transaction" else {}
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **pool)


def _check_writable(path: Path) -> None:
    """Make the folder of ``path``; refuse a file or folder this process cannot write."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseFileError(
            f"Der Ordner {path.parent} der Datenbank lässt sich nicht anlegen ({exc.strerror})"
        ) from exc
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseFileError(
            f"Die Datenbank {path} ist schreibgeschützt; publish und gc brauchen Schreibrecht "
            "auf die Datei"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise DatabaseFileError(
            f"Der Ordner {path.parent} der Datenbank {path} ist schreibgeschützt; SQLite legt "
            f"dort {path.name}-wal, {path.name}-shm und die Sperrdatei an"
        )


def check_readable(url: str) -> None:
    """Refuse (``DatabaseFileError``) a SQLite file that is missing or cannot be read.

    PostgreSQL is not checked: the server starts while it is down and recovers by itself.
    """
    path = sqlite_file(url)
    if path is None:
        return
    if not path.exists():
        raise DatabaseFileError(
            f"Die Datenbank {path} gibt es nicht; zuerst `opendata-sozial publish` ausführen "
            "(oder ODS_DATABASE_URL prüfen)"
        )
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        code = str(getattr(exc, "sqlite_errorname", ""))
        reason = _SQLITE_REASONS.get(code, f"SQLite meldet: {exc}").format(name=path.name)
        raise DatabaseFileError(f"Die Datenbank {path} lässt sich nicht lesen: {reason}") from exc


def _sqlite_pragmas(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]  # sqlite3.Connection
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
