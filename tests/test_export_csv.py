"""CSV exports written batch-wise by the C writer equal the cell-by-cell rendering."""

import csv
import io
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendata_sozial.formats.export import PROFILES, csv_chunks
from opendata_sozial.services.catalog import DatasetRecord, ResourceRecord
from opendata_sozial.services.rows import RowsStream

TYPES = {
    "text": "string",
    "zahl": "number",
    "anzahl": "integer",
    "jahr": "year",
    "tag": "date",
    "monat": "yearmonth",
    "ja": "boolean",
}


def _stream(rows: list[tuple[Any, ...]]) -> RowsStream:
    dataset = DatasetRecord(name="d", title="D", release=1, modified="", descriptor={})
    schema = {"fields": [{"name": n, "type": t} for n, t in TYPES.items()]}
    resource = ResourceRecord(dataset=dataset, name="r", table_name="t", row_count=0, schema=schema)
    batches = [rows[i : i + 3] for i in range(0, len(rows), 3)]
    return RowsStream(resource, list(TYPES), len(rows), iter(batches))


def _reference(rows: list[tuple[Any, ...]], profile: str) -> bytes:
    """Every cell through the profile's renderer, then the csv writer: the old way."""
    separator, line_end, prefix, render = PROFILES[profile]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator=line_end)
    writer.writerow(list(TYPES))
    writer.writerows([render(v) for v in row] for row in rows)
    return prefix + buffer.getvalue().encode("utf-8")


cells = st.tuples(
    st.none() | st.text(max_size=8),
    st.none() | st.floats(allow_nan=False),
    st.none() | st.integers(),
    st.none() | st.integers(min_value=1000, max_value=9999),
    st.none() | st.dates(),
    st.none() | st.sampled_from(["2020-01", "=1+2", "-x"]),
    st.none() | st.booleans(),
)


@pytest.mark.parametrize("profile", sorted(PROFILES))
@given(rows=st.lists(cells, max_size=10))
def test_csv_chunks_equal_cell_by_cell_rendering(profile: str, rows: list[tuple[Any, ...]]) -> None:
    assert b"".join(csv_chunks(_stream(rows), profile)) == _reference(rows, profile)


def test_csv_chunks_plain_cells() -> None:
    rows = [('a, "b"\nc', 14.6, 3, 2019, date(2019, 5, 31), "2019-05", True)]
    body = b"".join(csv_chunks(_stream(rows), "rfc4180")).decode()
    assert body.splitlines()[1:] == ['"a, ""b""', 'c",14.6,3,2019,2019-05-31,2019-05,true']
