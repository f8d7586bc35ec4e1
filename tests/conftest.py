"""Shared fixtures: repository paths, the catalog, the collected source data."""

import os
from pathlib import Path

import pytest

from opendata_sozial.catalog import CatalogInfo, load_catalog

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
CATALOG_FILE = ROOT / "catalog" / "catalog.yaml"


@pytest.fixture(scope="session")
def catalog() -> CatalogInfo:
    return load_catalog(CATALOG_FILE)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The collected source tables (``shared/data`` beside the checkout, or ODS_SHARED_DATA)."""
    path = Path(os.environ.get("ODS_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "sources").is_dir():
        pytest.skip(f"source tables not found at {path} (set ODS_SHARED_DATA to shared/data)")
    return path


def _postgres_url() -> str | None:
    """A fresh database on the local PostgreSQL server, or None when none answers."""
    import psycopg

    base = os.environ.get("ODS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(
            base.replace("postgresql+psycopg://", "postgresql://"),
            connect_timeout=3,
            autocommit=True,
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return None
    return base


def _fresh_postgres(base: str, name: str) -> str:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ods.sqlite'}"
    base = _postgres_url()
    if base is None:
        pytest.skip("no PostgreSQL server reachable at 127.0.0.1:5432 (set ODS_TEST_POSTGRES_URL)")
    return _fresh_postgres(base, f"ods_test_{os.getpid()}")
