"""Downloads are rendered to a temporary file first, a few at a time, then streamed from it.

A download (an export or an original file) used to be streamed straight from a database cursor,
so each one held a pooled connection for as long as its client took to read it: stalled clients
starved the API, and when the pool ran dry mid-stream the download was cut after its first
line. Now:

1. The handler resolves the query at once (a bad parameter is a ``400`` without queueing).
2. It waits, without holding a thread or a connection, for one of ``ODS_EXPORT_CONCURRENCY``
   rendering slots of the process; after ``ODS_EXPORT_QUEUE_SECONDS`` it answers
   ``503 exports-busy``. A request for a download that is being rendered right now (same
   release, resource, format and query) waits for that rendering instead of starting its own.
3. A worker thread renders the whole download into an anonymous temporary file under
   ``ODS_CACHE_DIR/spool`` (``formats/export.py``); the connection is held only for that, at
   the server's speed, and any error of it is a problem response before the first byte.
4. The file is sent with its ``Content-Length``; a client can read it as slowly as it likes and
   holds nothing but its share of the open file, which is closed (and so gone) when the last
   response reading it ends. If sending fails half-way, uvicorn drops the connection, and the
   length shows the client that the body is incomplete.
"""

import os
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from anyio import to_thread
from litestar.background_tasks import BackgroundTask
from litestar.response import Stream

from opendata_sozial.errors import ExportsBusy
from opendata_sozial.formats.export import Rendered

SEND_CHUNK = 256 << 10
"""Bytes read from the rendered file per body message."""


class SharedFile:
    """A rendered download that several responses read at once, each at its own offset.

    It is closed when the last of its readers releases it.
    """

    def __init__(self, rendered: Rendered, readers: int) -> None:
        """Start with ``readers`` references."""
        self._rendered = rendered
        self._readers = readers
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Length of the download in bytes."""
        return self._rendered.size

    def read(self, offset: int) -> bytes:
        """Up to ``SEND_CHUNK`` bytes from ``offset`` (no shared file position)."""
        return os.pread(self._rendered.file.fileno(), SEND_CHUNK, offset)

    def release(self) -> None:
        """One reader less; the last one closes the file."""
        with self._lock:
            self._readers -= 1
            is_last = self._readers == 0
        if is_last:
            self._rendered.file.close()


class FileBody:
    """The body of one response: a shared file, chunk by chunk.

    Its share is released at the end, when the response is abandoned, or when the body is never
    read at all.
    """

    def __init__(self, shared: SharedFile) -> None:
        """Read ``shared`` from its start."""
        self._shared: SharedFile | None = shared
        self._offset = 0

    def __aiter__(self) -> "FileBody":
        """The body is its own iterator."""
        return self

    async def __anext__(self) -> bytes:
        """The next chunk, read in a worker thread."""
        shared = self._shared
        if shared is None:
            raise StopAsyncIteration
        chunk = await to_thread.run_sync(shared.read, self._offset)
        if not chunk:
            self.close()
            if self._offset < shared.size:  # the file lost its end: never end like a whole body
                raise OSError(f"Download endet nach {self._offset} von {shared.size} Bytes")
            raise StopAsyncIteration
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        """Release the share (once)."""
        shared, self._shared = self._shared, None
        if shared is not None:
            shared.release()

    async def aclose(self) -> None:
        """Release the share after the response, also when the client went away half-way."""
        self.close()

    def __del__(self) -> None:
        """A body whose response never ran to its end releases its share when collected."""
        self.close()


@dataclass
class _Rendering:
    """A rendering in progress, awaited by the requests that asked for the same download."""

    done: anyio.Event = field(default_factory=anyio.Event)
    waiting: int = 0
    result: SharedFile | None = None
    error: Exception | None = None


class Downloads:
    """The rendering slots of one server process and the folder of their temporary files."""

    def __init__(self, folder: Path, *, concurrency: int, queue_seconds: float) -> None:
        """Render at most ``concurrency`` downloads at once; queue for ``queue_seconds``."""
        self.folder = folder
        self._slots = anyio.CapacityLimiter(concurrency)
        self._queue_seconds = queue_seconds
        self._renderings: dict[Hashable, _Rendering] = {}

    async def render(self, key: Hashable, work: Callable[[Path], Rendered]) -> SharedFile:
        """The download ``key``, rendered by ``work(folder)`` in a worker thread.

        ``work`` runs once a slot is free, unless a rendering of the same key is already under
        way: then its file is shared. Raises what ``work`` raises, and ``ExportsBusy`` when no slot becomes free in time.
        """
        while (running := self._renderings.get(key)) is not None:
            running.waiting += 1
            try:
                await running.done.wait()
            except BaseException:
                if running.result is not None:  # counted as a reader already
                    running.result.release()
                else:
                    running.waiting -= 1
                raise
            if running.result is not None:
                return running.result
            if running.error is not None:
                raise running.error
            # the first request was cancelled: render anew
        rendering = _Rendering()
        self._renderings[key] = rendering
        try:
            rendered = await self._render(work)
            rendering.result = SharedFile(rendered, readers=1 + rendering.waiting)
            return rendering.result
        except Exception as exc:
            rendering.error = exc
            raise
        finally:
            del self._renderings[key]
            rendering.done.set()

    async def _render(self, work: Callable[[Path], Rendered]) -> Rendered:
        with anyio.move_on_after(self._queue_seconds) as queueing:
            await self._slots.acquire()
        if queueing.cancelled_caught:
            raise ExportsBusy(
                f"Alle {int(self._slots.total_tokens)} Plätze für Downloads waren "
                f"{self._queue_seconds:g} s lang belegt; bitte in einigen Sekunden erneut "
                "versuchen.",
                english=f"All {int(self._slots.total_tokens)} download slots were taken for "
                f"{self._queue_seconds:g} s; please try again in a few seconds.",
            )
        try:
            return await to_thread.run_sync(work, self.folder)
        finally:
            self._slots.release()


def attachment(filename: str) -> dict[str, str]:
    """The header that has a client save the response under ``filename``."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def file_stream(shared: SharedFile, media_type: str, headers: dict[str, str]) -> Stream:
    """Send a rendered download with its length (the compression layer drops it when it gzips)."""
    body = FileBody(shared)
    return Stream(
        body,
        media_type=media_type,
        headers={**headers, "Content-Length": str(shared.size)},
        background=BackgroundTask(body.aclose),  # runs after the last chunk or a disconnect
    )
