"""A PostgreSQL outage while serving: 503 with Retry-After in bounded time, then recovery.

The shared server on 127.0.0.1:5432 stays untouched: the test makes a private cluster with
``initdb`` in a temporary folder (as the ``postgres`` user when run as root, because initdb
refuses root) on a free port, publishes into it, serves it with uvicorn (the real ``serve``
command), stops the cluster, and starts it again.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.services.publish import publish
from tests.conftest import DATAPACKAGES
from tests.servers import free_port, serving

ROWS = "/api/v1/datasets/lebensformen/resources/lebensformen/rows"
BOUND_SECONDS = 5.0
"""Longest any request may take while the database is gone (connect timeout 2 s)."""


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@dataclass
class Cluster:
    """A private PostgreSQL cluster: data folder, port and the user that runs it."""

    bin: Path
    folder: Path
    port: int
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "log")
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin (initdb, pg_ctl)")
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="ods-pg-"))
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(binaries, folder, free_port(), as_postgres)
    cluster.run(
        "initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"
    )
    for attempt in range(3):  # the free port may be taken before postgres binds it
        try:
            cluster.start()
            break
        except subprocess.CalledProcessError:
            log = (folder / "log").read_text(encoding="utf-8", errors="replace")
            if attempt == 2 or "already in use" not in log:
                raise
            cluster.port = free_port()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def _get(url: str) -> tuple[int, dict[str, str], bytes, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  # loopback server
            status, headers, body = int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, dict(exc.headers), exc.read()
    return status, {k.lower(): v for k, v in headers.items()}, body, time.monotonic() - started


def _wait_for(url: str, status: int, seconds: float) -> tuple[int, dict[str, str], bytes, float]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = _get(url)
        except OSError:
            answer = (0, {}, b"", 0.0)
        if answer[0] == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


@pytest.fixture
def server(cluster: Cluster, catalog: CatalogInfo, tmp_path: Path) -> Iterator[str]:
    engine = create_db_engine(cluster.url)
    try:
        publish([DATAPACKAGES / "lebensformen"], engine=engine, catalog=catalog)
    finally:
        engine.dispose()

    def env(port: int) -> dict[str, str]:
        return {
            **os.environ,
            "ODS_DATABASE_URL": cluster.url,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
            "ODS_RELEASE_POLL_SECONDS": "0",
            "ODS_CONNECT_TIMEOUT_SECONDS": "2",
            "ODS_QUERY_TIMEOUT_SECONDS": "3",
        }

    command = [sys.executable, "-m", "opendata_sozial", "serve", "--host", "127.0.0.1"]
    with serving(lambda port: [*command, "--port", str(port)], env, tmp_path) as port:
        yield f"http://127.0.0.1:{port}"


def _assert_unavailable(answer: tuple[int, dict[str, str], bytes, float]) -> None:
    status, headers, body, seconds = answer
    assert status == 503, body
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "5"
    assert headers["cache-control"] == "no-store"
    assert json.loads(body)["type"].endswith("/problems/database-unavailable")
    assert seconds < BOUND_SECONDS


@pytest.mark.slow
def test_database_outage_is_503_and_recovers_by_itself(cluster: Cluster, server: str) -> None:
    assert _get(f"{server}{ROWS}?_size=1")[0] == 200
    cluster.stop()

    _assert_unavailable(_wait_for(f"{server}/health/ready", 503, 10))
    for query in ("?jahr=2015", "?jahr=2016&_sort=-wert", "?_size=2"):  # never answered before
        _assert_unavailable(_get(f"{server}{ROWS}{query}"))
    _assert_unavailable(_get(f"{server}/api/v1/datasets?q=Lebensformen"))
    live = _get(f"{server}/health/live")
    assert (live[0], live[2]) == (200, b'{"status":"ok"}')

    cluster.start()
    assert _wait_for(f"{server}/health/ready", 200, 20)[0] == 200
    recovered = _get(f"{server}{ROWS}?jahr=2015")
    assert recovered[0] == 200
    assert json.loads(recovered[2])["total"] > 0
