"""Soak test: 64 connections of mixed API traffic for 60 s against SQLite and PostgreSQL.

Publishes every package of ``datapackages/`` into a fresh database (a SQLite file; a new
database on the PostgreSQL server of ``ODS_TEST_POSTGRES_URL``), starts the real ``serve``
command on loopback with one worker, and keeps ``--connections`` keep-alive connections busy
with a mix of searches, metadata, row pages, distinct values, exports, original files,
conditional requests, health checks and expected 404/400 answers. It passes when no request
failed (every status is the one expected for its request) and the server's resident memory
grew by less than ``--max-growth`` between the end of the warm-up and the end of the run.

Only loopback is ever contacted; every loop is bounded in time. Rate limiting is turned off
for the run (``ODS_RATE_LIMIT_REQUESTS=0``): all connections come from one address.

    python bench/soak.py [--seconds 60] [--connections 64] [--backend sqlite|postgres|all]
"""

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
WARM_UP_SECONDS = 10.0
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
ROWS = "/api/v1/datasets/{name}/resources/{resource}"
# (weight, path, expected status)
MIX: list[tuple[int, str, int]] = [
    (6, "/api/v1/datasets?q=Armut&_size=5", 200),
    (4, "/api/v1/datasets?theme=SOCI&_sort=-modified&page=2&_size=5", 200),
    (6, "/api/v1/datasets/{name}", 200),
    (3, "/api/v1/datasets/{name}/datapackage.json", 200),
    (14, ROWS + "/rows?_size=50&_sort=-{field}", 200),
    (8, ROWS + "/rows?_size=10&{field}__isnull=false", 200),
    (5, ROWS + "/values/{field}", 200),
    (3, ROWS + "/rows.csv", 200),
    (2, ROWS + "/rows.csv?profile=excel-de", 200),
    (2, ROWS + "/rows.json", 200),
    (2, ROWS + "/rows.ndjson", 200),
    (1, ROWS + "/rows.xlsx?_size=200", 200),
    (3, "/api/v1/datasets/{name}/resources/{resource}.csv", 200),
    (2, "/health/live", 200),
    (2, "/health/ready", 200),
    (2, "/api/v1/datasets/gibtsnicht", 404),
    (2, ROWS + "/rows?_size=0", 400),
]


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def targets() -> list[tuple[str, str, str]]:
    """(package, resource, a field) of every shipped package."""
    found = []
    for descriptor_path in sorted((ROOT / "datapackages").glob("*/datapackage.json")):
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        for resource in descriptor["resources"]:
            fields = [f["name"] for f in resource["schema"]["fields"]]
            found.append((descriptor["name"], resource["name"], fields[min(2, len(fields) - 1)]))
    return found


def request_plan(rng: random.Random, names: list[tuple[str, str, str]]) -> tuple[str, int]:
    """One weighted random (path, expected status) of the mix."""
    weights = [weight for weight, _, _ in MIX]
    _, template, status = rng.choices(MIX, weights=weights)[0]
    name, resource, column = rng.choice(names)
    return template.format(name=name, resource=resource, field=column), status


async def client_loop(
    client: httpx.AsyncClient,
    deadline: float,
    seed: int,
    tally: Tally,
    names: list[tuple[str, str, str]],
) -> None:
    """Send requests back to back until ``deadline``; revalidate some with their ETag."""
    rng = random.Random(seed)  # noqa: S311  # a load mix, not cryptography
    etags: dict[str, str] = {}
    while time.monotonic() < deadline:
        path, expected = request_plan(rng, names)
        headers = {"If-None-Match": etags[path]} if path in etags and rng.random() < 0.3 else {}
        started = time.monotonic()
        try:
            response = await client.get(path, headers=headers)
            await response.aread()
        except httpx.HTTPError as exc:
            tally.failures[f"{type(exc).__name__} {path}"] += 1
            continue
        tally.requests += 1
        tally.latencies.append(time.monotonic() - started)
        tally.statuses[response.status_code] += 1
        wanted = {expected, 304} if headers else {expected}
        if response.status_code not in wanted:
            tally.failures[f"{response.status_code} {path}"] += 1
        elif "etag" in response.headers:
            etags[path] = response.headers["etag"]


async def drive(base: str, seconds: float, connections: int, pid: int) -> dict[str, Any]:
    """Run the clients; sample the server's memory at the end of warm-up and at the end."""
    tally = Tally()
    names = targets()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    timeout = httpx.Timeout(30.0)
    started = time.monotonic()
    deadline = started + seconds
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        loops = [
            asyncio.create_task(client_loop(client, deadline, seed, tally, names))
            for seed in range(connections)
        ]
        await asyncio.sleep(min(WARM_UP_SECONDS, seconds / 4))
        rss_warm = rss_kib(pid)
        rss_peak = rss_warm
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            rss_peak = max(rss_peak, rss_kib(pid))
        await asyncio.gather(*loops)
    rss_end = rss_kib(pid)
    latencies = sorted(tally.latencies) or [0.0]
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 1),
        "connections": connections,
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / elapsed, 1),
        "errors": sum(tally.failures.values()),
        "error_kinds": dict(tally.failures.most_common(10)),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1),
        "rss_warm_mib": round(rss_warm / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
        "rss_peak_mib": round(rss_peak / 1024, 1),
        "rss_growth": round(rss_end / rss_warm - 1, 4) if rss_warm else None,
    }


def publish_into(url: str) -> None:
    """Publish every shipped package into ``url`` with the real command line."""
    env = {**os.environ, "ODS_DATABASE_URL": url}
    command = [sys.executable, "-m", "opendata_sozial", "publish", "datapackages"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)


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


def soak(url: str, seconds: float, connections: int) -> dict[str, Any]:
    """Publish into ``url``, serve it on loopback, drive it, stop it; the measurements."""
    publish_into(url)
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    env = {
        **os.environ,
        "ODS_DATABASE_URL": url,
        "ODS_BASE_URL": base,
        "ODS_RATE_LIMIT_REQUESTS": "0",
        "ODS_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "opendata_sozial", "serve", "--host", LOOPBACK]
    log = tempfile.NamedTemporaryFile(prefix="ods-soak-", suffix=".log", delete=False)  # noqa: SIM115  # kept for the report
    with log:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(base)
        result = asyncio.run(drive(base, seconds, connections, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=20)
    errors = [line for line in Path(log.name).read_text().splitlines() if "Error" in line]
    if not errors and not result["errors"]:
        Path(log.name).unlink()
        return result
    return {**result, "server_log": log.name, "server_errors": errors[-5:]}


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


def run_backend(backend: str, seconds: float, connections: int) -> dict[str, Any]:
    """One soak run against ``backend``; a skipped run says why."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ods-soak-") as folder:
            return soak(f"sqlite:///{folder}/ods.sqlite", seconds, connections)
    found = postgres_database()
    if found is None:
        return {"skipped": "no PostgreSQL server answers (ODS_TEST_POSTGRES_URL)"}
    server, url = found
    try:
        return soak(url, seconds, connections)
    finally:
        drop_postgres(server, url)


def main() -> None:
    """Run the soak for each backend, print one JSON line each; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--max-growth", type=float, default=0.20)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    is_ok = True
    for backend in backends:
        result = {"backend": backend, **run_backend(backend, args.seconds, args.connections)}
        if "skipped" not in result:
            result["passed"] = result["errors"] == 0 and result["rss_growth"] < args.max_growth
            is_ok = is_ok and result["passed"]
        print(json.dumps(result, ensure_ascii=False), flush=True)
    sys.exit(0 if is_ok else 1)


if __name__ == "__main__":
    main()
