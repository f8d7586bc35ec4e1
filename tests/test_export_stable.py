"""A generated export is byte-stable: the same release and URL give the same bytes."""

import io
import time
import zipfile

import pytest
from litestar import Litestar
from litestar.testing import TestClient

ROWS = "/api/v1/datasets/lebensformen/resources/lebensformen/rows"
FRESH = {"Cache-Control": "no-cache", "Accept-Encoding": "identity"}  # rendered both times


@pytest.mark.parametrize("query", ["", "?jahr__gte=2017&_sort=-wert"])
def test_two_renders_of_a_workbook_are_byte_identical(
    api: TestClient[Litestar], query: str
) -> None:
    first = api.get(f"{ROWS}.xlsx{query}", headers=FRESH)
    time.sleep(2.1)  # ZIP times count in 2-second steps: a clock would show by now
    second = api.get(f"{ROWS}.xlsx{query}", headers=FRESH)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
        times = {info.date_time for info in archive.infolist()}
        core = archive.read("docProps/core.xml").decode("utf-8")
        assert archive.testzip() is None
    assert len(times) == 1  # every entry carries the dataset's modification time
    assert f"{min(times)[0]:04d}-{min(times)[1]:02d}-{min(times)[2]:02d}" in core


@pytest.mark.parametrize("suffix", [".csv", ".json", ".ndjson", ".csv?profile=excel-de"])
def test_two_renders_of_the_text_exports_are_byte_identical(
    api: TestClient[Litestar], suffix: str
) -> None:
    first = api.get(f"{ROWS}{suffix}", headers=FRESH)
    second = api.get(f"{ROWS}{suffix}", headers=FRESH)
    assert first.status_code == 200
    assert first.content == second.content
