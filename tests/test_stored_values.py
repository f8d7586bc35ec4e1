"""Distinct values counted at publish: equal to a live GROUP BY, and each release has its own."""

import csv
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.data_tables import define_data_table, dimension_fields, stored_values
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import DATASET, RESOURCE, TABLE_VALUES
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.model.parse import parse_table
from opendata_sozial.query.builder import values_select
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES
from tests.publishing import publish_into

VALUES = "/api/v1/datasets/{name}/resources/{resource}/values/{field}"


def _resources(url: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(dataset, resource, table, schema) of every table resource in the database."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(DATASET.c.name, RESOURCE.c.name, RESOURCE.c.table_name, RESOURCE.c.schema)
                .join(DATASET, DATASET.c.id == RESOURCE.c.dataset_id)
                .where(RESOURCE.c.table_name != "")
            ).all()
    finally:
        engine.dispose()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _live_and_stored(url: str, table: str, schema: dict[str, Any], field: str) -> tuple[Any, Any]:
    """A live GROUP BY of ``field`` and the values stored for it at publish."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            data = define_data_table(table, schema)
            live = [(r[0], int(r[1])) for r in conn.execute(values_select(data, field, ()))]
            kind = next(f["type"] for f in schema["fields"] if f["name"] == field)
            stored = stored_values(conn, table, field, kind)
    finally:
        engine.dispose()
    return live, stored


def _wire(values: list[tuple[Any, int]]) -> list[dict[str, Any]]:
    """Values as ``values/{field}`` answers them (JSON: dates as text)."""
    return json.loads(json.dumps([{"value": v, "count": n} for v, n in values], default=str))


def test_stored_values_equal_a_live_group_by(published_url: str, api: TestClient[Litestar]) -> None:
    checked = 0
    for name, resource, table, schema in _resources(published_url):
        for field in dimension_fields(parse_table(table, schema)):
            live, stored = _live_and_stored(published_url, table, schema, field)
            assert stored == live, (name, resource, field)
            body = api.get(VALUES.format(name=name, resource=resource, field=field)).json()
            assert [{"value": v["value"], "count": v["count"]} for v in body["values"]] == _wire(
                live
            ), (name, resource, field)
            checked += 1
    assert checked > 50  # every shipped table has dimension columns


def test_filtered_values_are_grouped_live(api: TestClient[Litestar]) -> None:
    path = VALUES.format(name="lebensformen", resource="lebensformen", field="jahr")
    every = {v["value"]: v["count"] for v in api.get(path).json()["values"]}
    one = api.get(f"{path}?lebensform=Ehepaare ohne Kind").json()["values"]
    text = (DATAPACKAGES / "lebensformen/data/lebensformen.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert every == Counter(int(r["jahr"]) for r in rows)
    assert {v["value"]: v["count"] for v in one} == Counter(
        int(r["jahr"]) for r in rows if r["lebensform"] == "Ehepaare ohne Kind"
    )
    assert every != {v["value"]: v["count"] for v in one}


def _without_year(source: Path, folder: Path, year: str) -> None:
    """A new version of lebensformen without the rows of ``year`` (hash and size follow)."""
    shutil.copytree(source, folder)
    data = folder / "data" / "lebensformen.csv"
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text(
        "".join(line for line in lines if f",{year}," not in line), encoding="utf-8", newline=""
    )
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["hash"], descriptor["resources"][0]["bytes"] = file_digest(data)
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False), encoding="utf-8"
    )


def test_a_new_release_gets_its_own_values(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    folder = tmp_path / "lebensformen"
    _without_year(DATAPACKAGES / "lebensformen", folder, "2019")
    second = publish_into(database_url, [folder], catalog=catalog)
    assert second.release == 2
    tables = {t for _, _, t, _ in _resources(database_url)}
    assert len(tables) == 2  # release 1 and 2 each have their table of lebensformen
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = {table: stored_values(conn, table, "jahr", "year") for table in sorted(tables)}
            counted = conn.execute(
                select(TABLE_VALUES.c.table_name).where(TABLE_VALUES.c.field == "jahr")
            ).all()
    finally:
        engine.dispose()
    assert {r[0] for r in counted} == tables
    years = sorted(sorted(v for v, _ in values or []) for values in stored.values())
    assert len(years[1]) == len(years[0]) + 1
    assert set(years[1]) - set(years[0]) == {2019}
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        path = VALUES.format(name="lebensformen", resource="lebensformen", field="jahr")
        now = {v["value"] for v in client.get(path).json()["values"]}
        pinned = path.replace("/api/v1/", "/api/v1/releases/1/")
        before = {v["value"] for v in client.get(pinned).json()["values"]}
    assert 2019 not in now
    assert 2019 in before
