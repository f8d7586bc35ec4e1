"""Start a real server as a subprocess on a free loopback port, and stop it again.

A port picked free can be taken by someone else before the server binds it (other test runs
share the machine); the server then exits at once with "address already in use", and
``serving`` retries on another port instead of failing. Servers run in their own session, so
stopping one stops a wrapper (``make``) and uvicorn's workers together.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

READY_SECONDS = 60
"""Upper bound for a server to answer /health/ready; it usually takes one or two seconds."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    """Status and body of a GET (error statuses included); OSError when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # loopback test server
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def stop(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM to the process's session, SIGKILL if it has not ended after 15 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def serving(
    command: Callable[[int], list[str]],
    env: dict[str, str] | Callable[[int], dict[str, str]],
    logs: Path,
    *,
    cwd: Path = ROOT,
    user: tuple[int, int] | None = None,
    attempts: int = 3,
) -> Iterator[int]:
    """Run ``command(port)`` until ``/health/ready`` answers 200 on that port; yields the port.

    ``env`` is the environment, or a function of the port giving it. stdout and stderr go to the
    files ``logs/stdout`` and ``logs/stderr`` (a chatty server never blocks on a full pipe).
    ``user`` is (uid, gid) to run as, without supplementary groups.
    """
    logs.mkdir(parents=True, exist_ok=True)
    for _ in range(attempts):
        port = free_port()
        with (logs / "stdout").open("wb") as out, (logs / "stderr").open("wb") as err:
            process = subprocess.Popen(
                command(port),
                cwd=cwd,
                env=env(port) if callable(env) else env,
                stdout=out,
                stderr=err,
                start_new_session=True,
                user=None if user is None else user[0],
                group=None if user is None else user[1],
                extra_groups=None if user is None else [],
            )
        try:
            deadline = time.monotonic() + READY_SECONDS
            while process.poll() is None:
                try:
                    if get(f"http://127.0.0.1:{port}/health/ready", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"server not ready after {READY_SECONDS} s"
                time.sleep(0.2)
            if process.poll() is None:
                yield port
                return
        finally:
            stop(process)
        stderr = (logs / "stderr").read_text(encoding="utf-8", errors="replace")
        assert "address already in use" in stderr, stderr  # any other early exit is a failure
    pytest.fail(f"no free port found in {attempts} attempts")
