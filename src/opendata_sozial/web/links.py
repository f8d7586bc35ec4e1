"""Absolute API links that respect a release pin."""

from opendata_sozial.services.catalog import PINNED_RELEASE


def api_root(base_url: str) -> str:
    """Root of the API as the current request sees it: pinned requests stay pinned in links."""
    root = base_url.rstrip("/") + "/api/v1"
    pin = PINNED_RELEASE.get()
    return f"{root}/releases/{pin}" if pin is not None else root
