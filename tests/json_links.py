"""Test helpers for JSON answers of the API: GET as JSON, and every link an answer hands out."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from litestar import Litestar
from litestar.testing import TestClient

BASE = "http://testserver.local"
"""The base URL the tests' apps mint their links from."""
NOT_LINKS = frozenset({"geometry", "properties"})
"""GeoJSON members whose strings are coordinates or data values, never links."""


def get_json(client: TestClient[Litestar], url: str, **params: Any) -> Any:  # JSON
    """GET ``url`` (absolute or a path) with ``params`` added to its own query; 200 or fail."""
    path = url.removeprefix(BASE)
    if params:  # added to the URL's own query (httpx would replace it)
        path += ("&" if "?" in path else "?") + urlencode(params)
    response = client.get(path)
    assert response.status_code == 200, (url, response.text[:500])
    return response.json()


def links(body: Any) -> Iterator[str]:  # JSON
    """Every absolute URL of this service in ``body`` (GeoJSON geometry and properties skipped)."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key not in NOT_LINKS or isinstance(value, dict):
                yield from links(value)
    elif isinstance(body, list):
        for value in body:
            yield from links(value)
    elif isinstance(body, str) and body.startswith(f"{BASE}/"):
        yield body


def follow_every_link(client: TestClient[Litestar], body: Any) -> None:  # JSON
    """Each link in ``body`` answers 200."""
    for url in sorted(set(links(body))):
        response = client.get(url.removeprefix(BASE))
        assert response.status_code == 200, (url, response.text[:300])
