"""Shared fixtures: repository paths, the catalog, the collected source data, the databases.

Shared helpers live beside it, one version each: ``tests/publishing.py`` (publish in-process,
a changed copy of a package, kill a publish at a pause point), ``tests/servers.py`` (a real
server on a free loopback port, ready when ``/health/ready`` answers) and ``tests/cli.py`` (the
command line as a subprocess).
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from opendata_sozial.catalog import CatalogInfo, load_catalog

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient

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


def _drop_postgres(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ods.sqlite'}"
        return
    base = _postgres_url()
    if base is None:
        pytest.skip("no PostgreSQL server reachable at 127.0.0.1:5432 (set ODS_TEST_POSTGRES_URL)")
    name = f"ods_test_{os.getpid()}"
    yield _fresh_postgres(base, name)
    _drop_postgres(base, name)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
GEOGRAPHY = ROOT / "geography"


def _published_once(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    paths: list[Path],
) -> Iterator[str]:
    """A database of the backend ``request.param`` with ``paths`` published once; its URL."""
    from opendata_sozial.db.engine import create_db_engine
    from opendata_sozial.services.publish import publish

    base: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'ods.sqlite'}"
    else:
        base = _postgres_url()
        if base is None:
            pytest.skip(
                "no PostgreSQL server reachable at 127.0.0.1:5432 (set ODS_TEST_POSTGRES_URL)"
            )
        url = _fresh_postgres(base, f"ods_{name}_{os.getpid()}")
    engine = create_db_engine(url)
    try:
        publish(
            paths,
            engine=engine,
            catalog=load_catalog(CATALOG_FILE),
            reference_dirs=[DATAPACKAGES],
        )
    finally:
        engine.dispose()
    yield url
    if base is not None:
        _drop_postgres(base, url.rsplit("/", 1)[1])


@pytest.fixture(scope="session", params=BACKENDS)
def published_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database with every shipped package published once (read-only tests share it)."""
    yield from _published_once(request, tmp_path_factory, "published", [DATAPACKAGES])


@pytest.fixture(scope="session", params=BACKENDS)
def geography_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Every shipped package and the boundaries (geography/) published together, as
    ``make serve`` does."""
    yield from _published_once(request, tmp_path_factory, "geography", [DATAPACKAGES, GEOGRAPHY])


def _client(url: str) -> "Iterator[TestClient[Litestar]]":
    from litestar.testing import TestClient

    from opendata_sozial.config import Settings
    from opendata_sozial.web.app import create_app

    with TestClient(
        create_app(
            Settings(
                database_url=url,
                base_url="http://testserver.local",
                rate_limit_requests=0,  # the whole suite shares this client (and its address)
            )
        )
    ) as client:
        yield client


@pytest.fixture(scope="session")
def api(published_url: str) -> "Iterator[TestClient[Litestar]]":
    """An in-process HTTP client over the published database."""
    yield from _client(published_url)


@pytest.fixture(scope="session")
def geo(geography_url: str) -> "Iterator[TestClient[Litestar]]":
    """An in-process HTTP client over the packages and boundaries published together."""
    yield from _client(geography_url)
