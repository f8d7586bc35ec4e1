"""Pages and the API decide failures by one map (web/failures.py): same status, same code."""

import pytest
from litestar.testing import TestClient

from opendata_sozial.config import Settings
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.rows import RowService
from opendata_sozial.web.app import create_app

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/datensaetze/lebensformen", HTML),  # a page route
        ("/api/v1/datasets/lebensformen", {}),  # the API
        ("/api/v1/datasets/lebensformen/resources/lebensformen/rows", {}),
    ],
)
def test_a_pool_timeout_is_503_on_pages_and_in_the_api(
    published_url: str, path: str, headers: dict[str, str]
) -> None:
    """Pool of one connection, held by an open export stream: the next request waits the
    pool timeout (really, no stand-in) and is answered 503 with Retry-After, page or API."""
    settings = Settings(
        database_url=published_url,
        base_url="http://testserver.local",
        rate_limit_requests=0,
        pool_size=1,
        pool_timeout_seconds=0.05,
        release_poll_seconds=0,
    )
    app = create_app(settings)
    rows = app.dependencies["rows"].dependency()
    catalog = app.dependencies["catalog"].dependency()
    assert isinstance(rows, RowService)
    assert isinstance(catalog, CatalogService)
    with TestClient(app) as client:
        assert client.app.state.regions_warmed.wait(120)  # the start's warm-up gave its back
        stream = rows.at(catalog.current_release_info()).stream("lebensformen", "lebensformen", {})
        try:
            next(stream.batches)  # the pool's one connection is now checked out
            response = client.get(path, headers=headers)
        finally:
            stream.close()
        after = client.get(path, headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    if path.startswith("/api/"):
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "http://testserver.local/problems/database-unavailable"
        assert "Datenbankverbindungen" in problem["detail"]
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert "Datenbankverbindungen" in response.text
    assert after.status_code == 200  # the connection went back to the pool
