"""Exports never hold the database hostage: a real server under slow and parallel downloads.

A full export used to stream rows from an open database cursor, so every download held a pooled
connection until the client had read the last byte: 20 stalled readers of ``rows.csv`` starved
the API, and parallel exports were cut after the header line when the pool ran dry. These tests
run ``opendata-sozial serve`` (uvicorn, real sockets) on a table of 327,680 rows, on SQLite and
PostgreSQL.
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, func, insert, select, text

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import RESOURCE
from opendata_sozial.formats.export import csv_chunks
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.publish import publish
from opendata_sozial.services.rows import RowService
from tests.conftest import DATAPACKAGES
from tests.servers import serving

pytestmark = pytest.mark.slow

RESOURCE_PATH = "/api/v1/datasets/lebensformen/resources/lebensformen"
SMALL_PATH = "/api/v1/datasets/bevoelkerungsstand/resources/bevoelkerungsstand"
DOUBLINGS = 12
ROWS = 80 * 2**DOUBLINGS
P99_SECONDS = 1.0
NO_CACHE = {"Cache-Control": "no-cache"}
"""Skip the response cache's lookup, so that every export is rendered from the database."""
FULL_EXPORTS = [f"{RESOURCE_PATH}/rows.csv"] + [
    f"{RESOURCE_PATH}/rows.csv?jahr__gte={year}" for year in (1000, 1001, 1002, 1003)
]
"""Five URLs of the same full export (every year is later than 1003): five renderings, each
shared by the requests that arrive while it runs."""


PROMPT = 10.0
"""Upper bound for a prompt 503 on a loaded shared machine; the limits it tells apart are 30 s and 60 s."""


def _grow_table(url: str, doublings: int) -> int:
    """Double the rows of lebensformen's data table ``doublings`` times, directly in SQL."""
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            name = conn.execute(
                select(RESOURCE.c.table_name).where(RESOURCE.c.name == "lebensformen")
            ).scalar_one()
            table = Table(name, MetaData(), autoload_with=conn)
            others = [c for c in table.columns if c.name != "_row"]
            for _ in range(doublings):
                offset = conn.execute(select(func.max(table.c._row))).scalar_one()
                copy = select(table.c._row + offset, *others)
                conn.execute(insert(table).from_select([table.c._row, *others], copy))
            if engine.dialect.name == "postgresql":
                conn.execute(text(f'ANALYZE "{name}"'))
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        engine.dispose()


def _canonical_csv(url: str) -> bytes:
    """The full export as the service renders it, in this process (no server involved)."""
    engine = create_db_engine(url)
    try:
        catalog = CatalogService(engine, release_poll_seconds=0)
        rows = RowService(engine, catalog, default_size=100, max_size=10_000)
        stream = rows.at(catalog.current_release_info()).stream("lebensformen", "lebensformen", {})
        return b"".join(csv_chunks(stream, "rfc4180"))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Server:
    port: int
    canonical: bytes


@pytest.fixture
def big_table(database_url: str, catalog: CatalogInfo) -> str:
    """lebensformen grown to ``ROWS`` rows, beside the small bevoelkerungsstand."""
    engine = create_db_engine(database_url)
    try:
        packages = [DATAPACKAGES / "lebensformen", DATAPACKAGES / "bevoelkerungsstand"]
        publish(packages, engine=engine, catalog=catalog)
    finally:
        engine.dispose()
    assert _grow_table(database_url, DOUBLINGS) == ROWS
    return database_url


def _serve(url: str, tmp_path: Path, **settings: str) -> Iterator[int]:
    def env(port: int) -> dict[str, str]:
        return {
            **os.environ,
            "ODS_DATABASE_URL": url,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
            "ODS_CACHE_DIR": str(tmp_path / "cache"),
            "ODS_RATE_LIMIT_REQUESTS": "0",
            "ODS_LOG_LEVEL": "WARNING",
            **settings,
        }

    command = [sys.executable, "-m", "opendata_sozial", "serve", "--host", "127.0.0.1"]
    with serving(lambda port: [*command, "--port", str(port)], env, tmp_path / "logs") as port:
        yield port


@pytest.fixture
def server(big_table: str, tmp_path: Path) -> Iterator[Server]:
    canonical = _canonical_csv(big_table)
    assert canonical.count(b"\r\n") == ROWS + 1
    for port in _serve(big_table, tmp_path):
        yield Server(port, canonical)


# Clients


def _request(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One GET over its own connection: status and the whole body (identity coding)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _stalled_reader(port: int, path: str, first_bytes: int = 4096) -> socket.socket:
    """Ask for ``path``, read the first few KB, then read nothing more (the socket stays open)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server's buffers fill up
    sock.settimeout(120)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n"
        "Cache-Control: no-cache\r\n\r\n".encode()
    )
    received = b""
    while len(received) < first_bytes:
        chunk = sock.recv(first_bytes)
        if not chunk:
            break
        received += chunk
    assert received.startswith(b"HTTP/1.1 200 "), received[:300]
    return sock


@dataclass
class Probe:
    """Ordinary API requests, one after the other, until stopped: status and seconds of each."""

    port: int
    answers: list[tuple[int, float, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    PATHS = (
        f"{SMALL_PATH}/rows?_size=10&_sort=-stichtag",
        "/api/v1/datasets",
        f"{RESOURCE_PATH}/rows?_size=10",
        "/api/v1/datasets/lebensformen",
        f"{SMALL_PATH}/values/geschlecht",
    )
    """What other users ask meanwhile: pages of another dataset, the catalog, the first page of
    the exported table."""

    def run(self) -> None:
        step = 0
        while not self._stop.is_set():
            path = self.PATHS[step % len(self.PATHS)]
            step += 1
            started = time.monotonic()
            try:
                status, _ = _request(self.port, path, NO_CACHE)
            except OSError:
                status = 0
            self.answers.append((status, time.monotonic() - started, path))
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()

    def assert_responsive(self) -> None:
        assert len(self.answers) >= 20, self.answers
        failed = [a for a in self.answers if a[0] != 200]
        assert failed == [], failed[:5]
        seconds = sorted(a[1] for a in self.answers)
        p99 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))]
        assert p99 < P99_SECONDS, (p99, seconds[-5:])


def _probing(port: int, work: Callable[[], None]) -> Probe:
    """Run ``work`` while two probes ask the API; the probes' answers after ``work`` ends."""
    probes = [Probe(port), Probe(port)]
    threads = [threading.Thread(target=p.run) for p in probes]
    for thread in threads:
        thread.start()
    try:
        work()
    finally:
        for probe in probes:
            probe.stop()
        for thread in threads:
            thread.join(timeout=60)
    merged = Probe(port, [a for p in probes for a in p.answers])
    return merged


def _open_spool_files(port: int) -> int:
    """Rendered downloads the server listening on ``port`` holds open (Linux ``/proc``)."""
    count = 0
    for proc in Path("/proc").iterdir():
        try:
            if f"--port\0{port}\0".encode() not in (proc / "cmdline").read_bytes() + b"\0":
                continue
            links = [str(fd.readlink()) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue
        count += sum("/spool/" in link for link in links)
    return count


def _eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# Tests


def test_stalled_readers_never_starve_the_api(server: Server) -> None:
    readers: list[socket.socket] = []

    def stall() -> None:
        with ThreadPoolExecutor(max_workers=20) as pool:
            readers.extend(
                pool.map(lambda i: _stalled_reader(server.port, FULL_EXPORTS[i % 5]), range(20))
            )
        time.sleep(3)  # every reader now holds its download open without reading

    try:
        probe = _probing(server.port, stall)
        held = _open_spool_files(server.port)
    finally:
        for reader in readers:
            reader.close()
    assert len(readers) == 20
    probe.assert_responsive()
    assert 1 <= held <= 5  # each stalled reader holds a rendered file, shared per URL
    assert _eventually(lambda: _open_spool_files(server.port) == 0)  # closed with the readers
    after = _request(server.port, f"{RESOURCE_PATH}/rows?_size=1", NO_CACHE)
    assert after[0] == 200


def test_parallel_full_exports_are_complete_and_identical(server: Server) -> None:
    bodies: list[tuple[int, bytes]] = []

    def export_all() -> None:
        with ThreadPoolExecutor(max_workers=25) as pool:
            bodies.extend(
                pool.map(
                    lambda i: _request(server.port, FULL_EXPORTS[i % 5], NO_CACHE),
                    range(25),
                )
            )

    probe = _probing(server.port, export_all)
    assert [status for status, _ in bodies] == [200] * 25
    lengths = {len(body) for _, body in bodies}
    assert lengths == {len(server.canonical)}, lengths
    assert all(body == server.canonical for _, body in bodies)
    probe.assert_responsive()


def _problem(
    port: int, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity", **NO_CACHE, **headers})
        response = conn.getresponse()
        answer = (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        conn.close()
    return (*answer, time.monotonic() - started)


def test_an_exhausted_pool_answers_503_at_once(big_table: str, tmp_path: Path) -> None:
    """One pooled connection, held by a long export: other requests get a 503 within a second."""
    for port in _serve(big_table, tmp_path, ODS_POOL_SIZE="1", ODS_POOL_TIMEOUT_SECONDS="0.5"):
        with ThreadPoolExecutor(max_workers=1) as pool:
            export = pool.submit(
                _request, port, f"{RESOURCE_PATH}/rows.xlsx?jahr__lte=2016", NO_CACHE
            )
            time.sleep(1.5)  # the workbook is being written; its rows come from the database
            assert not export.done()
            api = _problem(port, f"{RESOURCE_PATH}/rows?_size=1&jahr=2017", {})
            page = _problem(port, "/datasets/lebensformen?jahr=2018", {"Accept": "text/html"})
            status, body = export.result()
        assert status == 200
        assert body.startswith(b"PK")
    status, headers, body, seconds = api
    assert status == 503, body
    assert seconds < PROMPT  # the pool's 1 s wait, never the old 30 s
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "5"
    problem = json.loads(body)
    assert problem["type"].endswith("/problems/database-unavailable")
    assert problem["title"] == "Datenbank nicht erreichbar"
    assert page[0] == 503
    assert page[1]["retry-after"] == "5"
    assert page[3] < PROMPT


@pytest.fixture
def sqlite_big_table(catalog: CatalogInfo, tmp_path: Path) -> str:
    """The big table on SQLite only: the rendering slots are the web layer's, not the database's."""
    url = f"sqlite:///{tmp_path / 'ods.sqlite'}"
    engine = create_db_engine(url)
    try:
        publish([DATAPACKAGES / "lebensformen"], engine=engine, catalog=catalog)
    finally:
        engine.dispose()
    assert _grow_table(url, DOUBLINGS) == ROWS
    return url


def test_busy_slots_answer_503_and_identical_downloads_share(
    sqlite_big_table: str, tmp_path: Path
) -> None:
    """One rendering slot, taken by a workbook: the same workbook is shared, another waits
    half a second and is told to come back."""
    xlsx = f"{RESOURCE_PATH}/rows.xlsx?jahr__lte=2016"
    for port in _serve(
        sqlite_big_table,
        tmp_path,
        ODS_EXPORT_CONCURRENCY="1",
        ODS_EXPORT_QUEUE_SECONDS="0.5",
    ):
        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(_request, port, xlsx, NO_CACHE)
            time.sleep(1.0)  # the first workbook is being written
            second = pool.submit(_request, port, xlsx, NO_CACHE)
            busy = _problem(port, f"{RESOURCE_PATH}/rows.csv?jahr=2016", {})
            assert not first.done()
            workbooks = [first.result(), second.result()]
        later = _request(port, f"{RESOURCE_PATH}/rows.csv?jahr=2016", NO_CACHE)
        assert _eventually(lambda: _open_spool_files(port) == 0)  # noqa: B023  # port of this server
    assert [status for status, _ in workbooks] == [200, 200]
    assert workbooks[0][1] == workbooks[1][1]
    assert workbooks[0][1].startswith(b"PK")
    status, headers, body, seconds = busy
    assert status == 503, body
    assert 0.5 <= seconds < PROMPT  # the 0.5 s queue, never the default 60 s
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "5"
    problem = json.loads(body)
    assert problem["type"].endswith("/problems/exports-busy")
    assert problem["title"] == "Exporte ausgelastet"
    assert "0.5 s lang belegt" in problem["detail"]
    assert later[0] == 200
    assert later[1].count(b"\r\n") == 1 + ROWS // 5  # one year of five


def _spool_files(port: int) -> list[Path]:
    """The ``/proc`` links of the rendered downloads the server on ``port`` holds open."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if f"--port\0{port}\0".encode() not in (proc / "cmdline").read_bytes() + b"\0":
                continue
            found += [fd for fd in (proc / "fd").iterdir() if "/spool/" in str(fd.readlink())]
        except OSError:
            continue
    return found


def _read_to_the_end(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(1 << 16):
            received += chunk
    except ConnectionResetError:
        pass
    return received


@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_a_download_that_cannot_complete_is_cut_off_visibly(
    sqlite_big_table: str, tmp_path: Path, coding: str
) -> None:
    """A fault while sending (here: the rendered file loses its end, as on a failing disk) drops
    the connection: short of ``Content-Length``, or without the last chunk when gzipped."""
    for port in _serve(sqlite_big_table, tmp_path):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(60)
        sock.connect(("127.0.0.1", port))
        sock.sendall(
            f"GET {RESOURCE_PATH}/rows.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Accept-Encoding: {coding}\r\nCache-Control: no-cache\r\n\r\n".encode()
        )
        head = sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 200 "), head[:300]
        (spooled,) = _spool_files(port)
        os.truncate(spooled, 1 << 20)
        body = head + _read_to_the_end(sock)
        sock.close()
        status, _ = _request(port, f"{RESOURCE_PATH}/rows?_size=1")
    headers, _, content = body.partition(b"\r\n\r\n")
    assert status == 200
    if coding == "identity":
        length = int(headers.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        assert len(content) < length
        assert b"transfer-encoding" not in headers.lower()
    else:
        assert b"transfer-encoding: chunked" in headers.lower()
        assert not content.endswith(b"\r\n0\r\n\r\n")
