"""`make bench`: our CLI and server side by side with Datasette, nginx, sqlite-utils and COPY.

Everything runs on loopback, every load is bounded in time, and every process started here is
stopped again on the way out. Results go to ``var/bench/results.json``; ``bench/report.py``
turns them into ``docs/benchmarks.md`` and ``docs/benchmarks.png``.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import procs
import scenarios
import search_relevance
from make_scale_package import GROUPS, NAME, YEARS, indicators, write_package

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
PEERS = WORK / "peers" / "bin"
OURS = Path(sys.executable).parent / "opendata-sozial"
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _psql(database: str, *commands: str) -> str:
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    argv = ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt"]
    for command in commands:
        argv += ["-c", command]
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600).stdout


def fresh_postgres(name: str) -> str:
    """Drop and create database ``name``; its URL."""
    _psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    import platform
    import sqlite3

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )

    def version(argv: list[str]) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
        return (
            (done.stdout + done.stderr).strip().splitlines()[0]
            if (done.stdout + done.stderr).strip()
            else "?"
        )

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _psql("postgres", "SHOW server_version").strip(),
        "datasette": version([str(PEERS / "datasette"), "--version"]),
        "sqlite_utils": version([str(PEERS / "sqlite-utils"), "--version"]),
        "nginx": version([shutil.which("nginx") or "/usr/sbin/nginx", "-v"]),
        "wrk": version(["wrk", "-v"]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> None:
    """Run every scenario, write the results and render the report."""
    parser = argparse.ArgumentParser(description="Benchmarks against Datasette and nginx")
    parser.add_argument("--rows", type=int, default=1_188_000)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--skip-report", action="store_true")
    parser.add_argument(
        "--regions-only",
        action="store_true",
        help="only the region scenarios (issue 13; needs no peers), into var/bench/regions.json",
    )
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="only the uncached engine paths of issue 17 (range + sort, keyset page 1 and 50 "
        "by the measure; Datasette where var/bench/peers has it), into var/bench/engine.json",
    )
    args = parser.parse_args()
    if args.regions_only:
        _regions_only(args.rows)
        return
    if args.engine_only:
        _engine_only(args.rows)
        return
    for tool in ("wrk", "nginx", "psql"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} missing: run bench/peers.sh (make bench does)")
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    package = WORK / "scale" / NAME
    write_package(package, rows=args.rows, seed=20261127, regions=_regions())
    second = WORK / "scale-next" / NAME  # same name, other values: a real second release
    write_package(second, rows=args.rows, seed=7, regions=_regions())
    bench = _bench(package, second, args.seconds, args.rows)
    results: dict[str, Any] = {"machine": machine(), "rows": args.rows, "seconds": args.seconds}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout` still cleans up
    try:
        results["publish"] = bench.publish_all()
        results["sqlite"] = bench.serve_and_measure("sqlite")
        results["region_index"] = bench.region_index()
        results["regions"] = scenarios.region_speed(bench)
        results["postgres"] = bench.serve_and_measure("postgres")
        results["engine_paths"] = scenarios.engine_paths(
            bench,
            {"sqlite": f"sqlite:///{WORK / 'ods.sqlite'}", "postgres": _url_of("bench_ods")},
            WORK / "datasette.db",
        )
        results["scale_out"] = bench.scale_out(results["publish"]["ours_postgres"]["seconds"])
        relevance = search_relevance.measure()
        results["search_relevance"] = {
            "results": relevance,
            "markdown": search_relevance.markdown(relevance),
        }
    finally:
        procs.stop_all()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    out = WORK / "results.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stdout.write(f"bench: results in {out} after {results['total_seconds']} s\n")
    if not args.skip_report:
        subprocess.run(
            [str(PEERS / "python"), str(ROOT / "bench" / "report.py"), str(out)], check=True
        )


def _bench(package: Path, second: Path, seconds: int, rows: int) -> scenarios.Bench:
    """The scenarios over the scale package (and its second version) with ``rows`` rows."""
    return scenarios.Bench(
        root=ROOT,
        work=WORK,
        ours=OURS,
        peers=PEERS,
        package=package,
        second_package=second,
        seconds=seconds,
        choices={
            "indikator": [name for name, *_ in indicators(rows)],
            "jahr": [str(y) for y in YEARS],
            "bevoelkerungsgruppe": list(GROUPS),
        },
        fresh_postgres=fresh_postgres,
        psql=_psql,
    )


def _regions_only(rows: int) -> None:
    """Issue 13's region scenarios alone: the scale package, ``region_speed`` and the index."""
    package = WORK / "scale" / NAME
    write_package(package, rows=rows, seed=20261127, regions=_regions())
    bench = _bench(package, package, 0, rows)
    try:
        found: dict[str, Any] = {"machine_date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        found["regions"] = scenarios.region_speed(bench)
        found["region_index"] = bench.region_index()
    finally:
        procs.stop_all()
    _write_results(WORK / "regions.json", found)


def _engine_only(rows: int) -> None:
    """Issue 17's engine paths alone: publish the scale package, then ``scenarios.engine_paths``.

    Ours is published into a SQLite file and a PostgreSQL database of their own; Datasette
    (when ``bench/peers.sh`` installed it) gets the same file through ``sqlite-utils insert``
    with the equivalent indexes, as in the full run.
    """
    WORK.mkdir(parents=True, exist_ok=True)
    package = WORK / "scale" / NAME
    write_package(package, rows=rows, seed=20261127, regions=_regions())
    bench = _bench(package, package, 0, rows)
    sqlite_db = WORK / "engine.sqlite"
    for path in WORK.glob("engine.sqlite*"):
        path.unlink()
    ours = {"sqlite": f"sqlite:///{sqlite_db}", "postgres": fresh_postgres("bench_engine")}
    found: dict[str, Any] = {"machine_date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        for backend, url in ours.items():
            run = procs.timed(
                [str(OURS), "publish", str(package)],
                env={"ODS_DATABASE_URL": url},
                timeout=900,
                log=WORK / "logs" / f"publish-engine-{backend}.log",
            )
            found[f"publish_{backend}_s"] = round(run.seconds, 1)
        peer_db = None
        if (PEERS / "datasette").exists():
            peer_db = WORK / "engine-peer" / "datasette.db"  # served as /datasette/…
            peer_db.parent.mkdir(exist_ok=True)
            peer_db.unlink(missing_ok=True)
            insert = [str(PEERS / "sqlite-utils"), "insert", str(peer_db), scenarios.TABLE]
            subprocess.run(
                [*insert, str(bench.csv), "--csv"],
                check=True,
                capture_output=True,
                timeout=900,
            )
            bench._index_peer_db(sqlite_db, peer_db)
        found.update(scenarios.engine_paths(bench, ours, peer_db))
    finally:
        procs.stop_all()
    _write_results(WORK / "engine.json", found)


def _write_results(out: Path, found: dict[str, Any]) -> None:
    """The results of a partial run, as a file and on standard output."""
    text = json.dumps(found, indent=2, ensure_ascii=False) + "\n"
    out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


def _url_of(database: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"


def _regions() -> Path:
    from make_scale_package import default_regions

    return default_regions()


if __name__ == "__main__":
    main()
