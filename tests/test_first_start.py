"""First start and odd states of the database (issue 16, item 5).

Before the first publish every route answers ``503 not-published`` (problem+json, German,
``Retry-After``; a German page for a browser) on both backends, even when the catalog tables do
not exist yet; ``/health/ready`` says why, ``/health/live`` stays 200. Simultaneous first
publishes queue on the publish lock. A missing or unreadable SQLite file is one German line
naming the path, and the server never creates an empty database file.
"""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.schema import upgrade_schema
from opendata_sozial.web.app import create_app
from tests.conftest import CATALOG_FILE, DATAPACKAGES, ROOT
from tests.servers import free_port, get, serving

PACKAGE = "lebensformen"
API_PATHS = [
    "/health/ready",
    "/api/v1/datasets",
    f"/api/v1/datasets/{PACKAGE}",
    f"/api/v1/datasets/{PACKAGE}/resources/{PACKAGE}/rows",
    f"/api/v1/datasets/{PACKAGE}/resources/{PACKAGE}.csv",
    "/api/v1/releases",
    f"/api/v1/releases/1/datasets/{PACKAGE}",
    "/api/v1/changes",
    "/catalog.ttl",
    f"/datasets/{PACKAGE}.ttl",
    "/api/3/action/package_list",
]
AFTER_SCHEMA = {
    "/api/v1/releases": 200,
    f"/api/v1/releases/1/datasets/{PACKAGE}": 404,
    "/api/v1/changes": 200,
    "/aenderungen": 200,
}
"""Once the tables exist the history is an empty list and release 1 an unknown number."""
PAGE_PATHS = ["/", "/suche", f"/datensaetze/{PACKAGE}", "/aenderungen"]
NOBODY = 65534


def sqlite_file(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _client(url: str) -> TestClient:  # type: ignore[type-arg]
    settings = Settings(
        database_url=url, base_url="http://testserver.local", release_poll_seconds=0
    )
    return TestClient(create_app(settings))


def _assert_not_published(url: str, detail: str, *, tables: bool = False) -> None:
    with _client(url) as client:
        assert client.get("/health/live").status_code == 200
        for path in API_PATHS:
            if tables and path in AFTER_SCHEMA:  # the list of releases is empty, 1 unknown
                assert client.get(path).status_code == AFTER_SCHEMA[path], path
                continue
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["retry-after"] == "5", path
            assert response.headers["content-type"] == "application/problem+json", path
            problem = response.json()
            assert problem["type"] == "http://testserver.local/problems/not-published", path
            assert problem["title"] == "Noch nichts veröffentlicht"
            assert detail in problem["detail"], (path, problem)
        for path in PAGE_PATHS:
            if tables and path in AFTER_SCHEMA:
                assert client.get(path).status_code == AFTER_SCHEMA[path], path
                continue
            page = client.get(path, headers={"Accept": "text/html"})
            assert page.status_code == 503, (path, page.text[:300])
            assert page.headers["content-type"].startswith("text/html"), path
            assert page.headers["retry-after"] == "5", path
            assert "Noch nichts veröffentlicht" in page.text, path
            assert "noch kein Datenstand veröffentlicht" in page.text, path


def test_before_the_first_publish_every_route_answers_not_published(database_url: str) -> None:
    """No catalog table at all (PostgreSQL answered 500 everywhere, SQLite a wrong 503)."""
    missing = sqlite_file(database_url)
    detail = "Datenbankdatei gibt es noch nicht" if missing else "Schema fehlt"
    _assert_not_published(database_url, detail)
    assert missing is None or not missing.exists()  # the server created no empty file


def test_with_tables_but_no_release_ready_says_so(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    _assert_not_published(database_url, "noch kein Release veröffentlicht", tables=True)


def test_ready_says_when_the_database_is_unreachable() -> None:
    port = free_port()  # nothing listens there
    settings = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:{port}/nirgends",
        base_url="http://testserver.local",
        connect_timeout_seconds=2,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready")
        assert client.get("/health/live").status_code == 200
    assert response.status_code == 503
    assert response.json()["type"] == "http://testserver.local/problems/database-unavailable"
    assert "antwortet nicht" in response.json()["detail"]


def _as_user(command: list[str], *, unprivileged: bool) -> list[str]:
    """``command`` run as nobody when we are root (to whom no file is read-only).

    ``setpriv`` switches after it has found the interpreter, which may live where only root
    can look (pyenv under /root); ``subprocess``'s own ``user=`` would fail to start it.
    """
    if not unprivileged or os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no user to whom a file is read-only")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def _cli(*args: str, url: str, unprivileged: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "ODS_DATABASE_URL": url, "ODS_DATAPACKAGES_DIR": str(DATAPACKAGES)}
    env.pop("ODS_TEST_PAUSE_AT", None)
    command = [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE), *args]
    return subprocess.Popen(
        _as_user(command, unprivileged=unprivileged),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=180)
    return process.returncode, out, err


@pytest.mark.slow
def test_simultaneous_first_publishes_queue(database_url: str) -> None:
    """Four publishes into an empty database at once: one release, the rest unchanged.

    Before, the schema upgrade ran outside the publish lock and two of them created the same
    tables (PostgreSQL: a raw ``UniqueViolation`` in 4 of 5 attempts).
    """
    for _attempt in range(3):
        processes = [_cli("publish", str(DATAPACKAGES / PACKAGE), url=database_url) for _ in "1234"]
        results = [_finish(process) for process in processes]
        for code, _out, err in results:
            assert code == 0, err
            assert "Traceback" not in err, err
        outs = sorted(out.splitlines()[-1].split(":")[0] for _, out, _ in results)
        assert outs == ["Release 1", "Unverändert", "Unverändert", "Unverändert"], results
        _empty(database_url)


def _empty(url: str) -> None:
    """Drop everything, so the next round starts from an empty database again."""
    path = sqlite_file(url)
    if path is not None:
        for file in path.parent.glob(f"{path.name}*"):
            file.unlink()
        return
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


def test_serve_refuses_a_missing_sqlite_file_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "var" / "nie-veroeffentlicht.sqlite"
    code, _out, err = _finish(
        _cli("serve", "--port", str(free_port()), url=f"sqlite:///{database}")
    )
    assert code == 1
    lines = [line for line in err.splitlines() if "ODS_BASE_URL" not in line]
    assert lines == [
        f"Fehler (database-file): Die Datenbank {database} gibt es nicht; zuerst "
        "`opendata-sozial publish` ausführen (oder ODS_DATABASE_URL prüfen)"
    ]
    assert not database.parent.exists()  # neither the file nor its folder was created


@pytest.fixture
def read_only_copy() -> Iterator[Path]:
    """A published SQLite file, read-only with its folder (to nobody, when we are root)."""
    folder = Path(tempfile.mkdtemp(prefix="ods-ro-"))  # not under pytest's private tmp dir
    database = folder / "ods.sqlite"
    code, _, err = _finish(
        _cli("publish", str(DATAPACKAGES / PACKAGE), url=f"sqlite:///{database}")
    )
    assert code == 0, err
    database.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(0o555)
    try:
        yield database
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_publish_into_a_read_only_sqlite_file_is_one_line(
    read_only_copy: Path,
) -> None:
    database = read_only_copy
    database.parent.chmod(0o777)  # only the file is read-only
    code, out, err = _finish(
        _cli("publish", str(DATAPACKAGES / PACKAGE), url=f"sqlite:///{database}", unprivileged=True)
    )
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"Fehler (database-file): Die Datenbank {database} ist schreibgeschützt; publish und gc "
        "brauchen Schreibrecht auf die Datei"
    ]


def test_serve_from_a_read_only_folder_is_one_line(
    read_only_copy: Path,
) -> None:
    """WAL needs ``-shm`` beside the file; a read-only folder without it cannot be read."""
    database = read_only_copy
    code, _, err = _finish(
        _cli("serve", "--port", str(free_port()), url=f"sqlite:///{database}", unprivileged=True)
    )
    assert code == 1
    assert [line for line in err.splitlines() if "ODS_BASE_URL" not in line] == [
        f"Fehler (database-file): Die Datenbank {database} lässt sich nicht lesen: der Ordner "
        "ist schreibgeschützt, und SQLite braucht im WAL-Modus dort die Dateien ods.sqlite-shm "
        "und ods.sqlite-wal"
    ]


def test_serve_reads_a_read_only_sqlite_file(read_only_copy: Path, tmp_path: Path) -> None:
    """The server only reads: a read-only file (in a folder it may write) is served."""
    database = read_only_copy
    database.parent.chmod(0o777)
    env = {
        **os.environ,
        "ODS_DATABASE_URL": f"sqlite:///{database}",
        "ODS_CACHE_DIR": str(database.parent / "cache"),
    }
    command = [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE), "serve"]
    logs = database.parent / "logs"
    serve = _as_user(command, unprivileged=True)
    with serving(lambda port: [*serve, "--port", str(port)], env, logs) as port:
        status, body = get(f"http://127.0.0.1:{port}/api/v1/datasets/{PACKAGE}")
    assert status == 200, body
    assert "Traceback" not in (logs / "stderr").read_text(encoding="utf-8")


def test_a_missing_data_table_is_not_a_missing_schema(database_url: str) -> None:
    """Only missing *catalog* tables mean "never published"; a lost data table is a fault.

    (PostgreSQL: 500 ``internal-error``; SQLite reports it as an ``OperationalError``, which
    answers 503 ``database-unavailable`` as before.)
    """
    from sqlalchemy import select
    from sqlalchemy.exc import DBAPIError

    from opendata_sozial.db.models import RESOURCE
    from opendata_sozial.db.schema import is_schema_missing

    code, _, err = _finish(_cli("publish", str(DATAPACKAGES / PACKAGE), url=database_url))
    assert code == 0, err
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            table = conn.execute(select(RESOURCE.c.table_name)).scalar_one()
            conn.exec_driver_sql(f'DROP TABLE "{table}"')
        with engine.connect() as conn, pytest.raises(DBAPIError) as lost:
            conn.exec_driver_sql(f'SELECT * FROM "{table}"')
    finally:
        engine.dispose()
    assert not is_schema_missing(lost.value)
    with _client(database_url) as client:
        response = client.get(f"/api/v1/datasets/{PACKAGE}/resources/{PACKAGE}/rows")
    assert response.status_code in {500, 503}
    assert not response.json()["type"].endswith("/not-published")
