"""HTTP semantics shared by every route: validators, conditional GET, HEAD, caching, CORS.

``create_app`` builds :class:`HeadAsGetLitestar` with ``plugins=[HttpPlugin(...)]``; routes
need nothing of their own. The layers, outermost first:

1. ``HeadAsGetLitestar.__call__`` routes ``HEAD`` as ``GET`` and drops the body.
2. ``add_policy_headers`` (a ``before_send`` hook, so it also sees routing errors and CORS
   preflights): ``Cache-Control`` from :func:`cache_control`, ``Vary``, security headers.
3. Litestar's CORS middleware.
4. :class:`ConditionalGetMiddleware` (per route): strong ``ETag`` and ``Last-Modified`` on
   successful API reads, ``304`` for ``If-None-Match`` / ``If-Modified-Since``.
5. :class:`TextCompressionMiddleware` (per route): gzip for text bodies of 500 bytes or more.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal, cast
from urllib.parse import parse_qsl, urlencode

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.compression import CompressionConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import CompressionEncoding, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.plugins import InitPlugin
from litestar.types import (
    ASGIApp,
    HTTPResponseStartEvent,
    HTTPScope,
    LifeSpanReceive,
    LifeSpanScope,
    LifeSpanSend,
    Message,
    Receive,
    Scope,
    Send,
)

from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.urls import pinned_path
from opendata_sozial.web.request_release import current_release_of, pin_of

API_PREFIX = "/api/"
# The RDF files of the catalog (web/dcat.py): as release-bound as the API. The negotiated
# /catalog and /datasets/{name} vary by Accept and get no validators.
RDF_DOCUMENT = re.compile(r"^/(?:catalog|datasets/[^/]+)\.(?:ttl|rdf|jsonld)$")
API_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
NO_STORE = "no-store"
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"
# HTML pages: scripts, styles and images only from this origin; no inline script or style.
# The JSON-LD block (<script type="application/ld+json">) is data and never executed.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATH = "/schema"
DOCS_CSP = PAGE_CSP.replace("img-src 'self'", "img-src 'self' data:") + "; connect-src 'self'"
STATIC_PREFIX = "/static/"
STATIC_CACHE_CONTROL = "public, max-age=3600"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
EXPOSED_HEADERS = [
    "Content-Disposition",
    "ETag",
    "Link",
    "Retry-After",
    "X-Row-Count",
    "X-Total-Count",
]
COMPRESSION_MINIMUM_BYTES = 500
# Every content-coding a response can carry; each gets its own strong ETag.
CODINGS = ("identity", "gzip")
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')


# Policy


def is_release_read(path: str) -> bool:
    """Whether a read's body follows from the release and the URL alone: API and RDF files."""
    return path.startswith(API_PREFIX) or RDF_DOCUMENT.match(path) is not None


PINNED_CACHE_CONTROL = "public, max-age=31536000, immutable"


def cache_control(method: str, path: str, status: int, *, is_pinned: bool = False) -> str | None:
    """The ``Cache-Control`` of a response; the one place where the caching policy lives.

    Errors and health checks are never stored. Release-pinned URLs (``is_pinned``) serve
    immutable data and may be cached for a year. Other successful API reads may be reused for a
    minute and served stale while revalidating. ``None`` leaves the handler's choice alone.
    """
    if status >= 400 or path.startswith("/health/"):
        return NO_STORE
    if method == "GET" and is_pinned:
        return PINNED_CACHE_CONTROL
    if method == "GET" and is_release_read(path):
        return API_CACHE_CONTROL
    if method == "GET" and path.startswith(STATIC_PREFIX):
        return STATIC_CACHE_CONTROL
    return None


def content_security_policy(path: str, content_type: str = "") -> str:
    """Strict for every response except HTML pages, which may load from this origin only.

    The API documentation page ``/schema`` also fetches the OpenAPI document (``connect-src``,
    and "try it out" requests to this origin) and shows the viewer's icons, which its
    stylesheet inlines as ``data:`` images.
    """
    if content_type.split(";", 1)[0].strip().lower() == "text/html":
        return DOCS_CSP if path == DOCS_PATH else PAGE_CSP
    return STRICT_CSP


def is_text_media(content_type: str) -> bool:
    """Whether a body of this media type is worth compressing (text, JSON, XML, NDJSON)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media.endswith(
        ("/json", "+json", "/xml", "+xml", "/x-ndjson", "/javascript")
    )


# Validators


def request_key(scope: Scope) -> str:
    """Method-independent identity of a read: path plus the query, stably sorted by name.

    Values of a repeated parameter keep their order, because ``_select=b,a`` style lists and
    repeated parameters may mean different column orders.
    """
    pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    path = pinned_path(scope["path"], pin_of(scope))  # a pinned read is another URL
    return f"{path}?{urlencode(sorted(pairs, key=lambda pair: pair[0]))}"


def strong_etag(release: int, key: str, coding: str) -> str:
    """The strong ETag of one response: deterministic per release, key and content-coding."""
    digest = hashlib.sha256(f"{release}\n{key}\n{coding}".encode()).hexdigest()[:32]
    return f'"r{release}-{digest}"'


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def is_modified_since(header: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.1.3; an unparseable date counts as modified."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return True
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) > since


def matching_tag(if_none_match: str, candidates: set[str]) -> str | None:
    """The first listed entity-tag that equals a candidate (weak comparison), if any."""
    return next((tag for tag in _ENTITY_TAG.findall(if_none_match) if tag in candidates), None)


@dataclass(frozen=True, slots=True)
class Validators:
    """ETag and Last-Modified of one read against one release."""

    release: ReleaseInfo
    key: str

    def etag(self, coding: str) -> str:
        """The strong ETag for the given content-coding."""
        return strong_etag(self.release.number, self.key, coding)

    @property
    def last_modified(self) -> str:
        """The release's publication time as an HTTP date."""
        return http_date(self.release.created_at)


# ASGI layers


def _not_modified(validators: Validators, etag: str) -> HTTPResponseStartEvent:
    """A bare 304: only validators; Vary and Cache-Control are added by ``add_policy_headers``."""
    headers = [(b"etag", etag.encode()), (b"last-modified", validators.last_modified.encode())]
    return {"type": "http.response.start", "status": 304, "headers": headers}


def _headers_only(send: Send) -> Send:
    """Forward the response start and one empty final body; drop every body chunk."""

    async def send_headers(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_headers


def _stamping(send: Send, validators: Validators, *, is_not_modified: bool) -> Send:
    """Add validators to a successful response, or turn it into a 304 without body."""
    without_body = _headers_only(send)
    is_swallowing = False

    async def stamp(message: Message) -> None:
        nonlocal is_swallowing
        if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
            headers = MutableScopeHeaders.from_message(message)
            etag = validators.etag(headers.get("content-encoding", "identity"))
            if is_not_modified:
                is_swallowing = True
                message = _not_modified(validators, etag)
            else:
                headers["ETag"] = etag
                headers["Last-Modified"] = validators.last_modified
        await (without_body if is_swallowing else send)(message)

    return stamp


class ConditionalGetMiddleware(ASGIMiddleware):
    """Strong validators on successful ``GET /api/…``; ``304`` when the client is current.

    A listed ETag is answered before the handler runs: a release never changes, so a tag we
    minted for this key proves the response is still the same. ``If-None-Match: *`` and
    ``If-Modified-Since`` say nothing about whether the resource exists, so the handler runs
    and only a successful answer becomes a 304 (RFC 9110 §13.2.1).
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Answer 304 early, or run the route and stamp its response."""
        is_api_read = scope.get("method") == "GET" and is_release_read(scope["path"])
        release = await current_release_of(scope) if is_api_read else None
        if release is None:
            await next_app(scope, receive, send)
            return
        validators = Validators(release=release, key=request_key(scope))
        headers = Headers.from_scope(scope)
        listed = headers.getall("if-none-match", None)
        if_none_match = ", ".join(listed) if listed else None
        if if_none_match is not None and if_none_match.strip() != "*":
            candidates = {validators.etag(coding) for coding in CODINGS}
            if tag := matching_tag(if_none_match, candidates):
                await send(_not_modified(validators, tag))
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            is_not_modified = False
        elif if_none_match is not None:
            is_not_modified = True
        else:
            since = headers.get("if-modified-since")
            is_not_modified = since is not None and not is_modified_since(since, release.created_at)
        await next_app(scope, receive, _stamping(send, validators, is_not_modified=is_not_modified))


class TextCompressionMiddleware(CompressionMiddleware):
    """Litestar's compression, for text media types only: XLSX and other binaries pass as is."""

    def create_compression_send_wrapper(
        self,
        send: Send,
        compression_encoding: Literal[CompressionEncoding.BROTLI, CompressionEncoding.GZIP] | str,
        scope: Scope,
    ) -> Send:
        """Decide on the response start: compress text, pass everything else through."""
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        chosen = compressing

        async def by_media_type(message: Message) -> None:
            nonlocal chosen
            if message["type"] == "http.response.start":
                content_type = MutableScopeHeaders.from_message(message).get("content-type", "")
                chosen = compressing if is_text_media(content_type) else send
            await chosen(message)

        return by_media_type


async def add_policy_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: caching policy, ``Vary`` and security headers on every response.

    Async on purpose: Litestar runs a synchronous hook in a worker thread for every message,
    each chunk of a streamed body included.
    """
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    headers = MutableScopeHeaders.from_message(message)
    path = scope["path"]
    pinned = pin_of(scope) is not None
    if policy := cache_control(scope["method"], path, message["status"], is_pinned=pinned):
        headers["Cache-Control"] = policy
    if "accept-encoding" not in headers.get("vary", "").lower():
        headers.extend_header_value("Vary", "Accept-Encoding")
    headers.update(SECURITY_HEADERS)
    headers["Content-Security-Policy"] = content_security_policy(
        path, headers.get("content-type", "")
    )
    allow = headers.get("allow")
    if allow and "GET" in allow and "HEAD" not in allow:
        headers["Allow"] = f"{allow}, HEAD"


class HeadAsGetLitestar(Litestar):
    """Litestar that answers ``HEAD`` on every ``GET`` route: same headers, no body.

    Litestar 2 routes ``HEAD`` only to explicit ``@head`` handlers and answers 405 otherwise,
    and its middleware runs after routing; so the rewrite sits at the ASGI entry point. Write
    no ``@head`` handlers: they would never be reached.
    """

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        """Route ``HEAD`` as ``GET`` and drop the body; pass everything else on."""
        if scope["type"] != ScopeType.HTTP:
            await super().__call__(scope, receive, send)
            return
        routed = self.before_routing(cast("HTTPScope", scope))
        if routed.get("method") == "HEAD":
            # A copy: the server keeps its own scope and so still knows not to expect a body.
            as_get = cast("HTTPScope", {**routed, "method": "GET"})
            await super().__call__(as_get, receive, _headers_only(cast("Send", send)))
            return
        await super().__call__(routed, receive, send)

    def before_routing(self, scope: HTTPScope) -> HTTPScope:
        """The HTTP request as it is routed; a subclass may rewrite it (here: unchanged)."""
        return scope


class HttpPlugin(InitPlugin):
    """Wires this module into the app: compression, CORS, validators, policy headers."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add the HTTP configuration to the app being built."""
        app_config.compression_config = CompressionConfig(
            backend="gzip",
            minimum_size=COMPRESSION_MINIMUM_BYTES,
            gzip_compress_level=6,
            middleware_class=TextCompressionMiddleware,
        )
        app_config.cors_config = CORSConfig(
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "OPTIONS"],
            expose_headers=EXPOSED_HEADERS,
        )
        app_config.middleware.append(ConditionalGetMiddleware())
        app_config.before_send.append(add_policy_headers)
        return app_config
