"""The five scenarios of issue 6, ours against the peers, plus the PostgreSQL scale-out."""

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import load
import procs
from make_scale_package import FIELDS, GEMEINDEN, NAME

PORTS = {"ours": 8101, "datasette": 8102, "nginx": 8103, "ours_two": 8104}
TABLE = "daten"
CONNECTIONS = 32
DOWNLOAD_CONNECTIONS = 4
COLUMN_TYPES = {"jahr": "integer", "wert": "double precision"}


@dataclass
class Bench:
    """Paths, tools and knobs of one benchmark run."""

    root: Path
    work: Path
    ours: Path
    peers: Path
    package: Path
    second_package: Path
    seconds: int
    choices: dict[str, list[str]]
    fresh_postgres: Callable[[str], str]
    psql: Callable[..., str]

    # Helpers

    @property
    def csv(self) -> Path:
        """The resource file of the scale package."""
        return self.package / "data" / f"{NAME}.csv"

    @property
    def logs(self) -> Path:
        """Where process output goes."""
        return self.work / "logs"

    def _ours_env(self, url: str, port: int) -> dict[str, str]:
        return {
            "ODS_DATABASE_URL": url,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
            "ODS_CACHE_DIR": str(self.work / f"cache-{port}"),
            # One load generator is one client: the per-client limit would answer 429.
            "ODS_RATE_LIMIT_REQUESTS": "0",
        }

    def _filters(self) -> dict[str, str]:
        return {
            "indikator": self.choices["indikator"][0],
            "jahr": self.choices["jahr"][len(self.choices["jahr"]) // 2],
            "bevoelkerungsgruppe": self.choices["bevoelkerungsgruppe"][0],
        }

    def _rows_path(self, suffix: str = "") -> str:
        return f"/api/v1/datasets/{NAME}/resources/{NAME}/rows{suffix}"

    def _datasette_path(self, suffix: str = ".json") -> str:
        return f"/datasette/{TABLE}{suffix}"

    # Scenario 4: publish

    def publish_all(self) -> dict[str, Any]:
        """Ours into SQLite and PostgreSQL against sqlite-utils insert and COPY."""
        results: dict[str, Any] = {}
        sqlite_db = self.work / "ods.sqlite"
        for path in self.work.glob("ods.sqlite*"):
            path.unlink()
        run = procs.timed(
            [str(self.ours), "publish", str(self.package)],
            env={"ODS_DATABASE_URL": f"sqlite:///{sqlite_db}"},
            timeout=900,
            log=self.logs / "publish-sqlite.log",
        )
        results["ours_sqlite"] = {
            "seconds": round(run.seconds, 2),
            "peak_rss_mib": run.peak_rss_mib,
        }
        peer_db = self.work / "datasette.db"
        peer_db.unlink(missing_ok=True)
        run = procs.timed(
            [
                str(self.peers / "sqlite-utils"),
                "insert",
                str(peer_db),
                TABLE,
                str(self.csv),
                "--csv",
            ],
            env={},
            timeout=900,
            log=self.logs / "sqlite-utils.log",
        )
        results["sqlite_utils"] = {
            "seconds": round(run.seconds, 2),
            "peak_rss_mib": run.peak_rss_mib,
        }
        results["sqlite_utils_indexes_seconds"] = round(self._index_peer_db(sqlite_db, peer_db), 2)
        url = self.fresh_postgres("bench_ods")
        run = procs.timed(
            [str(self.ours), "publish", str(self.package)],
            env={"ODS_DATABASE_URL": url},
            timeout=900,
            log=self.logs / "publish-postgres.log",
        )
        results["ours_postgres"] = {
            "seconds": round(run.seconds, 2),
            "peak_rss_mib": run.peak_rss_mib,
        }
        results.update(self._copy_baseline())
        return results

    def _index_peer_db(self, ours_db: Path, peer_db: Path) -> float:
        """Give Datasette's table the indexes of ours, so queries compare like with like."""
        import sqlite3

        with sqlite3.connect(ours_db) as conn:
            table = conn.execute("SELECT table_name FROM resource LIMIT 1").fetchone()[0]
            names = [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=? "
                    "AND name NOT LIKE 'sqlite_autoindex%'",
                    (table,),
                )
            ]
            indexes = {peer_index(conn, name): None for name in names}  # in order, once each
        started = time.perf_counter()
        for columns in indexes:
            subprocess.run(
                [
                    str(self.peers / "sqlite-utils"),
                    "create-index",
                    str(peer_db),
                    TABLE,
                    "--name",  # its own name would be the same for `wert` and `-wert`
                    "idx_" + "_".join(c.replace("-", "desc_") for c in columns),
                    "--",
                    *columns,
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
        return time.perf_counter() - started

    def _copy_baseline(self) -> dict[str, Any]:
        url = self.fresh_postgres("bench_copy")
        columns = ", ".join(f"{c} {COLUMN_TYPES.get(c, 'text')}" for c in FIELDS)
        self.psql("bench_copy", f"CREATE TABLE {TABLE} ({columns})")
        run = procs.timed(
            [
                "psql",
                url,
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                f"\\copy {TABLE} FROM '{self.csv}' CSV HEADER",
            ],
            env={},
            timeout=600,
            log=self.logs / "copy.log",
        )
        started = time.perf_counter()
        self.psql("bench_copy", *baseline_indexes(self.work / "ods.sqlite"))
        return {
            "copy": {"seconds": round(run.seconds, 2)},
            "copy_indexes_seconds": round(time.perf_counter() - started, 2),
        }

    # Scenarios 1, 2, 3 and 5 against one backend

    def serve_and_measure(self, backend: str) -> dict[str, Any]:
        """Cold start, queries, exports and the original file: ours and (on SQLite) the peers."""
        url = (
            f"sqlite:///{self.work / 'ods.sqlite'}" if backend == "sqlite" else _url_of("bench_ods")
        )
        results: dict[str, Any] = {}
        port = PORTS["ours"]
        query = f"{self._rows_path()}?{urlencode({**self._filters(), '_size': 100})}"
        argv = [str(self.ours), "serve", "--port", str(port)]
        with procs.running(
            "ours-" + backend, argv, port=port, env=self._ours_env(url, port), logs=self.logs
        ) as server:
            results["cold_start_s"] = round(procs.wait_for_200(server, query), 3)
            self._check_page(server.url(query), "rows", "total")
            results["ours"] = self._measure(server, query, self._ours_paths())
        if backend == "sqlite":
            results["datasette"] = self._measure_datasette()
            results["nginx"] = self._measure_nginx()
        return results

    def _ours_paths(self) -> dict[str, str]:
        first = quote(self.choices["indikator"][0])
        return {
            "prefix": self._rows_path() + "?",
            "suffix": "&_size=100",
            "filtered_csv": f"{self._rows_path('.csv')}?indikator={first}",
            "full_csv": self._rows_path(".csv"),
            "original": f"/api/v1/datasets/{NAME}/resources/{NAME}.csv",
        }

    def _measure(self, server: procs.Server, query: str, paths: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seconds, workdir = self.seconds, self.work / "wrk"
        load.wrk(server.url(query), seconds=2, connections=CONNECTIONS, workdir=workdir)  # warm-up
        out["repeated"] = load.wrk(
            server.url(query), seconds=seconds, connections=CONNECTIONS, workdir=workdir
        ).as_dict()
        script = load.lua_random_paths(paths["prefix"], self.choices, paths["suffix"])
        out["distinct"] = load.wrk(
            server.url("/"),
            seconds=seconds,
            connections=CONNECTIONS,
            script=script,
            workdir=workdir,
            headers=["Cache-Control: no-cache"],  # every answer computed, none from the cache
        ).as_dict()
        pids = server.pids()
        for name in ("filtered_csv", "full_csv"):
            url = server.url(paths[name])
            runs = 3 if name == "filtered_csv" else 1
            cold = [
                load.download(url, server_pids=pids, headers=load.NO_CACHE) for _ in range(runs)
            ]
            out[name] = _median(cold)
            warm = [load.download(url, server_pids=pids) for _ in range(runs + 1)][1:]
            out[f"{name}_cached"] = _median(warm)
        out["server_peak_rss_mib"] = sum(procs.rss_kib(p, "VmHWM") for p in pids) / 1024
        if "original" in paths:
            out["original"] = self._measure_original(server, paths["original"])
        return out

    def _measure_original(self, server: procs.Server, path: str) -> dict[str, Any]:
        once = load.download(server.url(path), server_pids=server.pids(), headers=load.NO_CACHE)
        rate = load.wrk(
            server.url(path),
            seconds=self.seconds,
            connections=DOWNLOAD_CONNECTIONS,
            workdir=self.work / "wrk",
        )
        return {"first": once.as_dict(), "rate": rate.as_dict()}

    def _check_page(self, url: str, rows_key: str, total_key: str) -> None:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  # loopback
            body = json.load(response)
        if len(body[rows_key]) != 100 or body[total_key] < 100:
            raise RuntimeError(f"unexpected page from {url}: {len(body[rows_key])} rows")

    def _measure_datasette(self) -> dict[str, Any]:
        port = PORTS["datasette"]
        argv = [
            str(self.peers / "datasette"),
            "serve",
            str(self.work / "datasette.db"),
            "--port",
            str(port),
            "--host",
            procs.LOOPBACK,
            "--setting",
            "max_csv_mb",
            "0",  # its default (100) would cut the full export short
        ]
        query = f"{self._datasette_path()}?{urlencode({**self._filters(), '_size': 100})}"
        first = quote(self.choices["indikator"][0])
        paths = {
            "prefix": self._datasette_path() + "?",
            "suffix": "&_size=100",
            "filtered_csv": f"{self._datasette_path('.csv')}?indikator={first}&_stream=on&_size=max",
            "full_csv": f"{self._datasette_path('.csv')}?_stream=on&_size=max",
        }
        with procs.running("datasette", argv, port=port, env={}, logs=self.logs) as server:
            cold = procs.wait_for_200(server, query)
            self._check_page(server.url(query), "rows", "filtered_table_rows_count")
            out = self._measure(server, query, paths)
        out["cold_start_s"] = round(cold, 3)
        return out

    def _measure_nginx(self) -> dict[str, Any]:
        port = PORTS["nginx"]
        prefix = self.work / "nginx"
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(prefix=prefix, port=port, root=self.csv.parent), encoding="utf-8"
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # root's PATH may lack /usr/sbin
        argv = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        with procs.running("nginx", argv, port=port, env={}, logs=self.logs) as server:
            procs.wait_for_200(server, f"/{self.csv.name}")
            return self._measure_original(server, f"/{self.csv.name}")

    # Scale-out: two API processes on PostgreSQL while a publish runs

    def scale_out(self, expected_publish_seconds: float) -> dict[str, Any]:
        """Distinct queries against two processes, idle and during a publish of a new release.

        The load during the publish lasts about as long as the publish is expected to take
        under load (its time without load, times 1.8), at most 90 s.
        """
        url = _url_of("bench_ods")
        port = PORTS["ours_two"]
        argv = [str(self.ours), "serve", "--port", str(port), "--workers", "2"]
        query = f"{self._rows_path()}?{urlencode({**self._filters(), '_size': 100})}"
        paths = self._ours_paths()
        script = load.lua_random_paths(paths["prefix"], self.choices, paths["suffix"])
        workdir = self.work / "wrk"
        with procs.running(
            "ours-two", argv, port=port, env=self._ours_env(url, port), logs=self.logs
        ) as server:
            procs.wait_for_200(server, query)
            load.wrk(server.url(query), seconds=2, connections=CONNECTIONS, workdir=workdir)
            idle = load.wrk(
                server.url("/"),
                seconds=self.seconds,
                connections=CONNECTIONS,
                script=script,
                workdir=workdir,
                headers=["Cache-Control: no-cache"],
            )
            before = _release(server)
            publisher = procs.start(
                "publish-next",
                [str(self.ours), "publish", str(self.second_package)],
                port=0,
                env={"ODS_DATABASE_URL": url},
                logs=self.logs,
            )
            started = time.perf_counter()
            during = load.wrk(
                server.url("/"),
                seconds=round(min(90, max(self.seconds, expected_publish_seconds * 1.8))),
                connections=CONNECTIONS,
                script=script,
                workdir=workdir,
                headers=["Cache-Control: no-cache"],
            )
            code = publisher.process.wait(timeout=600)
            procs.stop(publisher)
            publish_seconds = time.perf_counter() - started
            time.sleep(1.5)  # ODS_RELEASE_POLL_SECONDS
            after = _release(server)
        return {
            "idle": idle.as_dict(),
            "during_publish": during.as_dict(),
            "publish_exit": code,
            "publish_seconds_under_load": round(publish_seconds, 2),
            "release_before": before,
            "release_after": after,
        }

    # Issue 13: the index for all 396 Gemeinden (self-contained: own database, port and client)

    def region_index(self) -> dict[str, Any]:
        """Server time of ``/api/v1/regions/index`` over the 396 Gemeinden, on SQLite.

        The scale package and ``nrw-regionen`` (the region directory the index reads) are
        published into a database of their own; three indicators of the scale table (two
        periods each, so the typology is computed too) are combined. Each request is sent
        with ``Cache-Control: no-cache`` (computed, never from the response cache), one at a
        time on loopback, so its wall time is the server's time plus the loopback round trip.
        """
        database = self.work / "ods-regions.sqlite"
        for path in self.work.glob("ods-regions.sqlite*"):
            path.unlink()
        url = f"sqlite:///{database}"
        regions = self.root / "datapackages" / "nrw-regionen"
        procs.timed(
            [str(self.ours), "publish", str(regions), str(self.package)],
            env={"ODS_DATABASE_URL": url},
            timeout=900,
            log=self.logs / "publish-regions.log",
        )
        port = INDEX_PORT
        argv = [str(self.ours), "serve", "--port", str(port)]
        # Reading which indicators the level holds scans the 1.2 M rows once (several seconds on
        # a busy machine): a longer statement limit, so the measured requests follow it.
        env = {**self._ours_env(url, port), "ODS_QUERY_TIMEOUT_SECONDS": "120"}
        listing = "/api/v1/regions/index/indicators?ebene=gemeinde"
        with procs.running("ours-index", argv, port=port, env=env, logs=self.logs) as server:
            first = procs.wait_for_200(server, listing, timeout=300)  # which indicators there are
            path = _index_path(_get_json(server.url(listing))["indicators"])
            body = _get_json(server.url(path))
            if len(body["places"]) + len(body["excluded"]) != GEMEINDEN:
                raise RuntimeError(f"index over {len(body['places'])} places: {path}")
            no_cache = {"Cache-Control": "no-cache"}
            for _ in range(INDEX_WARMUP):
                _timed_get(server.url(path), no_cache)
            times = sorted(
                _timed_get(server.url(path), no_cache) / 1000 for _ in range(INDEX_REQUESTS)
            )
        return {
            "path": path,
            "requests": len(times),
            "places": len(body["places"]),
            "excluded": len(body["excluded"]),
            "typology": body["typology"]["available"],
            "indicator_list_first_s": round(first, 3),
            "p50_ms": round(1000 * times[len(times) // 2], 2),
            "p90_ms": round(1000 * times[int(len(times) * 0.9)], 2),
            "max_ms": round(1000 * times[-1], 2),
        }


def baseline_indexes(ours_db: Path) -> list[str]:
    """``CREATE INDEX`` statements for the COPY baseline: the indexes ours built (SQLite file).

    Column for column and in the same directions, without our hidden ``_row`` (the baseline
    table has none), so "COPY plus the same indexes" stays the same work as ours.
    """
    import sqlite3

    statements = []
    with sqlite3.connect(ours_db) as conn:
        table = conn.execute("SELECT table_name FROM resource LIMIT 1").fetchone()[0]
        names = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=? "
            "AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
            (table,),
        ).fetchall()
        for (name,) in names:
            columns = [
                column + (" DESC NULLS LAST" if desc else " NULLS FIRST")
                for _, _, column, desc, _, key in conn.execute(f'PRAGMA index_xinfo("{name}")')
                if key and column is not None and column != "_row"
            ]
            statements.append(f"CREATE INDEX ON {TABLE} ({', '.join(columns)})")
    return statements


def peer_index(conn: Any, name: str) -> tuple[str, ...]:  # noqa: ANN401  # sqlite3.Connection
    """Our index ``name`` as ``sqlite-utils create-index`` columns for Datasette's table.

    A descending column gets a ``-``. Our hidden ``_row`` is Datasette's ``rowid``, which ends
    every SQLite index anyway. A composite measure index (``…_asc``/``…_desc``: the measure,
    the primary key, ``_row``) is in the order of our sort with its tie-breaker, the primary
    key; Datasette breaks ties by ``rowid``, so its equivalent is the measure alone in that
    direction.
    """
    columns = [
        ("-" if desc else "") + column
        for _, _, column, desc, _, key in conn.execute(f'PRAGMA index_xinfo("{name}")')
        if key and column is not None and column != "_row"
    ]
    if name.endswith(("_asc", "_desc")):
        columns = columns[:1]
    return tuple(columns)


def _median(runs: list[load.Download]) -> dict[str, Any]:
    return sorted((run.as_dict() for run in runs), key=lambda d: d["seconds"])[len(runs) // 2]


def _url_of(database: str) -> str:
    import os

    admin = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    return admin.rsplit("/", 1)[0] + f"/{database}"


def _release(server: procs.Server) -> int:
    with urllib.request.urlopen(server.url("/health/ready"), timeout=10) as response:  # noqa: S310
        return int(json.load(response)["release"])


INDEX_PORT = 8105
INDEX_WARMUP = 5
INDEX_REQUESTS = 200
INDEX_INPUTS = (
    ("Armutsgefährdungsquote", "hoch-schlecht", 2),
    ("SGB II-Quote", "hoch-schlecht", 1),
    ("Erwerbstätigenquote", "hoch-gut", 1),
)
"""The index of the scenario: (indicator of the scale table, direction, weight), group Insgesamt."""


def _get_json(url: str) -> Any:  # noqa: ANN401  # JSON
    request = urllib.request.Request(url, headers={"Cache-Control": "no-cache"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # loopback
        return json.load(response)


def _index_path(listed: list[dict[str, Any]]) -> str:
    """The index URL of ``INDEX_INPUTS`` (ids as the indicator list names them)."""
    ids = {
        i["dimensions"].get("indikator"): i["id"]
        for i in listed
        if i["dimensions"].get("bevoelkerungsgruppe") == "Insgesamt"
    }
    inputs = [f"{ids[name]}:{direction}:{weight}" for name, direction, weight in INDEX_INPUTS]
    return "/api/v1/regions/index?" + urlencode(
        [("ebene", "gemeinde")] + [("indikator", i) for i in inputs]
    )


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    types {{ text/csv csv; }}
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


# Issue 13, item 8: a Kreis profile and a level's map data on SQLite with the scale package.
# Self-contained: its own database (the shipped packages, the boundaries and the scale
# package published together, as `make serve` plus the scale data), its own server and port.

REGION_PORT = 8121
"""Apart from the other scenarios' ports (8101-8110), which other blocks may take."""
REGION_KREIS = "05513"
"""Gelsenkirchen: a kreisfreie Stadt with every Kreis-level indicator of datapackages/."""
REGION_SAMPLES = 40
REGION_TARGET_MS = 100.0
REGION_WARM_UP_S = 30.0
"""How long the server gets for its background warm-up before the warm first request."""


def region_paths(choices: dict[str, list[str]]) -> dict[str, str]:
    """The region scenarios: a Kreis profile (API and page) and map data of the Gemeinden."""
    query = urlencode(
        {
            "dataset": NAME,
            "ebene": "gemeinde",
            "indikator": choices["indikator"][0],
            "bevoelkerungsgruppe": choices["bevoelkerungsgruppe"][0],
            "jahr": choices["jahr"][-1],
        }
    )
    return {
        "kreis_profile": f"/api/v1/regions/{REGION_KREIS}/profile",
        "gemeinde_map_values": f"/api/v1/regions/map.json?{query}",
        "gemeinde_map_geojson": f"/api/v1/regions/map?{query}",
        "kreis_page": f"/regionen/{REGION_KREIS}",
    }


def _timed_get(url: str, headers: dict[str, str]) -> float:
    """Milliseconds until the whole body of ``url`` is read (one connection, loopback)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  # loopback
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # loopback
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode("utf-8", "replace")
        raise RuntimeError(f"{url}: {error.code} {detail}") from error
    return (time.perf_counter() - started) * 1000


def _p50(url: str, headers: dict[str, str]) -> float:
    times = sorted(_timed_get(url, headers) for _ in range(REGION_SAMPLES))
    return round(times[len(times) // 2], 1)


def region_speed(bench: Bench) -> dict[str, Any]:
    """Publish the region database, then measure it (``measure_regions``)."""
    database = bench.work / "regions.sqlite"
    for path in bench.work.glob("regions.sqlite*"):
        path.unlink()
    url = f"sqlite:///{database}"
    sources = [str(bench.root / "datapackages"), str(bench.root / "geography"), str(bench.package)]
    run = procs.timed(
        [str(bench.ours), "publish", *sources],
        env={"ODS_DATABASE_URL": url},
        timeout=900,
        log=bench.logs / "publish-regions.log",
    )
    return {"publish_s": round(run.seconds, 1), **measure_regions(bench, url)}


def measure_regions(bench: Bench, url: str) -> dict[str, Any]:
    """First request (at once and after the warm-up), then p50 without and with the cache."""
    paths = region_paths(bench.choices)
    argv = [str(bench.ours), "serve", "--port", str(REGION_PORT)]
    no_cache = {"Cache-Control": "no-cache"}
    results: dict[str, Any] = {"target_ms": REGION_TARGET_MS, "samples": REGION_SAMPLES}
    for start in ("first_at_once_ms", "first_after_warm_up_ms"):
        env = bench._ours_env(url, REGION_PORT)  # the same settings as ours
        with procs.running(
            f"ours-regions-{start}", argv, port=REGION_PORT, env=env, logs=bench.logs
        ) as server:
            procs.wait_for_200(server, "/health/ready")
            if start == "first_after_warm_up_ms":
                time.sleep(REGION_WARM_UP_S)
            for name, path in paths.items():
                results.setdefault(name, {})[start] = round(
                    _timed_get(server.url(path), no_cache), 1
                )
            if start == "first_after_warm_up_ms":
                for name, path in paths.items():
                    results[name]["uncached_p50_ms"] = _p50(server.url(path), no_cache)
                    results[name]["cached_p50_ms"] = _p50(server.url(path), {})
    return results


# Issue 17: the uncached engine paths a researcher meets first, one client, ours and Datasette
# (with its defaults and with `--setting suggest_facets off`, as a tuned deployment runs it).

ENGINE_PORTS = {"ours": 8131, "datasette": 8132}
"""Apart from the other scenarios' ports."""
ENGINE_SAMPLES = 30
ENGINE_DEEP_PAGE = 50
ENGINE_RANGE = "20"
"""``wert >= 20``: a bit more than half of the 1.2 M rows."""
DATASETTE_SETUPS: dict[str, list[str]] = {
    "datasette_default": [],
    "datasette_tuned": ["--setting", "suggest_facets", "off"],
}


@dataclass(frozen=True)
class PagingShape:
    """How one server spells the scenarios: its rows URL, its sort and where ``next`` is."""

    rows: str
    sort_desc: dict[str, str]
    next_key: str
    values: str
    """Distinct values of ``ags`` with their counts, all of them (a query string follows)."""
    pages: dict[str, str]
    """Further paths of this server only (the dataset page and search: Datasette has no peer)."""


def engine_shapes() -> dict[str, PagingShape]:
    """Ours (``_sort=-wert``, ``next``) and Datasette's (``_sort_desc=wert``, ``next_url``)."""
    return {
        "ours": PagingShape(
            f"/api/v1/datasets/{NAME}/resources/{NAME}/rows",
            {"_sort": "-wert"},
            "next",
            f"/api/v1/datasets/{NAME}/resources/{NAME}/values/ags?",
            {
                "dataset_page": f"/datensaetze/{NAME}",
                "search_api": "/api/v1/datasets?q=Armutsgef%C3%A4hrdung",
                "search_page": "/suche?q=Hartz+IV",
            },
        ),
        "datasette": PagingShape(
            f"/datasette/{TABLE}.json",
            {"_sort_desc": "wert"},
            "next_url",
            f"/datasette/{TABLE}.json?_facet=ags&_facet_size=max&_size=0&",
            {},
        ),
    }


def measure_engine_paths(server: procs.Server, shape: PagingShape) -> dict[str, Any]:
    """p50 of ``ENGINE_SAMPLES`` uncached requests: range + sort, page 1 and page 50 by -wert,
    the distinct values of ``ags`` (all rows, and under the range filter; Datasette's facet with
    ``_facet_size=max``), and on ours the page of the 1.2 M-row dataset and search.

    Page 50 is reached by following ``next`` as a client does; then the same URL is asked
    again and again (``Cache-Control: no-cache``: our response cache is skipped; Datasette
    has none).
    """
    no_cache = {"Cache-Control": "no-cache"}
    sort = {**shape.sort_desc, "_size": "100"}
    paths = {
        "range_sort": f"{shape.rows}?{urlencode({'wert__gte': ENGINE_RANGE, **sort})}",
        "sorted_page_1": f"{shape.rows}?{urlencode(sort)}",
    }
    url = server.url(paths["sorted_page_1"])
    for _ in range(ENGINE_DEEP_PAGE - 1):
        url = _get_json(url)[shape.next_key]
        url = server.url(url.split(f":{server.port}", 1)[1]) if "://" in url else server.url(url)
    paths["sorted_page_50"] = url.split(f":{server.port}", 1)[1]
    paths["values_all"] = shape.values.rstrip("?&")
    paths["values_range"] = shape.values + urlencode({"wert__gte": ENGINE_RANGE})
    paths.update(shape.pages)
    out: dict[str, Any] = {"samples": ENGINE_SAMPLES}
    for name, path in paths.items():
        _timed_get(server.url(path), no_cache)  # warm the pages this path reads
        times = sorted(_timed_get(server.url(path), no_cache) for _ in range(ENGINE_SAMPLES))
        out[name] = {"path": path, "p50_ms": round(times[len(times) // 2], 2)}
    out["page_50_over_page_1"] = round(
        out["sorted_page_50"]["p50_ms"] / out["sorted_page_1"]["p50_ms"], 2
    )
    return out


def engine_paths(bench: Bench, ours: dict[str, str], datasette_db: Path | None) -> dict[str, Any]:
    """The issue 17 scenarios on ours (per database URL in ``ours``) and on Datasette twice."""
    shapes = engine_shapes()
    results: dict[str, Any] = {}
    port = ENGINE_PORTS["ours"]
    for backend, url in ours.items():
        argv = [str(bench.ours), "serve", "--port", str(port)]
        with procs.running(
            f"ours-engine-{backend}",
            argv,
            port=port,
            env=bench._ours_env(url, port),
            logs=bench.logs,
        ) as server:
            procs.wait_for_200(server, shapes["ours"].rows + "?_size=1", timeout=300)
            results[f"ours_{backend}"] = measure_engine_paths(server, shapes["ours"])
    if datasette_db is None:
        return results
    port = ENGINE_PORTS["datasette"]
    for label, settings in DATASETTE_SETUPS.items():
        argv = [str(bench.peers / "datasette"), "serve", str(datasette_db), "--port", str(port)]
        argv += ["--host", procs.LOOPBACK, *settings]
        with procs.running(label, argv, port=port, env={}, logs=bench.logs) as server:
            procs.wait_for_200(server, shapes["datasette"].rows + "?_size=1", timeout=300)
            results[label] = measure_engine_paths(server, shapes["datasette"])
            results[label]["settings"] = settings or "defaults"
    return results
