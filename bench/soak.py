"""Soak test: 200 connections of mixed traffic for 20 + 60 s against SQLite and PostgreSQL.

Publishes every package of ``datapackages/`` (release 1), a synthetic table of
``--scale-rows`` rows (release 2) and the same table with one more year block of rows
(release 3, so version pages and diffs have something to show) into a fresh database (a SQLite
file; a new database on the PostgreSQL server of ``ODS_TEST_POSTGRES_URL``). Then it starts the
real ``serve`` command on loopback, ONE server process (``--workers 1``), and keeps
``--connections`` connections busy for ``--warm-up`` seconds and then the measured ``--seconds``
(figures and the memory curve are of the measured window; failures count in both):

* most of them (keep-alive, httpx) with a weighted mix of HTML pages (``/``, ``/suche``,
  dataset pages with and without preview filters, ``/versionen``, ``/aenderungen``), API
  queries with distinct filters (random range bounds, sizes and sorts, so that the response
  cache cannot hide the database), metadata, exports of every format (CSV, Excel-CSV, JSON,
  NDJSON, XLSX, original file; with and without filters, gzip and identity), conditional
  requests, health checks and expected 404/400 answers;
* ``--slow-share`` of them as slow readers on raw sockets with a 16 KiB receive buffer: they
  read an export 4 KiB at a time with pauses, or read a little, stall for seconds and hang up.

Every export read to its end is checked for completeness: body length equals
``Content-Length``; CSV/JSON/NDJSON/XLSX row counts equal ``X-Row-Count`` (the known row count
where absent); XLSX opens and its ``Daten`` sheet is read; an original file is byte-identical
to the package's file. The only 5xx allowed are the documented 503s (``database-unavailable``,
``exports-busy``, ``query-timeout``), counted by type. The server's RSS is sampled every second;
it must level off: the median of the last third of the measured window at most
``--max-tail-growth`` above the median of its middle third (and its end at most
``--max-growth`` above its start).

It fails (exit 1) on any other 5xx, unexpected status, transport error, client timeout,
truncated or unreadable download, server log line at ERROR, or memory that keeps growing.
Only loopback is contacted; every wait is bounded (client timeout, drain limit). Rate limiting
is off (``ODS_RATE_LIMIT_REQUESTS=0``): all connections come from one address.

    python bench/soak.py [--seconds 60] [--warm-up 20] [--connections 200] [--backend all]
"""

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import hashlib
import json
import os
import random
import resource as rusage
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from make_scale_package import GEMEINDEN, NAME, default_regions, write_package
from soak_checks import Expected, export_problem, is_documented_503, parse_head, problem_code

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
WARM_UP_SECONDS = 20.0
"""Load before the measured window: caches, pools and the allocator reach their working size."""
DRAIN_SECONDS = 90.0
"""Longest wait for requests still running at the deadline (exports may queue up to 60 s)."""
CLIENT_TIMEOUT = httpx.Timeout(75.0, connect=10.0)
SLOW_CHUNK = 4096
SLOW_RCVBUF = 16 << 10
INLINE_CHECK_BYTES = 256 << 10
"""Bodies up to this size are checked in the event loop; larger ones in a separate process."""
KEEPALIVE_EXPIRY = 2.0
"""Clients drop idle connections before uvicorn's 5 s keep-alive limit does: else a request
sent just as the server closes the connection meets a reset (a client-side race, not a fault)."""
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
NUMERIC = {"integer", "number", "year"}
SEARCH_WORDS = [
    "Armut",
    "Arbeitslose",
    "Grundsicherung",
    "Einkommen",
    "Bevölkerung",
    "Kinder",
    "Mindestsicherung",
    "Kreis",
    "Migration",
    "Insolvenz",
    "Erwerbslose",
    "Vermögen",
    "Asyl",
    "Quote",
    "Gemeinde",
]
EXPORTS = {  # kind: path suffix after the resource
    "csv": "/rows.csv",
    "excel-de": "/rows.csv?profile=excel-de",
    "json": "/rows.json",
    "ndjson": "/rows.ndjson",
    "xlsx": "/rows.xlsx",
    "original": ".csv",
}


@dataclass(frozen=True)
class Table:
    """One published resource and what the soak knows about its data."""

    package: str
    resource: str
    rows: int
    sha256: str
    ranges: dict[str, tuple[int, int]]
    prefixes: dict[str, list[str]]
    is_first: bool
    """The package's first resource: the one its dataset page previews (and filters)."""

    @property
    def api(self) -> str:
        """Path of the resource in the API."""
        return f"/api/v1/datasets/{self.package}/resources/{self.resource}"


@dataclass(frozen=True)
class Plan:
    """One request: its class, path, expected status, and for a download what it must hold."""

    kind: str
    path: str
    status: int = 200
    export: str | None = None
    expected: Expected = field(default_factory=Expected)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    documented_503: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    transport: Counter[str] = field(default_factory=Counter)
    timeouts: Counter[str] = field(default_factory=Counter)
    exports_checked: Counter[str] = field(default_factory=Counter)
    truncated: Counter[str] = field(default_factory=Counter)
    slow: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    measure_from: float = 0.0
    """Answers to requests started before this (monotonic) time are warm-up: not in the figures."""

    def answered(self, kind: str, status: int, started: float) -> None:
        """Count one answer of class ``kind`` to a request started at ``started``."""
        if started < self.measure_from:
            return
        seconds = time.monotonic() - started
        self.requests += 1
        self.statuses[kind][status] += 1
        self.latencies[kind].append(seconds)


# --- what was published ----------------------------------------------------------------------


def read_table(package: str, resource: dict[str, Any], folder: Path, *, is_first: bool) -> Table:
    """Row count, digest, numeric ranges and text prefixes of one resource's CSV."""
    path = folder / resource["path"]
    types = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    numbers: dict[str, list[int]] = defaultdict(list)
    texts: dict[str, set[str]] = defaultdict(set)
    rows = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            rows += 1
            for name, value in row.items():
                if types.get(name) in NUMERIC and value:
                    with contextlib.suppress(ValueError):
                        numbers[name].append(int(float(value)))
                elif types.get(name) == "string" and value and len(texts[name]) < 40:
                    texts[name].add(value[:2])
    return Table(
        package=package,
        resource=resource["name"],
        rows=rows,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        ranges={name: (min(v), max(v)) for name, v in numbers.items()},
        prefixes={name: sorted(v) for name, v in texts.items() if v},
        is_first=is_first,
    )


def read_tables(folders: list[Path]) -> list[Table]:
    """Every resource of the packages in ``folders`` (a later package of a name wins)."""
    found: dict[tuple[str, str], Table] = {}
    for folder in folders:
        for descriptor_path in sorted(folder.glob("*/datapackage.json")):
            descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
            for index, resource in enumerate(descriptor["resources"]):
                table = read_table(
                    descriptor["name"], resource, descriptor_path.parent, is_first=index == 0
                )
                found[(table.package, table.resource)] = table
    return list(found.values())


# --- the request mix -------------------------------------------------------------------------


class Mix:
    """Random requests of every class; filters are drawn so that most URLs are distinct."""

    def __init__(self, tables: list[Table], rng: random.Random) -> None:
        """Draw from ``tables`` with ``rng``."""
        self.tables = tables
        self.rng = rng
        self.scale = [t for t in tables if t.package == NAME]
        self.classes: list[tuple[int, Callable[[], Plan]]] = [
            (18, self.page),
            (40, self.query),
            (10, self.meta),
            (24, self.export),
            (4, self.expected_error),
            (2, lambda: Plan("health", "/health/live")),
        ]

    def plan(self) -> Plan:
        """One request of the mix."""
        weights = [weight for weight, _ in self.classes]
        return self.rng.choices(self.classes, weights=weights)[0][1]()

    def table(self, scale_share: float = 0.1) -> Table:
        """A resource; the big synthetic one with probability ``scale_share``."""
        if self.scale and self.rng.random() < scale_share:
            return self.rng.choice(self.scale)
        return self.rng.choice(self.tables)

    def range_filter(self, table: Table) -> str:
        """``field__gte=v`` or ``field__lte=v`` with a random bound inside the field's range."""
        if not table.ranges:
            return self.prefix_filter(table)
        name, (low, high) = self.rng.choice(sorted(table.ranges.items()))
        op = self.rng.choice(["gte", "lte", "gt", "lt"])
        return f"{name}__{op}={self.rng.randint(low, high)}"

    def prefix_filter(self, table: Table) -> str:
        """``field__startswith=xy`` with a prefix that occurs."""
        name, prefixes = self.rng.choice(sorted(table.prefixes.items()))
        return f"{name}__startswith={urllib.parse.quote(self.rng.choice(prefixes))}"

    def any_filter(self, table: Table) -> str:
        """A range or a prefix filter."""
        if table.prefixes and self.rng.random() < 0.3:
            return self.prefix_filter(table)
        return self.range_filter(table)

    def page(self) -> Plan:
        """An HTML page."""
        html = {"Accept": "text/html"}
        table, draw = self.table(0.2), self.rng.random()
        if draw < 0.15:
            return Plan("page", "/", headers=html)
        if draw < 0.45:
            words = self.rng.sample(SEARCH_WORDS, self.rng.randint(1, 2))
            query = urllib.parse.urlencode({"q": " ".join(words)})
            return Plan("page", f"/suche?{query}", headers=html)
        if draw < 0.75:
            filtered = table.is_first and self.rng.random() < 0.4
            query = f"?{self.any_filter(table)}" if filtered else ""
            return Plan("page", f"/datensaetze/{table.package}{query}", headers=html)
        if draw < 0.9:
            return Plan("page", f"/datensaetze/{table.package}/versionen", headers=html)
        return Plan("page", "/aenderungen", headers=html)

    def query(self) -> Plan:
        """An API query; nearly every URL is new to the response cache."""
        table, draw = self.table(), self.rng.random()
        if draw < 0.55:
            size = self.rng.randint(1, 200)
            sort = self.rng.choice(["", "-"]) + self.rng.choice(
                sorted({*table.ranges, *table.prefixes})
            )
            path = f"{table.api}/rows?_size={size}&_sort={sort}&{self.any_filter(table)}"
            return Plan("query", path)
        if draw < 0.75:
            column = self.rng.choice(sorted({*table.ranges, *table.prefixes}))
            return Plan("query", f"{table.api}/values/{column}?{self.range_filter(table)}")
        if draw < 0.9:
            words = " ".join(self.rng.sample(SEARCH_WORDS, self.rng.randint(1, 2)))
            query = urllib.parse.urlencode({"q": words, "_size": self.rng.randint(1, 20)})
            return Plan("query", f"/api/v1/datasets?{query}")
        return Plan("query", f"{table.api}/rows?_size=50")  # the same few URLs: cache hits

    def meta(self) -> Plan:
        """Metadata, descriptors, the release list, readiness."""
        table, draw = self.table(), self.rng.random()
        if draw < 0.4:
            return Plan("meta", f"/api/v1/datasets/{table.package}")
        if draw < 0.7:
            return Plan("meta", f"/api/v1/datasets/{table.package}/datapackage.json")
        if draw < 0.85:
            return Plan("meta", "/api/v1/releases")
        return Plan("meta", "/health/ready")

    def download(self, *, filtered: bool | None = None) -> Plan:
        """An export of any format or an original file, filtered or whole."""
        table = self.table(0.15)
        kind = self.rng.choice(sorted(EXPORTS))
        path = table.api + EXPORTS[kind]
        if kind == "original":
            return Plan("export", path, export=kind, expected=Expected(sha256=table.sha256))
        filtered = self.rng.random() < 0.5 if filtered is None else filtered
        if filtered:
            path += ("&" if "?" in path else "?") + self.any_filter(table)
            return Plan("export", path, export=kind)
        return Plan("export", path, export=kind, expected=Expected(rows=table.rows))

    def export(self) -> Plan:
        """A download read at full speed, with gzip or without."""
        plan = self.download()
        coding = self.rng.choice(["gzip", "identity"])
        return dataclasses.replace(plan, headers={"Accept-Encoding": coding})

    def expected_error(self) -> Plan:
        """Answers that must be 404 or 400."""
        table, draw = self.table(), self.rng.random()
        if draw < 0.4:
            return Plan("expected-4xx", "/api/v1/datasets/gibtsnicht", status=404)
        if draw < 0.7:
            return Plan("expected-4xx", f"{table.api}/rows?_size=0", status=400)
        return Plan("expected-4xx", "/datensaetze/gibtsnicht", 404, headers={"Accept": "text/html"})


# --- clients ---------------------------------------------------------------------------------


class Checker:
    """Runs completeness checks, big ones in a separate process (off the event loop)."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        """Use ``pool`` for big bodies."""
        self.pool = pool

    async def problem(
        self, plan: Plan, headers: dict[str, str], body: bytes, received: int
    ) -> str | None:
        """Why the download of ``plan`` is incomplete, or ``None``."""
        assert plan.export is not None
        args = (plan.export, headers, body, received, plan.expected)
        if len(body) <= INLINE_CHECK_BYTES:
            return export_problem(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, export_problem, *args)


State = tuple[Tally, Checker]
"""What every client loop shares: the tally and the checker."""


async def record_answer(
    tally: Tally, checker: Checker, plan: Plan, answer: tuple[int, dict[str, str], bytes, int]
) -> bool:
    """Classify one complete answer; True when it was as expected (or a documented 503)."""
    status, headers, body, received = answer
    if status == 503 and is_documented_503(
        code := problem_code(status, headers.get("content-type", ""), body)
    ):
        tally.documented_503[code] += 1
        return True
    wanted = {plan.status, 304} if "If-None-Match" in plan.headers else {plan.status}
    if status not in wanted:
        label = problem_code(status, headers.get("content-type", ""), body) if status >= 400 else ""
        tally.unexpected[f"{status} {label} {plan.kind} {plan.path}"[:160]] += 1
        return False
    if plan.export is not None and status == 200:
        tally.exports_checked[plan.export] += 1
        reason = await checker.problem(plan, headers, body, received)
        if reason is not None:
            tally.truncated[f"{plan.path}: {reason}"[:200]] += 1
            return False
    return True


async def fetch(
    client: httpx.AsyncClient, plan: Plan, tally: Tally
) -> tuple[httpx.Response, bytes, int] | None:
    """GET ``plan``: the response, its decoded body and the bytes received; ``None`` when the
    body broke off after the head (counted as truncated).

    A connection that fails before any byte of the head is retried once on a new connection, as
    browsers do for idempotent requests (RFC 9112, 9.3.1): uvicorn closes a keep-alive
    connection 5 s after it sent the last byte, and a busy client may take a connection from its
    pool just then. Retries are counted; a second failure is raised.
    """
    for attempt in (1, 2):
        try:
            async with client.stream("GET", plan.path, headers=plan.headers) as response:
                try:
                    body = await response.aread()
                except httpx.HTTPError as exc:  # the head came, the body broke off
                    reason = f"{type(exc).__name__} nach dem Kopf: {str(exc)[:60]}"
                    tally.truncated[f"{plan.path}: {reason}"[:200]] += 1
                    return None
                return response, body, response.num_bytes_downloaded
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            if attempt == 2:
                raise
            tally.retried += 1
    raise AssertionError("unreachable")


async def fast_loop(
    client: httpx.AsyncClient, deadline: float, seed: int, mix_tables: list[Table], state: "State"
) -> None:
    """Send requests back to back until ``deadline``; revalidate some with their ETag."""
    tally, checker = state
    rng = random.Random(seed)  # noqa: S311  # a load mix, not cryptography
    mix = Mix(mix_tables, rng)
    etags: dict[str, str] = {}
    while time.monotonic() < deadline:
        plan = mix.plan()
        if plan.path in etags and rng.random() < 0.5:
            plan = dataclasses.replace(
                plan, headers={**plan.headers, "If-None-Match": etags[plan.path]}
            )
        started = time.monotonic()
        try:
            answer = await fetch(client, plan, tally)
        except httpx.TimeoutException as exc:
            tally.timeouts[f"{type(exc).__name__} {plan.kind} {plan.path}"[:160]] += 1
            continue
        except httpx.HTTPError as exc:
            label = f"{type(exc).__name__} vor dem Kopf {plan.kind} {plan.path}: {str(exc)[:60]}"
            tally.transport[label[:200]] += 1
            continue
        if answer is None:
            continue
        response, body, received = answer
        tally.answered(plan.kind, response.status_code, started)
        headers = {k.lower(): v for k, v in response.headers.items()}
        seen = (response.status_code, headers, body, received)
        if await record_answer(tally, checker, plan, seen) and "etag" in headers:
            etags[plan.path] = headers["etag"]


async def open_slow_socket(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection with a small receive buffer, so that a slow reader slows the server too."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RCVBUF)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (LOOPBACK, port))
    return await asyncio.open_connection(sock=sock)


async def slow_read(
    port: int, plan: Plan, rng: random.Random, deadline: float, state: "State"
) -> None:
    """Read one download 4 KiB at a time with pauses (or stall and hang up); check it."""
    tally, checker = state
    stall = rng.random() < 0.3
    started = time.monotonic()
    reader, writer = await open_slow_socket(port)
    try:
        request = f"GET {plan.path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
        writer.write(request.encode("ascii"))
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CLIENT_TIMEOUT.read)
        status, headers = parse_head(head)
        tally.answered("slow-reader (Kopf)", status, started)
        length = int(headers.get("content-length", "-1"))
        if status != 200 or length < 0:
            body = await asyncio.wait_for(reader.read(), CLIENT_TIMEOUT.read)
            if status == 200:
                tally.truncated[f"{plan.path}: 200 ohne Content-Length (identity)"] += 1
            else:
                await record_answer(tally, checker, plan, (status, headers, body, len(body)))
            return
        stop_after = rng.randint(2, 16) * SLOW_CHUNK if stall else length
        chunks: list[bytes] = []
        received = 0
        while received < min(length, stop_after):
            chunk = await asyncio.wait_for(reader.read(SLOW_CHUNK), CLIENT_TIMEOUT.read)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(0.01, 0.05))
        if stall and received < length:
            tally.slow["stalled and hung up"] += 1
            await asyncio.sleep(rng.uniform(3, 10) if time.monotonic() < deadline else 0)
            return
        tally.slow["read slowly to the end"] += 1
        await record_answer(tally, checker, plan, (status, headers, b"".join(chunks), received))
    finally:
        if stall and rng.random() < 0.5:
            writer.transport.abort()  # a reset instead of a FIN
        else:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def slow_loop(
    port: int, deadline: float, seed: int, tables: list[Table], state: "State"
) -> None:
    """Slow readers and stalled clients, one connection each, until ``deadline``."""
    tally, _ = state
    rng = random.Random(seed)  # noqa: S311
    mix = Mix(tables, rng)
    while time.monotonic() < deadline:
        plan = mix.download()
        try:
            await slow_read(port, plan, rng, deadline, state)
        except TimeoutError:
            tally.timeouts[f"slow {plan.path}"[:160]] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            tally.truncated[f"slow {plan.path}: {type(exc).__name__} {str(exc)[:60]}"[:200]] += 1


# --- a probe of its own ------------------------------------------------------------------------

PROBE = """
import json, sys, time, http.client
port, until = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
seen = []
while time.monotonic() < until:
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/health/live")
        status = conn.getresponse().status
        conn.close()
    except OSError:
        status = 0
    seen.append((status, time.monotonic() - started))
    time.sleep(0.5)
print(json.dumps(seen))
"""
"""Asks ``/health/live`` twice a second on a new connection, from a process of its own: how
long the server takes to answer anyone, without the load generator's own queueing."""


async def probe(port: int, wait: float, seconds: float) -> list[tuple[int, float]]:
    """Run :data:`PROBE` for ``seconds`` after ``wait``; (status, seconds) of each answer."""
    await asyncio.sleep(wait)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE, str(port), str(seconds), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return [(int(status), float(took)) for status, took in json.loads(out or b"[]")]


async def loop_lag(lags: list[float]) -> None:
    """How late this process's event loop wakes from a 0.1 s sleep, until cancelled."""
    while True:
        started = time.monotonic()
        await asyncio.sleep(0.1)
        lags.append(time.monotonic() - started - 0.1)


# --- memory ----------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def own_cpu_seconds() -> float:
    """CPU time of the load generator: this process and its finished children."""
    own = rusage.getrusage(rusage.RUSAGE_SELF)
    children = rusage.getrusage(rusage.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sample_rss(pid: int, samples: list[tuple[float, int]], started: float) -> None:
    """Append (seconds since start, RSS KiB) every second until cancelled."""
    while True:
        samples.append((round(time.monotonic() - started, 1), rss_kib(pid)))
        await asyncio.sleep(1.0)


def median(values: list[int]) -> float:
    """Median of a non-empty list."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(
        ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    )


def rss_summary(samples: list[tuple[float, int]], warm_up: float, seconds: float) -> dict[str, Any]:
    """The RSS curve of the measured window (MiB): start, thirds, peak, end, and growth."""
    during = [(t - warm_up, kib) for t, kib in samples if warm_up <= t <= warm_up + seconds]
    during = during or [(0.0, samples[-1][1])]
    warm = during[0][1]
    third = seconds / 3
    middle = [kib for t, kib in during if third <= t < 2 * third] or [warm]
    last = [kib for t, kib in during if t >= 2 * third] or [during[-1][1]]
    end = during[-1][1]

    def mib(kib: float) -> float:
        return round(kib / 1024, 1)

    return {
        "before_load_mib": mib(samples[0][1]),
        "after_warm_up_mib": mib(warm),
        "middle_third_median_mib": mib(median(middle)),
        "last_third_median_mib": mib(median(last)),
        "peak_mib": mib(max(kib for _, kib in samples)),
        "end_mib": mib(end),
        "growth": round(end / warm - 1, 4) if warm else None,
        "tail_growth": round(median(last) / median(middle) - 1, 4),
        "curve_mib": [mib(kib) for t, kib in samples if int(t) % 10 == 0],
        "samples": len(samples),
    }


# --- one run ---------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 in milliseconds."""
    ordered = sorted(values) or [0.0]

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}


async def drive(
    base: str, port: int, tables: list[Table], args: argparse.Namespace, pid: int
) -> dict[str, Any]:
    """Run the clients for ``args.seconds``; the measurements."""
    tally = Tally()
    slow = round(args.connections * args.slow_share)
    fast = args.connections - slow
    limits = httpx.Limits(
        max_connections=fast, max_keepalive_connections=fast, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    samples: list[tuple[float, int]] = []
    load_before = os.getloadavg()
    cpu_before, client_before = cpu_seconds(pid), own_cpu_seconds()
    started = time.monotonic()
    tally.measure_from = started + args.warm_up
    deadline = tally.measure_from + args.seconds
    sampler = asyncio.create_task(sample_rss(pid, samples, started))
    prober = asyncio.create_task(probe(port, args.warm_up, args.seconds))
    lags: list[float] = []
    lagger = asyncio.create_task(loop_lag(lags))
    with ProcessPoolExecutor(max_workers=1) as pool:
        state = (tally, Checker(pool))
        async with httpx.AsyncClient(
            base_url=base, limits=limits, timeout=CLIENT_TIMEOUT
        ) as client:
            loops = [
                asyncio.create_task(fast_loop(client, deadline, seed, tables, state))
                for seed in range(fast)
            ]
            loops += [
                asyncio.create_task(slow_loop(port, deadline, 10_000 + seed, tables, state))
                for seed in range(slow)
            ]
            done, pending = await asyncio.wait(
                loops, timeout=args.warm_up + args.seconds + DRAIN_SECONDS
            )
            for task in pending:
                task.cancel()
            for task in done:
                if task.exception() is not None:
                    tally.transport[f"client crashed: {task.exception()!r}"[:200]] += 1
    elapsed = time.monotonic() - started
    sampler.cancel()
    lagger.cancel()
    for status, took in await prober:
        tally.answered("probe /health/live (eigener Prozess)", status, time.monotonic() - took)
        if status != 200:
            tally.unexpected[f"{status} probe /health/live"] += 1
    load_after = os.getloadavg()
    by_class = {
        kind: {
            "requests": len(values),
            **percentiles(values),
            "statuses": {str(k): v for k, v in sorted(tally.statuses[kind].items())},
        }
        for kind, values in sorted(tally.latencies.items())
    }
    return {
        "seconds": {"warm-up": args.warm_up, "measured": args.seconds, "in all": round(elapsed, 1)},
        "connections": {"keep-alive": fast, "slow readers": slow},
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / args.seconds, 1),
        "by_class": by_class,
        "documented_503": dict(tally.documented_503),
        "exports_checked": dict(tally.exports_checked),
        "truncated": sum(tally.truncated.values()),
        "truncated_kinds": dict(tally.truncated.most_common(10)),
        "slow_readers": dict(tally.slow),
        "unexpected": sum(tally.unexpected.values()),
        "unexpected_kinds": dict(tally.unexpected.most_common(10)),
        "transport_errors": dict(tally.transport.most_common(10)),
        "retried_before_head": tally.retried,
        "timeouts": dict(tally.timeouts.most_common(10)),
        "still_running_at_drain_limit": len(pending),
        "rss": rss_summary(samples, args.warm_up, args.seconds),
        "server_cpu_seconds": round(cpu_seconds(pid) - cpu_before, 1),
        "load_generator_cpu_seconds": round(own_cpu_seconds() - client_before, 1),
        "load_generator_loop_lag": percentiles(lags),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }


def run_cli(url: str, *command: str) -> None:
    """Run ``opendata-sozial COMMAND`` against ``url``."""
    env = {**os.environ, "ODS_DATABASE_URL": url}
    full = [sys.executable, "-m", "opendata_sozial", *command]
    done = subprocess.run(
        full, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def prepare_packages(work: Path, scale_rows: int) -> tuple[list[Path], list[Table]]:
    """The package folders to publish, in order (one release each), and the final tables."""
    shipped = work / "packages"
    shutil.copytree(ROOT / "datapackages", shipped)
    releases = [shipped]
    if scale_rows > 0:
        for step, rows in enumerate([scale_rows, scale_rows + GEMEINDEN]):
            write_package(
                work / f"scale-{step}" / NAME, rows=rows, seed=20261127, regions=default_regions()
            )
            releases.append(work / f"scale-{step}")
    return releases, read_tables([shipped, releases[-1]])


def wait_ready(base: str, timeout: float = 60.0) -> None:
    """Poll ``/health/ready`` until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=2) as response:  # noqa: S310  # loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server at {base} did not get ready in {timeout} s")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def log_findings(path: Path) -> tuple[list[str], dict[str, int]]:
    """ERROR lines (and tracebacks) of the server log, and WARNING messages by count."""
    errors: list[str] = []
    warnings: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(("ERROR", "CRITICAL", "Traceback")):
            errors.append(line[:300])
        elif line.startswith("WARNING"):
            warnings[" ".join(line.split()[1:3])[:80]] += 1
    return errors, dict(warnings.most_common(10))


def soak(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Publish into ``url``, serve it on loopback (one process), drive it, stop it."""
    with tempfile.TemporaryDirectory(prefix="ods-soak-work-") as folder:
        work = Path(folder)
        releases, tables = prepare_packages(work, args.scale_rows)
        for release in releases:
            run_cli(url, "publish", str(release))
        port = free_port()
        base = f"http://{LOOPBACK}:{port}"
        env = {
            **os.environ,
            "ODS_DATABASE_URL": url,
            "ODS_BASE_URL": base,
            "ODS_CACHE_DIR": str(work / "cache"),
            "ODS_RATE_LIMIT_REQUESTS": "0",
            "ODS_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "opendata_sozial", "serve", "--host", LOOPBACK]
        log = Path(tempfile.mkstemp(prefix="ods-soak-", suffix=".log")[1])
        with log.open("wb") as sink:
            server = subprocess.Popen(
                [*command, "--port", str(port), "--workers", "1"],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(base)
            result = asyncio.run(drive(base, port, tables, args, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=20)
    errors, warnings = log_findings(log)
    result = {
        **result,
        "tables": len(tables),
        "rows_largest_table": max(t.rows for t in tables),
        "server_log_errors": len(errors),
        "server_log_warnings": warnings,
    }
    if errors or not passed(result, args):
        return {**result, "server_log": str(log), "server_errors": errors[-5:]}
    log.unlink()
    return result


def passed(result: dict[str, Any], args: argparse.Namespace) -> bool:
    """Whether the run met every condition of the soak."""
    rss = result["rss"]
    return (
        result["unexpected"] == 0
        and result["truncated"] == 0
        and not result["transport_errors"]
        and not result["timeouts"]
        and result["still_running_at_drain_limit"] == 0
        and result.get("server_log_errors", 0) == 0
        and rss["tail_growth"] < args.max_tail_growth
        and (rss["growth"] or 0) < args.max_growth
    )


def postgres_database() -> tuple[str, str] | None:
    """(server URL, URL of a fresh database on it), or None when no server answers."""
    import psycopg

    server = os.environ.get("ODS_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    name = f"ods_soak_{os.getpid()}"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return server, server.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres(server: str, url: str) -> None:
    """Drop the soak database again."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """One soak run against ``backend``; a skipped run says why."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ods-soak-") as folder:
            return soak(f"sqlite:///{folder}/ods.sqlite", args)
    found = postgres_database()
    if found is None:
        return {"skipped": "no PostgreSQL server answers (ODS_TEST_POSTGRES_URL)"}
    server, url = found
    try:
        return soak(url, args)
    finally:
        drop_postgres(server, url)


def main() -> None:
    """Run the soak for each backend, print one JSON document each; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warm-up", type=float, default=WARM_UP_SECONDS, help="load before")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--slow-share", type=float, default=0.1, help="share of slow readers")
    parser.add_argument("--scale-rows", type=int, default=20_000, help="synthetic table; 0: none")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--max-growth", type=float, default=0.20, help="RSS end / after warm-up")
    parser.add_argument("--max-tail-growth", type=float, default=0.05, help="last / middle third")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    is_ok = True
    for backend in backends:
        result = {"backend": backend, **run_backend(backend, args)}
        if "skipped" not in result:
            result["passed"] = passed(result, args)
            is_ok = is_ok and result["passed"]
        print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
    sys.exit(0 if is_ok else 1)


if __name__ == "__main__":
    main()
