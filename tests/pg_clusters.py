"""Private PostgreSQL clusters on loopback: a primary, streaming hot-standby replicas, PgBouncer.

The shared server on 127.0.0.1:5432 stays untouched. Each cluster lives in its own temporary
folder on a free port and is started with the server binaries of ``/usr/lib/postgresql/*/bin``
(``initdb``, ``pg_ctl``, ``postgres``, ``pg_basebackup``). PostgreSQL and PgBouncer refuse to
run as root, so when the tests run as root the binaries run as the ``postgres`` user
(``runuser``) and the folders belong to it. :func:`server_binaries` says why clusters cannot be
made here (``None``: they can); the tests skip with that reason.
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.servers import free_port

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres", "pg_basebackup")
PGBOUNCER = "pgbouncer"
START_ATTEMPTS = 3
"""A port picked free may be taken before the server binds it; then another port is tried."""


class ProgramFailed(subprocess.CalledProcessError):
    """A server program failed; its message carries the program's stderr."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.stderr}"


def postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` that has every server program, or None."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if all((folder / program).is_file() for program in SERVER_PROGRAMS):
            return folder
    return None


def server_binaries() -> str | None:
    """Why no private cluster can be started here, or None when one can."""
    if postgres_bin() is None:
        return (
            "PostgreSQL-Serverprogramme fehlen: keine /usr/lib/postgresql/*/bin mit "
            + ", ".join(SERVER_PROGRAMS)
            + " (Debian: apt-get install postgresql)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "Tests laufen als root, aber es gibt keinen Benutzer postgres für initdb"
    return None


def pgbouncer_binary() -> str | None:
    """The path of ``pgbouncer``, or None (``make db-deps`` installs it on Debian)."""
    return shutil.which(PGBOUNCER) or next(
        (str(p) for p in (Path("/usr/sbin/pgbouncer"),) if p.is_file()), None
    )


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _own_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    return folder


@dataclass
class Node:
    """One PostgreSQL server: data folder, port, log."""

    bin: Path
    folder: Path
    port: int = 0

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *args: str, timeout: float = 120) -> str:
        """Run a server program as the server's user; its stdout (stderr in the error)."""
        command = _as_server_user([str(self.bin / program), *args])
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise ProgramFailed(done.returncode, command, done.stdout, done.stderr)
        return done.stdout

    def start(self) -> None:
        """Start on a free loopback port (another one if the first is taken meanwhile)."""
        for attempt in range(START_ATTEMPTS):
            self.port = free_port()
            options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            try:
                self.run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    options,
                    "-w",
                    "start",
                )
                return
            except subprocess.CalledProcessError:
                text = (
                    self.log.read_text(encoding="utf-8", errors="replace")
                    if self.log.exists()
                    else ""
                )
                if attempt == START_ATTEMPTS - 1 or "already in use" not in text:
                    raise

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def promote(self) -> None:
        """End recovery: the hot standby becomes a primary that accepts writes."""
        self.run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def scalar(self, sql: str) -> object:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(sql).fetchone()  # type: ignore[arg-type]  # test SQL literals
        return None if row is None else row[0]

    def is_standby(self) -> bool:
        return bool(self.scalar("SELECT pg_is_in_recovery()"))


def init_primary(binaries: Path) -> Node:
    """``initdb`` (trust on loopback, replication allowed) and start a primary for replicas."""
    node = Node(binaries, _own_folder("ods-primary-"))
    node.run("initdb", "-D", str(node.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    settings = (
        "wal_level = replica\n"
        "max_wal_senders = 10\n"
        "wal_keep_size = '256MB'\n"
        "hot_standby = on\n"
        "synchronous_commit = on\n"
    )
    with (node.data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
        conf.write(settings)
    node.start()
    return node


def init_replica(primary: Node) -> Node:
    """A streaming hot standby of ``primary``: ``pg_basebackup -R`` into a new folder, started."""
    node = Node(primary.bin, _own_folder("ods-replica-"))
    node.run(
        "pg_basebackup",
        "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
        "-D", str(node.data), "-R", "-X", "stream", "--checkpoint=fast",
    )  # fmt: skip
    node.start()
    return node


def wait_for_replay(primary: Node, replica: Node, seconds: float = 30) -> None:
    """Until ``replica`` has replayed everything ``primary`` has written so far."""
    target = primary.scalar("SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + seconds
    while True:
        caught_up = replica.scalar(
            f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"  # an LSN we read
        )
        if caught_up:
            return
        assert time.monotonic() < deadline, f"replica did not replay up to {target} in {seconds} s"
        time.sleep(0.1)


def remove(node: Node) -> None:
    with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
        node.stop("immediate")
    shutil.rmtree(node.folder, ignore_errors=True)


@contextlib.contextmanager
def standalone() -> Iterator[Node]:
    """One primary without replicas; removed afterwards."""
    binaries = postgres_bin()
    assert binaries is not None, server_binaries()
    primary = init_primary(binaries)
    try:
        yield primary
    finally:
        remove(primary)


@contextlib.contextmanager
def replicated() -> Iterator[tuple[Node, Node]]:
    """A primary and one streaming hot-standby replica of it; both removed afterwards."""
    binaries = postgres_bin()
    assert binaries is not None, server_binaries()
    primary = init_primary(binaries)
    replica: Node | None = None
    try:
        replica = init_replica(primary)
        assert replica.is_standby()
        yield primary, replica
    finally:
        if replica is not None:
            remove(replica)
        remove(primary)


@dataclass
class Bouncer:
    """A PgBouncer process in front of one PostgreSQL server."""

    folder: Path
    port: int = 0
    process: "subprocess.Popen[bytes] | None" = field(default=None, repr=False)

    def url(self, database: str = "ods") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


@contextlib.contextmanager
def pgbouncer(
    target: Node, *, pool_mode: str = "transaction", pool_size: int = 10
) -> Iterator[Bouncer]:
    """Run PgBouncer on a free loopback port; database ``ods`` is ``postgres`` on ``target``."""
    program = pgbouncer_binary()
    assert program is not None, "pgbouncer fehlt"
    bouncer = Bouncer(_own_folder("ods-pgbouncer-"))
    try:
        for attempt in range(START_ATTEMPTS):
            bouncer.port = free_port()
            _write_bouncer_config(bouncer, target, pool_mode, pool_size)
            log = bouncer.folder / "pgbouncer.log"
            process = subprocess.Popen(  # our own test daemon
                _as_server_user([program, str(bouncer.folder / "pgbouncer.ini")]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            bouncer.process = process
            if _bouncer_answers(bouncer, process):
                break
            _stop_process(process)
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            assert "in use" in text, text
            assert attempt < START_ATTEMPTS - 1, text
        yield bouncer
    finally:
        if bouncer.process is not None:
            _stop_process(bouncer.process)
        shutil.rmtree(bouncer.folder, ignore_errors=True)


def _write_bouncer_config(bouncer: Bouncer, target: Node, pool_mode: str, pool_size: int) -> None:
    folder = bouncer.folder
    users = folder / "userlist.txt"
    users.write_text('"postgres" ""\n', encoding="utf-8")
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"ods = host=127.0.0.1 port={target.port} dbname=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {bouncer.port}\n"
        f"unix_socket_dir = {folder}\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
        f"auth_type = trust\nauth_file = {users}\n"
        f"pool_mode = {pool_mode}\n"
        f"default_pool_size = {pool_size}\nmax_client_conn = 500\n"
        "server_reset_query =\n",
        encoding="utf-8",
    )
    if os.geteuid() == 0:
        for path in (users, folder / "pgbouncer.ini"):
            shutil.chown(path, "postgres", "postgres")


def _bouncer_answers(bouncer: Bouncer, process: "subprocess.Popen[bytes]") -> bool:
    deadline = time.monotonic() + 15
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with psycopg.connect(
                bouncer.url(), autocommit=True, connect_timeout=2, prepare_threshold=None
            ) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            time.sleep(0.1)
    return False


def _stop_process(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)
