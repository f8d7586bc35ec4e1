"""Publishing into SQLite and PostgreSQL, and reading it back over HTTP."""

import json
import shutil
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.errors import PackageInvalid
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES
from tests.publishing import publish_into

SHIPPED = len(list(DATAPACKAGES.glob("*/datapackage.json")))


def test_publish_then_serve_every_dataset(database_url: str, catalog: CatalogInfo) -> None:
    first = publish_into(database_url, [DATAPACKAGES], catalog=catalog)
    assert first.release == 1
    # the 30 report tables (nrw-regionen has 2 former keys, 05313 and 05354) and the Köln
    # Stadtteile table: 96 areas x 8 years x 18 counts
    assert first.rows == 10_104 + 13_824
    assert len(first.changed) == SHIPPED
    again = publish_into(database_url, [DATAPACKAGES], catalog=catalog)
    assert again.is_unchanged
    assert again.release is None
    with TestClient(
        create_app(Settings(database_url=database_url, base_url="https://example.org"))
    ) as client:
        listing = client.get("/api/v1/datasets").json()
        assert listing["total"] == SHIPPED
        assert listing["release"] == 1
        for item in listing["datasets"]:
            detail = client.get(f"/api/v1/datasets/{item['name']}").json()
            for res in detail["resources"]:
                body = client.get(res["path"].removeprefix("https://example.org")).content
                original = (
                    DATAPACKAGES / item["name"] / "data" / f"{res['name']}.csv"
                ).read_bytes()
                assert body == original
        descriptor = client.get("/api/v1/datasets/lebensformen/datapackage.json").json()
        assert (
            descriptor["resources"][0]["path"]
            == "https://example.org/api/v1/datasets/lebensformen/resources/lebensformen.csv"
        )
        assert client.get("/health/ready").json() == {"status": "ok", "release": 1}


def test_failed_publish_leaves_previous_release_serving(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    broken = tmp_path / "lebensformen"
    shutil.copytree(DATAPACKAGES / "lebensformen", broken)
    csv = broken / "data" / "lebensformen.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",2123,", ",zwei,"), encoding="utf-8")
    descriptor = json.loads((broken / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["hash"], descriptor["resources"][0]["bytes"] = file_digest(csv)
    (broken / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(PackageInvalid) as failure:
        publish_into(database_url, [broken], catalog=catalog)
    assert [(i.code, i.row, i.field) for i in failure.value.issues] == [("type-error", 2, "wert")]
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        assert client.get("/health/ready").json()["release"] == 1
        body = client.get("/api/v1/datasets/lebensformen/resources/lebensformen.csv").content
        assert body == (DATAPACKAGES / "lebensformen" / "data" / "lebensformen.csv").read_bytes()


def test_unknown_names_get_problem_details(tmp_path: Path, catalog: CatalogInfo) -> None:
    url = f"sqlite:///{tmp_path / 'ods.sqlite'}"
    with TestClient(create_app(Settings(database_url=url))) as client:
        empty = client.get("/api/v1/datasets")
        assert empty.status_code == 503
        assert empty.headers["content-type"] == "application/problem+json"
        assert empty.headers["retry-after"] == "5"
    publish_into(url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    with TestClient(create_app(Settings(database_url=url))) as client:
        missing = client.get("/api/v1/datasets/gibtsnicht")
        assert missing.status_code == 404
        problem = missing.json()
        assert problem["type"].endswith("/problems/dataset-not-found")
        assert "lebensformen" in problem["detail"]
        assert client.get("/api/v1/datasets/lebensformen/resources/x.csv").status_code == 404
        assert client.get("/health/live").json() == {"status": "ok"}


def test_backend_fault_is_a_problem_without_internals(
    database_url: str, catalog: CatalogInfo
) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        (table,) = conn.execute(text("SELECT table_name FROM resource")).scalars()
        conn.execute(text(f'DROP TABLE "{table}"'))
    engine.dispose()
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/api/v1/datasets/lebensformen/resources/lebensformen/rows")
    assert response.status_code in {500, 503}
    assert response.headers["content-type"] == "application/problem+json"
    assert table not in response.text
    assert "SELECT" not in response.text
