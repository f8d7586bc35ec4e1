"""One release lookup per request: validators, response cache, links and handler share it.

``web/request_release.py`` resolves a request's release once (the pin of its path, else the
current release) and every layer takes it from there. With ``ODS_RELEASE_POLL_SECONDS=0``
each question would otherwise go to the database; here the statements that read the current
release pointer are counted per request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, event

from opendata_sozial.config import Settings
from opendata_sozial.web.app import create_app

READS = [
    "/api/v1/datasets/lebensformen",
    "/api/v1/datasets/lebensformen/resources/lebensformen/rows?_size=3",
    "/api/v1/datasets/lebensformen/resources/lebensformen/rows.csv?jahr=2015",
    "/api/v1/datasets?q=lebensformen",
    "/datensaetze/lebensformen",
    "/catalog.ttl",
]


@contextmanager
def _counting_lookups() -> Iterator[list[str]]:
    """Every SQL statement that reads the current release pointer (``catalog_state``)."""
    seen: list[str] = []

    def count(*args: Any) -> None:  # SQLAlchemy's event arguments
        statement = str(args[2])
        if "catalog_state" in statement.lower():
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.mark.parametrize("url", READS)
def test_one_release_lookup_per_request(published_url: str, tmp_path: Path, url: str) -> None:
    settings = Settings(
        database_url=published_url,
        base_url="http://testserver.local",
        release_poll_seconds=0,
        rate_limit_requests=0,
        cache_dir=tmp_path / "cache",
    )
    with TestClient(create_app(settings)) as client:
        assert client.app.state.regions_warmed.wait(120)  # the start's background work is done
        with _counting_lookups() as lookups:
            _count_one_lookup_each(client, url, lookups)


def _count_one_lookup_each(client: TestClient[Any], url: str, lookups: list[str]) -> None:
    """A request and its conditional repetition read the current release once each."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert len(lookups) == 1, lookups
    lookups.clear()
    again = client.get(url, headers={"If-None-Match": response.headers.get("etag", "")})
    assert again.status_code in {200, 304}
    assert len(lookups) == 1, lookups


def test_pinned_request_never_asks_for_the_current_release(
    published_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=published_url, release_poll_seconds=0, cache_dir=tmp_path / "cache"
    )
    with TestClient(create_app(settings)) as client:
        assert client.app.state.regions_warmed.wait(120)  # the start's background work is done
        with _counting_lookups() as lookups:
            response = client.get("/api/v1/releases/1/datasets/lebensformen")
    assert response.status_code == 200, response.text
    assert response.json()["links"]["self"].endswith("/api/v1/releases/1/datasets/lebensformen")
    assert lookups == []
