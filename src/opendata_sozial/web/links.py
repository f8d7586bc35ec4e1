"""The ``Urls`` of one request (``opendata_sozial.urls``): base URL from the settings, the pin of the request."""

from typing import Any

from litestar import Request

from opendata_sozial.config import Settings
from opendata_sozial.urls import Urls
from opendata_sozial.web.request_release import pin_of


def settings_urls(settings: Settings, release: int | None = None) -> Urls:
    """The links under the configured public base URL (``ODS_BASE_URL``), pinned to ``release``."""
    return Urls.of(str(settings.base_url), release)


def urls_of(request: Request[Any, Any, Any]) -> Urls:
    """The links as ``request`` sees them (base URL from the settings, pin of the request)."""
    return settings_urls(request.app.state.settings, pin_of(request.scope))


def provide_urls(request: Request[Any, Any, Any]) -> Urls:
    """The ``urls`` dependency of every handler: :func:`urls_of` the request."""
    return urls_of(request)


def with_query(request: Request[Any, Any, Any], urls: Urls, **replace: str) -> str:
    """The URL of ``request`` with its query exactly as sent, but ``replace``'d parameters."""
    raw = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return urls.with_query(request.scope["path"], raw, **replace)
