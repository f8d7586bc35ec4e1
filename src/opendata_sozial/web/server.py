"""The HTTP protocol of ``opendata-sozial serve``: uvicorn's, with a bound on the request head.

uvicorn's httptools protocol reads request header fields without any limit: a 60 MiB header
was accepted, took 120 MiB of memory and froze the process for seconds. ``serve`` runs uvicorn
with ``http="opendata_sozial.web.server:BoundedHttpToolsProtocol"`` instead, which counts the
bytes of each request head while they arrive and, past :attr:`HeadLimits.head_bytes`, answers
``431 headers-too-large`` (``414 uri-too-long`` when the request target alone is too long)
itself, reads and drops what the client still sends for at most :data:`LINGER_SECONDS`, and
closes the connection. A head within that bound reaches the app, whose ``LimitsMiddleware``
(``web/limits.py``) checks the exact limits (``ODS_MAX_HEADER_BYTES``, ``ODS_MAX_HEADER_COUNT``,
``ODS_MAX_URL_LENGTH``) with the same problems.
"""

import asyncio
import functools
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from opendata_sozial.config import Settings
from opendata_sozial.errors import HeadersTooLarge, OpendataError, UriTooLong
from opendata_sozial.urls import Urls
from opendata_sozial.web.links import settings_urls
from opendata_sozial.web.problems import PROBLEM_JSON, problem_document

LINGER_SECONDS = 5.0
"""How long a refused connection still reads (and drops) what the client sends, so that the
client sees the answer instead of a reset; then it is closed."""
REQUEST_LINE_SLACK = 64
"""Bytes of the request line besides the target: method, spaces, ``HTTP/1.1``, CRLF."""
FIELD_SLACK = 8
"""Bytes of one header line besides name and value: colon, blanks, CRLF."""


@dataclass(frozen=True, slots=True)
class HeadLimits:
    """The bounds of one request head, from the settings."""

    urls: Urls
    max_url_length: int
    max_header_bytes: int
    max_header_count: int

    @classmethod
    def of(cls, settings: Settings) -> "HeadLimits":
        """The bounds ``settings`` give."""
        return cls(
            settings_urls(settings),
            settings.max_url_length,
            settings.max_header_bytes,
            settings.max_header_count,
        )

    @property
    def head_bytes(self) -> int:
        """Most bytes of request line plus header lines a request within the limits can have."""
        return (
            self.max_url_length
            + REQUEST_LINE_SLACK
            + self.max_header_bytes
            + FIELD_SLACK * self.max_header_count
        )


@functools.cache
def _head_limits() -> HeadLimits:
    """The limits of this server process, read from ``ODS_*`` once (as ``create_app`` does)."""
    return HeadLimits.of(Settings())


def refusal(limits: HeadLimits, url: bytes) -> OpendataError:
    """Why a head over :attr:`HeadLimits.head_bytes` is refused, given the target read so far."""
    if len(url) > limits.max_url_length:
        return UriTooLong(
            f"Die Adresse hat mehr als {limits.max_url_length} Byte, höchstens "
            f"{limits.max_url_length} sind erlaubt; weniger oder kürzere Parameter verwenden."
        )
    return HeadersTooLarge(
        f"Die Kopfzeilen der Anfrage sind größer als {limits.head_bytes} Byte; erlaubt sind "
        f"höchstens {limits.max_header_count} Kopfzeilen mit zusammen "
        f"{limits.max_header_bytes} Byte. Überflüssige Kopfzeilen (etwa Cookies) weglassen "
        "oder kürzen."
    )


def refusal_response(
    limits: HeadLimits, url: bytes, default_headers: list[tuple[bytes, bytes]]
) -> bytes:
    """The complete HTTP/1.1 answer refusing a head: problem+json, ``Connection: close``."""
    error = refusal(limits, url)
    path = url.split(b"?", 1)[0][: limits.max_url_length].decode("latin-1")
    body = json.dumps(
        problem_document(
            limits.urls, error.status, error.code, error.title, str(error), unquote(path) or "/"
        ),
        ensure_ascii=False,
    ).encode("utf-8")
    reason = {431: b"Request Header Fields Too Large", 414: b"URI Too Long"}[error.status]
    lines = [b"HTTP/1.1 %d %s" % (error.status, reason)]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: " + PROBLEM_JSON.encode("ascii"),
        b"content-length: %d" % len(body),
        b"cache-control: no-store",
        b"x-content-type-options: nosniff",
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that refuses a request head over the limits early."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """As uvicorn's, plus the head limits of this process."""
        super().__init__(config, server_state, app_state, _loop)
        self._limits = _head_limits()
        self._head_open = True
        self._head_seen = 0
        self._refused = False

    def on_headers_complete(self) -> None:
        """The head is complete: what follows is body, not counted."""
        self._head_open = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is complete: the next bytes start a new head."""
        super().on_message_complete()
        self._head_open, self._head_seen = True, 0

    def data_received(self, data: bytes) -> None:
        """Feed the parser, but never more head bytes than the limits allow."""
        while data and not self._refused and not self.transport.is_closing():
            if not self._head_open:
                super().data_received(data)
                return
            room = self._limits.head_bytes - self._head_seen
            if len(data) <= room:
                self._head_seen += len(data)
                super().data_received(data)
                return
            self._head_seen += room
            super().data_received(data[:room])  # may complete this head and start the next
            if self._head_open and self._head_seen >= self._limits.head_bytes:
                self._refuse()
                return
            data = data[room:]

    def _refuse(self) -> None:
        """Answer 431 (or 414), stop parsing, drop further input, close after lingering."""
        self._refused = True
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            url = getattr(self, "url", b"")
            answer = refusal_response(self._limits, url, self.server_state.default_headers)
            self.transport.write(answer)
            self.logger.warning("request.head_too_large")
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
