"""Every export spells the numbers of every shipped package as its canonical CSV does.

The rule (``formats/formatting.py``): an integral value has no decimals (``2016``, never
``2016.0``); any other value is the shortest text that reads back to the same number. A source
cell written with trailing zeros (``15.0``) is stored as a double and comes back as ``15``: the
trailing zeros of a published precision are not kept (the limit is documented in docs/api.md).
"""

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.formats.formatting import number_text, plain_number
from tests.conftest import DATAPACKAGES


def _resources() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for descriptor in sorted(DATAPACKAGES.glob("*/datapackage.json")):
        package = json.loads(descriptor.read_text(encoding="utf-8"))
        for resource in package["resources"]:
            if any(
                f["type"] == "number" for f in resource.get("schema", {"fields": []})["fields"]
            ):  # boundaries have none
                found.append((package["name"], resource))
    return found


RESOURCES = _resources()


def _spelled(cell: str) -> str:
    """The canonical cell in the export's spelling: trailing zeros of the decimals dropped."""
    if "." not in cell:
        return cell
    return cell.rstrip("0").rstrip(".")


class _Canonical:
    """Number cells of one canonical CSV, keyed by the text of the primary-key cells."""

    def __init__(self, package: str, resource: dict[str, Any]) -> None:
        schema = resource["schema"]
        self.key = list(schema["primaryKey"])
        self.numbers = [f["name"] for f in schema["fields"] if f["type"] == "number"]
        path = DATAPACKAGES / package / resource["path"]
        with Path(path).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        self.cells = {self._key(row): {n: row[n] for n in self.numbers} for row in rows}
        assert len(self.cells) == len(rows)

    def _key(self, row: dict[str, Any]) -> tuple[str, ...]:
        return tuple("" if row[k] is None else str(row[k]) for k in self.key)

    def check_text(self, rows: list[dict[str, str]], decimal: str = ".") -> None:
        """CSV rows: every number cell is the canonical spelling, with ``decimal`` as sign."""
        assert len(rows) == len(self.cells)
        for row in rows:
            expected = self.cells[self._key(row)]
            for name in self.numbers:
                assert row[name] == _spelled(expected[name]).replace(".", decimal), (name, row)

    def check_values(self, rows: list[dict[str, Any]]) -> None:
        """Parsed rows (JSON, XLSX): the same number, integral values as integers."""
        assert len(rows) == len(self.cells)
        for row in rows:
            expected = self.cells[self._key(row)]
            for name in self.numbers:
                assert _typed(row[name]) == _typed(_json_value(expected[name])), (name, row)

    def values(self) -> list[Any]:
        return [_json_value(c[n]) for c in self.cells.values() for n in self.numbers]


def _json_value(cell: str) -> Any:  # a JSON number or null
    return None if cell == "" else json.loads(_spelled(cell))


def _typed(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def _url(package: str, resource: str, suffix: str) -> str:
    return f"/api/v1/datasets/{package}/resources/{resource}/{suffix}"


@pytest.mark.parametrize(("package", "resource"), RESOURCES, ids=[r["name"] for _, r in RESOURCES])
def test_every_export_spells_numbers_as_the_canonical_csv(
    api: TestClient[Litestar], package: str, resource: dict[str, Any]
) -> None:
    canonical = _Canonical(package, resource)
    name = resource["name"]

    plain = api.get(_url(package, name, "rows.csv"))
    assert plain.status_code == 200, plain.text
    canonical.check_text(list(csv.DictReader(io.StringIO(plain.text))))

    excel = api.get(_url(package, name, "rows.csv"), params={"profile": "excel-de"})
    assert excel.status_code == 200, excel.text
    text = excel.content.decode("utf-8-sig")
    canonical.check_text(list(csv.DictReader(io.StringIO(text), delimiter=";")), decimal=",")

    as_json = api.get(_url(package, name, "rows.json"))
    canonical.check_values(json.loads(as_json.content))

    ndjson = api.get(_url(package, name, "rows.ndjson"))
    canonical.check_values([json.loads(line) for line in ndjson.text.splitlines()])

    canonical.check_values(_every_page(api, _url(package, name, "rows?_size=1000")))
    arrays = _every_page(api, _url(package, name, "rows?_size=1000&_shape=arrays"))
    canonical.check_values(arrays)

    canonical.check_values(_xlsx_rows(api.get(_url(package, name, "rows.xlsx")).content))

    stat = api.get(_url(package, name, "rows.jsonstat"))
    assert stat.status_code == 200, stat.text
    measure = json.loads(stat.content)["value"]
    expected = [v for v in canonical.values() if v is not None]
    got = [v for v in measure if v is not None]
    assert sorted(map(_typed, got)) == sorted(map(_typed, expected))


def _every_page(api: TestClient[Litestar], url: str) -> list[dict[str, Any]]:
    """Rows of every page, following our own ``next`` links (arrays made into objects)."""
    rows: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = api.get(next_url)
        assert page.status_code == 200, page.text
        body = json.loads(page.content)
        if "columns" in body and body["rows"] and isinstance(body["rows"][0], list):
            rows += [dict(zip(body["columns"], r, strict=True)) for r in body["rows"]]
        else:
            rows += body["rows"]
        next_url = body["next"]
    return rows


def _xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True)["Daten"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = [str(h) for h in rows[0]]
    return [
        {h: v.date() if isinstance(v, datetime) else v for h, v in zip_longest(header, r)}
        for r in rows[1:]
    ]


def test_values_of_a_number_field_are_spelled_plainly(api: TestClient[Litestar]) -> None:
    body = api.get(_url("lebensformen", "lebensformen", "values/wert")).json()
    values = [v["value"] for v in body["values"]]
    assert values
    assert not any(isinstance(v, float) and v.is_integer() for v in values)


@pytest.mark.parametrize(
    ("value", "text", "plain"),
    [
        (2016.0, "2016", 2016),
        (-3.0, "-3", -3),
        (14.6, "14.6", 14.6),
        (0.1 + 0.2, "0.30000000000000004", 0.1 + 0.2),
        (1e-05, "0.00001", 1e-05),
        (2.0**60, "1152921504606847000", 2.0**60),
    ],
)
def test_number_spelling(value: float, text: str, plain: float) -> None:
    assert number_text(value) == text
    assert _typed(plain_number(value)) == _typed(plain)
    assert Decimal(number_text(value)) == Decimal(repr(value))
