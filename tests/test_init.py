"""`opendata-sozial init`: raw German statistics tables become packages that `validate` guides.

The CLI runs as a subprocess (`python -m opendata_sozial`, the same `main()` as the console
script), with the working directory in `tmp_path`, so that nothing is written elsewhere.
"""

import csv
import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.ingest.german_numbers import CellReading, read_cell
from opendata_sozial.ingest.number_faults import diagnose
from tests.conftest import CATALOG_FILE, DATAPACKAGES

FIXTURES = Path(__file__).parent / "fixtures" / "init"
EXAMPLE = DATAPACKAGES / "armutsrisikoquoten-merkmale" / "datapackage.json"
STATUS_CODES_ORDER = ["0", "-", "...", "/", ".", "x", "()", "p", "r", "s"]


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line; wide COLUMNS keep rich from wrapping messages."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ODS_")}
    env["COLUMNS"] = "1000"
    return subprocess.run(
        [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def init(tmp_path: Path, source: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, "init", str(source), *options)


def read_descriptor(folder: Path) -> dict[str, Any]:
    descriptor: dict[str, Any] = json.loads(
        (folder / "datapackage.json").read_text(encoding="utf-8")
    )
    return descriptor


def read_rows(folder: Path, name: str) -> list[list[str]]:
    with (folder / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def fields(descriptor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for field in descriptor["resources"][0]["schema"]["fields"]}


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed run (log lines before it are INFO/WARNING)."""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Fehler")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def write_xlsx(path: Path) -> Path:
    """A workbook like the statistical offices ship: notes sheet, title row, typed cells."""
    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Hinweise"
    notes.append(["Zeichenerklärung: x = Tabellenfach gesperrt"])
    sheet = workbook.create_sheet("Daten")
    sheet.append(["Tabelle 5: Mindestsicherung in NRW"])
    sheet.append(["Kreis", "Jahr", "Stichtag", "Empfänger", "Quote in %"])
    sheet.append(["Köln", 2021, date(2021, 12, 31), 12345, 7.5])
    sheet.append(["Bonn", 2021, date(2021, 12, 31), "x", "(3,2)"])
    sheet.append([])
    sheet.append(["Köln", 2022, date(2022, 12, 31), "1.234 p", 8.25])
    workbook.save(path)
    return path


def fill_metadata(folder: Path) -> None:
    """Write what a data steward adds after `init`: texts, coverage, units, footnotes."""
    descriptor = read_descriptor(folder)
    name = descriptor["name"]
    markers = sorted({row[-1] for row in read_rows(folder, name)[1:] if row[-1]})
    descriptor.update(
        {
            "title": "Empfängerinnen und Empfänger von Sozialhilfe in ausgewählten Städten NRW 2022",
            "description": "Testpaket: Anzahl und Anteil der Empfängerinnen und Empfänger von Leistungen "
            "nach Region und Geschlecht am Jahresende, mit Veränderung zum Vorjahr.",
            "keywords": ["sozialhilfe", "mindestsicherung"],
            "homepage": "https://www.sozialberichte.nrw.de",
            "sources": [{"title": "IT.NRW, Sozialhilfestatistik", "path": "https://www.it.nrw"}],
            "contributors": [
                {"title": "MAGS NRW", "roles": ["publisher"], "path": "https://www.mags.nrw"},
                {"title": "IT.NRW", "roles": ["producer"], "path": "https://www.it.nrw"},
            ],
            "x_attribution": "Datenquelle: IT.NRW; Lizenz: Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "x_temporal": {"start": "2022", "end": "2022"},
            "x_spatial": {"level": "state", "keys": ["05"]},
            "x_themes": ["SOCI"],
            "x_chapter": "7",
            "x_completeness": "complete",
            "x_accrual_periodicity": "ANNUAL",
            "x_footnotes": [{"marker": marker, "text": f"Fußnote {marker}"} for marker in markers],
        }
    )
    for field in descriptor["resources"][0]["schema"]["fields"]:
        field.setdefault("description", f"{field['title']} (Beschreibung).")
        if field["type"] in {"integer", "number"}:
            field["x_unit"] = "Anzahl" if field["type"] == "integer" else "%"
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (folder / "datapackage.json").write_text(text, encoding="utf-8")


# German cells


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("12.345", ",", CellReading(Decimal(12345))),
        ("13\u00a0456", ",", CellReading(Decimal(13456))),
        ("1\u202f234\u202f567", ",", CellReading(Decimal(1234567))),
        ("1.234,5", ",", CellReading(Decimal("1234.5"))),
        ("7,5 %", ",", CellReading(Decimal("7.5"))),
        ("+1,2", ",", CellReading(Decimal("1.2"))),
        ("–0,4", ",", CellReading(Decimal("-0.4"))),
        ("(17 890 100)", ",", CellReading(Decimal(17890100), "()")),
        ("987 p", ",", CellReading(Decimal(987), "p")),
        ("12,0 r", ",", CellReading(Decimal("12.0"), "r")),
        ("5s", ",", CellReading(Decimal(5), "s")),
        ("x", ",", CellReading(None, "x")),
        ("X", ",", CellReading(None, "x")),
        ("–", ",", CellReading(None, "-")),
        ("-", ",", CellReading(None, "-")),
        (".", ",", CellReading(None, ".")),
        ("...", ",", CellReading(None, "...")),
        ("…", ",", CellReading(None, "...")),
        ("/", ",", CellReading(None, "/")),
        ("", ",", CellReading(None)),
        ("1,234", ".", CellReading(Decimal(1234))),
        ("1,234.5", ".", CellReading(Decimal("1234.5"))),
        ("1.234", ".", CellReading(Decimal("1.234"))),
        ("0", ",", CellReading(Decimal(0))),
        ("1.23.4", ",", None),
        ("1.2345", ",", None),
        ("1,23", ".", None),
        ("05", ",", None),
        ("05111000", ",", None),
        ("Köln", ",", None),
        ("123 1)", ",", None),
        ("p", ",", None),
    ],
)
def test_read_cell_splits_number_and_symbol(
    text: str, decimal: str, expected: CellReading | None
) -> None:
    assert read_cell(text, decimal) == expected


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("14.9", ",", "englischer Dezimalpunkt; gemeint ist wohl 14,9"),
        ("(14.9)", ",", "englischer Dezimalpunkt; gemeint ist wohl 14,9"),
        ("14,9", ".", "deutsches Dezimalkomma; gemeint ist wohl 14.9"),
        (
            "1,234,567",
            ",",
            "',' als Tausendertrennzeichen, das hier Dezimaltrennzeichen ist; gemeint ist wohl 1234567",
        ),
        (
            "1,234.5",
            ",",
            "englische Schreibweise (Tausender- und Dezimaltrennzeichen vertauscht); gemeint ist "
            "wohl 1234,5",
        ),
        ("12 EUR", ",", "Einheit oder Buchstabe 'EUR' nach der Zahl"),
        ("3 Mio.", ",", "Einheit oder Buchstabe 'Mio.' nach der Zahl"),
        ("< 5", ",", "'<' vor der Zahl"),
        ("123¹", ",", "Fußnotenzeichen '¹' an der Zahl"),
        ("123*", ",", "Fußnotenzeichen '*' an der Zahl"),
        ("n.v.", ",", "Zeichen, das nicht in der Zeichenerklärung steht"),
        ("#NV", ",", "Excel-Fehlerwert statt einer Zahl"),
        ("65+", ",", None),
        ("ab 65", ",", None),
        ("4 und mehr", ",", None),
        ("Veränderung 2015 ggü. 2014", ",", None),
        ("05111", ",", None),
        ("%", ",", None),
        ("x", ",", None),
        ("1.234", ",", None),
    ],
)
def test_diagnose_names_what_a_faulty_number_probably_is(
    text: str, decimal: str, expected: str | None
) -> None:
    reason = diagnose(text, decimal)
    assert reason == expected if expected is None else (reason or "").startswith(expected)


# A German Excel CSV: BOM, ';', decimal comma, thousands separators, symbols


def test_init_writes_canonical_csv(tmp_path: Path) -> None:
    result = init(tmp_path, FIXTURES / "sozialhilfe_2022.csv", "--name", "sozialhilfe")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "datapackages" / "sozialhilfe"
    raw = (folder / "data" / "sozialhilfe.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert read_rows(folder, "sozialhilfe") == [
        [
            "region",
            "geschlecht",
            "jahr",
            "stichtag",
            "empfaenger_innen_insgesamt",
            "empfaenger_innen_insgesamt_status",
            "anteil_in_prozent",
            "anteil_in_prozent_status",
            "veraenderung_zum_vorjahr_in_prozent",
            "veraenderung_zum_vorjahr_in_prozent_status",
            "fussnote",
        ],
        ["Düsseldorf", "männlich", "2022", "2022-12-31", "12345", "", "7.5", "", "1.2", "", ""],
        ["Düsseldorf", "weiblich", "2022", "2022-12-31", "13456", "", "8.1", "", "-0.4", "", "1)"],
        ["Köln", "männlich", "2022", "2022-12-31", "17890100", "()", "", "x", "", "-", ""],
        ["Köln", "weiblich", "2022", "2022-12-31", "1234567", "", "", "/", "", ".", ""],
        ["Münster", "männlich", "2022", "2022-12-31", "", "-", "", "...", "", "...", "2)"],
        ["Münster", "weiblich", "2022", "2022-12-31", "987", "p", "12.0", "", "-3.5", "", ""],
    ]


def test_init_infers_types_categories_and_key(tmp_path: Path) -> None:
    init(tmp_path, FIXTURES / "sozialhilfe_2022.csv", "--name", "sozialhilfe")
    descriptor = read_descriptor(tmp_path / "datapackages" / "sozialhilfe")
    schema = descriptor["resources"][0]["schema"]
    by_name = fields(descriptor)
    assert {name: field["type"] for name, field in by_name.items()} == {
        "region": "string",
        "geschlecht": "string",
        "jahr": "year",
        "stichtag": "date",
        "empfaenger_innen_insgesamt": "integer",
        "empfaenger_innen_insgesamt_status": "string",
        "anteil_in_prozent": "number",
        "anteil_in_prozent_status": "string",
        "veraenderung_zum_vorjahr_in_prozent": "number",
        "veraenderung_zum_vorjahr_in_prozent_status": "string",
        "fussnote": "string",
    }
    assert by_name["region"]["categories"] == ["Düsseldorf", "Köln", "Münster"]
    assert by_name["geschlecht"]["categories"] == ["männlich", "weiblich"]
    assert by_name["empfaenger_innen_insgesamt"]["title"] == "Empfänger/-innen insgesamt"
    assert by_name["stichtag"]["x_source_format"] == "%d.%m.%Y"
    status = by_name["anteil_in_prozent_status"]
    assert [c["value"] for c in status["categories"]] == STATUS_CODES_ORDER
    assert "categories" not in by_name["fussnote"]
    assert schema["primaryKey"] == ["region", "geschlecht", "jahr", "stichtag"]
    assert schema["missingValues"] == [""]


def test_init_leaves_out_human_metadata(tmp_path: Path) -> None:
    source = FIXTURES / "sozialhilfe_2022.csv"
    init(tmp_path, source, "--name", "sozialhilfe")
    folder = tmp_path / "datapackages" / "sozialhilfe"
    descriptor = read_descriptor(folder)
    assert set(descriptor) == {
        "$schema",
        "name",
        "version",
        "created",
        "licenses",
        "x_source_files",
        "resources",
    }
    assert descriptor["x_source_files"] == [source.name]
    resource = descriptor["resources"][0]
    digest, size = file_digest(folder / "data" / "sozialhilfe.csv")
    assert (resource["hash"], resource["bytes"]) == (digest, size)
    assert resource["path"] == "data/sozialhilfe.csv"
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert resource["dialect"] == example["resources"][0]["dialect"]
    assert descriptor["licenses"] == example["licenses"]
    value_fields = [f for f in resource["schema"]["fields"] if not f["name"].endswith("_status")]
    assert all("description" not in f and "x_unit" not in f for f in value_fields)


def test_validate_names_missing_metadata(tmp_path: Path) -> None:
    init(tmp_path, FIXTURES / "sozialhilfe_2022.csv", "--name", "sozialhilfe")
    result = run_cli(tmp_path, "validate", "--format", "json", "datapackages/sozialhilfe")
    assert result.returncode == 1
    issues = json.loads(result.stdout)["packages"][0]["issues"]
    package_level = {"title", "description", "homepage", "keywords", "x_attribution", "sources"}
    package_level |= {"contributors", "x_temporal", "x_spatial", "x_themes", "x_chapter"}
    package_level |= {"x_completeness", "x_accrual_periodicity"}
    described = {"region", "geschlecht", "jahr", "stichtag", "fussnote"}
    values = {
        "empfaenger_innen_insgesamt",
        "anteil_in_prozent",
        "veraenderung_zum_vorjahr_in_prozent",
    }
    assert {(issue["code"], issue["field"]) for issue in issues} == {
        *(("metadata-missing", name) for name in package_level),
        *(("field-metadata", name) for name in described | values),
        *(("unit-missing", name) for name in values),
        ("footnote-unresolved", "fussnote"),
    }


def test_validate_passes_once_metadata_is_filled(tmp_path: Path) -> None:
    init(tmp_path, FIXTURES / "sozialhilfe_2022.csv", "--name", "sozialhilfe")
    fill_metadata(tmp_path / "datapackages" / "sozialhilfe")
    result = run_cli(tmp_path, "validate", "datapackages/sozialhilfe")
    assert result.returncode == 0, result.stdout


# Windows-1252, title rows, decimal option, delimiters, malformed numbers


def test_init_reads_cp1252_after_title_rows(tmp_path: Path) -> None:
    result = init(tmp_path, FIXTURES / "bevoelkerung_cp1252.csv", "--skip-rows", "2")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "datapackages" / "bevoelkerung-cp1252"
    assert read_rows(folder, "bevoelkerung-cp1252") == [
        [
            "geschlecht",
            "berichtsjahr",
            "bevoelkerung",
            "bevoelkerung_status",
            "anteil_an_der_bevoelkerung",
            "anteil_an_der_bevoelkerung_status",
        ],
        ["Männer", "2021", "8812345", "", "49.1", ""],
        ["Frauen", "2021", "9112000", "", "50.9", ""],
        ["Männer", "2022", "8801234", "", "49.0", ""],
        ["Frauen", "2022", "9134567", "", "51.0", ""],
    ]
    by_name = fields(read_descriptor(folder))
    assert by_name["bevoelkerung"]["title"] == "Bevölkerung"
    assert by_name["berichtsjahr"]["type"] == "year"
    assert by_name["geschlecht"]["categories"] == ["Männer", "Frauen"]


@pytest.mark.parametrize(
    ("content", "options", "expected_values", "expected_type"),
    [
        ("Jahr;Wert\n2020;1.234\n2021;2.500\n", (), ["1234", "2500"], "integer"),
        (
            'jahr,wert\n2020,"1,234"\n2021,"2,500.5"\n',
            ("--decimal", "."),
            ["1234", "2500.5"],
            "number",
        ),
        ("jahr,wert\n2020,1.234\n2021,2.5\n", ("--decimal", "."), ["1.234", "2.5"], "number"),
    ],
)
def test_init_follows_decimal_option(
    tmp_path: Path,
    content: str,
    options: tuple[str, ...],
    expected_values: list[str],
    expected_type: str,
) -> None:
    source = tmp_path / "werte.csv"
    source.write_text(content, encoding="utf-8")
    assert init(tmp_path, source, *options).returncode == 0
    folder = tmp_path / "datapackages" / "werte"
    assert [row[1] for row in read_rows(folder, "werte")[1:]] == expected_values
    assert fields(read_descriptor(folder))["wert"]["type"] == expected_type


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_init_detects_delimiter(tmp_path: Path, delimiter: str) -> None:
    lines = [
        ["Merkmal", "Jahr", "Anzahl"],
        ["Männer, gesamt", "2020", "5"],
        ["Frauen", "2020", "7"],
    ]
    quoted = [[f'"{cell}"' if "," in cell else cell for cell in line] for line in lines]
    source = tmp_path / "tabelle.csv"
    source.write_text("\n".join(delimiter.join(line) for line in quoted) + "\n", encoding="utf-8")
    assert init(tmp_path, source).returncode == 0
    assert read_rows(tmp_path / "datapackages" / "tabelle", "tabelle")[1:] == [
        ["Männer, gesamt", "2020", "5", ""],
        ["Frauen", "2020", "7", ""],
    ]


def test_init_refuses_malformed_number_in_number_column(tmp_path: Path) -> None:
    source = tmp_path / "kaputt.csv"
    source.write_text("Kreis;Anzahl\nA;1.234\nB;1.23.4\nC;17\n", encoding="utf-8")
    result = init(tmp_path, source)
    assert result.returncode == 1
    assert error_line(result) == (
        "Fehler (source-unreadable): kaputt.csv: 1 Zelle in Zahlenspalten ist keine Zahl; nichts "
        "angelegt. Die Quelle korrigieren; ist eine Spalte wirklich Text (z. B. eine "
        "Merkmalsspalte), sie mit --text 'Überschrift' als Text übernehmen:"
    )
    assert result.stderr.splitlines()[-1] == (
        "  Zeile 3, Spalte 'Anzahl': '1.23.4' – Tausender- oder Dezimaltrennzeichen an falscher "
        "Stelle (Tausendergruppen haben drei Ziffern, höchstens ein Dezimaltrennzeichen)"
    )
    assert not (tmp_path / "datapackages").exists()


def test_init_keeps_a_text_column_with_some_numbers(tmp_path: Path) -> None:
    """Real text among numbers (``4 und mehr``) is a dimension, not a faulty number column."""
    source = tmp_path / "haushalte.csv"
    source.write_text(
        "Personen im Haushalt;Jahr;Anzahl\n1;2020;5\n2;2020;7\n3;2020;2\n4 und mehr;2020;1\n",
        encoding="utf-8",
    )
    assert init(tmp_path, source).returncode == 0
    personen = fields(read_descriptor(tmp_path / "datapackages" / "haushalte"))
    assert personen["personen_im_haushalt"]["type"] == "string"
    assert personen["personen_im_haushalt"]["categories"] == ["1", "2", "3", "4 und mehr"]


def test_init_text_option_keeps_a_number_column_as_text(tmp_path: Path) -> None:
    source = tmp_path / "gruppen.csv"
    source.write_text("Gruppe;Jahr;Anzahl\n1;2020;5\n2;2020;7\n3 Pers.;2020;1\n", encoding="utf-8")
    refused = init(tmp_path, source)
    assert refused.returncode == 1
    assert "Spalte 'Gruppe': '3 Pers.'" in refused.stderr
    assert "--text" in refused.stderr
    assert init(tmp_path, source, "--text", "Gruppe").returncode == 0
    by_name = fields(read_descriptor(tmp_path / "datapackages" / "gruppen"))
    assert by_name["gruppe"]["categories"] == ["1", "2", "3 Pers."]
    unknown = init(tmp_path, source, "--text", "Kreis", "--force")
    assert unknown.returncode == 1
    assert "--text 'Kreis' nennt keine Spalte; vorhanden: 'Gruppe', 'Jahr', 'Anzahl'" in (
        error_line(unknown)
    )


def test_init_keeps_official_keys_with_leading_zero(tmp_path: Path) -> None:
    source = tmp_path / "kreise.csv"
    source.write_text("AGS;Kreis;Anzahl\n05111;Düsseldorf;3\n05315;Köln;4\n", encoding="utf-8")
    assert init(tmp_path, source).returncode == 0
    folder = tmp_path / "datapackages" / "kreise"
    assert fields(read_descriptor(folder))["ags"]["categories"] == ["05111", "05315"]
    assert [row[0] for row in read_rows(folder, "kreise")[1:]] == ["05111", "05315"]


def test_init_takes_over_given_status_column(tmp_path: Path) -> None:
    source = tmp_path / "fertig.csv"
    source.write_text(
        "jahr,wert,wert_status\n2020,5,\n2021,,x\n2022,(3),\n2023,4,p\n", encoding="utf-8"
    )
    assert init(tmp_path, source, "--decimal", ".").returncode == 0
    folder = tmp_path / "datapackages" / "fertig"
    assert read_rows(folder, "fertig") == [
        ["jahr", "wert", "wert_status"],
        ["2020", "5", ""],
        ["2021", "", "x"],
        ["2022", "3", "()"],
        ["2023", "4", "p"],
    ]
    assert list(fields(read_descriptor(folder))) == ["jahr", "wert", "wert_status"]


# XLSX


@pytest.mark.parametrize("sheet", ["Daten", "2"])
def test_init_reads_xlsx_sheet(tmp_path: Path, sheet: str) -> None:
    source = write_xlsx(tmp_path / "mindestsicherung.xlsx")
    result = init(tmp_path, source, "--sheet", sheet, "--skip-rows", "1")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "datapackages" / "mindestsicherung"
    assert read_rows(folder, "mindestsicherung") == [
        [
            "kreis",
            "jahr",
            "stichtag",
            "empfaenger",
            "empfaenger_status",
            "quote_in_prozent",
            "quote_in_prozent_status",
        ],
        ["Köln", "2021", "2021-12-31", "12345", "", "7.5", ""],
        ["Bonn", "2021", "2021-12-31", "", "x", "3.2", "()"],
        ["Köln", "2022", "2022-12-31", "1234", "p", "8.25", ""],
    ]
    by_name = fields(read_descriptor(folder))
    assert [by_name[name]["type"] for name in ("kreis", "jahr", "stichtag")] == [
        "string",
        "year",
        "date",
    ]
    assert by_name["empfaenger"]["type"] == "integer"
    assert by_name["quote_in_prozent"]["type"] == "number"
    assert "x_source_format" not in by_name["stichtag"]


def test_init_unknown_sheet_lists_sheets(tmp_path: Path) -> None:
    source = write_xlsx(tmp_path / "mindestsicherung.xlsx")
    result = init(tmp_path, source, "--sheet", "Tabelle1")
    assert result.returncode == 1
    line = error_line(result)
    assert "'Tabelle1' nicht gefunden" in line
    assert "1 'Hinweise', 2 'Daten'" in line


def test_init_xlsx_skip_rows_beyond_end(tmp_path: Path) -> None:
    source = write_xlsx(tmp_path / "mindestsicherung.xlsx")
    result = init(tmp_path, source, "--sheet", "Daten", "--skip-rows", "50")
    assert result.returncode == 1
    assert "--skip-rows 50 überspringt alle 6 Zeilen" in error_line(result)


# Target folder


def test_init_refuses_existing_folder_without_force(tmp_path: Path) -> None:
    source = FIXTURES / "sozialhilfe_2022.csv"
    assert init(tmp_path, source, "--out", "paket").returncode == 0
    refused = init(tmp_path, source, "--out", "paket")
    assert refused.returncode == 1
    assert "existiert bereits" in error_line(refused)
    assert "--force" in error_line(refused)
    assert init(tmp_path, source, "--out", "paket", "--force").returncode == 0
    assert read_descriptor(tmp_path / "paket")["name"] == "sozialhilfe-2022"


# Bad input: exit 1, one clear line naming the problem, no folder


@pytest.mark.parametrize(
    ("file_name", "content", "options", "expected"),
    [
        ("leer.csv", b"", (), ["leer.csv", "die Datei ist leer"]),
        ("nur_leerzeilen.csv", b"\r\n\r\n", (), ["die Datei ist leer"]),
        ("kopf.csv", b"Jahr;Wert\n", (), ["keine Datenzeilen", "Zeile 1"]),
        ("zahlen.csv", b"2019;12,5\n2020;13,1\n", (), ["Zeile 1", "keine Kopfzeile", "nur Zahlen"]),
        (
            "ragged.csv",
            b"Kreis;Jahr;Wert\nA;2020;1\nB;2020\n",
            (),
            ["Zeile 3", "nur 2 Zellen", "hat 3"],
        ),
        ("breit.csv", b"Kreis;Jahr;Wert\nA;2020;1;9\n", (), ["Zeile 2", "'9' in Spalte 4"]),
        (
            "titel.csv",
            b"Tabelle 1;;\nKreis;Jahr;Wert\nA;2020;1\n",
            (),
            ["Spalte 2 hat keine Überschrift", "--skip-rows"],
        ),
        (
            "kurz.csv",
            b"Kreis;Wert\nA;1\n",
            ("--skip-rows", "9"),
            ["--skip-rows 9 überspringt alle 2 Zeilen"],
        ),
        ("binaer.csv", b"PK\x03\x04\x00\x00garbage", (), ["NUL", ".xlsx"]),
        ("alt.xls", b"\xd0\xcf\x11\xe0", (), ["XLS", "nicht unterstützt"]),
        ("kaputt.xlsx", b"not a zip file", (), ["kaputt.xlsx", "nicht als XLSX lesbar"]),
        ("blatt.csv", b"Kreis;Wert\nA;1\n", ("--sheet", "Daten"), ["--sheet gilt nur für XLSX"]),
        ("name.csv", b"Kreis;Wert\nA;1\n", ("--name", "Mein Paket"), ["Paketname 'Mein Paket'"]),
        (
            "kodierung.csv",
            "Kreis;Wert\nA;1\nKöln;2\n".encode("cp1252"),
            ("--encoding", "utf-8"),
            ["Zeile 3", "0xf6", "--encoding"],
        ),
        (
            "status.csv",
            b"Jahr;Wert;Wert Status\n2020;x;/\n2021;5;\n",
            (),
            ["Zeile 2", "Spalte 'Wert Status' enthält '/'", "aber 'x'"],
        ),
        (
            "statuscode.csv",
            b"Jahr;Wert;Wert_Status\n2020;1;geheim\n",
            (),
            ["Zeile 2", "'geheim'", "gültig sind"],
        ),
        (
            "unbekannt.csv",
            b"Kreis;Wert\nA;1\n",
            ("--encoding", "klingonisch"),
            ["unbekannte Zeichenkodierung"],
        ),
    ],
)
def test_init_rejects_bad_input(
    tmp_path: Path, file_name: str, content: bytes, options: tuple[str, ...], expected: list[str]
) -> None:
    source = tmp_path / "quellen" / file_name
    source.parent.mkdir()
    source.write_bytes(content)
    result = init(tmp_path, source, *options)
    assert result.returncode == 1
    line = error_line(result)
    assert line.startswith("Fehler (source-unreadable):")
    for fragment in expected:
        assert fragment in line
    assert not (tmp_path / "datapackages").exists()


# German Excel exports of shipped packages (CSV: Windows-1252, ';', decimal comma; XLSX: typed)


def german_number(text: str) -> str:
    """A canonical number as German Excel writes it: ``1582497`` → ``1.582.497``, ``10.1`` → ``10,1``."""
    sign = "-" if text.startswith("-") else ""
    integer, _, fraction = text.lstrip("-").partition(".")
    grouped = f"{int(integer):,}".replace(",", ".")
    return f"{sign}{grouped}{',' + fraction if fraction else ''}"


def german_cell(value: str, status: str) -> str:
    """Value and status as one cell of a statistical table: ``x``, ``(12,3)``, ``987 p``."""
    if not value:
        return status
    if status == "()":
        return f"({german_number(value)})"
    return f"{german_number(value)} {status}".rstrip()


def german_export(package: str) -> tuple[list[str], list[list[Any]]]:
    """Titles and rows of a shipped package as the statistical office publishes them."""
    schema = read_descriptor(DATAPACKAGES / package)["resources"][0]["schema"]
    header, *rows = read_rows(DATAPACKAGES / package, package)
    shown = [f for f in schema["fields"] if not f["name"].endswith("_status")]
    table = []
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        line: list[Any] = []
        for field in shown:
            value = cells[field["name"]]
            if field["type"] in {"integer", "number"}:
                line.append(german_cell(value, cells[f"{field['name']}_status"]))
            elif field["type"] == "date":
                line.append(date.fromisoformat(value).strftime("%d.%m.%Y"))
            else:
                line.append(value)
        table.append(line)
    return [field["title"] for field in shown], table


def write_german_csv(path: Path, titles: list[str], rows: list[list[Any]]) -> Path:
    """A CSV as German Excel saves it: title row, ';', CRLF, Windows-1252."""
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow([f"Tabelle: {path.stem}"] + [""] * (len(titles) - 1))
        writer.writerows([titles, *rows])
    return path


class Typed(str):
    """A cell typed in by hand: Excel keeps it as the text it is (``14.9`` in German Excel)."""

    __slots__ = ()


def excel_value(text: Any) -> Any:
    """A cell as Excel stores it: numbers typed, symbols and flagged numbers as text."""
    if not isinstance(text, str) or isinstance(text, Typed):
        return str(text) if isinstance(text, Typed) else text
    plain = text.replace(".", "").replace(",", ".")
    try:
        number = Decimal(plain)
    except ArithmeticError:
        return text
    if not plain.lstrip("-").replace(".", "").isdigit():
        return text
    return (
        int(number) if number == number.to_integral_value() and "." not in plain else float(plain)
    )


def write_german_xlsx(path: Path, titles: list[str], rows: list[list[Any]]) -> Path:
    """A workbook with a title row, numbers and dates as typed cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([f"Tabelle: {path.stem}"])
    sheet.append(titles)
    for row in rows:
        sheet.append([excel_value(cell) for cell in row])
    workbook.save(path)
    return path


ROUND_TRIP = "mindestsicherung-leistungssysteme-2005-2008"


@pytest.mark.parametrize("writer", [write_german_csv, write_german_xlsx], ids=["csv", "xlsx"])
def test_init_round_trips_german_export_of_shipped_package(tmp_path: Path, writer: Any) -> None:
    """Symbols, footnotes, thousands separators and decimal commas give the shipped CSV back."""
    titles, rows = german_export(ROUND_TRIP)
    assert any(cell == "x" for row in rows for cell in row)  # the export has symbols
    suffix = ".csv" if writer is write_german_csv else ".xlsx"
    source = writer(tmp_path / f"quelle{suffix}", titles, rows)
    result = init(tmp_path, source, "--name", "rundreise", "--skip-rows", "1")
    assert result.returncode == 0, result.stderr
    ours = read_rows(tmp_path / "datapackages" / "rundreise", "rundreise")
    shipped = read_rows(DATAPACKAGES / ROUND_TRIP, ROUND_TRIP)
    if suffix == ".xlsx":  # Excel keeps the number, not its printed decimals (10.0 reads as 10)
        ours = [
            [str(Decimal(c).normalize()) if i == 3 and c else c for i, c in enumerate(r)]
            for r in ours[1:]
        ]
        shipped = [
            [str(Decimal(c).normalize()) if i == 3 and c else c for i, c in enumerate(r)]
            for r in shipped[1:]
        ]
    assert ours == shipped


def _broken_export(package: str, row: int, value: Any) -> tuple[list[str], list[list[Any]]]:
    """The export with the value cell (4th column) of data row ``row`` (from 0) replaced."""
    titles, rows = german_export(package)
    titles[3] = f"{titles[3]} in %" if package == "armutsrisikoquoten-merkmale" else titles[3]
    rows[row][3 if package == "armutsrisikoquoten-merkmale" else 2] = (
        Typed(value) if isinstance(value, str) else value
    )
    return titles, rows


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("14.9", "englischer Dezimalpunkt; gemeint ist wohl 14,9"),
        (
            "4.572 k",
            "Einheit oder Buchstabe 'k' nach der Zahl; Einheiten gehören in die "
            "Spaltenüberschrift (x_unit), Zeichen der Zeichenerklärung sind x, -, ., ..., /, "
            "(Zahl), Zahl p/r/s",
        ),
        (
            "k.A.",
            "Zeichen, das nicht in der Zeichenerklärung steht; eines von x, -, ., ..., /, "
            "(Zahl), Zahl p/r/s verwenden",
        ),
        (
            "14,6 1)",
            "Fußnotenzeichen '1)' an der Zahl; die Zahl in die Zelle, das Zeichen in die "
            "Spalte Fußnote",
        ),
        (
            "#DIV/0!",
            "Excel-Fehlerwert statt einer Zahl; die Formel in der Quelle prüfen oder ein Zeichen "
            "der Zeichenerklärung (x, -, ., ..., /, (Zahl), Zahl p/r/s) setzen",
        ),
        (
            "1,234,5",
            "Tausender- oder Dezimaltrennzeichen an falscher Stelle (Tausendergruppen "
            "haben drei Ziffern, höchstens ein Dezimaltrennzeichen)",
        ),
    ],
)
def test_init_names_each_cell_that_is_no_number(tmp_path: Path, cell: str, reason: str) -> None:
    titles, rows = _broken_export("armutsrisikoquoten-merkmale", 5, cell)
    rows[9][3] = "14.1"  # a second fault: every one is named
    source = write_german_csv(tmp_path / "armut.csv", titles, rows)
    result = init(tmp_path, source, "--skip-rows", "1")
    assert result.returncode == 1
    assert "armut.csv: 2 Zellen in Zahlenspalten sind keine Zahl; nichts angelegt." in (
        error_line(result)
    )
    assert result.stderr.splitlines()[-2:] == [
        f"  Zeile 8, Spalte 'Armutsrisikoquote in %': {cell!r} – {reason}",
        "  Zeile 12, Spalte 'Armutsrisikoquote in %': '14.1' – englischer Dezimalpunkt; "
        "gemeint ist wohl 14,1",
    ]
    assert not (tmp_path / "datapackages").exists()


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("14.9", "englischer Dezimalpunkt; gemeint ist wohl 14,9"),
        (
            date(2005, 9, 14),
            "Excel hat die Eingabe als Datum gespeichert (14.09.2005); war eine Zahl mit Punkt "
            "gemeint? In Excel mit Dezimalkomma eingeben oder die Zelle als Zahl formatieren",
        ),
    ],
    ids=["text", "date"],
)
def test_init_names_text_and_date_cells_among_xlsx_numbers(
    tmp_path: Path, cell: Any, reason: str
) -> None:
    titles, rows = _broken_export("armutsrisikoquoten-merkmale", 5, cell)
    source = write_german_xlsx(tmp_path / "armut.xlsx", titles, rows)
    result = init(tmp_path, source, "--skip-rows", "1")
    assert result.returncode == 1
    shown = cell if isinstance(cell, str) else cell.isoformat()
    assert result.stderr.splitlines()[-1] == (
        f"  Zeile 8, Spalte 'Armutsrisikoquote in %': {shown!r} – {reason}"
    )


@pytest.mark.parametrize(
    ("package", "cell", "line", "read_as"),
    [
        (
            "bevoelkerungsstand",
            "4,572",
            "  Zeile 5, Spalte 'Bevölkerung': '4,572' – gelesen als 4,572, die übrigen Zahlen der "
            "Spalte sind ganz: war 4572 mit Tausendertrennzeichen gemeint?",
            "4.572",
        ),
        (
            "armutsrisikoquoten-merkmale",
            "16.300",
            "  Zeile 5, Spalte 'Armutsrisikoquote in %': '16.300' – gelesen als 16300 "
            "(Tausendertrennzeichen); in einer Prozentspalte vielleicht 16,3 (englischer "
            "Dezimalpunkt)?",
            "16300",
        ),
    ],
)
def test_init_asks_to_confirm_ambiguous_numbers(
    tmp_path: Path, package: str, cell: str, line: str, read_as: str
) -> None:
    titles, rows = _broken_export(package, 2, cell)
    source = write_german_csv(tmp_path / "tabelle.csv", titles, rows)
    refused = init(tmp_path, source, "--skip-rows", "1")
    assert refused.returncode == 1
    assert (
        "tabelle.csv: 1 Zelle mit Dezimalzeichen ',' nicht eindeutig lesbar; nichts angelegt"
        in (error_line(refused))
    )
    assert "--accept-ambiguous" in error_line(refused)
    assert refused.stderr.splitlines()[-1] == line
    accepted = init(tmp_path, source, "--skip-rows", "1", "--accept-ambiguous")
    assert accepted.returncode == 0, accepted.stderr
    assert "init.ambiguous-accepted" in accepted.stderr
    assert line.strip().split(" – ")[0].split(", ")[0] in accepted.stderr  # "Zeile 5"
    data = read_rows(tmp_path / "datapackages" / "tabelle", "tabelle")
    value_column = 2 if package == "bevoelkerungsstand" else 3
    assert data[3][value_column] == read_as


# Licence: the publisher's choice or the catalog's default, said out loud


def test_init_writes_the_catalog_default_licence_and_says_so(tmp_path: Path) -> None:
    result = init(tmp_path, FIXTURES / "sozialhilfe_2022.csv", "--name", "sozialhilfe")
    assert result.returncode == 0, result.stderr
    assert (
        "Lizenz dl-de-by-2.0 (Datenlizenz Deutschland – Namensnennung – Version 2.0) eingetragen, "
        "der Standard des Katalogs (license in der Katalogdatei)" in result.stdout
    )


def test_init_license_option(tmp_path: Path) -> None:
    result = init(tmp_path, FIXTURES / "sozialhilfe_2022.csv", "--license", "CC-BY-4.0")
    assert result.returncode == 0, result.stderr
    descriptor = read_descriptor(tmp_path / "datapackages" / "sozialhilfe-2022")
    assert descriptor["licenses"] == [
        {
            "name": "cc-by-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
        }
    ]
    assert "Lizenz cc-by-4.0" in result.stdout
    assert "mit --license gewählt" in result.stdout


def test_init_unknown_license_lists_the_choices(tmp_path: Path) -> None:
    result = init(tmp_path, FIXTURES / "sozialhilfe_2022.csv", "--license", "frei")
    assert result.returncode == 1
    assert error_line(result) == (
        "Fehler (source-unreadable): --license 'frei' unbekannt; gültig sind: dl-de-by-2.0 "
        "(Datenlizenz Deutschland – Namensnennung – Version 2.0); dl-de-zero-2.0 (Datenlizenz "
        "Deutschland – Zero – Version 2.0); cc-by-4.0 (Creative Commons Namensnennung – 4.0 "
        "International (CC BY 4.0)); cc0-1.0 (Creative Commons CC0 1.0 Universell); "
        "geonutzv-de-2013-03-19 (Nutzungsbestimmungen für die Bereitstellung von Geodaten des "
        "Bundes (GeoNutzV)); cc-by (Creative Commons Namensnennung (CC BY), Version in der "
        "Quelle nicht angegeben)"
    )
    assert not (tmp_path / "datapackages").exists()


def test_init_without_known_default_writes_no_licence_and_validate_asks(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    text = CATALOG_FILE.read_text(encoding="utf-8")
    catalog.write_text(
        text.replace(
            "license: http://dcat-ap.de/def/licenses/dl-by-de/2.0",
            "license: https://example.org/hauslizenz",
        ),
        encoding="utf-8",
    )
    source = FIXTURES / "sozialhilfe_2022.csv"
    result = run_cli(tmp_path, "--catalog", str(catalog), "init", str(source), "--name", "paket")
    assert result.returncode == 0, result.stderr
    assert "Keine Lizenz eingetragen" in result.stdout
    folder = tmp_path / "datapackages" / "paket"
    assert "licenses" not in read_descriptor(folder)
    fill_metadata(folder)
    checked = run_cli(tmp_path, "validate", "--format", "json", str(folder))
    assert checked.returncode == 1
    issues = json.loads(checked.stdout)["packages"][0]["issues"]
    assert [(i["code"], i["field"]) for i in issues] == [("metadata-missing", "licenses")]
    assert issues[0]["hint"].startswith("eine Lizenz ausdrücklich angeben: dl-de-by-2.0")
