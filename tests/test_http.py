"""HTTP semantics on both databases: validators, 304s, HEAD, compression, CORS, headers."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar, get
from litestar.testing import TestClient, create_test_client

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.schema import upgrade_schema
from opendata_sozial.web.app import create_app
from opendata_sozial.web.http import HttpPlugin
from tests.conftest import DATAPACKAGES
from tests.publishing import changed_copy, publish_into

DATASETS = "/api/v1/datasets"
DATASET = "/api/v1/datasets/lebensformen"
DESCRIPTOR = "/api/v1/datasets/lebensformen/datapackage.json"
ORIGINAL = "/api/v1/datasets/lebensformen/resources/lebensformen.csv"
READS = [DATASETS, DATASET, DESCRIPTOR, ORIGINAL]
API_CACHING = "public, max-age=60, stale-while-revalidate=300"
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


def _client(url: str, *, poll: float = 0) -> TestClient[Litestar]:
    return TestClient(create_app(Settings(database_url=url, release_poll_seconds=poll)))


@pytest.fixture
def published(database_url: str, catalog: CatalogInfo) -> str:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    return database_url


@pytest.fixture
def client(published: str) -> Iterator[TestClient[Litestar]]:
    with _client(published) as http:
        yield http


# ETag


@pytest.mark.parametrize("url", READS)
def test_etag_is_strong_and_stable(client: TestClient[Litestar], url: str) -> None:
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"r1-')
    assert etag.endswith('"')
    assert second.headers["etag"] == etag


def test_etag_follows_query_not_parameter_order(client: TestClient[Litestar]) -> None:
    def etag(query: str) -> str:
        return client.get(f"{DATASETS}?{query}").headers["etag"]

    assert etag("a=1&b=2") == etag("b=2&a=1")
    assert etag("a=1") != etag("a=2")
    assert etag("a=1&a=2") != etag("a=2&a=1")
    assert client.get(DATASETS).headers["etag"] != etag("a=1")


@pytest.mark.parametrize("url", [DATASET, ORIGINAL])
def test_etag_differs_by_content_coding(client: TestClient[Litestar], url: str) -> None:
    packed, plain = client.get(url, headers=GZIP), client.get(url, headers=IDENTITY)
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert packed.content == plain.content
    assert packed.headers["etag"] != plain.headers["etag"]


def test_last_modified_is_the_release_time(client: TestClient[Litestar]) -> None:
    assert client.get(DATASET).headers["last-modified"].endswith(" GMT")


def test_errors_carry_no_validators(client: TestClient[Litestar]) -> None:
    missing = client.get(f"{DATASETS}/gibtsnicht")
    assert missing.status_code == 404
    assert "etag" not in missing.headers
    assert "last-modified" not in missing.headers


# Conditional requests


def _assert_not_modified(response: httpx.Response, etag: str) -> None:
    assert response.status_code == 304
    assert response.content == b""
    headers = response.headers
    assert headers["etag"] == etag
    assert headers["cache-control"] == API_CACHING
    assert "Accept-Encoding" in headers["vary"]
    assert "content-type" not in headers


@pytest.mark.parametrize(
    "header",
    ["{etag}", "W/{etag}", '"r0-alt", {etag}', 'W/"r0-alt",W/{etag}', "*"],
    ids=["exact", "weak", "list", "weak-list", "star"],
)
@pytest.mark.parametrize("url", [DATASET, ORIGINAL])
def test_if_none_match_answers_304(client: TestClient[Litestar], url: str, header: str) -> None:
    etag = client.get(url).headers["etag"]
    response = client.get(url, headers={"If-None-Match": header.format(etag=etag)})
    _assert_not_modified(response, etag)


def test_if_none_match_reads_repeated_header_lines(client: TestClient[Litestar]) -> None:
    etag = client.get(DATASET).headers["etag"]
    lines = [("If-None-Match", '"r0-alt"'), ("If-None-Match", etag)]
    _assert_not_modified(client.get(DATASET, headers=httpx.Headers(lines)), etag)


def test_if_none_match_accepts_the_tag_of_another_coding(client: TestClient[Litestar]) -> None:
    identity_tag = client.get(DATASET, headers=IDENTITY).headers["etag"]
    response = client.get(DATASET, headers={**GZIP, "If-None-Match": identity_tag})
    _assert_not_modified(response, identity_tag)


def test_if_none_match_without_match_answers_200(client: TestClient[Litestar]) -> None:
    response = client.get(DATASET, headers={"If-None-Match": '"r1-other", W/"x"'})
    assert response.status_code == 200
    assert response.json()["name"] == "lebensformen"


def test_if_none_match_star_on_missing_dataset_is_404(client: TestClient[Litestar]) -> None:
    assert client.get(f"{DATASETS}/gibtsnicht", headers={"If-None-Match": "*"}).status_code == 404


def test_if_modified_since_answers_304(client: TestClient[Litestar]) -> None:
    first = client.get(DATASET)
    response = client.get(DATASET, headers={"If-Modified-Since": first.headers["last-modified"]})
    _assert_not_modified(response, first.headers["etag"])


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        {"If-Modified-Since": "kein Datum"},
        {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT", "If-None-Match": '"r1-other"'},
    ],
    ids=["older", "unparseable", "if-none-match-wins"],
)
def test_if_modified_since_falls_through(
    client: TestClient[Litestar], headers: dict[str, str]
) -> None:
    assert client.get(DATASET, headers=headers).status_code == 200


def test_if_modified_since_on_missing_dataset_is_404(client: TestClient[Litestar]) -> None:
    headers = {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
    assert client.get(f"{DATASETS}/gibtsnicht", headers=headers).status_code == 404


def test_new_release_changes_etag(published: str, catalog: CatalogInfo, tmp_path: Path) -> None:
    with _client(published, poll=0) as client:
        before = client.get(DATASET)
        publish_into(published, [changed_copy(tmp_path / "lebensformen")], catalog=catalog)
        after = client.get(DATASET, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["release"] == 2
    assert after.headers["etag"].startswith('"r2-')
    assert after.headers["etag"] != before.headers["etag"]


def test_release_lookup_is_reused_within_poll_window(
    published: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    with _client(published, poll=3600) as client:
        before = client.get(DATASETS).headers["etag"]
        publish_into(published, [changed_copy(tmp_path / "lebensformen")], catalog=catalog)
        assert client.get(DATASETS).headers["etag"] == before


# HEAD


@pytest.mark.parametrize("url", [*READS, f"{DATASETS}/gibtsnicht", "/health/live"])
def test_head_has_get_headers_without_body(client: TestClient[Litestar], url: str) -> None:
    full, head = client.get(url), client.head(url)
    assert head.status_code == full.status_code
    assert head.content == b""
    # The remaining rate-limit quota (``RateLimit: …;r=N``) drops by one between the two.
    assert _without_counter(head.headers) == _without_counter(full.headers)


def _without_counter(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name != "ratelimit"}


def test_head_honours_if_none_match(client: TestClient[Litestar]) -> None:
    etag = client.head(ORIGINAL).headers["etag"]
    _assert_not_modified(client.head(ORIGINAL, headers={"If-None-Match": etag}), etag)


def test_options_lists_head(client: TestClient[Litestar]) -> None:
    allow = client.options(DATASET).headers["allow"]
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in allow.split(",")}


# Compression


def test_small_responses_stay_uncompressed_but_vary(client: TestClient[Litestar]) -> None:
    response = client.get("/health/ready", headers=GZIP)
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"


def test_streamed_original_is_compressed_in_chunks(client: TestClient[Litestar]) -> None:
    response = client.get(ORIGINAL, headers=GZIP)
    assert response.headers["content-encoding"] == "gzip"
    assert "content-length" not in response.headers  # streamed: no length known up front
    original = DATAPACKAGES / "lebensformen" / "data" / "lebensformen.csv"
    assert response.content == original.read_bytes()


def test_binary_responses_stay_uncompressed(tmp_path: Path) -> None:
    @get("/blob", sync_to_thread=False, media_type="application/octet-stream")
    def blob() -> bytes:
        return b"\0" * 2000

    @get("/text", sync_to_thread=False, media_type="text/plain")
    def text() -> str:
        return "x" * 2000

    plugin = HttpPlugin()
    with create_test_client(route_handlers=[blob, text], plugins=[plugin]) as client:
        assert "content-encoding" not in client.get("/blob", headers=GZIP).headers
        assert client.get("/text", headers=GZIP).headers["content-encoding"] == "gzip"


# CORS


def test_cors_preflight(client: TestClient[Litestar]) -> None:
    response = client.options(
        DATASET,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    assert "if-none-match" in response.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize("extra", [{}, {"If-None-Match": "*"}], ids=["200", "304"])
def test_cors_simple_request(client: TestClient[Litestar], extra: dict[str, str]) -> None:
    response = client.get(DATASET, headers={"Origin": "https://example.org", **extra})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"ETag", "Link", "Content-Disposition", "X-Total-Count", "X-Row-Count"} <= exposed


# Security headers and caching policy


def _assert_secured(headers: httpx.Headers) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize(
    ("url", "status", "cache"),
    [
        (DATASET, 200, API_CACHING),
        ("/health/live", 200, "no-store"),
        (f"{DATASETS}/gibtsnicht", 404, "no-store"),
        (f"{DATASET}/resources/gibtsnicht.csv", 404, "no-store"),
        ("/nirgendwo", 404, "no-store"),
    ],
)
def test_headers_by_status(client: TestClient[Litestar], url: str, status: int, cache: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["cache-control"] == cache
    _assert_secured(response.headers)


def test_unpublished_database_answers_secured_uncached_503(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    with _client(database_url) as client:
        response = client.get(DATASETS)
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    _assert_secured(response.headers)


def test_openapi_docs_keep_working(client: TestClient[Litestar]) -> None:
    page = client.get("/schema")
    assert page.status_code == 200
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
