"""Request limits: header size, URL length, filters, NUL characters and a rate limit per client.

``create_app`` adds ``LimitsPlugin(settings)``; it puts :class:`LimitsMiddleware` in front of
every other middleware, so a request is counted before anything else runs (a ``304`` counts
too). ``/health/*`` is never rate limited: orchestrators poll it and must see the truth.

The rate limit is a fixed window per client IP address and server process, advertised with the
``RateLimit-Policy`` and ``RateLimit`` fields of the IETF draft
(draft-ietf-httpapi-ratelimit-headers-10): ``RateLimit-Policy: "per-client";q=1200;w=60`` and
``RateLimit: "per-client";r=1187;t=42``. Past the quota the answer is ``429`` with
``Retry-After``. The client is the peer of the connection; ``X-Forwarded-For`` is believed only
from the proxies in ``ODS_TRUSTED_PROXIES`` (:class:`TrustedProxies`). The limiter remembers at
most ``MAX_TRACKED_CLIENTS`` clients and forgets the least recently seen first.

Why not Litestar's ``RateLimitConfig`` (``litestar.middleware.rate_limit``, checked against
Litestar 2.x): its ``identifier_for_request`` hook could take :class:`TrustedProxies`, but

- the window is one of ``second``/``minute``/``hour``/``day``, not ``ODS_RATE_LIMIT_WINDOW_SECONDS``;
- it sends ``RateLimit-Limit``/``-Remaining``/``-Reset`` and a ``RateLimit-Policy`` of the
  older draft, not the structured ``RateLimit``/``RateLimit-Policy`` fields above that clients
  and ``docs/api.md`` rely on, and its ``429`` carries no ``Retry-After``;
- it keeps every client's request history as JSON in a store with an expiry, which a memory
  store drops only when the key is read again: no bound on the clients remembered;
- it reads the wall clock (``time.time``), so the window cannot be driven by an injected
  monotonic clock as ``tests/test_limits.py`` does, and it does not spare ``/health/*`` by
  path prefix (only by a per-route opt-out key).

Keeping the behaviour would need a subclass overriding the counting, the headers and the store,
which is more code than the counter below.

Header fields larger or more numerous than ``ODS_MAX_HEADER_BYTES``/``ODS_MAX_HEADER_COUNT``
answer ``431``; ``web/server.py`` enforces the same bound while the server still reads them.
"""

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins import InitPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from opendata_sozial.config import Settings, proxy_entries
from opendata_sozial.errors import HeadersTooLarge, InvalidParameter, RateLimited, UriTooLong

POLICY = "per-client"
UNLIMITED_PREFIXES = ("/health/",)
MAX_TRACKED_CLIENTS = 100_000
"""Bound on the clients remembered at once; the least recently seen is forgotten first."""


@dataclass(frozen=True, slots=True)
class Quota:
    """The state of one client's window after a request."""

    is_allowed: bool
    remaining: int
    reset_seconds: int


class RateLimiter:
    """Fixed-window counter per client: ``quota`` requests per ``window`` seconds."""

    def __init__(
        self,
        *,
        quota: int,
        window: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_TRACKED_CLIENTS,
    ) -> None:
        """Count with ``clock`` (monotonic seconds); tests pass their own.

        At most ``max_clients`` windows are kept (about 150 bytes each); a new client beyond
        that pushes out the one seen least recently, whose count is then forgotten.
        """
        self.quota = quota
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def __len__(self) -> int:
        """How many clients are remembered now."""
        return len(self._windows)

    def hit(self, client: str) -> Quota:
        """Count one request of ``client`` and say whether it is within the quota."""
        now = self._clock()
        start, count = self._windows.get(client, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        self._windows[client] = (start, count)
        self._windows.move_to_end(client)
        while len(self._windows) > self.max_clients:
            self._windows.popitem(last=False)
        return Quota(
            count <= self.quota, max(0, self.quota - count), self.reset_seconds(now - start)
        )

    def reset_seconds(self, elapsed: float) -> int:
        """Whole seconds until a window ``elapsed`` seconds old ends: always in 0..window.

        Computed from the elapsed time, not as ``start + window - now``: adding the window to a
        large clock value first rounds, and ``ceil`` then turned 60 into 61 now and then.
        """
        return min(self.window, max(0, math.ceil(self.window - elapsed)))

    def headers(self, quota: Quota) -> dict[str, str]:
        """The RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10) for ``quota``."""
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.quota};w={self.window}',
            "RateLimit": f'"{POLICY}";r={quota.remaining};t={quota.reset_seconds}',
        }


class TrustedProxies:
    """Peers whose ``X-Forwarded-For`` names the client: addresses, networks, or ``*``."""

    def __init__(self, entries: Sequence[str]) -> None:
        """``entries`` as in ``ODS_TRUSTED_PROXIES``, already checked by ``Settings``."""
        self._everyone = "*" in entries
        self._networks = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"
        )

    def trusts(self, address: str) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        if self._everyone:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client behind ``peer``: the last ``X-Forwarded-For`` hop no trusted proxy added.

        An untrusted peer is the client whatever it claims, so a spoofed header changes
        nothing; behind trusted proxies the rightmost address that is not one of them is.
        """
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


def forwarded_for(scope: Scope) -> str | None:
    """Every ``X-Forwarded-For`` field of the request joined by commas, or ``None``."""
    values = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    ]
    return ",".join(values) if values else None


def header_load(scope: Scope) -> tuple[int, int]:
    """Number of header fields and their size in bytes (names plus values)."""
    count = size = 0
    for name, value in scope["headers"]:
        count += 1
        size += len(name) + len(value)
    return count, size


def count_filters(query_string: bytes) -> int:
    """Query parameters without a leading underscore: filters, plus ``q``, ``page``, ``profile``."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return sum(1 for name, _ in pairs if not name.startswith("_"))


def target_length(scope: Scope) -> int:
    """Length in bytes of the request target as sent: raw path plus ``?`` and query."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    raw_path = raw_path.split(b"?", 1)[0]  # Litestar's test client puts the query in there too
    query: bytes = scope.get("query_string", b"")
    return len(raw_path) + (len(query) + 1 if query else 0)


def has_nul(scope: Scope) -> bool:
    """A NUL in the path or the query: no name or value holds one, and PostgreSQL refuses it."""
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


def _adding_headers(send: Send, headers: dict[str, str]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message).update(headers)
        await send(message)

    return send_with_headers


class LimitsMiddleware(ASGIMiddleware):
    """Rate limit per client, then URL length and filter count, before the route runs."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings, limiter: RateLimiter | None) -> None:
        """Limits from ``settings``; ``limiter`` is ``None`` when rate limiting is off."""
        self._max_url = settings.max_url_length
        self._max_filters = settings.max_filters
        self._max_header_bytes = settings.max_header_bytes
        self._max_header_count = settings.max_header_count
        self._proxies = TrustedProxies(proxy_entries(settings.trusted_proxies))
        self._limiter = limiter

    def client(self, scope: Scope) -> str:
        """The address the rate limit counts: the peer unless it is a trusted proxy."""
        peer = scope.get("client")
        return self._proxies.client(peer[0] if peer else "unknown", forwarded_for(scope))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Refuse with 429, 431, 414 or 400, or run the route with the RateLimit fields added."""
        if self._limiter is not None and not scope["path"].startswith(UNLIMITED_PREFIXES):
            quota = self._limiter.hit(self.client(scope))
            headers = self._limiter.headers(quota)
            if not quota.is_allowed:
                retry = str(max(1, quota.reset_seconds))
                raise RateLimited(
                    f"Mehr als {self._limiter.quota} Anfragen in {self._limiter.window} s; "
                    f"in {retry} s wieder möglich.",
                    english=f"More than {self._limiter.quota} requests in "
                    f"{self._limiter.window} s; possible again in {retry} s.",
                    headers={**headers, "Retry-After": retry},
                )
            send = _adding_headers(send, headers)
        self._check_headers(scope)
        self._check_target(scope)
        await next_app(scope, receive, send)

    def _check_headers(self, scope: Scope) -> None:
        count, size = header_load(scope)
        if count > self._max_header_count:
            raise HeadersTooLarge(
                f"Die Anfrage hat {count} Kopfzeilen, höchstens {self._max_header_count} sind "
                "erlaubt; überflüssige Kopfzeilen (etwa Cookies) weglassen.",
                english=f"The request has {count} header fields, at most "
                f"{self._max_header_count} are allowed; leave out needless ones (such as cookies).",
            )
        if size > self._max_header_bytes:
            raise HeadersTooLarge(
                f"Die Kopfzeilen der Anfrage haben zusammen {size} Byte, höchstens "
                f"{self._max_header_bytes} sind erlaubt; überflüssige Kopfzeilen (etwa Cookies) "
                "weglassen oder kürzen.",
                english=f"The request header fields have {size} bytes together, at most "
                f"{self._max_header_bytes} are allowed; leave out or shorten needless ones "
                "(such as cookies).",
            )

    def _check_target(self, scope: Scope) -> None:
        if (length := target_length(scope)) > self._max_url:
            raise UriTooLong(
                f"Die Adresse hat {length} Byte, höchstens {self._max_url} sind erlaubt; "
                "weniger oder kürzere Parameter verwenden.",
                english=f"The address has {length} bytes, at most {self._max_url} are allowed; "
                "use fewer or shorter parameters.",
            )
        if has_nul(scope):
            raise InvalidParameter(
                "Die Anfrage enthält ein NUL-Zeichen (%00); das kommt in keinem Namen und "
                "keinem Wert vor."
            )
        if (count := count_filters(scope.get("query_string", b""))) > self._max_filters:
            raise InvalidParameter(
                f"{count} Filterparameter, höchstens {self._max_filters} sind erlaubt; "
                "mehrere Werte eines Felds mit __in zusammenfassen."
            )


class LimitsPlugin(InitPlugin):
    """Wires :class:`LimitsMiddleware` in as the outermost middleware."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        """Read the limits from ``settings``; the rate limiter lives as long as the app.

        ``clock`` (monotonic seconds) drives the rate limiter; tests pass their own.
        """
        limiter = (
            RateLimiter(
                quota=settings.rate_limit_requests,
                window=settings.rate_limit_window_seconds,
                clock=clock,
            )
            if settings.rate_limit_requests > 0
            else None
        )
        self._middleware = LimitsMiddleware(settings, limiter)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Put the limits in front of every other middleware."""
        app_config.middleware.insert(0, self._middleware)
        return app_config
