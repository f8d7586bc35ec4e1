"""The original CSV and the served ``datapackage.json`` as an HTTP client sees them."""

import json

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import DATAPACKAGES

ORIGINAL = "/api/v1/datasets/lebensformen/resources/lebensformen.csv"
FILE = DATAPACKAGES / "lebensformen" / "data" / "lebensformen.csv"


def test_original_csv_sends_its_length(api: TestClient[Litestar]) -> None:
    response = api.get(ORIGINAL, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-length"] == str(FILE.stat().st_size)
    assert response.content == FILE.read_bytes()
    head = api.head(ORIGINAL, headers={"Accept-Encoding": "identity"})
    assert head.headers["content-length"] == str(FILE.stat().st_size)


def test_gzipped_original_has_no_stale_length(api: TestClient[Litestar]) -> None:
    response = api.get(ORIGINAL, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers.get("content-length") != str(FILE.stat().st_size)
    assert response.content == FILE.read_bytes()


def test_served_datapackage_points_at_http_not_at_files(api: TestClient[Litestar]) -> None:
    for url in (
        "/api/v1/datasets/lebensformen/datapackage.json",
        "/api/v1/datasets/lebensformen",
    ):
        descriptor = json.loads(api.get(url).content)
        for resource in descriptor["resources"]:
            assert resource["path"].startswith("http://testserver.local/")
            assert resource["scheme"] == "http"
