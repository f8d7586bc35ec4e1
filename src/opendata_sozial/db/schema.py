"""Create or upgrade the catalog schema (Alembic), and the publish lock."""

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 5_0550_2026


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration for our migrations against ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the catalog tables to the newest revision (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


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
    database = engine.url.database or ":memory:"
    lock_path = Path(f"{database}.publish.lock") if database != ":memory:" else None
    if lock_path is None:
        yield
        return
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
