"""One changed cell in a 300,000-row table: every page and feed still answers at once.

Row changes are computed when the release is published and stored; the feed, the releases list,
the diff and the pages only read them (issue: on PostgreSQL, a NULL-safe anti join computed on
request made them answer 503 after 10 s, forever). Both backends, the real publish path.
"""

import time
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.config import Settings
from opendata_sozial.ingest.refresh import refresh_package
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES
from tests.publishing import publish_into, scale_package

NAME = "gemeinde-indikatoren-synthetisch"
ROWS = 300_000
ANSWER_SECONDS = 5.0
"""Far above a normal answer (milliseconds) and far below the query limit that gave the 503s."""


def make_package(folder: Path) -> Path:
    return scale_package(folder, ROWS)


def change_one_cell(package: Path) -> tuple[str, str]:
    """Change the value of data row 150,000; return its key (ags) and the new value."""
    data = package / "data" / f"{NAME}.csv"
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[150_000].rstrip("\n").split(",")
    cells[5] = "99.9" if cells[5] != "99.9" else "98.8"
    lines[150_000] = ",".join(cells) + "\n"
    data.write_text("".join(lines), encoding="utf-8")
    refresh_package(package)
    return cells[3], cells[5]


def test_one_changed_cell_keeps_every_page_fast(database_url: str, tmp_path: Path) -> None:
    package = make_package(tmp_path)
    publish_into(database_url, [DATAPACKAGES / "lebensformen"])
    publish_into(database_url, [package])
    ags, value = change_one_cell(package)
    publish_into(database_url, [package])
    settings = Settings(
        database_url=database_url,
        base_url="http://testserver.local",
        rate_limit_requests=0,
        cache_dir=tmp_path / "cache",
    )
    urls = [
        "/api/v1/releases",
        "/api/v1/releases/3",
        "/api/v1/changes",
        "/api/v1/changes.atom",
        f"/api/v1/datasets/{NAME}/diff?from=2&to=3",
        f"/api/v1/datasets/{NAME}/diff/rows?from=2&to=3",
        f"/api/v1/datasets/{NAME}/diff/rows?from=3&to=2",
        "/aenderungen",
        f"/datensaetze/{NAME}/versionen",
        "/datensaetze/lebensformen",
    ]
    with TestClient[Litestar](create_app(settings)) as http:
        for url in urls:
            started = time.perf_counter()
            answer = http.get(url, headers={"Cache-Control": "no-cache"})
            took = time.perf_counter() - started
            assert answer.status_code == 200, (url, answer.text[:300])
            assert took < ANSWER_SECONDS, (url, took)
        diff = http.get(f"/api/v1/datasets/{NAME}/diff?from=2&to=3").json()
        rows = http.get(f"/api/v1/datasets/{NAME}/diff/rows?from=2&to=3").json()
    assert diff["resources"][0]["rows"] == {
        "added": 0,
        "changed": 1,
        "removed": 0,
        "is_comparable": True,
        "listed": 1,
    }
    (change,) = rows["rows"]
    assert change["kind"] == "changed"
    assert change["key"]["ags"] == ags
    assert change["new"] == {"wert": float(value)}
