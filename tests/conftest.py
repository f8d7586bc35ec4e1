"""Shared fixtures: repository paths, the catalog, the collected source data, the databases.

A test that needs its own database on both backends takes ``params=BACKENDS`` and opens it with
``backend_database`` (empty) or ``published_database`` (packages published once).

Shared helpers live beside it, one version each: ``tests/publishing.py`` (publish in-process,
a changed copy of a package, kill a publish at a pause point), ``tests/servers.py`` (a real
server on a free loopback port, ready when ``/health/ready`` answers) and ``tests/cli.py`` (the
command line as a subprocess).
"""

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from opendata_sozial.catalog import CatalogInfo, load_catalog

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
GEOGRAPHY = ROOT / "geography"
REFERENCE_DIRS = [DATAPACKAGES, GEOGRAPHY]
"""Where referenced packages are found, as the command line's default settings."""
CATALOG_FILE = ROOT / "catalog" / "catalog.yaml"
BACKENDS: Final[list[Any]] = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""The two databases every database test runs on: a fixture with ``params=BACKENDS``."""
NO_POSTGRES: Final = "no PostgreSQL server reachable at 127.0.0.1:5432 (set ODS_TEST_POSTGRES_URL)"


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


@contextmanager
def backend_database(backend: str, folder: Path, name: str) -> Iterator[str]:
    """The URL of a fresh, empty database on ``backend`` (a value of ``BACKENDS``).

    ``sqlite``: the file ``ods.sqlite`` in ``folder``; ``postgres``: the new database ``name``
    on the local server, dropped afterwards. Skips the test where no PostgreSQL server answers.
    """
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'ods.sqlite'}"
        return
    base = _postgres_url()
    if base is None:
        pytest.skip(NO_POSTGRES)
    try:
        yield _fresh_postgres(base, name)
    finally:
        _drop_postgres(base, name)


@contextmanager
def published_database(
    backend: str, folder: Path, name: str, paths: Sequence[Path] = (DATAPACKAGES,)
) -> Iterator[str]:
    """A :func:`backend_database` with ``paths`` published once, as ``make serve`` does."""
    from opendata_sozial.db.engine import create_db_engine
    from opendata_sozial.services.publish import publish

    with backend_database(backend, folder, name) as url:
        engine = create_db_engine(url)
        try:
            publish(
                list(paths),
                engine=engine,
                catalog=load_catalog(CATALOG_FILE),
                reference_dirs=REFERENCE_DIRS,
            )
        finally:
            engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database (dropped after)."""
    with backend_database(request.param, tmp_path, f"ods_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def published_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database with every shipped package published once (read-only tests share it)."""
    folder = tmp_path_factory.mktemp("published")
    with published_database(request.param, folder, f"ods_published_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def geography_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Every shipped package and the boundaries (geography/) published together, as
    ``make serve`` does."""
    folder = tmp_path_factory.mktemp("geography")
    with published_database(
        request.param, folder, f"ods_geography_{os.getpid()}", [DATAPACKAGES, GEOGRAPHY]
    ) as url:
        yield url


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
