"""Scale-out on PostgreSQL: the API served from a streaming hot-standby replica.

Private clusters on loopback (``tests/pg_clusters.py``): a primary (``initdb``) and a hot
standby made from it with ``pg_basebackup -R``. The shipped packages are published on the
primary with the real CLI; a real ``opendata-sozial serve`` process reads only the replica. Then,
under concurrent read load on the replica's API:

1. every page, export and feed answers from the read-only standby (nothing in the read path
   writes);
2. a second release (one changed value) is published on the primary: no answer mixes the
   releases (its ``release``, its ETag and its values agree), and once the replica serves the
   new release no unpinned answer shows the old one again;
3. the primary is lost and the replica promoted: the API keeps answering (200, or the
   documented ``503 database-unavailable`` during the switch), and a release published on the
   promoted node is served.

Skipped, with the reason, only where the PostgreSQL server programs are missing.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.timeouts import apply_time_limits, is_query_timeout
from tests.conftest import DATAPACKAGES, ROOT
from tests.pg_clusters import (
    Node,
    pgbouncer,
    pgbouncer_binary,
    replicated,
    server_binaries,
    standalone,
    wait_for_replay,
)
from tests.servers import serving

MISSING = server_binaries()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

ROWS = "/api/v1/datasets/lebensformen/resources/lebensformen/rows"
WHERE = f"lebensform={quote('Ehepaare ohne Kind')}&jahr=2015"
VALUES = {1: 2123.0, 2: 2124.0, 3: 2125.0}
"""The value of that one cell in each release the test publishes."""
LOAD_THREADS = 6
SWITCH_SECONDS = 30.0
"""Longest wait for the replica to serve a release published on the primary."""

READ_PATHS = [
    "/",
    "/datensaetze/lebensformen",
    "/datensaetze/lebensformen/versionen?von=1&bis=2",
    "/aenderungen",
    "/suche?q=Lebensformen",
    "/api/v1/datasets",
    "/api/v1/datasets?q=Armut",
    "/api/v1/datasets/lebensformen",
    "/api/v1/datasets/lebensformen/datapackage.json",
    f"{ROWS}?{WHERE}",
    f"{ROWS}?_size=3&_sort=-wert",
    f"{ROWS}.csv",
    f"{ROWS}.json",
    f"{ROWS}.xlsx",
    "/api/v1/datasets/lebensformen/resources/lebensformen.csv",
    "/api/v1/releases",
    "/api/v1/releases/1/datasets/lebensformen",
    "/api/v1/changes",
    "/api/v1/changes.atom",
    "/api/v1/datasets/lebensformen/diff?from=1&to=2",
    "/api/v1/datasets/lebensformen/diff/rows?from=1&to=2",
    "/catalog.ttl",
    "/catalog.jsonld",
    "/api/3/action/package_list",
    "/api/3/action/package_show?id=lebensformen",
    "/health/ready",
    "/schema/openapi.json",
]
"""Pages, API reads, exports, feeds and catalogs: each must answer 200 from a hot standby."""


def _cli(database_url: str, *args: str, **settings: str) -> str:
    """Run ``python -m opendata_sozial ARGS`` against ``database_url``; its stdout."""
    env = {**os.environ, "ODS_DATABASE_URL": database_url, **settings}
    done = subprocess.run(
        [sys.executable, "-m", "opendata_sozial", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _edition(folder: Path, value: float) -> Path:
    """A copy of the lebensformen package whose 2015 value of "Ehepaare ohne Kind" is ``value``."""
    package = folder / f"lebensformen-{int(value)}" / "lebensformen"
    shutil.copytree(DATAPACKAGES / "lebensformen", package)
    csv = package / "data" / "lebensformen.csv"
    text = csv.read_text(encoding="utf-8")
    assert text.count(",2015,2123,") == 1
    csv.write_text(text.replace(",2015,2123,", f",2015,{int(value)},"), encoding="utf-8")
    _cli("sqlite://", "refresh", str(package))  # new bytes and hash, the rest kept
    return package


@contextlib.contextmanager
def _api(database_url: str, folder: Path, **settings: str) -> Iterator[str]:
    """A real ``opendata-sozial serve`` process reading ``database_url``; its base URL."""
    cache = folder / "cache"

    def env(port: int) -> dict[str, str]:
        return {
            **os.environ,
            "ODS_DATABASE_URL": database_url,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
            "ODS_CACHE_DIR": str(cache),
            "ODS_RELEASE_POLL_SECONDS": "0",
            "ODS_RATE_LIMIT_REQUESTS": "0",
            "ODS_CONNECT_TIMEOUT_SECONDS": "2",
            **settings,
        }

    command = [sys.executable, "-m", "opendata_sozial", "serve", "--host", "127.0.0.1"]
    with serving(lambda port: [*command, "--port", str(port)], env, folder / "logs") as port:
        yield f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Answer:
    """One answer of the load: when it was asked and answered, and what it said."""

    url: str
    started: float
    finished: float
    status: int
    etag_release: int | None
    body_release: int | None
    value: float | None
    problem: str | None


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  # loopback server
            return int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _answer(url: str) -> Answer:
    """Ask ``url`` and read release and value from the ETag, the body and the CSV."""
    started = time.monotonic()
    try:
        status, headers, body = _fetch(url)
    except OSError as exc:  # refused or reset: recorded, the assertions say whether allowed
        return Answer(url, started, time.monotonic(), 0, None, None, None, repr(exc))
    finished = time.monotonic()
    headers = {k.lower(): v for k, v in headers.items()}
    etag = headers.get("etag", "")
    etag_release = int(etag[2:].split("-", 1)[0]) if etag.startswith('"r') else None
    body_release = value = problem = None
    if status != 200:
        problem = body.decode("utf-8", "replace")
    else:
        try:
            if ".csv?" in url:
                value = float(body.decode("utf-8").splitlines()[1].split(",")[3])
            else:
                document = json.loads(body)
                body_release, value = document["release"], document["rows"][0]["wert"]
        except (ValueError, IndexError, KeyError) as exc:  # a cut or malformed body
            problem = f"{exc!r}: {body[:200]!r}"
    return Answer(url, started, finished, status, etag_release, body_release, value, problem)


@dataclass
class Load:
    """Threads asking the API the one cell in three ways until stopped.

    Distinct ``_size`` values make most URLs new to the response cache, so they reach the
    database; a fixed URL and a CSV export are asked too, which the cache serves per release.
    """

    base: str
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _run(self, worker: int) -> None:
        number = 0
        while not self._stop.is_set():
            number += 1
            kind = number % 3
            if kind == 0:
                url = f"{self.base}{ROWS}?{WHERE}&_size={1 + (worker * 100_000 + number) % 9_000}"
            elif kind == 1:
                url = f"{self.base}{ROWS}?{WHERE}"
            else:
                url = f"{self.base}{ROWS}.csv?{WHERE}"
            self.answers.append(_answer(url))

    def __enter__(self) -> "Load":
        for worker in range(LOAD_THREADS):
            thread = threading.Thread(target=self._run, args=(worker,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def wait_for_release(self, number: int, seconds: float) -> float:
        """Until an answer of release ``number`` has arrived; the time it was finished."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            finished = [a.finished for a in list(self.answers) if a.etag_release == number]
            if finished:
                return min(finished)
            time.sleep(0.05)
        pytest.fail(f"release {number} not served within {seconds} s")


def _assert_consistent(answers: list[Answer]) -> None:
    """Each answer's ETag, ``release`` and value belong to one and the same release."""
    for answer in answers:
        assert answer.status == 200, answer
        assert answer.problem is None, answer
        assert answer.etag_release in VALUES, answer
        assert answer.value == VALUES[answer.etag_release], answer
        if answer.body_release is not None:
            assert answer.body_release == answer.etag_release, answer


def _assert_switch(answers: list[Answer], old: int, new: int, seen: float) -> None:
    """Both releases were read under load; nothing asked after ``seen`` got the old one."""
    releases = {a.etag_release for a in answers}
    assert releases == {old, new}, f"load did not span the switch: {releases}"
    late = [a for a in answers if a.started > seen]
    assert late, "no answer after the switch"
    assert {a.etag_release for a in late} == {new}, [a for a in late if a.etag_release != new][:3]


def _assert_every_read_answers(base: str) -> None:
    failed = {}
    for path in READ_PATHS:
        status, _headers, body = _fetch(f"{base}{path}")
        if status != 200:
            failed[path] = (status, body[:300])
    assert not failed, failed


def _publish_under_load(route: "Route", write_url: str, package: Path, new: int) -> None:
    """Publish ``package`` through ``write_url`` while the replica's API is read; check the switch."""
    with Load(route.base) as load:
        time.sleep(0.5)
        _cli(write_url, "publish", str(package), "--notes", f"Korrektur {new}", **route.settings)
        seen = load.wait_for_release(new, SWITCH_SECONDS)
        time.sleep(1.0)
    _assert_consistent(load.answers)
    _assert_switch(load.answers, new - 1, new, seen)


def _promote_under_load(primary: Node, replica: Node, base: str) -> None:
    """Lose the primary, promote the replica; the API answers throughout."""
    with Load(base) as load:
        time.sleep(0.5)
        primary.stop("immediate")
        time.sleep(0.5)
        replica.promote()
        promoted = time.monotonic()
        assert not replica.is_standby()
        time.sleep(1.5)
    during = [a for a in load.answers if a.status != 200]
    for answer in during:  # only the documented outage answer, and only during the switch
        assert answer.status == 503, answer
        assert "/problems/database-unavailable" in (answer.problem or ""), answer
        assert answer.started < promoted + 1.0, answer
    after = [a for a in load.answers if a.started > promoted + 1.0]
    assert after, "no answer after the promotion"
    _assert_consistent(after)
    assert {a.etag_release for a in after} == {2}


@dataclass
class Route:
    """How the CLI writes and the API reads: URLs, the API's base URL, the pooler setting."""

    write_url: str
    read_url: str
    settings: dict[str, str]
    base: str = ""


@contextlib.contextmanager
def _route(kind: str, primary: Node, replica: Node) -> Iterator[Route]:
    """``direct``: to the servers; ``pgbouncer``: through PgBouncer in transaction mode."""
    if kind == "direct":
        yield Route(primary.url, replica.url, {})
        return
    # Fewer server connections than clients: consecutive transactions of one client connection
    # land on different server connections, as they do in production.
    with (
        pgbouncer(primary, pool_size=4) as writer,
        pgbouncer(replica, pool_size=3) as reader,
    ):
        yield Route(writer.url(), reader.url(), {"ODS_DATABASE_POOLER": "transaction"})


@pytest.mark.parametrize("kind", ["direct", "pgbouncer"])
def test_replica_serves_releases_atomically_and_survives_promotion(
    kind: str, tmp_path: Path
) -> None:
    if kind == "pgbouncer" and pgbouncer_binary() is None:
        pytest.skip(
            "pgbouncer fehlt (Debian: apt-get install pgbouncer; `make test` installiert es "
            "als root über `make db-deps`)"
        )
    second = _edition(tmp_path, VALUES[2])
    third = _edition(tmp_path, VALUES[3])
    with replicated() as (primary, replica), _route(kind, primary, replica) as route:
        _cli(route.write_url, "publish", "--notes", "Erstausgabe", **route.settings)
        wait_for_replay(primary, replica)
        with _api(route.read_url, tmp_path / "api", **route.settings) as route.base:
            assert replica.is_standby()
            _publish_under_load(route, route.write_url, second, 2)
            _assert_every_read_answers(route.base)
            pinned = _answer(f"{route.base}/api/v1/releases/1{ROWS[7:]}?{WHERE}")
            assert (pinned.body_release, pinned.value) == (1, VALUES[1]), pinned

            _promote_under_load(primary, replica, route.base)
            _publish_under_load(route, route.read_url, third, 3)  # the promoted node takes writes
            _assert_every_read_answers(route.base)


def test_statement_time_limit_holds_behind_a_transaction_pooler() -> None:
    """PgBouncer refuses the ``options`` startup parameter: the limit is set per transaction."""
    if pgbouncer_binary() is None:
        pytest.skip("pgbouncer fehlt (Debian: apt-get install pgbouncer, oder `make db-deps`)")
    with standalone() as server, pgbouncer(server, pool_size=1) as bouncer:
        engine = create_db_engine(bouncer.url(), pooler="transaction")
        apply_time_limits(engine, connect_timeout=2, query_timeout=0.5, per_transaction=True)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "500ms"
                with pytest.raises(OperationalError) as caught:
                    conn.execute(text("SELECT pg_sleep(3)"))
                assert is_query_timeout(caught.value)
        finally:
            engine.dispose()
        # SET LOCAL ends with the transaction: the pooled server session keeps its default
        with psycopg.connect(bouncer.url(), autocommit=True, prepare_threshold=None) as raw:
            assert raw.execute("SHOW statement_timeout").fetchone() == ("0",)
