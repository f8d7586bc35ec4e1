"""Create or upgrade the catalog schema (Alembic), and the publish lock.

The lock exists before the schema does (an advisory lock on PostgreSQL, a lock file beside the
database on SQLite), so ``publish`` upgrades the schema while it holds the lock: two first
publishes into an empty database queue instead of creating the same tables at once.
"""

import contextlib
import fcntl
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from opendata_sozial.db.engine import missing_sqlite_file, sqlite_file
from opendata_sozial.db.models import RELEASE

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 5_0550_2026
_UNDEFINED_TABLE = "42P01"
_PG_MISSING = re.compile(r'relation "(?P<table>[^"]+)" does not exist')
_SQLITE_MISSING = re.compile(r"no such table: (?:main\.)?(?P<table>\w+)")


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration for our migrations against ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the catalog tables to the newest revision (idempotent; hold ``publish_lock``)."""
    command.upgrade(alembic_config(engine), "head")


def is_schema_missing(exc: BaseException) -> bool:
    """True when a statement failed because a catalog table does not exist (no schema yet).

    A missing *data* table is not a missing schema: that stays an internal error.
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(orig, "sqlstate", None) == _UNDEFINED_TABLE:
        missing = _PG_MISSING.search(str(orig))
    elif isinstance(orig, sqlite3.OperationalError):
        missing = _SQLITE_MISSING.match(str(orig))
    else:
        return False
    return missing is not None and missing["table"] in RELEASE.metadata.tables  # the catalog's


def unpublished_reason(exc: BaseException, url: str) -> str | None:
    """Why a failed read means that nothing was ever published (German), or ``None``.

    The SQLite file does not exist, or the catalog tables do not (no publish has run). The
    path is left out: the answer goes to the public.
    """
    if missing_sqlite_file(url) is not None:
        return (
            "Die Datenbankdatei gibt es noch nicht: es wurde noch nie veröffentlicht "
            "(`opendata-sozial publish` ausführen)."
        )
    if is_schema_missing(exc):
        return (
            "Die Datenbank hat noch keine Katalogtabellen (Schema fehlt): es wurde noch nie "
            "veröffentlicht (`opendata-sozial publish` ausführen)."
        )
    return None


@contextlib.contextmanager
def publish_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock so that only one publish runs against a database at a time."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
        return
    database = sqlite_file(engine.url)
    if database is None:
        yield
        return
    with Path(f"{database}.publish.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
