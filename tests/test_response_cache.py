"""The response cache serves a release's answers again, and only that release's."""

import subprocess
import sys
from pathlib import Path

import pytest
from litestar.datastructures import MutableScopeHeaders
from litestar.testing import TestClient
from sqlalchemy import text

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.web.app import create_app
from opendata_sozial.web.cache import Entry, MemoryTier, is_storable
from tests.conftest import DATAPACKAGES, ROOT
from tests.publishing import publish_into

ROWS = "/api/v1/datasets/lebensformen/resources/lebensformen/rows"
SCALE = "gemeinde-indikatoren-synthetisch"


def _client(url: str, cache: Path) -> TestClient:  # type: ignore[type-arg]
    settings = Settings(database_url=url, cache_dir=cache, rate_limit_requests=0)
    return TestClient(create_app(settings))


def _change_behind_the_release(url: str, table_column: str = "wert") -> None:
    """Alter the served rows in place, which no publish ever does: shows what was cached."""
    engine = create_db_engine(url)
    with engine.begin() as conn:
        (table,) = conn.execute(text("SELECT table_name FROM resource")).scalars()
        conn.execute(text(f'UPDATE "{table}" SET "{table_column}" = NULL'))
    engine.dispose()


def test_cache_answers_a_repeated_read_from_the_release(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    with _client(database_url, tmp_path / "cache") as client:
        first = client.get(ROWS, params={"_size": 5})
        _change_behind_the_release(database_url)
        again = client.get(ROWS, params={"_size": 5})
        fresh = client.get(ROWS, params={"_size": 5}, headers={"Cache-Control": "no-cache"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert {r["wert"] for r in fresh.json()["rows"]} == {None}


def test_cache_keeps_gzip_and_identity_apart(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    with _client(database_url, tmp_path / "cache") as client:
        plain = [client.get(ROWS, headers={"Accept-Encoding": "identity"}) for _ in range(2)]
        packed = [client.get(ROWS, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
    assert plain[1].headers.get("content-encoding") is None
    assert packed[1].headers["content-encoding"] == "gzip"
    assert plain[1].content == plain[0].content
    assert packed[1].json() == plain[1].json()
    assert packed[1].headers["etag"] != plain[1].headers["etag"]


def test_cache_never_keeps_errors(database_url: str, catalog: CatalogInfo, tmp_path: Path) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    with _client(database_url, tmp_path / "cache") as client:
        statuses = [client.get(f"{ROWS}?gibtsnicht=1").status_code for _ in range(2)]
        assert statuses == [400, 400]
        assert client.get(ROWS, params={"_size": 5}).status_code == 200


def test_a_new_release_is_a_new_key(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    settings = Settings(
        database_url=database_url,
        cache_dir=tmp_path / "cache",
        rate_limit_requests=0,
        release_poll_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/datasets").json()["total"] == 1
        publish_into(
            database_url,
            [DATAPACKAGES / "lebensformen", DATAPACKAGES / "bevoelkerungsstand"],
            catalog=catalog,
        )
        listing = client.get("/api/v1/datasets").json()
    assert listing["release"] == 2
    assert listing["total"] == 2


@pytest.fixture(scope="module")
def scale_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic package of 6 000 rows (about 450 KB of CSV), made by the bench generator."""
    out = tmp_path_factory.mktemp("scale") / SCALE
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "make_scale_package.py"),
            "--rows",
            "6000",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_large_responses_go_to_the_disk_tier(
    scale_package: Path, catalog: CatalogInfo, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ods.sqlite'}"
    publish_into(url, [scale_package], catalog=catalog)
    base = f"/api/v1/datasets/{SCALE}/resources/{SCALE}"
    original = (scale_package / "data" / f"{SCALE}.csv").read_bytes()
    cache = tmp_path / "cache"
    plain = {"Accept-Encoding": "identity"}  # httpx asks for gzip by default
    with _client(url, cache) as client:
        exported = client.get(f"{base}/rows.csv", headers=plain)
        assert len(exported.content) > 256 << 10
        assert [p.suffix for p in sorted(cache.glob("responses/*/*"))] == [".body", ".head"]
        _change_behind_the_release(url)
        again = client.get(f"{base}/rows.csv", headers=plain)
        head = client.head(f"{base}/rows.csv", headers=plain)
        files = [client.get(f"{base}.csv", headers=plain) for _ in range(2)]
        packed = client.get(f"{base}/rows.csv", headers={"Accept-Encoding": "gzip"})
    assert again.content == exported.content
    assert again.headers["x-row-count"] == "6000"
    assert head.status_code == 200
    assert head.content == b""
    assert files[0].content == files[1].content == original
    assert packed.content != exported.content  # gzip: another key, rendered after the change
    assert ",," in packed.text


def test_scale_package_is_valid_and_says_it_is_synthetic(scale_package: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "opendata-sozial"), "validate", str(scale_package)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    descriptor = (scale_package / "datapackage.json").read_text(encoding="utf-8")
    assert "SYNTHETISCH" in descriptor
    assert '"synthetisch"' in descriptor  # a keyword


def test_storable_responses() -> None:
    def headers(*pairs: tuple[str, str]) -> MutableScopeHeaders:
        raw = [(k.encode(), v.encode()) for k, v in pairs]
        return MutableScopeHeaders.from_message(
            {"type": "http.response.start", "status": 200, "headers": raw}
        )

    assert is_storable(headers(("content-type", "application/json")))
    assert is_storable(headers(("vary", "Accept-Encoding")))
    assert not is_storable(headers(("vary", "Accept")))
    assert not is_storable(headers(("set-cookie", "a=b")))
    assert not is_storable(headers(("cache-control", "private, max-age=60")))


def test_memory_tier_evicts_the_least_recently_used() -> None:
    tier = MemoryTier(capacity=10)
    tier.put("a", Entry(200, [], b"aaaa"))
    tier.put("b", Entry(200, [], b"bbbb"))
    assert tier.get("a") is not None
    tier.put("c", Entry(200, [], b"cccc"))
    assert tier.get("b") is None
    assert tier.get("a") is not None
    assert tier.size == 8
    tier.put("huge", Entry(200, [], b"x" * 11))
    assert tier.get("huge") is None
