"""JSON-stat output read back by an independent client (pyjstat)."""

import csv
import json
from typing import Any

from pyjstat import pyjstat

from opendata_sozial.db.data_tables import CONVERTERS
from opendata_sozial.formats.jsonstat import jsonstat_dataset
from opendata_sozial.ingest.package import read_package
from opendata_sozial.model.dataset import Dataset, Resource
from opendata_sozial.model.parse import parse_dataset
from tests.conftest import DATAPACKAGES


def _table(name: str) -> tuple[Dataset, Resource, list[str], list[list[Any]]]:
    pkg = read_package(DATAPACKAGES / name)
    res = pkg.resources()[0]
    types = [f["type"] for f in res["schema"]["fields"]]
    with (pkg.folder / res["path"]).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [
            [None if v == "" else CONVERTERS[t](v) for t, v in zip(types, row, strict=True)]
            for row in reader
        ]
    dataset = parse_dataset(pkg.descriptor)
    return dataset, dataset.resources[0], header, rows


def test_jsonstat_round_trips_through_pyjstat() -> None:
    dataset, resource, header, rows = _table("bevoelkerungsstand")
    document = jsonstat_dataset(
        dataset=dataset,
        resource=resource,
        columns=header,
        rows=rows,
        href="http://x/rows.jsonstat",
        updated="2026-11-27T00:00:00Z",
    )
    frame = pyjstat.Dataset.read(json.dumps(document)).write("dataframe")
    assert len(frame) == len(rows)
    got = {
        (str(r["Stichtag"]), r["Geschlecht"]): r["value"] for r in frame.to_dict(orient="records")
    }
    for row in rows:
        assert (
            got[(row[header.index("stichtag")].isoformat(), row[header.index("geschlecht")])]
            == row[header.index("wert")]
        )


def test_status_symbols_and_units_are_carried() -> None:
    dataset, resource, header, rows = _table("bevoelkerungsstand")
    document = jsonstat_dataset(
        dataset=dataset, resource=resource, columns=header, rows=rows, href="h", updated="u"
    )
    flagged = [i for i, row in enumerate(rows) if row[header.index("wert_status")] == "()"]
    assert flagged
    assert set(document["status"].values()) == {"()"}
    assert len(document["status"]) == len(flagged)
    assert document["extension"]["unit"] == "Anzahl"


def test_unit_dimension_becomes_metric_role() -> None:
    dataset, resource, header, rows = _table("lebensformen")
    document = jsonstat_dataset(
        dataset=dataset, resource=resource, columns=header, rows=rows, href="h", updated="u"
    )
    assert document["role"] == {"metric": ["einheit"]}
    assert document["dimension"]["einheit"]["category"]["unit"]["%"] == {"label": "%"}
    values = [v for v in document["value"] if v is not None]
    assert len(values) == len(rows)
