"""Load generators: wrk for request rates and latencies, a streaming client for downloads."""

import hashlib
import http.client
import json
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from procs import LOOPBACK, PeakSampler

REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,'
    .. '"p99_us":%d,"max_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,'
    .. '"errors_status":%d,"errors_timeout":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class Rate:
    """What one wrk run measured."""

    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    megabytes_per_second: float
    requests: int
    errors: int

    def as_dict(self) -> dict[str, float]:
        """For the results file."""
        return {
            "rps": round(self.requests_per_second, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p90_ms": round(self.p90_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "mb_per_s": round(self.megabytes_per_second, 1),
            "requests": self.requests,
            "errors": self.errors,
        }


def lua_random_paths(prefix: str, choices: dict[str, Sequence[str]], suffix: str) -> str:
    """A wrk script whose every request draws each filter value at random (fixed seed)."""
    tables = []
    parts = []
    for i, (name, values) in enumerate(choices.items()):
        quoted = ", ".join(json.dumps(quote(v, safe="")) for v in values)
        tables.append(f"local v{i} = {{{quoted}}}")
        parts.append(f'"{"&" if i else ""}{name}=" .. v{i}[math.random(#v{i})]')
    body = " .. ".join(parts)
    return "\n".join(
        [
            *tables,
            "math.randomseed(20261127)",
            "request = function()",
            f'  return wrk.format("GET", {json.dumps(prefix)} .. {body} .. {json.dumps(suffix)})',
            "end",
        ]
    )


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    script: str = "",
    workdir: Path,
    threads: int = 1,
    headers: Sequence[str] = (),
) -> Rate:
    """Run wrk against ``url`` (loopback only) and parse its summary."""
    if urlsplit(url).hostname != LOOPBACK:
        raise ValueError(f"refusing to load a non-loopback address: {url}")
    workdir.mkdir(parents=True, exist_ok=True)
    lua = workdir / f"wrk-{abs(hash((url, script))) % 10**8}.lua"
    lua.write_text(script + "\n" + REPORT_LUA, encoding="utf-8")
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(lua),
        *(arg for header in headers for arg in ("-H", header)),
        url,
    ]
    out = subprocess.run(  # fixed argv, loopback target checked above
        argv, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    data = json.loads(line.removeprefix("BENCHJSON "))
    duration = data["duration_us"] / 1e6
    errors = sum(v for k, v in data.items() if k.startswith("errors_"))
    return Rate(
        requests_per_second=data["requests"] / duration,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        megabytes_per_second=data["bytes"] / duration / 1e6,
        requests=data["requests"],
        errors=errors,
    )


@dataclass(frozen=True)
class Download:
    """One streamed download: size, lines, time, server memory."""

    seconds: float
    bytes: int
    lines: int
    sha256: str
    status: int
    server_peak_rss_mib: float

    def as_dict(self) -> dict[str, float | int | str]:
        """For the results file."""
        return {
            "seconds": round(self.seconds, 3),
            "bytes": self.bytes,
            "lines": self.lines,
            "sha256": self.sha256,
            "status": self.status,
            "server_peak_rss_mib": round(self.server_peak_rss_mib, 1),
        }


def download(
    url: str, *, server_pids: list[int], timeout: float = 600, headers: dict[str, str] | None = None
) -> Download:
    """GET ``url`` without compression, reading the body in 1 MiB pieces, sampling server RSS."""
    parts = urlsplit(url)
    if parts.hostname != LOOPBACK:
        raise ValueError(f"refusing a non-loopback address: {url}")
    connection = http.client.HTTPConnection(LOOPBACK, parts.port, timeout=timeout)
    digest = hashlib.sha256()
    size = lines = 0
    with PeakSampler(server_pids) as sampler:
        started = time.perf_counter()
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
        seconds = time.perf_counter() - started
    connection.close()
    return Download(
        seconds, size, lines, digest.hexdigest(), response.status, sampler.peak_kib / 1024
    )


NO_CACHE = {"Cache-Control": "no-cache"}
"""Asks our server to skip its response cache (the uncached path); peers ignore it."""
