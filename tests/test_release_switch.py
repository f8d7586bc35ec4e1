"""One release per request: a switch between releases never shows in half an answer.

The validators (ETag), the response cache and the handler each ask which release is current.
Here the current-release pointer is switched back and forth between two published releases,
as fast as the database takes it (exactly the update ``publish`` makes when it switches),
while the app answers requests that ask a fresh release every time (poll 0). Every answer's
ETag, ``release`` and value must still name the same release. ``tests/test_replica.py`` shows
the same on a PostgreSQL replica with a real publish.
"""

import shutil
import threading
from pathlib import Path
from urllib.parse import quote

from litestar.testing import TestClient
from sqlalchemy import select, update

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import CATALOG_STATE, RELEASE
from opendata_sozial.ingest.refresh import refresh_package
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES

ROWS = "/api/v1/datasets/lebensformen/resources/lebensformen/rows"
WHERE = f"lebensform={quote('Ehepaare ohne Kind')}&jahr=2015"
VALUES = {1: 2123.0, 2: 2124.0}
REQUESTS = 150


def _two_releases(folder: Path, catalog: CatalogInfo) -> tuple[str, list[int]]:
    url = f"sqlite:///{folder / 'ods.sqlite'}"
    package = folder / "second" / "lebensformen"
    shutil.copytree(DATAPACKAGES / "lebensformen", package)
    csv = package / "data" / "lebensformen.csv"
    csv.write_text(
        csv.read_text(encoding="utf-8").replace(",2015,2123,", ",2015,2124,"), encoding="utf-8"
    )
    refresh_package(package)
    engine = create_db_engine(url)
    try:
        for path in (DATAPACKAGES / "lebensformen", package):
            publish([path], engine=engine, catalog=catalog, reference_dirs=[DATAPACKAGES])
        with engine.connect() as conn:
            ids = list(conn.execute(select(RELEASE.c.id).order_by(RELEASE.c.number)).scalars())
    finally:
        engine.dispose()
    return url, ids


def _switching(url: str, ids: list[int], stop: threading.Event) -> None:
    engine = create_db_engine(url)
    try:
        turn = 0
        while not stop.is_set():
            turn += 1
            with engine.begin() as conn:
                conn.execute(update(CATALOG_STATE).values(current_release_id=ids[turn % 2]))
    finally:
        engine.dispose()


def test_etag_release_and_values_agree_while_releases_switch(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    url, ids = _two_releases(tmp_path, catalog)
    settings = Settings(
        database_url=url,
        base_url="http://testserver.local",
        release_poll_seconds=0,
        rate_limit_requests=0,
        cache_dir=tmp_path / "cache",
    )
    stop = threading.Event()
    switcher = threading.Thread(target=_switching, args=(url, ids, stop), daemon=True)
    seen: dict[str, set[int]] = {"json": set(), "csv": set()}
    with TestClient(create_app(settings)) as client:
        switcher.start()
        try:
            for number in range(REQUESTS):
                page = client.get(f"{ROWS}?{WHERE}&_size={number + 1}")
                assert page.status_code == 200, page.text
                tagged = int(page.headers["etag"][2:].split("-", 1)[0])
                body = page.json()
                assert (body["release"], body["rows"][0]["wert"]) == (tagged, VALUES[tagged])
                seen["json"].add(tagged)
                export = client.get(f"{ROWS}.csv?{WHERE}&_size={number + 1}")
                assert export.status_code == 200, export.text
                tagged = int(export.headers["etag"][2:].split("-", 1)[0])
                assert float(export.text.splitlines()[1].split(",")[3]) == VALUES[tagged]
                seen["csv"].add(tagged)
        finally:
            stop.set()
            switcher.join(timeout=30)
    assert seen == {"json": {1, 2}, "csv": {1, 2}}  # the switch really happened under the reads
