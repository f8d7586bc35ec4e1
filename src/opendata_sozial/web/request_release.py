"""The release one request reads, resolved once: the pin of its path, else the current release.

``ReleasePinningLitestar`` (``web/releases.py``) puts a :class:`RequestRelease` into the scope
of every HTTP request before routing. The validators and the response cache
(``web/http.py``, ``web/cache.py``), the links (``web/links.py``) and the handlers (the
dependency ``release``) all take the release from it, and pass it on to the services as an
argument. The first lookup is kept for the rest of the request: a publish switching releases
mid-request never gives an answer whose ETag, cache key and body name different releases.
"""

import logging
import threading
from typing import Any

from anyio import to_thread
from litestar import Request
from litestar.types import Scope

from opendata_sozial.db.errors import DatabaseError, is_pool_exhausted
from opendata_sozial.errors import NotPublished
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo

logger = logging.getLogger(__name__)

STATE_KEY = "ods_release"
"""Where the request's :class:`RequestRelease` lives in ``scope["state"]``."""


class RequestRelease:
    """The release of one request: looked up at most once, then kept.

    Sync handlers and streamed exports run in worker threads, so the lookup holds a lock.
    """

    def __init__(self, catalog: CatalogService, pin: int | None = None) -> None:
        """Read from ``catalog``; ``pin`` is the release number of a pinned URL, if any."""
        self._catalog = catalog
        self.pin = pin
        self._info: ReleaseInfo | None = None
        self._lock = threading.Lock()

    @property
    def is_pinned(self) -> bool:
        """Whether the request's path names its release (``/api/v1/releases/{n}/…``)."""
        return self.pin is not None

    def known(self) -> ReleaseInfo | None:
        """The release if it is known without I/O (already looked up, or freshly cached)."""
        if self._info is None and self.pin is None:
            fresh = self._catalog.fresh_release()
            if fresh is not None:
                with self._lock:
                    self._info = self._info or fresh
        return self._info

    def info(self) -> ReleaseInfo:
        """The request's release; ``NotPublished`` / ``ReleaseNotFound`` when there is none."""
        with self._lock:
            if self._info is None:
                self._info = self._lookup()
            return self._info

    def _lookup(self) -> ReleaseInfo:
        if self.pin is not None:
            return self._catalog.release_info(self.pin)
        fresh = self._catalog.fresh_release()
        return fresh if fresh is not None else self._catalog.current_release_info()

    async def current(self) -> ReleaseInfo | None:
        """The release for the HTTP layers; ``None`` when none is served or the database fails.

        The handler then answers with the proper problem response by itself. An exhausted
        connection pool is raised at once instead (a ``503``): asking again in every layer
        would make the request wait one pool timeout per layer.
        """
        known = self.known()
        if known is not None:
            return known
        try:
            return await to_thread.run_sync(self.info)
        except (NotPublished, DatabaseError) as exc:
            if is_pool_exhausted(exc):
                raise
            logger.debug("release.unknown", extra={"error": str(exc)})
            return None


def hold_release(scope: Scope, catalog: CatalogService, pin: int | None) -> RequestRelease:
    """Put the request's :class:`RequestRelease` into ``scope`` (before routing)."""
    release = RequestRelease(catalog, pin)
    scope.setdefault("state", {})[STATE_KEY] = release
    return release


def release_of(scope: Scope) -> RequestRelease | None:
    """The request's release holder; ``None`` outside ``ReleasePinningLitestar``."""
    state: dict[str, Any] = scope.get("state") or {}
    held = state.get(STATE_KEY)
    return held if isinstance(held, RequestRelease) else None


async def current_release_of(scope: Scope) -> ReleaseInfo | None:
    """The request's release for the HTTP layers (:meth:`RequestRelease.current`), if any."""
    held = release_of(scope)
    return await held.current() if held is not None else None


def pin_of(scope: Scope) -> int | None:
    """The release number the request's path pins, if any."""
    held = release_of(scope)
    return held.pin if held is not None else None


def provide_release(request: Request[Any, Any, Any]) -> RequestRelease:
    """The ``release`` dependency of the handlers."""
    held = release_of(request.scope)
    if held is None:
        msg = "ReleasePinningLitestar hält die Release der Anfrage nicht (web/app.py)"
        raise RuntimeError(msg)
    return held
