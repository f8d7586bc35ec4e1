"""A publish killed while it loads leaves the previous release serving; the next one cleans up."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import inspect, select

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import DATA_TABLE, RELEASE
from opendata_sozial.ingest.files import file_digest
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES, ROOT


def _changed_copy(target: Path) -> Path:
    """All packages, with one value of lebensformen changed (so a new release must load)."""
    shutil.copytree(DATAPACKAGES, target)
    folder = target / "lebensformen"
    csv = folder / "data" / "lebensformen.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",2123,", ",2124,"), encoding="utf-8")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["hash"], descriptor["resources"][0]["bytes"] = file_digest(csv)
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False), encoding="utf-8"
    )
    return target


def _kill_while_loading(url: str, packages: Path) -> None:
    env = {**os.environ, "ODS_DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "opendata_sozial", "publish", str(packages)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    engine = create_db_engine(url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as conn:
                loading = conn.execute(
                    select(RELEASE.c.id).where(RELEASE.c.status == "loading")
                ).first()
            if loading is not None:
                break
            time.sleep(0.005)
        assert process.poll() is None, "publish finished before it could be interrupted"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        engine.dispose()


def _served_value(url: str) -> tuple[int, float]:
    with TestClient(create_app(Settings(database_url=url))) as client:
        release = client.get("/health/ready").json()["release"]
        rows = client.get(
            "/api/v1/datasets/lebensformen/resources/lebensformen/rows?lebensform=Ehepaare ohne Kind&jahr=2015"
        ).json()["rows"]
    return int(release), float(rows[0]["wert"])


def test_killed_publish_keeps_previous_release_and_next_publish_cleans_up(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    engine = create_db_engine(database_url)
    publish([DATAPACKAGES], engine=engine, catalog=catalog, reference_dirs=[DATAPACKAGES])
    changed = _changed_copy(tmp_path / "packages")
    _kill_while_loading(database_url, changed)
    assert _served_value(database_url) == (1, 2123.0)
    result = publish([changed], engine=engine, catalog=catalog, reference_dirs=[changed])
    assert result.release == 2
    assert result.changed == ["lebensformen"]
    assert _served_value(database_url) == (2, 2124.0)
    with engine.connect() as conn:
        assert conn.execute(
            select(RELEASE.c.number, RELEASE.c.status).order_by(RELEASE.c.number)
        ).all() == [(1, "complete"), (2, "complete")]
        tables = set(
            conn.execute(select(DATA_TABLE.c.name).where(DATA_TABLE.c.status == "ready")).scalars()
        )
        assert (
            conn.execute(select(DATA_TABLE.c.name).where(DATA_TABLE.c.status != "ready")).first()
            is None
        )
    physical = {
        t for t in inspect(engine).get_table_names() if t.startswith("data_") and t != "data_table"
    }
    assert physical == tables
    engine.dispose()
