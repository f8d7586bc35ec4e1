"""The ``Urls`` of one request (``opendata_sozial.urls``): base URL from the settings, the pin of the request."""

from typing import Any

from litestar import Request

from opendata_sozial.config import Settings
from opendata_sozial.services.catalog import PINNED_RELEASE
from opendata_sozial.urls import Urls, pinned_path


def settings_urls(settings: Settings, release: int | None = None) -> Urls:
    """The links under the configured public base URL (``ODS_BASE_URL``), pinned to ``release``."""
    return Urls.of(str(settings.base_url), release)


def urls_of(request: Request[Any, Any, Any]) -> Urls:
    """The links as ``request`` sees them (base URL from the settings, pin of the request)."""
    return settings_urls(request.app.state.settings, PINNED_RELEASE.get())


def provide_urls(request: Request[Any, Any, Any]) -> Urls:
    """The ``urls`` dependency of every handler: :func:`urls_of` the request."""
    return urls_of(request)


def with_query(request: Request[Any, Any, Any], urls: Urls, **replace: str) -> str:
    """The URL of ``request`` with its query exactly as sent, but ``replace``'d parameters."""
    raw = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return urls.with_query(request.scope["path"], raw, **replace)


def public_path(path: str) -> str:
    """The path as the client asked for it: the routed path with the request's pin put back."""
    return pinned_path(path, PINNED_RELEASE.get())
