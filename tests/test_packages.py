"""The shipped packages: valid, complete, and every value equal to the collected source tables."""

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import frictionless
import pytest
import yaml

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.ingest.package import find_packages, read_package
from opendata_sozial.ingest.validate import validate_paths
from tests.conftest import DATAPACKAGES, REFERENCE_DIRS, ROOT

PACKAGES = sorted(p.name for p in find_packages([DATAPACKAGES]))
SEED = [name for name in PACKAGES if (ROOT / "scripts" / "seed" / f"{name}.yaml").is_file()]
"""The packages built from a seed recipe; the Köln table has its own builder and its own test
(scripts/build_koeln_areas.py, tests/test_smallarea.py)."""
ADDED_COLUMNS = {
    "wert_status",
    "anteil_an_summe_status",
    "ags",
    "gueltig_ab",
    "gueltig_bis",
    "nachfolger",
}


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        return next(reader), list(reader)


def _as_packaged(
    name: str, header: list[str], rows: list[list[str]]
) -> tuple[list[str], list[list[str]]]:
    """The source table with the columns the seed recipe drops removed and renames applied."""
    recipe = yaml.safe_load((ROOT / "scripts" / "seed" / f"{name}.yaml").read_text("utf-8"))
    dropped = {header.index(c) for c in recipe.get("drop_fields") or []}
    renames = recipe.get("rename_fields") or {}
    kept = [renames.get(c, c) for i, c in enumerate(header) if i not in dropped]
    return kept, [[v for i, v in enumerate(row) if i not in dropped] for row in rows]


def _same(field: dict[str, Any], ours: str, theirs: str) -> bool:
    if field.get("x_source_format"):
        return ours == datetime.strptime(theirs, field["x_source_format"]).date().isoformat()  # noqa: DTZ007
    if field["type"] in {"number", "integer"} and ours and theirs:
        return math.isclose(float(ours), float(theirs), rel_tol=0, abs_tol=0)
    return ours == theirs


def _history_rows(path: Path, src_rows: list[list[str]]) -> list[dict[str, str]]:
    known = {row[0] for row in src_rows}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["ags"] not in known]
    return [{**row, "gebietsstand": ""} for row in rows]


def test_every_source_table_has_a_package(shared_data: Path) -> None:
    sources = {p.name for p in (shared_data / "sources").glob("*.csv")}
    covered = {
        f for name in SEED for f in read_package(DATAPACKAGES / name).descriptor["x_source_files"]
    }
    regional = {p.name for p in (shared_data / "regional").glob("*.csv")}
    assert len(sources) == 26
    assert len(regional) == 3
    assert sources | regional <= covered
    assert len(SEED) == 30


@pytest.mark.parametrize("name", SEED)
def test_package_values_equal_source(name: str, shared_data: Path) -> None:
    pkg = read_package(DATAPACKAGES / name)
    search = [shared_data / d for d in ("sources", "regions", "regional")]
    search.append(ROOT / "scripts" / "seed")
    for res in pkg.resources():
        if res["format"] != "csv":
            continue  # boundaries: tests/test_geography.py rebuilds them from their source
        source = next(
            d / res["x_source_file"] for d in search if (d / res["x_source_file"]).exists()
        )
        src_header, src_rows = _as_packaged(name, *_rows(source))
        header, rows = _rows(pkg.folder / res["path"])
        if res.get("x_history_file"):  # former keys, appended after the source rows
            history = _history_rows(ROOT / "scripts" / "seed" / res["x_history_file"], src_rows)
            src_rows += [[row[c] for c in src_header] for row in history]
        fields = {f["name"]: f for f in res["schema"]["fields"]}
        assert [h for h in header if h not in src_header] == [
            h for h in header if h in ADDED_COLUMNS and h not in src_header
        ]
        assert set(src_header) <= set(header), f"{name}: source columns missing"
        assert len(rows) == len(src_rows), f"{name}: row count differs"
        for number, (row, src) in enumerate(zip(rows, src_rows, strict=True), start=2):
            mine = dict(zip(header, row, strict=True))
            for column, theirs in zip(src_header, src, strict=True):
                assert _same(fields[column], mine[column], theirs), (
                    f"{name} row {number} {column}: {mine[column]!r} != {theirs!r}"
                )


def test_all_packages_valid_under_house_rules(catalog: CatalogInfo) -> None:
    report = validate_paths([DATAPACKAGES], catalog, reference_dirs=REFERENCE_DIRS)
    assert [(i.package, i.code, i.message) for i in report.errors()] == []
    assert len(report.packages) == 31  # the 30 seed packages and koeln-bevoelkerung-stadtteile
    warnings = [(i.package, i.code, i.message) for r in report.packages for i in r.issues]
    assert warnings == []


@pytest.mark.parametrize("name", PACKAGES)
def test_frictionless_accepts_package(name: str) -> None:
    report = frictionless.validate(str(DATAPACKAGES / name / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_regional_packages_link_every_row_to_a_region_key() -> None:
    regions = {row[0] for row in _rows(DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv")[1]}
    regional = [
        n
        for n in PACKAGES
        if any(  # keys of own areas (koeln-gebiete): tests/test_smallarea.py
            fk["reference"]["package"] == "nrw-regionen"
            for fk in read_package(DATAPACKAGES / n).descriptor.get("x_foreign_keys", [])
        )
        and n != "nrw-geometrie"  # keys of its GeoJSON features: tests/test_geography.py
    ]
    assert sorted(regional) == [
        "altersstruktur-kreisfreie-staedte",
        "arbeitslose-kreise",
        "bevoelkerung-altersgruppen-kreise",
        "grundsicherung-sitz-des-traegers",
        "sgb2-hilfequoten-kinder-kreise",
        "verfuegbares-einkommen-kreise",
    ]
    for name in regional:
        header, rows = _rows(DATAPACKAGES / name / "data" / f"{name}.csv")
        keys = {row[header.index("ags")] for row in rows}
        assert keys <= regions
