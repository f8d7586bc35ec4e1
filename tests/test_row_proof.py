"""The fast row proof of ``publish`` says exactly what the full checks say, or defers to them."""

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.db.data_tables import CONVERTERS, typed_rows
from opendata_sozial.ingest.package import read_package
from opendata_sozial.ingest.row_proof import is_eligible, prove_rows
from opendata_sozial.ingest.validate import validate_paths
from tests.broken_packages import CASES, copy_valid, flatten, letters_in_number, refresh_digest
from tests.conftest import DATAPACKAGES, REFERENCE_DIRS

SHIPPED = sorted(p.parent for p in DATAPACKAGES.glob("*/datapackage.json"))


@pytest.mark.parametrize(("mutate", "expected", "fragment"), CASES)
def test_proof_reports_every_broken_package_like_the_full_checks(
    tmp_path: Path,
    catalog: CatalogInfo,
    mutate: Callable[[Path], None],
    expected: list[Any],
    fragment: str,
) -> None:
    folder = copy_valid(tmp_path)
    mutate(folder)
    full = validate_paths([folder], catalog)
    proven = validate_paths([folder], catalog, prove_rows_from=0)
    assert flatten(proven) == flatten(full) == expected
    assert [i.message for i in proven.errors()] == [i.message for i in full.errors()]


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_proof_accepts_every_shipped_package_like_the_full_checks(
    folder: Path, catalog: CatalogInfo
) -> None:
    full = validate_paths([folder], catalog, reference_dirs=REFERENCE_DIRS)
    proven = validate_paths([folder], catalog, reference_dirs=REFERENCE_DIRS, prove_rows_from=0)
    assert proven.is_valid
    assert full.is_valid
    assert flatten(proven) == flatten(full)  # the unused-footnote warnings too
    pkg = read_package(folder)
    for res in pkg.resources():
        if res["format"] == "csv" and is_eligible(
            res
        ):  # the plain house style is proven, not deferred
            assert prove_rows(pkg, res, folder / res["path"], _region_keys()) is not None


def _region_keys() -> dict[tuple[str, str, str], frozenset[str]]:
    path = DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        keys = frozenset(row["ags"] for row in csv.DictReader(handle))
    return {("nrw-regionen", "regionen", "ags"): keys}


def _csv_lines(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "data" / "armutsrisikoquoten-merkmale.csv"
    return path, path.read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (",2005,", ",2005.0,"),  # a year frictionless rejects: proof unsure, full check reports
        (",14.6,", ",014.6,"),  # a number frictionless accepts in another spelling
        (",14.6,", ",1.46e1,"),
        (",14.6,", ", 14.6,"),
    ],
)
def test_proof_defers_unusual_spellings_to_the_full_checks(
    tmp_path: Path, catalog: CatalogInfo, old: str, new: str
) -> None:
    folder = copy_valid(tmp_path)
    path, lines = _csv_lines(folder)
    number = next(i for i, line in enumerate(lines) if old in line and i > 0)
    lines[number] = lines[number].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    refresh_digest(folder)
    pkg = read_package(folder)
    assert prove_rows(pkg, pkg.resources()[0], path, {}) is None
    assert flatten(validate_paths([folder], catalog, prove_rows_from=0)) == flatten(
        validate_paths([folder], catalog)
    )


def test_proof_finds_a_duplicate_key_far_apart(tmp_path: Path, catalog: CatalogInfo) -> None:
    folder = copy_valid(tmp_path)
    path, lines = _csv_lines(folder)
    lines[-2] = lines[1]  # the last data row repeats the first
    path.write_text("\n".join(lines), encoding="utf-8")
    refresh_digest(folder)
    pkg = read_package(folder)
    assert prove_rows(pkg, pkg.resources()[0], path, {}) is None
    report = validate_paths([folder], catalog, prove_rows_from=0)
    assert [i.code for i in report.errors()] == ["primary-key"]


def test_proof_leaves_constraints_to_frictionless(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resource = descriptor["resources"][0]
    assert is_eligible(resource)
    resource["schema"]["fields"][-1]["constraints"] = {"required": True}
    assert not is_eligible(resource)


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_typed_rows_match_cell_by_cell_conversion(folder: Path) -> None:
    pkg = read_package(folder)
    for res in [r for r in pkg.resources() if r["format"] == "csv"]:  # boundaries: no rows
        types = [f["type"] for f in res["schema"]["fields"]]
        with (folder / res["path"]).open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            expected = [
                (
                    n,
                    *(
                        None if v == "" else CONVERTERS[t](v)
                        for t, v in zip(types, row, strict=True)
                    ),
                )
                for n, row in enumerate(reader, start=1)
            ]
        assert list(typed_rows(folder / res["path"], res["schema"])) == expected


def test_typed_rows_refuse_a_short_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    schema = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"}]}
    with pytest.raises(ValueError, match=r"shorter|longer"):
        list(typed_rows(path, schema))


def test_publish_with_the_proof_loads_the_same_rows_and_refuses_the_same_packages(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    from sqlalchemy import text

    from opendata_sozial.db.engine import create_db_engine
    from opendata_sozial.errors import PackageInvalid
    from opendata_sozial.services.publish import publish

    engine = create_db_engine(database_url)
    try:
        valid = copy_valid(tmp_path / "valid")
        publish([valid], engine=engine, catalog=catalog, prove_rows_from=0)
        broken = copy_valid(tmp_path / "broken")
        letters_in_number(broken)
        with pytest.raises(PackageInvalid) as refused:
            publish([broken], engine=engine, catalog=catalog, prove_rows_from=0)
        full = validate_paths([broken], catalog)
        assert [(i.code, i.row, i.field) for i in refused.value.issues] == [
            (i.code, i.row, i.field) for i in full.errors()
        ]
        with engine.connect() as conn:
            (table,) = conn.execute(text("SELECT table_name FROM resource")).scalars()
            loaded = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY _row')).all()
            assert conn.execute(text("SELECT count(*) FROM release")).scalar_one() == 1
    finally:
        engine.dispose()
    pkg = read_package(valid)
    res = pkg.resources()[0]
    assert [tuple(row) for row in loaded] == list(typed_rows(valid / res["path"], res["schema"]))
