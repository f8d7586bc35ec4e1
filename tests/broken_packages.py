"""The corpus of broken packages, shared by the validate and the publish tests.

Every case copies ``armutsrisikoquoten-merkmale`` into a temporary folder, breaks one thing and
names the whole report, flattened to ``(code, row, field, value)`` rows. Mutations that edit the
CSV recompute ``bytes`` and ``hash`` unless the case is about them.
"""

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.ingest.validate import ValidationReport
from tests.conftest import DATAPACKAGES

VALID = DATAPACKAGES / "armutsrisikoquoten-merkmale"
CSV = "data/armutsrisikoquoten-merkmale.csv"
MEGABYTE = 1 << 20

Flat = tuple[str, int | None, str | None, str | None]
"""One issue as (code, row, field, value)."""


# Helpers -----------------------------------------------------------------------------------


def copy_valid(tmp_path: Path) -> Path:
    folder = tmp_path / VALID.name
    shutil.copytree(VALID, folder)
    return folder


def _descriptor(folder: Path) -> dict[str, Any]:
    descriptor: dict[str, Any] = json.loads((folder / "datapackage.json").read_text("utf-8"))
    return descriptor


def _save(folder: Path, descriptor: dict[str, Any]) -> None:
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (folder / "datapackage.json").write_text(text, encoding="utf-8")


def edit_descriptor(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    descriptor = _descriptor(folder)
    change(descriptor)
    _save(folder, descriptor)


def first_resource(descriptor: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = descriptor["resources"][0]
    return resource


def refresh_digest(folder: Path) -> None:
    """Set ``bytes`` and ``hash`` of every resource to the facts of its file."""
    descriptor = _descriptor(folder)
    for resource in descriptor["resources"]:
        resource["hash"], resource["bytes"] = file_digest(folder / resource["path"])
    _save(folder, descriptor)


def _lines(folder: Path) -> list[str]:
    return (folder / CSV).read_text(encoding="utf-8").split("\n")


def _write_lines(folder: Path, lines: list[str], *, refresh: bool = True) -> None:
    (folder / CSV).write_text("\n".join(lines), encoding="utf-8", newline="")
    if refresh:
        refresh_digest(folder)


def _replace(folder: Path, number: int, old: str, new: str, *, refresh: bool = True) -> None:
    """Replace ``old`` by ``new`` in CSV line ``number`` (1 = header), which must contain it."""
    lines = _lines(folder)
    assert old in lines[number - 1], lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    _write_lines(folder, lines, refresh=refresh)


def _write_bytes(folder: Path, data: bytes) -> None:
    (folder / CSV).write_bytes(data)
    refresh_digest(folder)


def flatten(report: ValidationReport) -> list[Flat]:
    return [(i.code, i.row, i.field, i.value) for r in report.packages for i in r.issues]


# Mutations ---------------------------------------------------------------------------------


def descriptor_malformed_json(folder: Path) -> None:
    (folder / "datapackage.json").write_text('{"name": "x",\n  "title": }\n', encoding="utf-8")


def descriptor_duplicate_key(folder: Path) -> None:
    path = folder / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    assert text.count('  "version": "1.0.0",\n') == 1
    path.write_text(
        text.replace('  "version": "1.0.0",\n', '  "version": "1.0.0",\n  "title": "Doppelt",\n'),
        encoding="utf-8",
    )


def descriptor_with_bom(folder: Path) -> None:
    path = folder / "datapackage.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def decimal_comma_quoted(folder: Path) -> None:
    _replace(folder, 2, ",14.6,", ',"14,6",')


def decimal_comma_unquoted(folder: Path) -> None:
    _replace(folder, 2, ",14.6,", ",14,6,")


def letters_in_number(folder: Path) -> None:
    _replace(folder, 3, ",14.0,", ",abc,")


def csv_missing(folder: Path) -> None:
    (folder / CSV).unlink()


def path_leaves_package(folder: Path) -> None:
    edit_descriptor(folder, lambda d: first_resource(d).update(path="../x.csv"))


def path_absolute(folder: Path) -> None:
    edit_descriptor(folder, lambda d: first_resource(d).update(path="/etc/passwd"))


def symlink_outside(folder: Path) -> None:
    outside = folder.parent / "outside.csv"
    shutil.move(folder / CSV, outside)
    (folder / CSV).symlink_to(outside)


def duplicate_primary_key(folder: Path) -> None:
    lines = _lines(folder)
    _write_lines(folder, [*lines[:2], lines[1], *lines[2:]])


def licence_missing(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.pop("licenses"))


def hash_mismatch(folder: Path) -> None:
    _replace(folder, 2, ",14.6,", ",14.7,", refresh=False)  # same length: bytes still match


def bytes_mismatch(folder: Path) -> None:
    edit_descriptor(
        folder, lambda d: first_resource(d).update(bytes=first_resource(d)["bytes"] + 1)
    )


def csv_cp1252(folder: Path) -> None:
    _write_bytes(folder, (folder / CSV).read_text(encoding="utf-8").encode("cp1252"))


def csv_with_bom(folder: Path) -> None:
    _write_bytes(folder, b"\xef\xbb\xbf" + (folder / CSV).read_bytes())


def csv_zero_bytes(folder: Path) -> None:
    _write_bytes(folder, b"")


def header_differs(folder: Path) -> None:
    _replace(folder, 1, ",wert_status,", ",status,")


def value_outside_categories(folder: Path) -> None:
    _replace(folder, 2, ",Insgesamt,", ",Alle,")


def unknown_status_symbol(folder: Path) -> None:
    _replace(folder, 2, ",14.6,,%,", ",14.6,?,%,")


def empty_value_without_status(folder: Path) -> None:
    _replace(folder, 2, ",14.6,,%,", ",,,%,")


def footnote_without_text(folder: Path) -> None:
    _replace(folder, 2, ",%,", ",%,9)")


def nul_in_dimension(folder: Path) -> None:
    _replace(folder, 2, ",Insgesamt,", ",Insg\0esamt,")


def nul_in_free_text(folder: Path) -> None:
    _replace(folder, 2, ",%,", ",%\0,")


def megabyte_cell(folder: Path) -> None:
    _replace(folder, 2, ",%,", "," + "x" * MEGABYTE + ",")


def title_and_description_missing(folder: Path) -> None:
    def drop(d: dict[str, Any]) -> None:
        del d["title"]
        d["description"] = ""

    edit_descriptor(folder, drop)


def temporal_not_a_period(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.update(x_temporal={"start": "2005", "end": "19"}))


def temporal_reversed(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.update(x_temporal={"start": "2019", "end": "2005"}))


def chapter_not_in_catalog(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.update(x_chapter="3"))


def publisher_missing(folder: Path) -> None:
    def drop(d: dict[str, Any]) -> None:
        d["contributors"] = [c for c in d["contributors"] if "publisher" not in c["roles"]]

    edit_descriptor(folder, drop)


def descriptor_utf16(folder: Path) -> None:
    path = folder / "datapackage.json"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))  # with a UTF-16 BOM


def descriptor_zero_bytes(folder: Path) -> None:
    (folder / "datapackage.json").write_bytes(b"")


def descriptor_deeply_nested(folder: Path) -> None:
    depth = 100_000
    (folder / "datapackage.json").write_text('{"x": ' + "[" * depth + "]" * depth + "}")


def descriptor_not_an_object(folder: Path) -> None:
    (folder / "datapackage.json").write_text("[]\n", encoding="utf-8")


def descriptor_symlink_outside(folder: Path) -> None:
    outside = folder.parent / "outside.json"
    shutil.move(folder / "datapackage.json", outside)
    (folder / "datapackage.json").symlink_to(outside)


def descriptor_nul_in_title(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.update(title=d["title"] + "\0"))


def descriptor_name_a_number(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.update(name=5))


def csv_utf16(folder: Path) -> None:
    _write_bytes(folder, (folder / CSV).read_text(encoding="utf-8").encode("utf-16"))


def very_long_line(folder: Path) -> None:
    _replace(folder, 2, ",%,", ",%," + "," * 20_000)


def _wert_as_text(descriptor: dict[str, Any]) -> None:
    """The value column typed ``string``, as ``init`` used to leave a column with a typo."""
    first_resource(descriptor)["schema"]["fields"][3]["type"] = "string"


def value_column_as_text_with_unit_after_number(folder: Path) -> None:
    edit_descriptor(folder, _wert_as_text)
    _replace(folder, 3, ",14.0,", ",14.0 k,")


def value_column_as_text_with_english_decimal(folder: Path) -> None:
    """German numbers kept as text (``14,6``) with one English ``14.9`` among them."""
    edit_descriptor(folder, _wert_as_text)
    lines = _lines(folder)
    for number in range(2, len(lines)):
        cells = lines[number - 1].split(",")
        cells[3] = cells[3].replace(".", ",")
        lines[number - 1] = ",".join(f'"{c}"' if "," in c else c for c in cells)
    assert '"14,5"' in lines[3]
    lines[3] = lines[3].replace('"14,5"', "14.9")
    _write_lines(folder, lines)


def number_with_symbol_of_legend(folder: Path) -> None:
    _replace(folder, 3, ",14.0,", ",x,")


def blank_row(folder: Path) -> None:
    lines = _lines(folder)
    _write_lines(folder, [*lines[:2], "", *lines[2:]])


def row_missing_cells(folder: Path) -> None:
    lines = _lines(folder)
    lines[1] = lines[1].removesuffix(",%,")
    _write_lines(folder, lines)


def header_extra_column(folder: Path) -> None:
    _write_lines(folder, [f"{line},x" if line else line for line in _lines(folder)])


def header_missing_column(folder: Path) -> None:
    _write_lines(folder, [line.rsplit(",", 1)[0] if line else line for line in _lines(folder)])


def year_with_two_digits(folder: Path) -> None:
    _replace(folder, 2, ",2005,", ",05,")


def licence_unknown(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d["licenses"][0].update(name="dl-de/by-2-0"))


def licence_path_wrong(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d["licenses"][0].update(path="https://example.org/lizenz"))


def homepage_javascript(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.update(homepage="javascript:alert(document.cookie)"))


def homepage_without_scheme(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d.update(homepage="www.it.nrw/statistik"))


def source_path_data_url(folder: Path) -> None:
    edit_descriptor(
        folder, lambda d: d["sources"][0].update(path="data:text/html,<script>alert(1)</script>")
    )


def contributor_path_javascript(folder: Path) -> None:
    edit_descriptor(folder, lambda d: d["contributors"][1].update(path="JavaScript:alert(1)"))


def contributor_email_with_markup(folder: Path) -> None:
    edit_descriptor(
        folder, lambda d: d["contributors"][0].update(email='a@b.de"><script>alert(1)</script>')
    )


# (mutation, expected issues, fragment of the first issue's message)
CASES = [
    pytest.param(
        descriptor_malformed_json,
        [("descriptor-invalid-json", 2, None, None)],
        "Spalte 12",
        id="descriptor-malformed-json",
    ),
    pytest.param(
        descriptor_duplicate_key,
        [("descriptor-duplicate-key", None, None, "title")],
        "'title' kommt in einem Objekt mehrfach vor",
        id="descriptor-duplicate-key",
    ),
    pytest.param(
        descriptor_with_bom,
        [("descriptor-encoding", None, None, None)],
        "BOM",
        id="descriptor-bom",
    ),
    pytest.param(
        decimal_comma_quoted,
        [("type-error", 2, "wert", "14,6")],
        "Zeile 2, Feld 'wert': '14,6' ist keine gültige Angabe vom Typ Zahl (number): deutsches "
        "Dezimalkomma; gemeint ist wohl 14.6 (im Paket Punkt als Dezimaltrennzeichen, ohne "
        "Tausendertrennzeichen)",
        id="decimal-comma-quoted",
    ),
    pytest.param(
        decimal_comma_unquoted,
        [("extra-cell", 2, None, "")],
        "Zeile 2 hat mehr Zellen als das Schema Felder: zusätzlicher Wert '' an Position 8",
        id="decimal-comma-unquoted",
    ),
    pytest.param(
        letters_in_number,
        [("type-error", 3, "wert", "abc")],
        "Zeile 3, Feld 'wert': 'abc' ist keine gültige Angabe vom Typ Zahl (number)",
        id="letters-in-number",
    ),
    pytest.param(
        csv_missing,
        [("file-missing", None, None, None)],
        "armutsrisikoquoten-merkmale.csv fehlt",
        id="csv-missing",
    ),
    pytest.param(
        path_leaves_package,
        [("unsafe-path", None, None, None)],
        "'..' verlässt den Paketordner",
        id="path-dotdot",
    ),
    pytest.param(
        path_absolute,
        [("unsafe-path", None, None, None)],
        "absolute Pfade",
        id="path-absolute",
    ),
    pytest.param(
        symlink_outside,
        [("unsafe-path", None, None, None)],
        "symbolischen Link",
        id="symlink-outside",
    ),
    pytest.param(
        duplicate_primary_key,
        [("primary-key", 3, None, "Geschlecht, Insgesamt, 2005")],
        "Zeile 3 hat denselben Schlüssel wie Zeile 2: (merkmal_gruppe, merkmal, jahr) = "
        "(Geschlecht, Insgesamt, 2005)",
        id="duplicate-primary-key",
    ),
    pytest.param(
        licence_missing,
        [("metadata-missing", None, "licenses", None)],
        "'licenses' fehlt oder ist leer: das Paket nennt keine Lizenz (es gibt keine "
        "stillschweigende)",
        id="licence-missing",
    ),
    pytest.param(
        hash_mismatch,
        [("hash-mismatch", None, "hash", None)],
        "die Datei hat sha256:",
        id="hash-mismatch",
    ),
    pytest.param(
        bytes_mismatch,
        [("bytes-mismatch", None, "bytes", None)],
        "'bytes' ist 10513, die Datei hat 10512 Byte",
        id="bytes-mismatch",
    ),
    pytest.param(
        csv_cp1252,
        [("encoding-error", 17, None, "0xE4")],  # line 17 is the first with "Männer"
        "Byte 0xE4 an Position 599 (Zeile 17)",
        id="csv-cp1252",
    ),
    pytest.param(
        csv_with_bom,
        [("encoding-bom", 1, None, None)],
        "Byte Order Mark",
        id="csv-bom",
    ),
    pytest.param(
        csv_zero_bytes,
        [("file-empty", None, None, None)],
        "0 Byte",
        id="csv-zero-bytes",
    ),
    pytest.param(
        header_differs,
        [("incorrect-label", None, "wert_status", "status")],
        "Kopfzeile: Spalte 'status' an Position 5 heißt im Schema 'wert_status'",
        id="header-differs",
    ),
    pytest.param(
        value_outside_categories,
        [("category-error", 2, "merkmal", "Alle")],
        "keine der zulässigen Ausprägungen",
        id="value-outside-categories",
    ),
    pytest.param(
        unknown_status_symbol,
        [("status-error", 2, "wert_status", "?")],
        "unbekanntes Zeichen '?'",
        id="unknown-status-symbol",
    ),
    pytest.param(
        empty_value_without_status,
        [("status-missing", 2, "wert_status", "")],
        "leerer Wert ohne erklärendes Zeichen",
        id="empty-value-without-status",
    ),
    pytest.param(
        footnote_without_text,
        [("footnote-unresolved", 2, "fussnote", "9)")],
        "'9)' hat keinen Text",
        id="footnote-without-text",
    ),
    pytest.param(
        nul_in_dimension,
        [("control-character", 2, "merkmal", "Insg\\x00esamt")],
        "Steuerzeichen '\\x00' an Stelle 5",
        id="nul-in-dimension",
    ),
    pytest.param(
        nul_in_free_text,
        [("control-character", 2, "einheit", "%\\x00")],
        "Steuerzeichen '\\x00' an Stelle 2",
        id="nul-in-free-text",
    ),
    pytest.param(
        megabyte_cell,
        [("cell-too-long", 2, "einheit", "x" * 60 + f"… ({MEGABYTE} Zeichen)")],
        f"Zelle hat {MEGABYTE} Zeichen, höchstens 1000",
        id="megabyte-cell",
    ),
    pytest.param(
        title_and_description_missing,
        [
            ("metadata-missing", None, "title", None),
            ("metadata-missing", None, "description", None),
        ],
        "'title' fehlt",
        id="title-description-missing",
    ),
    pytest.param(
        temporal_not_a_period,
        [("metadata-invalid", None, "x_temporal", '{"start": "2005", "end": "19"}')],
        "ungültig",
        id="temporal-not-a-period",
    ),
    pytest.param(
        temporal_reversed,
        [("metadata-invalid", None, "x_temporal", '{"start": "2019", "end": "2005"}')],
        "Beginn liegt nach dem Ende",
        id="temporal-reversed",
    ),
    pytest.param(
        chapter_not_in_catalog,
        [("metadata-invalid", None, "x_chapter", "3")],
        "kein Kapitel des Katalogs",
        id="chapter-not-in-catalog",
    ),
    pytest.param(
        publisher_missing,
        [("metadata-missing", None, "contributors", None)],
        "Rolle 'publisher'",
        id="publisher-missing",
    ),
    pytest.param(
        descriptor_utf16,
        [("descriptor-encoding", None, None, None)],
        "kein gültiges UTF-8",
        id="descriptor-utf16-bom",
    ),
    pytest.param(
        descriptor_zero_bytes,
        [("descriptor-invalid-json", 1, None, None)],
        "kein gültiges JSON",
        id="descriptor-zero-bytes",
    ),
    pytest.param(
        descriptor_deeply_nested,
        [("descriptor-invalid-json", None, None, None)],
        "zu tief verschachtelt",
        id="descriptor-deeply-nested",
    ),
    pytest.param(
        descriptor_not_an_object,
        [("descriptor-invalid-json", None, None, None)],
        "kein JSON-Objekt",
        id="descriptor-not-an-object",
    ),
    pytest.param(
        descriptor_symlink_outside,
        [("unsafe-path", None, None, None)],
        "symbolischen Link",
        id="descriptor-symlink-outside",
    ),
    pytest.param(
        descriptor_nul_in_title,
        [("control-character", None, "title", None)],
        "Steuerzeichen '\\x00' in 'title'",
        id="descriptor-nul-in-title",
    ),
    pytest.param(
        descriptor_name_a_number,
        [("metadata-invalid", None, "name", None), ("package-error", None, None, None)],
        "'name' 5 ist kein gültiger Name",
        id="descriptor-name-a-number",
    ),
    pytest.param(
        csv_utf16,
        [("encoding-error", 1, None, "0xFF")],
        "Byte 0xFF an Position 0",
        id="csv-utf16-bom",
    ),
    pytest.param(
        value_column_as_text_with_unit_after_number,
        [("value-type", None, "wert", "string"), ("number-malformed", 3, "wert", "14.0 k")],
        "Typ 'string' für eine Wertspalte (sie hat 'x_unit' und die Statusspalte "
        "'wert_status'); Werte mit Einheit sind Zahlen",
        id="value-column-as-text-unit-after-number",
    ),
    pytest.param(
        value_column_as_text_with_english_decimal,
        [("value-type", None, "wert", "string"), ("number-malformed", 4, "wert", "14.9")],
        "Typ 'string' für eine Wertspalte",
        id="value-column-as-text-english-decimal",
    ),
    pytest.param(
        number_with_symbol_of_legend,
        [("type-error", 3, "wert", "x")],
        "Zeile 3, Feld 'wert': 'x' ist keine gültige Angabe vom Typ Zahl (number): das Zeichen "
        "'x' gehört in die Statusspalte, die Zelle bleibt leer",
        id="symbol-in-number",
    ),
    pytest.param(
        blank_row,
        [("blank-row", 3, None, None), ("primary-key", 3, None, None)],
        "Zeile 3 ist vollständig leer",
        id="blank-row",
    ),
    pytest.param(
        row_missing_cells,
        [("missing-cell", 2, "einheit", ""), ("missing-cell", 2, "fussnote", "")],
        "Zeile 2 hat zu wenige Zellen: Feld 'einheit' an Position 6 fehlt",
        id="row-missing-cells",
    ),
    pytest.param(
        header_extra_column,
        [("extra-label", None, None, "x")],
        "Kopfzeile: Spalte 'x' an Position 8 steht nicht im Schema",
        id="header-extra-column",
    ),
    pytest.param(
        header_missing_column,
        [("missing-label", None, "fussnote", "")],
        "Kopfzeile: Spalte für Feld 'fussnote' an Position 7 fehlt",
        id="header-missing-column",
    ),
    pytest.param(
        year_with_two_digits,
        [("type-error", 2, "jahr", "05")],
        "Zeile 2, Feld 'jahr': '05' ist keine gültige Angabe vom Typ Jahr (year, vierstellig)",
        id="year-two-digits",
    ),
    pytest.param(
        licence_unknown,
        [("metadata-invalid", None, "licenses[0].name", "dl-de/by-2-0")],
        "Lizenz 'dl-de/by-2-0' ist keine der gültigen Lizenzen",
        id="licence-unknown",
    ),
    pytest.param(
        licence_path_wrong,
        [("metadata-invalid", None, "licenses[0].path", None)],
        "'path' 'https://example.org/lizenz' passt nicht zur Lizenz dl-de-by-2.0",
        id="licence-path-wrong",
    ),
    pytest.param(
        homepage_javascript,
        [("url-invalid", None, "homepage", "javascript:alert(document.cookie)")],
        "'homepage' 'javascript:alert(document.cookie)' ist keine gültige Adresse",
        id="homepage-javascript",
    ),
    pytest.param(
        homepage_without_scheme,
        [("url-invalid", None, "homepage", "www.it.nrw/statistik")],
        "'homepage' 'www.it.nrw/statistik' ist keine gültige Adresse",
        id="homepage-without-scheme",
    ),
    pytest.param(
        source_path_data_url,
        [("url-invalid", None, "sources[0].path", "data:text/html,<script>alert(1)</script>")],
        "'sources[0].path' 'data:text/html,<script>alert(1)</script>' ist keine gültige Adresse",
        id="source-path-data-url",
    ),
    pytest.param(
        contributor_path_javascript,
        [("url-invalid", None, "contributors[1].path", "JavaScript:alert(1)")],
        "'contributors[1].path' 'JavaScript:alert(1)' ist keine gültige Adresse",
        id="contributor-path-javascript",
    ),
    pytest.param(
        contributor_email_with_markup,
        [
            (
                "url-invalid",
                None,
                "contributors[0].email",
                'a@b.de"><script>alert(1)</script>',
            ),
            ("package-error", None, None, None),  # frictionless checks the format too
        ],
        "'contributors[0].email'",
        id="contributor-email-markup",
    ),
    pytest.param(
        very_long_line,
        [("row-too-wide", 2, None, "20007")],
        "Zeile 2 hat 20007 Zellen",
        id="very-long-line",
    ),
]
