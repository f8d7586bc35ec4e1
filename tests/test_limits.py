"""Limits: rate limit per client (RateLimit fields, 429), URL length, filters, query time."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import MetaData, Table, func, insert, select, text

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import RESOURCE
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from opendata_sozial.web.limits import RateLimiter
from tests.conftest import DATAPACKAGES

ROWS = "/api/v1/datasets/lebensformen/resources/lebensformen/rows"
PROBLEM = "application/problem+json"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(url: str, clock: FakeClock | None = None, **limits: float) -> TestClient[Litestar]:
    settings = Settings(database_url=url, **limits)  # type: ignore[arg-type]
    return TestClient(create_app(settings, clock=clock or FakeClock()))


# Rate limit


def test_rate_limiter_counts_a_fixed_window_per_client() -> None:
    clock = FakeClock()
    limiter = RateLimiter(quota=3, window=10, clock=clock)
    assert [limiter.hit("a").remaining for _ in range(3)] == [2, 1, 0]
    refused = limiter.hit("a")
    assert (refused.is_allowed, refused.remaining, refused.reset_seconds) == (False, 0, 10)
    assert limiter.hit("b").is_allowed  # every client has its own window
    clock.now += 9.5
    assert limiter.hit("a").reset_seconds == 1
    clock.now += 0.5
    assert limiter.hit("a").remaining == 2  # a new window
    assert limiter.headers(limiter.hit("a")) == {
        "RateLimit-Policy": '"per-client";q=3;w=10',
        "RateLimit": '"per-client";r=1;t=10',
    }


@given(
    start=st.floats(min_value=0, max_value=1e9, allow_nan=False),
    offsets=st.lists(st.floats(min_value=0, max_value=200, allow_nan=False), max_size=20),
    window=st.integers(min_value=1, max_value=3600),
)
def test_rate_limit_reset_is_always_within_the_window(
    start: float, offsets: list[float], window: int
) -> None:
    clock = FakeClock()
    clock.now = start
    limiter = RateLimiter(quota=5, window=window, clock=clock)
    assert limiter.hit("a").reset_seconds == window  # a new window has all of it left
    for offset in sorted(offsets):
        clock.now = start + offset
        assert 0 <= limiter.hit("a").reset_seconds <= window


def test_rate_limit_reset_of_a_fresh_window_is_the_window_at_any_clock_position() -> None:
    # start + window - now rounded up to 61 for about one in a thousand such positions.
    for step in range(20_000):
        clock = FakeClock()
        clock.now = 1000.123456 + step * 0.37
        limiter = RateLimiter(quota=5, window=60, clock=clock)
        first = limiter.hit("a")
        clock.now += 1e-9
        assert (first.reset_seconds, limiter.hit("a").reset_seconds) == (60, 60)


def test_rate_limit_answers_429_with_retry_after(published_url: str) -> None:
    clock = FakeClock()
    settings = {"rate_limit_requests": 3, "rate_limit_window_seconds": 60}
    with _client(published_url, clock, **settings) as client:
        answers = []
        for _ in range(4):
            answers.append(client.get("/api/v1/datasets/lebensformen"))
            clock.now += 12.5
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["ratelimit"] for r in answers[:3]] == [
        '"per-client";r=2;t=60',
        '"per-client";r=1;t=48',
        '"per-client";r=0;t=35',
    ]
    refused = answers[3]
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["type"].endswith("/problems/rate-limited")
    assert refused.headers["retry-after"] == "23"
    assert "in 23 s wieder möglich" in refused.json()["detail"]
    assert refused.headers["ratelimit-policy"] == '"per-client";q=3;w=60'
    assert refused.headers["ratelimit"] == '"per-client";r=0;t=23'
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert refused.headers["cache-control"] == "no-store"


def test_rate_limit_spares_health_checks(published_url: str) -> None:
    with _client(published_url, rate_limit_requests=1) as client:
        assert client.get(ROWS).status_code == 200
        assert client.get(ROWS).status_code == 429
        for _ in range(5):
            for path in ("/health/live", "/health/ready"):
                response = client.get(path)
                assert response.status_code == 200
                assert "ratelimit" not in response.headers


def test_rate_limit_counts_errors_and_not_modified(published_url: str) -> None:
    with _client(published_url, rate_limit_requests=3) as client:
        etag = client.get(ROWS).headers["etag"]
        assert client.get(ROWS, headers={"If-None-Match": etag}).status_code == 304
        assert client.get("/api/v1/datasets/gibtsnicht").status_code == 404
        assert client.get(ROWS).status_code == 429


def test_rate_limit_can_be_turned_off(published_url: str) -> None:
    with _client(published_url, rate_limit_requests=0) as client:
        answers = [client.get(ROWS) for _ in range(30)]
    assert {r.status_code for r in answers} == {200}
    assert all("ratelimit" not in r.headers for r in answers)


# URL length and number of filters


def test_overlong_url_is_414(published_url: str) -> None:
    with _client(published_url, max_url_length=300) as client:
        fits = client.get(f"{ROWS}?lebensform={'x' * (299 - len(ROWS) - len('?lebensform='))}")
        too_long = client.get(f"{ROWS}?lebensform={'x' * 300}")
    assert fits.status_code == 200
    assert too_long.status_code == 414
    assert too_long.headers["content-type"] == PROBLEM
    assert too_long.json()["type"].endswith("/problems/uri-too-long")
    assert "300" in too_long.json()["detail"]


def test_too_many_filters_is_400(published_url: str) -> None:
    with _client(published_url, max_filters=2) as client:
        two = client.get(f"{ROWS}?jahr=2019&einheit=%25&_size=5&_sort=wert")
        three = client.get(f"{ROWS}?jahr=2019&einheit=%25&wert=1.7")
    assert two.status_code == 200
    assert three.status_code == 400
    assert three.json()["type"].endswith("/problems/invalid-parameter")
    assert "3 Filterparameter, höchstens 2" in three.json()["detail"]


def test_default_limits_allow_ordinary_queries(api: TestClient[Litestar]) -> None:
    query = "&".join(f"jahr__not={year}" for year in range(2000, 2030))  # 30 filters
    assert api.get(f"{ROWS}?{query}").status_code == 200


# Query time limit


def _grow_table(url: str, doublings: int) -> int:
    """Double the rows of lebensformen's data table ``doublings`` times, directly in SQL."""
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            name = conn.execute(select(RESOURCE.c.table_name)).scalar_one()
            table = Table(name, MetaData(), autoload_with=conn)
            others = [c for c in table.columns if c.name != "_row"]
            for _ in range(doublings):
                offset = conn.execute(select(func.max(table.c._row))).scalar_one()
                copy = select(table.c._row + offset, *others)
                conn.execute(insert(table).from_select([table.c._row, *others], copy))
            if engine.dialect.name == "postgresql":
                conn.execute(text(f'ANALYZE "{name}"'))
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def big_table(database_url: str, catalog: CatalogInfo) -> str:
    engine = create_db_engine(database_url)
    try:
        publish([DATAPACKAGES / "lebensformen"], engine=engine, catalog=catalog)
    finally:
        engine.dispose()
    assert _grow_table(database_url, 14) == 80 * 2**14
    return database_url


@pytest.mark.slow
def test_query_over_the_time_limit_is_a_503_problem(big_table: str) -> None:
    slow = f"{ROWS}?lebensform__contains=zzz&_sort=-einheit"
    with _client(big_table, query_timeout_seconds=0.02, release_poll_seconds=0) as client:
        assert client.get("/health/ready").status_code == 200
        response = client.get(slow)
        assert client.get("/api/v1/datasets/lebensformen").status_code == 200
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["retry-after"] == "5"
    problem = response.json()
    assert problem["type"].endswith("/problems/query-timeout")
    assert "Zeitlimit" in problem["detail"]
    assert "SELECT" not in response.text
    with _client(big_table, query_timeout_seconds=0) as client:  # the limit turned off
        unlimited = client.get(slow)
    assert unlimited.status_code == 200
    assert unlimited.json()["total"] == 0
