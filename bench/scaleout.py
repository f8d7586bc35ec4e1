"""Scale-out: distinct-query throughput with 1, 2 and 4 API processes over primary plus replica.

Starts a private PostgreSQL primary and a streaming hot-standby replica on loopback
(``tests/pg_clusters.py``: ``initdb``, ``pg_basebackup -R``; as the ``postgres`` user when run
as root), publishes the synthetic scale package on the primary with the real CLI, waits until
the replica has replayed it, and then measures, for each layout, ``--seconds`` of wrk load with
``--connections`` connections of distinct filter queries (``indikator`` × ``jahr`` ×
``bevoelkerungsgruppe`` drawn at random, ``_size=100``; the response caches are turned off, so
every request is a database query):

- 1 process reading the replica;
- 2 processes, one reading the primary, one the replica;
- 4 processes, two on each;
- for reference, 2 processes both reading the primary.

Processes reading one database are one ``opendata-sozial serve --workers N``; one wrk per
``serve`` gets its share of the connections, all at once, and the rates are summed. Besides
requests per second it reports where the CPU went (API processes, each PostgreSQL server,
wrk), from ``/proc``: on a small machine the processes share its cores with the databases and
the load generator, so the figures show when the machine, not the layout, is the limit.

    python bench/scaleout.py [--rows 200000] [--seconds 15] [--connections 32]

Writes ``var/bench/scaleout/results.json`` and prints a Markdown table. Only loopback is
contacted; every process started is stopped at the end, also on errors.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import load
import procs
from make_scale_package import GROUPS, NAME, YEARS, default_regions, indicators, write_package

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pg_clusters import Node, replicated, server_binaries, wait_for_replay  # noqa: E402
from tests.servers import free_port  # noqa: E402

WORK = ROOT / "var" / "bench" / "scaleout"
OURS = [sys.executable, "-m", "opendata_sozial"]
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Layout:
    """API processes per database: (label, [(database, workers), …])."""

    label: str
    groups: tuple[tuple[str, int], ...]

    @property
    def processes(self) -> int:
        return sum(workers for _, workers in self.groups)


LAYOUTS = (
    Layout("1 process: replica", (("replica", 1),)),
    Layout("2 processes: primary + replica", (("primary", 1), ("replica", 1))),
    Layout("4 processes: 2 × primary + 2 × replica", (("primary", 2), ("replica", 2))),
    Layout("2 processes: primary only (reference)", (("primary", 2),)),
)


def _tree(root: int) -> list[int]:
    """``root`` and every process descended from it (from ``/proc``)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time of ``pids`` (and their reaped children) so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICKS


def _postmaster(node: Node) -> int:
    return int((node.data / "postmaster.pid").read_text().split()[0])


def _publish(url: str, package: Path) -> float:
    run = procs.timed(
        [*OURS, "publish", str(package)],
        env={"ODS_DATABASE_URL": url},
        timeout=1800,
        log=WORK / "logs" / "publish.log",
    )
    return run.seconds


def _serve_env(url: str, port: int) -> dict[str, str]:
    return {
        "ODS_DATABASE_URL": url,
        "ODS_BASE_URL": f"http://127.0.0.1:{port}",
        "ODS_CACHE_DIR": str(WORK / f"cache-{port}"),
        "ODS_RESPONSE_CACHE_MB": "0",  # distinct queries, and no cache to help anyway
        "ODS_DISK_CACHE_MB": "0",
        "ODS_RATE_LIMIT_REQUESTS": "0",  # wrk is one client
        "ODS_LOG_LEVEL": "WARNING",
    }


@contextmanager
def _servers(layout: Layout, urls: dict[str, str]) -> Iterator[list[procs.Server]]:
    with ExitStack() as stack:
        servers = []
        for database, workers in layout.groups:
            port = free_port()
            argv = [*OURS, "serve", "--port", str(port), "--workers", str(workers)]
            name = f"serve-{database}-{workers}-{port}"
            servers.append(
                stack.enter_context(
                    procs.running(
                        name,
                        argv,
                        port=port,
                        env=_serve_env(urls[database], port),
                        logs=WORK / "logs",
                    )
                )
            )
        for server in servers:
            procs.wait_for_200(server, "/health/ready")
        yield servers


def _script(rows: int) -> str:
    names = [name for name, *_ in indicators(rows)]
    choices = {
        "indikator": names,
        "jahr": [str(y) for y in YEARS],
        "bevoelkerungsgruppe": list(GROUPS),
    }
    prefix = f"/api/v1/datasets/{NAME}/resources/{NAME}/rows?"
    return load.lua_random_paths(prefix, choices, "&_size=100")


def _measure(
    layout: Layout,
    urls: dict[str, str],
    nodes: dict[str, Node],
    script: str,
    seconds: int,
    connections: int,
) -> dict[str, Any]:
    with _servers(layout, urls) as servers:
        shares = [connections * w // layout.processes for _, w in layout.groups]
        shares[-1] += connections - sum(shares)

        def run(server: procs.Server, share: int, duration: int) -> load.Rate:
            return load.wrk(
                server.url("/"),
                seconds=duration,
                connections=share,
                script=script,
                workdir=WORK / "wrk",
            )

        with ThreadPoolExecutor(len(servers)) as pool:  # warm-up: connections, plans, pages
            list(pool.map(run, servers, shares, [3] * len(servers)))
        groups = {
            "api": [pid for s in servers for pid in _tree(s.process.pid)],
            "primary": _tree(_postmaster(nodes["primary"])),
            "replica": _tree(_postmaster(nodes["replica"])),
        }
        before = {name: _cpu_seconds(pids) for name, pids in groups.items()}
        load_before = os.getloadavg()[0]  # others' work on a shared machine shows here
        wall = time.perf_counter()
        with ThreadPoolExecutor(len(servers)) as pool:
            rates = list(pool.map(run, servers, shares, [seconds] * len(servers)))
        wall = time.perf_counter() - wall
        groups["primary"] = _tree(_postmaster(nodes["primary"]))  # backends started meanwhile
        groups["replica"] = _tree(_postmaster(nodes["replica"]))
        cpu = {name: _cpu_seconds(pids) - before.get(name, 0.0) for name, pids in groups.items()}
    rps = sum(rate.requests_per_second for rate in rates)
    return {
        "layout": layout.label,
        "load_average_before": round(load_before, 2),
        "processes": layout.processes,
        "rps": round(rps, 1),
        "p50_ms": round(max(rate.p50_ms for rate in rates), 1),
        "p99_ms": round(max(rate.p99_ms for rate in rates), 1),
        "errors": sum(rate.errors for rate in rates),
        "requests": sum(rate.requests for rate in rates),
        "cores_busy": {name: round(seconds / wall, 2) for name, seconds in cpu.items()},
        "wall_seconds": round(wall, 1),
    }


def _machine() -> dict[str, str]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpu": model, "cores": str(os.cpu_count()), "kernel": platform.release()}


def _table(results: dict[str, Any]) -> str:
    lines = [
        "| layout | req/s | p50 ms | p99 ms | errors | cores busy: API / primary / replica "
        "| load avg. before |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        busy = run["cores_busy"]
        lines.append(
            f"| {run['layout']} | {run['rps']:.0f} | {run['p50_ms']} | {run['p99_ms']} | "
            f"{run['errors']} | {busy['api']} / {busy['primary']} / {busy['replica']} | "
            f"{run['load_average_before']} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Set up primary and replica, publish, measure every layout, write and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the scale package")
    parser.add_argument("--seconds", type=int, default=15, help="duration of each measured run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections in all")
    args = parser.parse_args()
    missing = server_binaries()
    if missing is not None:
        raise SystemExit(f"scaleout: {missing}")
    if shutil.which("wrk") is None:
        raise SystemExit("scaleout: wrk missing (apt-get install wrk, or bench/peers.sh)")
    WORK.mkdir(parents=True, exist_ok=True)
    package = WORK / "package" / NAME
    write_package(package, rows=args.rows, seed=20261127, regions=default_regions())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict[str, Any] = {
        "machine": _machine(),
        "rows": args.rows,
        "seconds": args.seconds,
        "connections": args.connections,
    }
    try:
        with replicated() as (primary, replica):
            results["publish_seconds"] = round(_publish(primary.url, package), 1)
            wait_for_replay(primary, replica, seconds=300)
            results["postgres"] = str(primary.scalar("SHOW server_version"))
            urls = {"primary": primary.url, "replica": replica.url}
            nodes = {"primary": primary, "replica": replica}
            script = _script(args.rows)
            results["runs"] = [
                _measure(layout, urls, nodes, script, args.seconds, args.connections)
                for layout in LAYOUTS
            ]
    finally:
        procs.stop_all()
    out = WORK / "results.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stdout.write(f"{_table(results)}\n\nscaleout: results in {out}\n")


if __name__ == "__main__":
    main()
