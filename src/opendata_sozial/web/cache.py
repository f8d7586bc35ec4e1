"""Response cache of the API: a release never changes, so neither does a response to it.

The body of a successful ``GET /api/v1/…`` follows from three things only: the release being
served, the URL (path and query, parameters sorted as in ``http.request_key``) and the
content-coding (gzip or identity). A release is immutable once published (``publish`` only
ever adds a new release and switches to it), so a response stored under
``(release, URL, coding)`` stays right for as long as that release is served, and a new
release changes the key of every entry. No entry is ever invalidated; old ones are evicted.

Two tiers, per server process:

* memory: bodies up to ``MEMORY_ENTRY_BYTES``, least recently used first out, at most
  ``ODS_RESPONSE_CACHE_MB`` in all;
* disk (under ``ODS_CACHE_DIR/responses/r<release>/``): larger bodies such as exports and
  original files, written while they stream to the first client, renamed into place only when
  complete; at most ``ODS_DISK_CACHE_MB``, oldest first out, and folders of other releases
  are removed when a new release is seen. Keys carry the release's publication time as well
  as its number, so a database swapped under the same cache folder never meets old entries. Several processes may share the folder: writes are
  atomic renames of identical content.

The middleware sits inside the conditional-GET layer (which answers ``304`` and stamps ETags
on hits as on misses) and outside compression, so compressed bodies are stored as sent.
Responses with a ``Vary`` other than ``Accept-Encoding``, ``Set-Cookie`` or a ``private``/
``no-store`` cache policy are never stored. A request with ``Cache-Control: no-cache`` skips the
lookup (the benchmarks use it to measure the uncached path) but refreshes the entry. While one
response is being copied, parallel requests for the same entry are answered without a copy of
their own (25 parallel downloads of one export write it to disk once, not 25 times).
"""

import contextlib
import hashlib
import json
import logging
import shutil
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from anyio import to_thread
from litestar.config.app import AppConfig
from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins import InitPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from opendata_sozial.config import Settings
from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.web.http import request_key
from opendata_sozial.web.request_release import current_release_of

logger = logging.getLogger(__name__)

CACHED_PREFIX = "/api/v1/"
MEMORY_ENTRY_BYTES = 256 << 10
FILE_CHUNK_BYTES = 1 << 20
RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored response: status, headers as the handler sent them, body."""

    status: int
    headers: RawHeaders
    body: bytes


@dataclass(slots=True)
class MemoryTier:
    """Least-recently-used entries up to ``capacity`` body bytes."""

    capacity: int
    size: int = 0
    entries: OrderedDict[str, Entry] = field(default_factory=OrderedDict)

    def get(self, key: str) -> Entry | None:
        """The entry, now the most recently used one."""
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        """Store ``entry``; evict the least recently used until it fits."""
        if len(entry.body) > self.capacity:
            return
        old = self.entries.pop(key, None)
        self.size -= len(old.body) if old else 0
        while self.entries and self.size + len(entry.body) > self.capacity:
            _, evicted = self.entries.popitem(last=False)
            self.size -= len(evicted.body)
        self.entries[key] = entry
        self.size += len(entry.body)


class DiskTier:
    """Large bodies as files, one folder per release, at most ``capacity`` bytes."""

    def __init__(self, root: Path, capacity: int) -> None:
        """Keep files under ``root``."""
        self.root = root
        self.capacity = capacity
        self._release: str | None = None

    def paths(self, release: str, key: str) -> tuple[Path, Path]:
        """(head, body) file of an entry."""
        folder = self.root / f"r{release}"
        name = hashlib.sha256(key.encode()).hexdigest()
        return folder / f"{name}.head", folder / f"{name}.body"

    def lookup(self, release: str, key: str) -> tuple[int, RawHeaders, Path] | None:
        """Status, headers and body file of a complete entry, if there is one."""
        head, body = self.paths(release, key)
        try:
            meta = json.loads(head.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not body.is_file():
            return None
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in meta["headers"]]
        return int(meta["status"]), headers, body

    def begin(self, release: str) -> Path:
        """A new temporary file in the release's folder (other releases' folders go)."""
        folder = self.root / f"r{release}"
        if self._release != release:
            self._release = release
            for other in self.root.glob("r*"):
                if other != folder:
                    shutil.rmtree(other, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f".tmp-{uuid.uuid4().hex}"

    def commit(self, release: str, key: str, status: int, headers: RawHeaders, tmp: Path) -> None:
        """Move a complete body into place, then its head; evict the oldest beyond capacity."""
        head, body = self.paths(release, key)
        meta = {
            "status": status,
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers],
        }
        tmp.replace(body)
        head_tmp = head.with_name(f".tmp-{uuid.uuid4().hex}")
        head_tmp.write_text(json.dumps(meta), encoding="utf-8")
        head_tmp.replace(head)
        self._evict()

    def _evict(self) -> None:
        files = [p for p in self.root.glob("r*/*.body") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        for path in sorted(files, key=lambda p: p.stat().st_mtime):
            if total <= self.capacity:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)
            path.with_suffix(".head").unlink(missing_ok=True)


def release_tag(release: ReleaseInfo) -> str:
    """The release's number and publication time (microseconds): unique across databases too.

    A number alone could repeat when the server is pointed at another database that shares
    the cache folder.
    """
    return f"{release.number}-{int(release.created_at.timestamp() * 1_000_000)}"


def _coding(scope: Scope) -> str:
    """The content-coding the compression layer will choose (its own test, verbatim)."""
    return "gzip" if "gzip" in Headers.from_scope(scope).get("accept-encoding", "") else "identity"


def is_storable(headers: MutableScopeHeaders) -> bool:
    """Whether a successful response may be reused for every client of the same URL."""
    vary = {v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()}
    policy = headers.get("cache-control", "").lower()
    return (
        vary <= {"accept-encoding"}
        and "set-cookie" not in headers
        and "private" not in policy
        and "no-store" not in policy
    )


class ResponseCacheMiddleware(ASGIMiddleware):
    """Answer repeated API reads from the cache; store what the handlers answer."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, memory: MemoryTier | None, disk: DiskTier | None) -> None:
        """Use whichever tiers are configured (``None`` turns a tier off)."""
        self._memory = memory
        self._disk = disk
        self._recording_now: set[str] = set()

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Serve a hit, or run the handler and keep its response."""
        path = scope["path"]
        if scope.get("method") != "GET" or not path.startswith(CACHED_PREFIX):
            await next_app(scope, receive, send)
            return
        release = await current_release_of(scope)
        if release is None:
            await next_app(scope, receive, send)
            return
        key = f"{request_key(scope)}\n{_coding(scope)}"
        tag = release_tag(release)
        revalidate = "no-cache" in Headers.from_scope(scope).get("cache-control", "").lower()
        if not revalidate and await self._serve_hit(tag, key, send):
            return
        entry_key = f"{tag}\n{key}"
        if entry_key in self._recording_now:  # one copy of a response at a time is enough
            await next_app(scope, receive, send)
            return
        self._recording_now.add(entry_key)
        state = _Recording(release=tag, key=key)
        try:
            await next_app(scope, receive, self._recording(state, send))
        finally:
            self._recording_now.discard(entry_key)
            if state.status:  # the handler failed half-way: keep nothing
                state.abandon()

    async def _serve_hit(self, release: str, key: str, send: Send) -> bool:
        entry = self._memory.get(f"{release}\n{key}") if self._memory else None
        if entry is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": entry.status,
                    "headers": list(entry.headers),
                }
            )
            await send({"type": "http.response.body", "body": entry.body, "more_body": False})
            return True
        found = self._disk.lookup(release, key) if self._disk else None
        if found is None:
            return False
        status, headers, body = found
        try:
            handle = body.open("rb")
        except OSError:
            return False
        with handle:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            while chunk := await to_thread.run_sync(handle.read, FILE_CHUNK_BYTES):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return True

    def _recording(self, state: "_Recording", send: Send) -> Send:
        """Pass every message on, and keep a copy of a storable 200 response."""

        async def record(message: Message) -> None:
            try:
                if message["type"] == "http.response.start":
                    headers = MutableScopeHeaders.from_message(message)
                    if message["status"] == 200 and is_storable(headers):
                        state.status = 200
                        state.headers = list(message.get("headers", []))
                elif message["type"] == "http.response.body" and state.status:
                    await self._keep(
                        state, message.get("body", b""), message.get("more_body", False)
                    )
            except OSError as exc:  # a full disk must not break the response
                logger.warning("cache.write-failed", extra={"error": str(exc)})
                state.abandon()
            await send(message)

        return record

    async def _keep(self, state: "_Recording", body: bytes, more: bool) -> None:
        if state.file is None and state.size + len(body) <= MEMORY_ENTRY_BYTES:
            state.chunks.append(body)
            state.size += len(body)
        elif self._disk is not None and state.size + len(body) <= self._disk.capacity:
            if state.file is None:
                state.tmp = self._disk.begin(state.release)
                state.file = state.tmp.open("wb")
                state.file.write(b"".join(state.chunks))
                state.chunks.clear()
            await to_thread.run_sync(state.file.write, body)
            state.size += len(body)
        else:
            state.abandon()
            return
        if more:
            return
        if state.file is None and self._memory is not None:
            self._memory.put(
                f"{state.release}\n{state.key}", Entry(200, state.headers, b"".join(state.chunks))
            )
        elif state.file is not None and state.tmp is not None and self._disk is not None:
            state.file.close()
            state.file = None
            await to_thread.run_sync(
                self._disk.commit, state.release, state.key, 200, state.headers, state.tmp
            )
        state.status = 0


@dataclass
class _Recording:
    """A response being copied while it is sent."""

    release: str
    key: str
    status: int = 0
    headers: RawHeaders = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    tmp: Path | None = None
    file: BinaryIO | None = None

    def abandon(self) -> None:
        """Stop copying (too large, or the disk failed); drop what was written."""
        self.status = 0
        self.chunks.clear()
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
            self.file = None
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self.tmp = None


class ResponseCachePlugin(InitPlugin):
    """Adds :class:`ResponseCacheMiddleware` inside the other app middleware."""

    def __init__(self, settings: Settings) -> None:
        """Size the tiers from ``settings`` (0 MB turns a tier off)."""
        memory = (
            MemoryTier(settings.response_cache_mb << 20) if settings.response_cache_mb else None
        )
        disk = (
            DiskTier(Path(settings.cache_dir) / "responses", settings.disk_cache_mb << 20)
            if settings.disk_cache_mb
            else None
        )
        self._middleware = ResponseCacheMiddleware(memory, disk)
        self._is_on = memory is not None or disk is not None

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Append the middleware: it runs after the limits and the conditional-GET layer."""
        if self._is_on:
            app_config.middleware.append(self._middleware)
        return app_config
