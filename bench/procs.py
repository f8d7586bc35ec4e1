"""Processes of a benchmark run: servers started, watched and always stopped again."""

import contextlib
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"


@dataclass
class Server:
    """A server process of ours or of a peer, listening on loopback."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    started: float
    log: Path

    def url(self, path: str) -> str:
        """Absolute loopback URL of ``path``."""
        return f"http://{LOOPBACK}:{self.port}{path}"

    def pids(self) -> list[int]:
        """The server process and its children (uvicorn workers)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            pids += [int(p) for p in children.read_text().split()]
        return pids


_RUNNING: list[Server] = []


def rss_kib(pid: int, key: str = "VmRSS") -> int:
    """Resident set size (``VmRSS``) or its peak (``VmHWM``) of a process in KiB; 0 if gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return 0


def start(name: str, argv: Sequence[str], *, port: int, env: dict[str, str], logs: Path) -> Server:
    """Start ``argv`` in its own process group; its output goes to ``logs/<name>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen(  # argv built by the bench itself
        list(argv),
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    handle.close()
    server = Server(name, process, port, time.perf_counter(), log)
    _RUNNING.append(server)
    return server


def wait_for_200(server: Server, path: str, *, timeout: float = 60.0) -> float:
    """Poll ``path`` every 10 ms until it answers 200; seconds since the process started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        try:
            with urllib.request.urlopen(server.url(path), timeout=5) as response:  # noqa: S310  # loopback
                if response.status == 200:
                    response.read()
                    return time.perf_counter() - server.started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{server.name} gave no 200 on {path} within {timeout} s; see {server.log}")


def stop(server: Server) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL after 10 s."""
    if server in _RUNNING:
        _RUNNING.remove(server)
    if server.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


def stop_all() -> None:
    """Stop every server this run started (called on any exit)."""
    for server in list(_RUNNING):
        stop(server)


@contextlib.contextmanager
def running(
    name: str, argv: Sequence[str], *, port: int, env: dict[str, str], logs: Path
) -> Iterator[Server]:
    """A server for the duration of a ``with`` block."""
    server = start(name, argv, port=port, env=env, logs=logs)
    try:
        yield server
    finally:
        stop(server)


@dataclass
class PeakSampler:
    """Samples the summed RSS of some processes every 20 ms in a thread; keeps the peak."""

    pids: list[int]
    peak_kib: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "PeakSampler":
        """Start sampling."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, sum(rss_kib(pid) for pid in self.pids))
            self._stop.wait(0.02)


@dataclass(frozen=True)
class Timed:
    """Wall time and peak RSS of a finished command."""

    seconds: float
    peak_rss_mib: float
    output: str


def timed(argv: Sequence[str], *, env: dict[str, str], timeout: float, log: Path) -> Timed:
    """Run a command to completion; wall time and its own peak RSS (from ``wait4``)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        started = time.perf_counter()
        process = subprocess.Popen(  # argv built by the bench itself
            list(argv),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )
        killer = threading.Timer(timeout, _kill_group, args=(process.pid,))
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({process.returncode}):\n{output[-3000:]}")
    return Timed(seconds, usage.ru_maxrss / 1024, output)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
