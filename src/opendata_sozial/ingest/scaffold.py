"""Scaffold a new package from a raw table (``opendata-sozial init``).

The raw table is a CSV as statistical offices ship it (German Excel export: ``;``, decimal
comma, symbols such as ``x`` or ``(123)``) or a sheet of an XLSX workbook. The scaffold writes
the canonical CSV and a v2 descriptor with everything that can be derived from the file; the
metadata a person must write (title, description, sources, units, …) is left out on purpose,
so that ``opendata-sozial validate`` lists exactly what is still missing.
"""

import csv
import io
import json
import logging
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from opendata_sozial.domain import (
    DATAPACKAGE_PROFILE,
    FOOTNOTE_FIELD,
    STATUS_CODES,
    TABLESCHEMA_PROFILE,
)
from opendata_sozial.errors import SourceError
from opendata_sozial.ingest.file_facts import csv_resource
from opendata_sozial.ingest.german_numbers import (
    DECIMAL_SIGNS,
    Cell,
    Column,
    SourceRow,
    SourceTable,
    fits,
    infer_columns,
    is_blank,
    skip_error,
    snake_name,
    source_table_from_rows,
)
from opendata_sozial.ingest.licenses import License
from opendata_sozial.ingest.metadata_rules import NAME_PATTERN
from opendata_sozial.ingest.number_faults import (
    MAX_LISTED,
    CellFault,
    ambiguous_cells,
    column_faults,
)
from opendata_sozial.ingest.package import DESCRIPTOR_NAME
from opendata_sozial.ingest.regions import descriptor_links, find_index, key_column, region_keys
from opendata_sozial.ingest.resource_rules import STATUS_SUFFIX

logger = logging.getLogger(__name__)

XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
UNSUPPORTED_SUFFIXES: Final = {".xls": "XLS (Excel 97–2003)", ".ods": "ODS (OpenDocument)"}
DELIMITERS: Final = (";", "\t", ",")
DELIMITER_NAMES: Final = {"\\t": "\t", "tab": "\t", "TAB": "\t"}
SAMPLE_ROWS: Final = 50
SCAFFOLD_VERSION: Final = "0.1.0"
STATUS_DESCRIPTION: Final = "Zeichen der amtlichen Statistik zum Wert (Zeichenerklärung in den Kategorien); leer bei einem gewöhnlichen Wert."
_XLSX_ERRORS: Final = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, ParseError)


@dataclass(frozen=True, slots=True)
class ScaffoldOptions:
    """How to read the raw table."""

    name: str | None = None
    sheet: str | None = None
    skip_rows: int = 0
    delimiter: str | None = None
    decimal: str = ","
    encoding: str | None = None
    force: bool = False
    license: License | None = None
    """The licence to write; ``None`` writes none (``validate`` then asks for one)."""
    text_columns: tuple[str, ...] = ()
    """Columns (header text or its snake-case name) kept as text although mostly numbers."""
    accept_ambiguous: bool = False
    """Take the reading of ``decimal`` for cells that read two ways (after a warning)."""


def scaffold_package(
    source: Path, out: Path | None, options: ScaffoldOptions, *, packages_dir: Path
) -> Path:
    """Create the package folder for ``source`` and return it; raise ``SourceError`` on bad input."""
    _check_options(source, options)
    name = package_name(source, options.name)
    folder = _target_folder(
        out if out is not None else packages_dir / name, name, is_forced=options.force
    )
    table = read_source(source, options)
    forced = _text_columns(table, options.text_columns)
    columns = infer_columns(table, options.decimal, forced)
    _check_numbers(table, [column for column in columns if column.position not in forced], options)
    _warn_text_columns(table, columns)
    index = find_index([packages_dir])
    found = region_keys(table, columns, index) if index is not None else None
    if found is not None:  # an NRW region column: add the AGS column beside it
        columns.insert(found.position + 1, key_column(found))
    links = descriptor_links(found.keys, name) if found is not None else {}
    _write_package(folder, name, source.name, columns, options.license, links)
    logger.info(
        "init.created: %s (Datenzeilen: %d, Spalten: %d)",
        folder,
        len(table.rows),
        len(columns),
        extra={"package": name, "folder": str(folder), "rows": len(table.rows)},
    )
    return folder


# Options, names and the target folder


def _check_options(source: Path, options: ScaffoldOptions) -> None:
    is_xlsx = source.suffix.lower() in XLSX_SUFFIXES
    problems = []
    if options.skip_rows < 0:
        problems.append(f"--skip-rows {options.skip_rows} ist negativ (0 oder mehr angeben)")
    if options.decimal not in DECIMAL_SIGNS:
        problems.append(f"--decimal {options.decimal!r} ungültig (',' oder '.')")
    if options.sheet is not None and not is_xlsx:
        problems.append("--sheet gilt nur für XLSX-Dateien")
    if is_xlsx and (options.delimiter is not None or options.encoding is not None):
        problems.append("--delimiter und --encoding gelten nur für CSV-Dateien")
    if problems:
        raise SourceError(f"{source.name}: {'; '.join(problems)}")


def package_name(source: Path, wanted: str | None) -> str:
    """The package name: ``wanted`` or a slug of the file stem; must match the name pattern."""
    name = wanted if wanted is not None else snake_name(source.stem).replace("_", "-")
    if not NAME_PATTERN.fullmatch(name):
        origin = (
            "--name" if wanted is not None else f"aus dem Dateinamen {source.name!r} abgeleitet"
        )
        raise SourceError(
            f"Paketname {name!r} ({origin}) ist ungültig: Kleinbuchstaben, Ziffern und einzelne Bindestriche, z. B. --name armutsrisikoquoten-merkmale"
        )
    return name


def _target_folder(folder: Path, name: str, *, is_forced: bool) -> Path:
    if folder.exists() and not folder.is_dir():
        raise SourceError(
            f"Ziel {folder} ist eine Datei, kein Ordner; mit --out einen Ordner angeben"
        )
    if folder.exists() and not is_forced:
        raise SourceError(
            f"Zielordner {folder} existiert bereits; --force überschreibt darin datapackage.json und data/{name}.csv, oder mit --name/--out ein anderes Ziel wählen"
        )
    return folder


# Reading CSV and XLSX


def read_source(source: Path, options: ScaffoldOptions) -> SourceTable:
    """Read the raw table (CSV, or XLSX by suffix); raise ``SourceError`` naming the problem."""
    if not source.is_file():
        raise SourceError(f"Quelldatei {source} nicht gefunden oder keine Datei")
    suffix = source.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        raise SourceError(
            f"{source.name}: {UNSUPPORTED_SUFFIXES[suffix]} wird nicht unterstützt; die Tabelle als .xlsx oder CSV speichern"
        )
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(source, options)
    return _read_csv(source, options)


def _read_csv(path: Path, options: ScaffoldOptions) -> SourceTable:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path.name}: Datei nicht lesbar ({exc.strerror})") from exc
    text = _decode(raw, path.name, options.encoding)
    if options.delimiter is not None:
        delimiter = _delimiter(options.delimiter)
    else:
        delimiter = _detect_delimiter(text, path.name, options.skip_rows)
        logger.info(
            "init.delimiter: %r", delimiter, extra={"file": path.name, "delimiter": delimiter}
        )
    return source_table_from_rows(
        _parse_csv(text, delimiter, path.name), path.name, options.skip_rows, is_padded=False
    )


def _decode(raw: bytes, file: str, encoding: str | None) -> str:
    if encoding is not None:
        candidates = [encoding]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig", "cp1252"]
    failures: list[UnicodeDecodeError] = []
    for candidate in candidates:
        result = _decode_as(raw, candidate, file)
        if isinstance(result, str):
            logger.info("init.encoding: %s", candidate, extra={"file": file, "encoding": candidate})
            return _reject_nul(result, file)
        failures.append(result)
    failure = failures[-1]
    line = raw[: failure.start].count(b"\n") + 1
    tried = (
        f"nicht als {candidates[0]}"
        if len(candidates) == 1
        else f"weder als {candidates[0]} noch als {candidates[1]}"
    )
    raise SourceError(
        f"{file}, Zeile {line}: Byte 0x{raw[failure.start]:02x} ist {tried} lesbar; die Kodierung mit --encoding angeben (z. B. utf-8, cp1252, latin-1)"
    ) from failure


def _decode_as(raw: bytes, encoding: str, file: str) -> str | UnicodeDecodeError:
    """The decoded text, or the decoding error as a value (the caller tries the next encoding)."""
    try:
        text = raw.decode(encoding).removeprefix("\ufeff")
    except LookupError as exc:
        raise SourceError(
            f"{file}: unbekannte Zeichenkodierung --encoding {encoding!r}; z. B. utf-8, cp1252 oder latin-1 angeben"
        ) from exc
    except UnicodeDecodeError as exc:
        return exc
    if not text.strip():
        raise SourceError(
            f"{file}: die Datei ist leer; eine Tabelle mit Kopfzeile und Datenzeilen liefern"
        )
    return text


def _reject_nul(text: str, file: str) -> str:
    position = text.find("\x00")
    if position >= 0:
        line = text.count("\n", 0, position) + 1
        raise SourceError(
            f"{file}, Zeile {line}: NUL-Zeichen – keine Textdatei (Excel-Arbeitsmappe? dann mit Endung .xlsx übergeben; UTF-16-Text? dann --encoding utf-16)"
        )
    return text


def _delimiter(wanted: str) -> str:
    delimiter = DELIMITER_NAMES.get(wanted, wanted)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise SourceError(
            f"--delimiter {wanted!r} ungültig: genau ein Zeichen wie ';', ',' oder '\\t' (Tabulator) angeben"
        )
    return delimiter


def _detect_delimiter(text: str, file: str, skip_rows: int) -> str:
    lines = text.splitlines()
    if skip_rows >= len(lines):
        raise skip_error(file, skip_rows, len(lines))
    sample = "\n".join(lines[: skip_rows + SAMPLE_ROWS])
    scores: dict[str, float] = {}
    for delimiter in DELIMITERS:
        rows = [
            row
            for row in _parse_csv(sample, delimiter, file)[skip_rows:]
            if not is_blank(row.cells)
        ]
        if rows and len(rows[0].cells) > 1:
            width = len(rows[0].cells)
            scores[delimiter] = sum(fits(row.cells, width) for row in rows[1:]) / max(
                len(rows) - 1, 1
            )
    if not scores:
        raise SourceError(
            f"{file}, Zeile {skip_rows + 1}: Trennzeichen nicht erkannt – mit ';', Tabulator und ',' hat die Kopfzeile nur eine Spalte; --delimiter angeben oder Titelzeilen mit --skip-rows überspringen"
        )
    best = max(scores.values())
    return next(delimiter for delimiter in DELIMITERS if scores.get(delimiter) == best)


def _parse_csv(text: str, delimiter: str, file: str) -> list[SourceRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[SourceRow] = []
    try:
        rows.extend(SourceRow(reader.line_num, list(cells)) for cells in reader)
    except csv.Error as exc:
        raise SourceError(
            f"{file}, Zeile {reader.line_num + 1}: CSV nicht lesbar ({exc}); Anführungszeichen und Trennzeichen prüfen"
        ) from exc
    return rows


def _read_xlsx(path: Path, options: ScaffoldOptions) -> SourceTable:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (*_XLSX_ERRORS, OSError) as exc:
        raise SourceError(
            f"{path.name}: nicht als XLSX lesbar ({type(exc).__name__}: {exc}); die Datei in Excel öffnen und als .xlsx oder CSV speichern"
        ) from exc
    try:
        title, rows = _sheet_rows(workbook, options.sheet, path.name)
    except _XLSX_ERRORS as exc:
        raise SourceError(
            f"{path.name}: Tabellenblatt nicht lesbar ({type(exc).__name__}: {exc}); die Datei in Excel öffnen und neu speichern"
        ) from exc
    finally:
        workbook.close()
    label = f"{path.name}, Blatt {title!r}"
    if not rows:
        raise SourceError(f"{label}: das Tabellenblatt ist leer")
    return source_table_from_rows(rows, label, options.skip_rows, is_padded=True)


def _sheet_rows(workbook: Workbook, wanted: str | None, file: str) -> tuple[str, list[SourceRow]]:
    sheets = workbook.worksheets
    if not sheets:
        raise SourceError(f"{file}: die Arbeitsmappe hat kein Tabellenblatt mit Zellen")
    by_name = {sheet.title: sheet for sheet in sheets}
    if wanted is None:
        sheet = sheets[0]
    elif wanted in by_name:
        sheet = by_name[wanted]
    elif wanted.isdigit() and 1 <= int(wanted) <= len(sheets):
        sheet = sheets[int(wanted) - 1]
    else:
        names = ", ".join(
            f"{number} {sheet.title!r}" for number, sheet in enumerate(sheets, start=1)
        )
        raise SourceError(
            f"{file}: Tabellenblatt {wanted!r} nicht gefunden; vorhanden: {names} (--sheet mit Name oder Nummer ab 1)"
        )
    sheet.reset_dimensions()  # dimensions written by some tools are wrong and would cut rows
    values = sheet.iter_rows(values_only=True)
    return sheet.title, [
        SourceRow(number, [_xlsx_cell(value) for value in row])
        for number, row in enumerate(values, start=1)
    ]


def _xlsx_cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | date):
        return str(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number if number.is_finite() else str(value)


def _text_columns(table: SourceTable, wanted: tuple[str, ...]) -> frozenset[int]:
    """Indexes of the ``--text`` columns; an unknown name is an error listing the columns."""
    indexes = set()
    for text in wanted:
        found = [i for i, title in enumerate(table.header) if text in {title, snake_name(title)}]
        if not found:
            titles = ", ".join(repr(title) for title in table.header)
            raise SourceError(
                f"{table.file}: --text {text!r} nennt keine Spalte; vorhanden: {titles}"
            )
        indexes.update(found)
    return frozenset(indexes)


def _check_numbers(table: SourceTable, columns: list[Column], options: ScaffoldOptions) -> None:
    """Refuse a number column with cells that are no numbers, or that read two ways."""
    faults: list[tuple[Column, CellFault]] = []
    ambiguous: list[tuple[Column, CellFault]] = []
    for column in columns:
        cells = [row.cells[column.position] for row in table.rows]
        if column.type == "string" and column.name != FOOTNOTE_FIELD:
            found = column_faults(cells, options.decimal) or []
            faults.extend((column, fault) for fault in found)
        elif column.is_value:
            found = ambiguous_cells(column.title, cells, options.decimal)
            ambiguous.extend((column, fault) for fault in found)
    if faults:
        raise SourceError(
            f"{table.file}: {_cells(len(faults))} in Zahlenspalten {'ist' if len(faults) == 1 else 'sind'} keine Zahl; nichts angelegt. Die Quelle korrigieren; ist eine Spalte wirklich Text (z. B. eine Merkmalsspalte), sie mit --text 'Überschrift' als Text übernehmen:{_listing(table, faults)}"
        )
    if ambiguous and not options.accept_ambiguous:
        raise SourceError(
            f"{table.file}: {_cells(len(ambiguous))} mit Dezimalzeichen {options.decimal!r} nicht eindeutig lesbar; nichts angelegt. Die Quelle eindeutig schreiben oder die Lesung mit --accept-ambiguous bestätigen:{_listing(table, ambiguous)}"
        )
    for column, fault in ambiguous:
        row = table.rows[fault.position].number
        logger.warning(
            "init.ambiguous-accepted: %s, Zeile %d, Spalte %r: %r %s (mit --accept-ambiguous bestätigt)",
            table.file,
            row,
            column.title,
            fault.text,
            fault.reason,
            extra={"column": column.name, "row": row},
        )


def _cells(count: int) -> str:
    return "1 Zelle" if count == 1 else f"{count} Zellen"


def _listing(table: SourceTable, faults: list[tuple[Column, CellFault]]) -> str:
    shown = [
        f"Zeile {table.rows[fault.position].number}, Spalte {column.title!r}: {fault.text!r} – {fault.reason}"
        for column, fault in faults[:MAX_LISTED]
    ]
    more = len(faults) - MAX_LISTED
    return "\n  " + "\n  ".join(shown) + (f"\n  … und {more} weitere" if more > 0 else "")


def _warn_text_columns(table: SourceTable, columns: list[Column]) -> None:
    for column in columns:
        if column.note is not None:
            row = table.rows[column.note.position].number
            message = f"{table.file}, Zeile {row}: Spalte {column.title!r} bleibt Text, weil {column.note.reason}"
            logger.warning("init.column-as-text: %s", message, extra={"column": column.name})


# Writing the package


def _write_package(
    folder: Path,
    name: str,
    source_name: str,
    columns: list[Column],
    lic: License | None,
    links: dict[str, Any],
) -> None:
    data_path = folder / "data" / f"{name}.csv"
    data_path.parent.mkdir(parents=True, exist_ok=True)
    with data_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows(_canonical_rows(columns))
    resource = csv_resource(name, folder, f"data/{name}.csv", _schema(columns))
    descriptor = {
        "$schema": DATAPACKAGE_PROFILE,
        "name": name,
        "version": SCAFFOLD_VERSION,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **({"licenses": [lic.descriptor()]} if lic is not None else {}),
        "x_source_files": [source_name],
        **links,
        "resources": [resource],
    }
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (folder / DESCRIPTOR_NAME).write_text(text, encoding="utf-8", newline="\n")


def _canonical_rows(columns: list[Column]) -> list[list[str]]:
    header = [name for column in columns for name in _column_names(column)]
    rows = [header]
    for index in range(len(columns[0].values)):
        row = []
        for column in columns:
            row.append(column.values[index])
            if column.statuses is not None:
                row.append(column.statuses[index])
        rows.append(row)
    return rows


def _column_names(column: Column) -> list[str]:
    return [column.name, f"{column.name}{STATUS_SUFFIX}"] if column.is_value else [column.name]


def _schema(columns: list[Column]) -> dict[str, Any]:
    fields: list[dict[str, Any]] = []
    for column in columns:
        spec: dict[str, Any] = {"name": column.name, "type": column.type, "title": column.title}
        if column.categories is not None:
            spec["categories"] = column.categories
        if column.source_format is not None:
            spec["x_source_format"] = column.source_format
        fields.append(spec)
        if column.is_value:
            fields.append(_status_field(column))
    schema: dict[str, Any] = {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": fields,
        "missingValues": [""],
    }
    key = [
        column.name for column in columns if not column.is_value and column.name != FOOTNOTE_FIELD
    ]
    if key:
        schema["primaryKey"] = key
    return schema


def _status_field(column: Column) -> dict[str, Any]:
    return {
        "name": f"{column.name}{STATUS_SUFFIX}",
        "type": "string",
        "title": f"Status zu {column.title}",
        "description": STATUS_DESCRIPTION,
        "categories": [{"value": code, "label": label} for code, label in STATUS_CODES.items()],
    }
