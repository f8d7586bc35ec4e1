"""Edges of HTTP: header size and count (431), forwarded headers only from trusted proxies, and
a rate limiter whose memory is bounded; on the real server (raw sockets) and in the app."""

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.testing import TestClient

from opendata_sozial.config import Settings
from opendata_sozial.web.app import create_app
from opendata_sozial.web.limits import RateLimiter, TrustedProxies
from opendata_sozial.web.server import HeadLimits
from tests.servers import serving

DATASET = "/api/v1/datasets/lebensformen"
PROBLEM = "application/problem+json"
MIB = 1024 * 1024
SQLITE_ONLY = pytest.mark.parametrize("published_url", ["sqlite"], indirect=True)
"""The HTTP edges do not depend on the backend; one published database is enough."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def problem(self) -> dict[str, object]:
        assert self.headers["content-type"] == PROBLEM
        document: dict[str, object] = json.loads(self.body)
        return document


def _parse(raw: bytes, seconds: float) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body, seconds)


def _complete(raw: bytes) -> bool:
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        return False
    length = _parse(head + separator, 0).headers.get("content-length")
    return length is not None and len(body) >= int(length)


def exchange(port: int, head: bytes, *, filler: int = 0, timeout: float = 30) -> Answer:
    """Send ``head`` (plus ``filler`` bytes of one header value, then the end of the head)
    from a second thread while reading the answer, as a client that does not wait would."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send() -> None:
        try:
            sock.sendall(head)
            chunk = b"a" * 65536
            for _ in range(filler // len(chunk)):
                sock.sendall(chunk)
            if filler:
                sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the server refused and closed: expected for an oversized head

    start = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    raw = b""
    try:
        while not _complete(raw) and (data := sock.recv(65536)):
            raw += data
    except OSError:
        pass
    seconds = time.monotonic() - start
    sock.close()
    sender.join(timeout)
    assert raw, "the server closed the connection without an answer"
    return _parse(raw, seconds)


def _request(path: str, *fields: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *fields, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _server_pid(port: int) -> int:
    """The process serving ``port`` (``serve`` with one worker runs uvicorn in itself)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and str(port).encode() in argv:
            return int(entry.name)
    raise AssertionError(f"no server process for port {port}")


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(field)


@contextmanager
def _server(published_url: str, tmp_path: Path, **settings: str) -> Iterator[int]:
    def env(port: int) -> dict[str, str]:
        return {
            **os.environ,
            "ODS_DATABASE_URL": published_url,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
            **{f"ODS_{name.upper()}": value for name, value in settings.items()},
        }

    command = [sys.executable, "-m", "opendata_sozial", "serve", "--host", "127.0.0.1"]
    with serving(lambda port: [*command, "--port", str(port)], env, tmp_path) as port:
        yield port


# Header size and count


@SQLITE_ONLY
def test_real_server_refuses_a_60_mib_header_early_with_431(
    published_url: str, tmp_path: Path
) -> None:
    """It was read whole (120 MiB of memory, every request frozen for 5.7 s), then answered 200."""
    with _server(published_url, tmp_path) as port:
        pid = _server_pid(port)
        assert exchange(port, _request(DATASET)).status == 200
        peak_before = _memory_kib(pid, "VmHWM")
        refused = exchange(port, _request(DATASET)[:-4] + b"\r\nX-Big: ", filler=60 * MIB)
        assert refused.status == 431, refused
        assert refused.seconds < 3
        problem = refused.problem()
        assert problem["type"] == f"http://127.0.0.1:{port}/problems/headers-too-large"
        assert problem["title"] == "Kopfzeilen zu groß"
        assert problem["instance"] == DATASET
        assert "höchstens 100 Kopfzeilen mit zusammen 16384 Byte" in str(problem["detail"])
        assert refused.headers["connection"] == "close"
        assert refused.headers["cache-control"] == "no-store"
        assert _memory_kib(pid, "VmHWM") - peak_before < 20 * 1024  # far from 60 MiB
        after = exchange(port, _request(DATASET), timeout=5)
        assert (after.status, after.seconds < 2) == (200, True)


@SQLITE_ONLY
def test_real_server_answers_header_limits_as_problems(published_url: str, tmp_path: Path) -> None:
    """Just over the limits the app itself answers (exact counts); the defaults hold."""
    with _server(published_url, tmp_path) as port:
        fits = exchange(port, _request(DATASET, f"Cookie: {'c' * 16_000}"))
        assert fits.status == 200
        large = exchange(port, _request(DATASET, f"Cookie: {'c' * 17_000}"))
        assert large.status == 431
        assert "höchstens 16384 sind erlaubt" in str(large.problem()["detail"])
        many = exchange(port, _request(DATASET, *(f"X-Field-{n}: 1" for n in range(120))))
        assert many.status == 431
        assert str(many.problem()["detail"]).startswith("Die Anfrage hat 122 Kopfzeilen")


@SQLITE_ONLY
def test_real_server_header_limits_are_configurable(published_url: str, tmp_path: Path) -> None:
    with _server(published_url, tmp_path, max_header_bytes="2048", max_header_count="10") as port:
        assert exchange(port, _request(DATASET, f"Cookie: {'c' * 1500}")).status == 200
        assert exchange(port, _request(DATASET, f"Cookie: {'c' * 2100}")).status == 431
        assert exchange(port, _request(DATASET, f"Cookie: {'c' * 200_000}")).status == 431
        fields = (f"X-F{n}: 1" for n in range(9))
        assert exchange(port, _request(DATASET, *fields)).status == 431


@SQLITE_ONLY
def test_real_server_answers_414_for_an_endless_request_target(
    published_url: str, tmp_path: Path
) -> None:
    with _server(published_url, tmp_path) as port:
        refused = exchange(port, f"GET {DATASET}?q=".encode(), filler=4 * MIB)
    assert refused.status == 414
    assert str(refused.problem()["type"]).endswith("/problems/uri-too-long")


def test_head_bound_leaves_room_for_every_request_within_the_limits() -> None:
    limits = HeadLimits.of(Settings())
    longest_line = len("OPTIONS ") + limits.max_url_length + len(" HTTP/1.1\r\n")
    fields = limits.max_header_bytes + limits.max_header_count * len(": \r\n") + 2
    assert limits.head_bytes >= longest_line + fields


@SQLITE_ONLY
def test_app_answers_431_for_large_or_many_header_fields(published_url: str) -> None:
    settings = Settings(database_url=published_url, max_header_bytes=2048, max_header_count=12)
    with TestClient(create_app(settings)) as client:
        assert client.get(DATASET, headers={"Cookie": "c" * 1800}).status_code == 200
        large = client.get(DATASET, headers={"Cookie": "c" * 2100})
        many = client.get(DATASET, headers={f"X-F{n}": "1" for n in range(12)})
    for refused in (large, many):
        assert refused.status_code == 431
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"].endswith("/problems/headers-too-large")
        assert refused.json()["title"] == "Kopfzeilen zu groß"
    assert "höchstens 2048 sind erlaubt" in large.json()["detail"]
    assert "höchstens 12 sind erlaubt" in many.json()["detail"]


@SQLITE_ONLY
def test_header_limits_are_documented_in_openapi(api: TestClient) -> None:  # type: ignore[type-arg]
    document = api.get("/schema/openapi.json").json()
    responses = document["paths"]["/api/v1/datasets"]["get"]["responses"]
    assert "headers-too-large" in responses["431"]["description"]


# Forwarded headers


def _spoofed(port: int, address: str) -> int:
    return exchange(port, _request(DATASET, f"X-Forwarded-For: {address}")).status


@SQLITE_ONLY
def test_spoofed_forwarded_for_does_not_escape_the_rate_limit(
    published_url: str, tmp_path: Path
) -> None:
    """uvicorn believed X-Forwarded-For from 127.0.0.1 by default: every address a new client."""
    with _server(published_url, tmp_path, rate_limit_requests="3") as port:
        statuses = [_spoofed(port, f"203.0.113.{n}") for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@SQLITE_ONLY
def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    published_url: str, tmp_path: Path
) -> None:
    settings = {"rate_limit_requests": "2", "trusted_proxies": "127.0.0.1"}
    with _server(published_url, tmp_path, **settings) as port:
        others = [_spoofed(port, f"203.0.113.{n}") for n in range(5)]
        same = [_spoofed(port, "198.51.100.7") for _ in range(3)]
        chained = _spoofed(port, "198.51.100.7, 127.0.0.1")  # a trusted hop is skipped
    assert others == [200] * 5
    assert same == [200, 200, 429]
    assert chained == 429


def test_trusted_proxies_name_the_client() -> None:
    nobody = TrustedProxies([])
    assert nobody.client("127.0.0.1", "203.0.113.9") == "127.0.0.1"
    proxies = TrustedProxies(["10.0.0.0/8", "::1"])
    assert proxies.client("10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert proxies.client("::1", "203.0.113.9, 10.0.0.5") == "203.0.113.9"
    assert proxies.client("10.1.2.3", "1.1.1.1, 203.0.113.9") == "203.0.113.9"  # 1.1.1.1 forged
    assert proxies.client("10.1.2.3", "10.0.0.4") == "10.0.0.4"  # only proxies: the first
    assert proxies.client("10.1.2.3", None) == "10.1.2.3"
    assert proxies.client("192.0.2.1", "203.0.113.9") == "192.0.2.1"
    assert proxies.client("10.1.2.3", "unbekannt") == "unbekannt"
    assert TrustedProxies(["*"]).client("192.0.2.1", "203.0.113.9") == "203.0.113.9"


@pytest.mark.parametrize("value", ["localhost", "10.0.0.0/33", "127.0.0.1;10.0.0.1"])
def test_trusted_proxies_must_be_addresses(value: str) -> None:
    with pytest.raises(ValueError, match=r"ODS_TRUSTED_PROXIES: .* ist weder IP-Adresse noch Netz"):
        Settings(trusted_proxies=value)


def test_trusted_proxies_accept_addresses_networks_and_star() -> None:
    assert (
        Settings(trusted_proxies=" 10.0.0.1, fd00::/8 ,*").trusted_proxies == "10.0.0.1,fd00::/8,*"
    )


@SQLITE_ONLY
def test_app_believes_forwarded_for_only_from_trusted_proxies(published_url: str) -> None:
    """Also under another ASGI server: the limiter itself checks the peer."""
    spoofed = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(3)]
    for proxies, expected in (("", [200, 200, 429]), ("*", [200, 200, 200])):
        settings = Settings(
            database_url=published_url, rate_limit_requests=2, trusted_proxies=proxies
        )
        with TestClient(create_app(settings)) as client:
            statuses = [client.get(DATASET, headers=h).status_code for h in spoofed]
        assert statuses == expected, proxies


# Bounded memory of the rate limiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_memory_is_bounded_and_keeps_active_clients() -> None:
    """Once full, the old table was cleared: one flood of addresses reset every count."""
    limiter = RateLimiter(quota=5, window=60, clock=FakeClock())
    for _ in range(5):
        limiter.hit("198.51.100.7")
    for n in range(250_000):
        limiter.hit(f"fake-{n}")
        if n % 10_000 == 0:  # the heavy client keeps asking during the flood
            assert not limiter.hit("198.51.100.7").is_allowed
        assert len(limiter) <= 100_000
    assert len(limiter) == 100_000
    assert not limiter.hit("198.51.100.7").is_allowed
    assert limiter.hit("fake-0").remaining == 4  # the least recently seen were forgotten


def test_rate_limiter_bound_is_configurable() -> None:
    limiter = RateLimiter(quota=1, window=60, clock=FakeClock(), max_clients=3)
    for client in ("a", "b", "c", "a", "d"):
        limiter.hit(client)
    assert len(limiter) == 3
    assert not limiter.hit("a").is_allowed
    assert limiter.hit("b").is_allowed  # b was the least recently seen: forgotten
