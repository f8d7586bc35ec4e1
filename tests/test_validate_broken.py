"""A corpus of broken packages: each mutation of a valid package yields precise issues.

The corpus itself (mutations and expected reports) lives in ``tests/broken_packages.py``; the
publish tests run the same cases. Each test compares the whole report, flattened to
``(code, row, field, value)`` rows, with the expected table.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import frictionless
import pytest

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.domain import Severity
from opendata_sozial.ingest.frictionless_messages import german_message
from opendata_sozial.ingest.validate import validate_paths
from tests.broken_packages import (
    CASES,
    CSV,
    Flat,
    copy_valid,
    csv_with_bom,
    edit_descriptor,
    first_resource,
    flatten,
    letters_in_number,
    licence_unknown,
    refresh_digest,
    value_column_as_text_with_unit_after_number,
)
from tests.conftest import CATALOG_FILE, DATAPACKAGES

# Tests -------------------------------------------------------------------------------------


def test_validate_valid_copy_has_no_issues(tmp_path: Path, catalog: CatalogInfo) -> None:
    report = validate_paths([copy_valid(tmp_path)], catalog)
    assert flatten(report) == []
    assert report.is_valid


@pytest.mark.parametrize(("mutate", "expected", "fragment"), CASES)
def test_validate_broken_package_reports_the_issue(
    tmp_path: Path,
    catalog: CatalogInfo,
    mutate: Callable[[Path], None],
    expected: list[Flat],
    fragment: str,
) -> None:
    folder = copy_valid(tmp_path)
    mutate(folder)
    report = validate_paths([folder], catalog)
    assert not report.is_valid
    assert flatten(report) == expected
    issues = report.errors()
    assert fragment in issues[0].message
    assert all(i.package == "armutsrisikoquoten-merkmale" for i in issues)
    assert all(i.hint for i in issues)
    assert all(len(i.message) < 500 for i in issues)  # a huge cell must not flood the report


def test_validate_csv_bom_is_ours_alone(tmp_path: Path, catalog: CatalogInfo) -> None:
    """frictionless reads past a BOM and finds nothing; the house rule rejects it."""
    folder = copy_valid(tmp_path)
    csv_with_bom(folder)
    assert frictionless.Package(str(folder / "datapackage.json")).validate().valid
    assert flatten(validate_paths([folder], catalog)) == [("encoding-bom", 1, None, None)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: d.update(x_chapter=["7"]),
            ("metadata-invalid", None, "x_chapter", '["7"]'),
            id="chapter-list",
        ),
        pytest.param(
            lambda d: d.update(x_accrual_periodicity=["NEVER"]),
            ("metadata-invalid", None, "x_accrual_periodicity", '["NEVER"]'),
            id="periodicity-list",
        ),
        pytest.param(
            lambda d: d.update(x_themes=[{"id": "SOCI"}]),
            ("metadata-invalid", None, "x_themes", '[{"id": "SOCI"}]'),
            id="themes-objects",
        ),
        pytest.param(
            lambda d: d.update(x_spatial={"level": ["state"], "keys": ["05"]}),
            ("metadata-invalid", None, "x_spatial", '{"level": ["state"], "keys": ["05"]}'),
            id="spatial-level-list",
        ),
        pytest.param(
            lambda d: d["contributors"][0].update(roles=1),
            ("metadata-missing", None, "contributors", None),
            id="roles-number",
        ),
        pytest.param(
            lambda d: d["contributors"][0].update(roles="publisher"),
            ("metadata-missing", None, "contributors", None),
            id="roles-string",
        ),
        pytest.param(
            lambda d: d.update(x_foreign_keys=[{"resource": "r", "reference": "nrw-regionen"}]),
            ("metadata-invalid", None, "x_foreign_keys[0]", None),
            id="foreign-key-reference-text",
        ),
        pytest.param(
            lambda d: d.update(x_foreign_keys=5),
            ("metadata-invalid", None, "x_foreign_keys", None),
            id="foreign-keys-number",
        ),
        pytest.param(
            lambda d: first_resource(d)["schema"].update(primaryKey=[["jahr"]]),
            ("schema-invalid", None, "primaryKey", None),
            id="primary-key-nested",
        ),
        pytest.param(
            lambda d: first_resource(d)["schema"]["fields"][4].update(categories=[["x"]]),
            ("status-codes", None, "wert_status", None),
            id="status-categories-nested",
        ),
        pytest.param(
            lambda d: first_resource(d).update(path="data/a\0.csv"),
            ("unsafe-path", None, None, None),
            id="path-with-nul",
        ),
    ],
)
def test_validate_wrong_json_type_is_an_issue_not_a_crash(
    tmp_path: Path, catalog: CatalogInfo, change: Callable[[dict[str, Any]], None], expected: Flat
) -> None:
    folder = copy_valid(tmp_path)
    edit_descriptor(folder, change)
    report = validate_paths([folder], catalog)
    assert not report.is_valid
    assert expected in flatten(report)


def test_validate_duplicate_package_names(tmp_path: Path, catalog: CatalogInfo) -> None:
    first = copy_valid(tmp_path / "a")
    second = copy_valid(tmp_path / "b")
    report = validate_paths([first, second], catalog)
    assert [r.folder for r in report.packages] == [first, second]
    assert flatten(report) == [("duplicate-package-name", None, "name", None)] * 2
    assert all("kommt in 2 Paketen vor" in i.message for i in report.errors())


def test_validate_same_folder_twice_is_no_duplicate(tmp_path: Path, catalog: CatalogInfo) -> None:
    folder = copy_valid(tmp_path)
    report = validate_paths([folder, folder / "datapackage.json", tmp_path], catalog)
    assert len(report.packages) == 1
    assert report.is_valid


# The real command line -----------------------------------------------------------------------


def _cli(
    folder: Path, *options: str, columns: str | None = "250"
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE)]
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    return subprocess.run(
        [*command, "validate", str(folder), *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env if columns is None else {**env, "COLUMNS": columns},
    )


def test_cli_text_report_is_one_unwrapped_line_per_issue_with_the_facts_of_json(
    tmp_path: Path,
) -> None:
    """Not a terminal (a pipe, a file, a scheduled job): no table cut at 80 columns."""
    folder = copy_valid(tmp_path)
    value_column_as_text_with_unit_after_number(folder)
    text = _cli(folder, columns=None)
    document = json.loads(_cli(folder, "--format", "json", columns=None).stdout)
    assert text.returncode == 1
    issues = document["packages"][0]["issues"]
    assert (document["errors"], document["warnings"]) == (2, 0)
    lines = text.stdout.splitlines()
    assert lines[0] == f"armutsrisikoquoten-merkmale ({folder}): ungültig"
    assert lines[1:-1] == [
        f"  Fehler [{i['code']}] {i['file']}{', Zeile ' + str(i['row']) if i['row'] else ''}, "
        f"Feld {i['field']!r}, Wert {i['value']!r}: {i['message']}. Hinweis: {i['hint']}"
        for i in issues
    ]
    assert len(lines[2]) > 200  # the whole message on its line
    assert lines[-1] == "0 von 1 Paketen gültig, 2 Fehler, 0 Warnungen."


def test_cli_valid_package_exits_0(tmp_path: Path) -> None:
    result = _cli(copy_valid(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["valid"] is True
    assert document["packages"][0]["issues"] == []


def test_cli_broken_package_json_names_file_row_field(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    letters_in_number(folder)
    result = _cli(folder, "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["valid"] is False
    [package] = document["packages"]
    assert package["valid"] is False
    [issue] = package["issues"]
    assert issue["code"] == "type-error"
    assert issue["file"] == CSV
    assert issue["row"] == 3
    assert issue["field"] == "wert"
    assert issue["value"] == "abc"
    assert issue["severity"] == "error"
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("mutate", "expected", "fragment"), CASES)
def test_cli_broken_package_text_has_no_traceback(
    tmp_path: Path, mutate: Callable[[Path], None], expected: list[Flat], fragment: str
) -> None:
    folder = copy_valid(tmp_path)
    mutate(folder)
    result = _cli(folder)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""
    assert "ungültig" in result.stdout
    for code, _row, _field, _value in expected:
        assert code in result.stdout
    assert len(result.stdout) < 20_000  # the megabyte cell is not echoed


# Numbers: every faulty cell named, plausibility by unit --------------------------------------


def test_validate_names_the_faulty_cell_of_a_value_column_typed_as_text(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    folder = copy_valid(tmp_path)
    value_column_as_text_with_unit_after_number(folder)
    [_, cell] = validate_paths([folder], catalog).errors()
    assert (cell.row, cell.field, cell.value) == (3, "wert", "14.0 k")
    assert cell.message == (
        "keine Zahl in einer Spalte aus Zahlen (209 von 210 gefüllten Zellen sind Zahlen): "
        "Einheit oder Buchstabe 'k' nach der Zahl; Einheiten gehören in die Spaltenüberschrift "
        "(x_unit), Zeichen der Zeichenerklärung sind x, -, ., ..., /, (Zahl), Zahl p/r/s"
    )


def test_validate_licence_error_lists_the_choices(tmp_path: Path, catalog: CatalogInfo) -> None:
    folder = copy_valid(tmp_path)
    licence_unknown(folder)
    [issue] = validate_paths([folder], catalog).errors()
    assert issue.hint == (
        "'name' ist eine von: dl-de-by-2.0 (Datenlizenz Deutschland – Namensnennung – Version "
        "2.0); dl-de-zero-2.0 (Datenlizenz Deutschland – Zero – Version 2.0); cc-by-4.0 "
        "(Creative Commons Namensnennung – 4.0 International (CC BY 4.0)); cc0-1.0 (Creative "
        "Commons CC0 1.0 Universell); geonutzv-de-2013-03-19 (Nutzungsbestimmungen für die "
        "Bereitstellung von Geodaten des Bundes (GeoNutzV)); cc-by (Creative Commons "
        "Namensnennung (CC BY), Version in der Quelle nicht angegeben)"
    )


MIXED_UNITS = DATAPACKAGES / "mindestsicherung-leistungssysteme-2005-2008"
"""A value column with a unit column (``Anzahl`` and ``%`` rows)."""


@pytest.mark.parametrize(
    ("line", "old", "new", "expected"),
    [
        pytest.param(
            2,
            ",1582497,",
            ",1582.497,",
            "Anzahl 1582.497 ist keine ganze Zahl (Einheit 'Anzahl')",
            id="count-with-decimals",
        ),
        pytest.param(
            2,
            ",1582497,",
            ",-1582497,",
            "Anzahl -1582497 ist negativ (Einheit 'Anzahl')",
            id="count-negative",
        ),
        pytest.param(
            11,
            ",10.1,",
            ",101.0,",
            "Prozentwert 101.0 liegt über 100 (Einheit '%')",
            id="percent-above-100",
        ),
        pytest.param(
            11,
            ",10.1,",
            ",-10.1,",
            "Prozentwert -10.1 liegt unter 0 (Einheit '%')",
            id="percent-below-0",
        ),
    ],
)
def test_validate_warns_of_implausible_values_by_unit(
    tmp_path: Path, catalog: CatalogInfo, line: int, old: str, new: str, expected: str
) -> None:
    folder = tmp_path / MIXED_UNITS.name
    shutil.copytree(MIXED_UNITS, folder)
    csv_file = folder / "data" / f"{MIXED_UNITS.name}.csv"
    lines = csv_file.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    csv_file.write_text("\n".join(lines), encoding="utf-8")
    refresh_digest(folder)
    report = validate_paths([folder], catalog)
    assert report.is_valid  # a warning, for the publisher to check
    [issue] = report.packages[0].issues
    assert (issue.code, issue.severity, issue.row, issue.field) == (
        "value-implausible",
        Severity.WARNING,
        line,
        "wert",
    )
    assert issue.message == expected
    assert issue.hint


def test_validate_negative_change_in_percent_is_plausible(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    """The shipped ``grundsicherung-sitz-des-traegers`` has -0.3 % in a row „Veränderung …“."""
    report = validate_paths(
        [DATAPACKAGES / "grundsicherung-sitz-des-traegers"], catalog, reference_dirs=[DATAPACKAGES]
    )
    assert report.packages[0].issues == []


def test_publish_row_proof_defers_to_the_full_check_for_a_faulty_text_column(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    """``publish`` proves large tables column by column; a number typo must still be named."""
    folder = copy_valid(tmp_path)
    value_column_as_text_with_unit_after_number(folder)
    report = validate_paths([folder], catalog, prove_rows_from=0)
    assert ("number-malformed", 3, "wert", "14.0 k") in flatten(report)


# frictionless error types in German (the descriptors are frictionless's own keys) ----------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "type": "constraint-error",
                "rowNumber": 4,
                "fieldName": "wert",
                "cell": "-1",
                "note": 'constraint "minimum" is "0"',
            },
            "Zeile 4, Feld 'wert': '-1' verletzt die Bedingung minimum = 0",
        ),
        (
            {
                "type": "unique-error",
                "rowNumber": 9,
                "fieldName": "ags",
                "note": "the same as in the row at position 3",
            },
            "Zeile 9, Feld 'ags': derselbe Wert wie in Zeile 3, das Feld verlangt eindeutige Werte",
        ),
        (
            {
                "type": "duplicate-label",
                "label": "wert",
                "fieldNumber": 5,
                "note": 'at position "4"',
            },
            "Kopfzeile: Spaltenüberschrift 'wert' an Position 5 kommt mehrfach vor (at position \"4\")",
        ),
        (
            {"type": "blank-label", "fieldNumber": 2},
            "Kopfzeile: Spaltenüberschrift an Position 2 ist leer",
        ),
        ({"type": "blank-header"}, "die Kopfzeile ist leer"),
        ({"type": "unmatched-header"}, "kein Feld des Schemas steht in der Kopfzeile"),
        (
            {"type": "package-error", "note": "5 is not of type 'string' at property 'name'"},
            "Fehler im Paket-Deskriptor: 5 hat nicht den Typ 'string' (Eigenschaft 'name')",
        ),
        (
            {"type": "schema-error", "note": "'name' is a required property"},
            "Table Schema ungültig: Pflichtangabe 'name' fehlt",
        ),
        (
            {
                "type": "deviated-value",
                "rowNumber": 7,
                "fieldName": "wert",
                "message": "There is a possible error because the value is deviated: x",
            },
            "Zeile 7, Feld 'wert': frictionless meldet 'deviated-value': There is a possible error "
            "because the value is deviated: x",
        ),
    ],
)
def test_frictionless_error_types_read_in_german(error: dict[str, Any], expected: str) -> None:
    assert german_message(error, [(0, "jahr")]) == expected
