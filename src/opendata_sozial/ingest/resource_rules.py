"""House rules on resources and their Table Schemas (files, hashes, types, units, status)."""

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from opendata_sozial.domain import STATUS_CODES, Issue
from opendata_sozial.ingest.file_facts import (
    file_digest,
    starts_with_bom,
    unsafe_path_reason,
    utf8_fault,
)
from opendata_sozial.ingest.package import PackageSource, is_list_of

TYPES = frozenset({"string", "integer", "number", "year", "yearmonth", "date", "boolean"})
NUMERIC = frozenset({"integer", "number"})
STATUS_SUFFIX = "_status"
GEOMETRY_FORMATS = {"geojson": "application/geo+json", "topojson": "application/json"}
"""Non-tabular resources a package may hold: boundaries (``ingest.geometry_rules``), format to
media type. They have no Table Schema; ``publish`` loads no table from them."""
MAX_EXTRA_CELLS = 100
"""Cells beyond the schema's fields after which a row is refused before frictionless reads it:
frictionless reports each extra cell with a copy of the row (quadratic time and memory)."""


def resource_issue(  # noqa: PLR0913  # where in the resource: one parameter per fact
    pkg: PackageSource,
    res: dict[str, Any],
    message: str,
    hint: str,
    code: str,
    field: str | None = None,
    *,
    row: int | None = None,
    value: str | None = None,
    file: Path | None = None,
) -> Issue:
    """An issue located in resource ``res`` of ``pkg`` (file, and row/field where given).

    The file is the resource's path as the descriptor gives it, or ``file`` where given.
    """
    return Issue(
        code=code,
        message=message,
        package=pkg.name,
        resource=str(res.get("name")),
        file=str(res.get("path") if file is None else file),
        row=row,
        field=field,
        value=value,
        hint=hint,
    )


def resource_file(pkg: PackageSource, res: dict[str, Any]) -> Path | None:
    """The resource's local file when its path is safe, else ``None``."""
    path = res.get("path")
    if not isinstance(path, str) or unsafe_path_reason(pkg.folder, path):
        return None
    return pkg.folder / path


def is_geometry(res: dict[str, Any]) -> bool:
    """True for a GeoJSON or TopoJSON resource (no table, checked by ``geometry_rules``)."""
    return res.get("format") in GEOMETRY_FORMATS


def _expected_facts(res: dict[str, Any]) -> dict[str, str]:
    if is_geometry(res):
        fmt = str(res["format"])
        return {
            "format": fmt,
            "mediatype": GEOMETRY_FORMATS[fmt],
            "encoding": "utf-8",
            "scheme": "file",
        }
    return {
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "scheme": "file",
        "type": "table",
    }


def _check_facts(pkg: PackageSource, res: dict[str, Any]) -> Iterator[Issue]:
    """Format, media type, encoding, scheme (and for a table its type and dialect)."""
    for key, value in _expected_facts(res).items():
        if res.get(key) != value:
            yield resource_issue(
                pkg,
                res,
                f"'{key}' ist {res.get(key)!r}",
                f"'{key}': '{value}' angeben",
                "resource-metadata",
                field=key,
            )
    if not is_geometry(res) and not isinstance(res.get("dialect"), dict):
        yield resource_issue(
            pkg,
            res,
            "'dialect' fehlt",
            "Tabellendialekt (v2) mit delimiter und header angeben",
            "resource-metadata",
            field="dialect",
        )


def check_file(pkg: PackageSource, res: dict[str, Any]) -> Iterator[Issue]:
    """Path safety, presence, format facts, byte count and hash."""
    path = res.get("path")
    if not isinstance(path, str):
        yield resource_issue(
            pkg,
            res,
            "Ressource ohne 'path' (Text)",
            "relativen Pfad wie 'data/tabelle.csv' angeben",
            "resource-path-missing",
        )
        return
    reason = unsafe_path_reason(pkg.folder, path)
    if reason:
        yield resource_issue(
            pkg,
            res,
            f"unsicherer Pfad {path!r}: {reason}",
            "relativen Pfad innerhalb des Paketordners angeben",
            "unsafe-path",
        )
        return
    yield from _check_facts(pkg, res)
    file = pkg.folder / path
    if not file.is_file():
        yield resource_issue(
            pkg, res, f"Datei {file} fehlt", "Datei anlegen oder 'path' korrigieren", "file-missing"
        )
        return
    digest, size = file_digest(file)
    if size == 0:
        yield resource_issue(
            pkg,
            res,
            "die Datei ist leer (0 Byte)",
            "mindestens Kopfzeile und eine Datenzeile liefern",
            "file-empty",
        )
    if res.get("bytes") != size:
        yield resource_issue(
            pkg,
            res,
            f"'bytes' ist {res.get('bytes')!r}, die Datei hat {size} Byte",
            "'bytes' korrigieren, falls die Änderung gewollt ist",
            "bytes-mismatch",
            field="bytes",
        )
    if res.get("hash") != digest:
        yield resource_issue(
            pkg,
            res,
            f"'hash' ist {res.get('hash')!r}, die Datei hat {digest}",
            "Datei prüfen; bei gewollter Änderung 'hash' aktualisieren",
            "hash-mismatch",
            field="hash",
        )
    yield from _check_encoding(pkg, res, file)
    if not is_geometry(res):
        yield from _check_width(pkg, res, file)


def _check_width(pkg: PackageSource, res: dict[str, Any], file: Path) -> Iterator[Issue]:
    """The first row with far more cells than the schema has fields (a very long line)."""
    schema = res.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    width = len(fields) if isinstance(fields, list) else 0
    with file.open(encoding="utf-8", errors="replace", newline="") as handle:
        try:
            for number, row in enumerate(csv.reader(handle), start=1):
                if len(row) > width + MAX_EXTRA_CELLS:
                    yield resource_issue(
                        pkg,
                        res,
                        f"Zeile {number} hat {len(row)} Zellen, das Schema {width} Felder",
                        "Trennzeichen und Anführungszeichen der Zeile prüfen",
                        "row-too-wide",
                        row=number,
                        value=str(len(row)),
                    )
                    return
        except csv.Error:
            return  # an overlong cell or broken quoting: the data rules name the row


def _check_encoding(pkg: PackageSource, res: dict[str, Any], file: Path) -> Iterator[Issue]:
    """UTF-8 without BOM; an invalid byte is located exactly (frictionless only says 'somewhere')."""
    if starts_with_bom(file):
        yield resource_issue(
            pkg,
            res,
            "die Datei beginnt mit einem Byte Order Mark (BOM, EF BB BF)",
            "als UTF-8 ohne BOM speichern (frictionless übergeht das BOM, andere Leser nicht)",
            "encoding-bom",
            row=1,
        )
    fault = utf8_fault(file)
    if fault is not None:
        shown = " ".join(f"0x{byte:02X}" for byte in fault.data)
        yield resource_issue(
            pkg,
            res,
            f"kein gültiges UTF-8: Byte {shown} an Position {fault.offset} (Zeile {fault.line})",
            "Datei als UTF-8 ohne BOM speichern (0xE4, 0xF6, 0xFC, 0xDF sind Umlaute in Windows-1252)",
            "encoding-error",
            row=fault.line,
            value=shown,
        )


def check_schema(pkg: PackageSource, res: dict[str, Any]) -> Iterator[Issue]:
    """Typed, titled fields; units; status columns; primary key; missing values."""
    if is_geometry(res):
        return  # no table: geometry_rules checks the file
    schema = res.get("schema")
    if (
        not isinstance(schema, dict)
        or not isinstance(schema.get("fields"), list)
        or not schema["fields"]
    ):
        yield resource_issue(
            pkg,
            res,
            "Table Schema mit 'fields' fehlt",
            "Schema mit typisierten Feldern angeben",
            "schema-missing",
        )
        return
    fields = [f for f in schema["fields"] if isinstance(f, dict)]
    names = [str(f.get("name")) for f in fields]
    for name in sorted({n for n in names if names.count(n) > 1}):
        yield resource_issue(
            pkg,
            res,
            f"Feldname {name!r} mehrfach",
            "Feldnamen eindeutig machen",
            "schema-invalid",
            field=name,
        )
    key = schema.get("primaryKey")
    if not is_list_of(key, names):
        yield resource_issue(
            pkg,
            res,
            f"'primaryKey' {key!r} fehlt oder nennt unbekannte Felder",
            f"Dimensionsspalten aus {names} angeben",
            "schema-invalid",
            field="primaryKey",
        )
        key = []
    if schema.get("missingValues") != [""]:
        yield resource_issue(
            pkg,
            res,
            f"'missingValues' ist {schema.get('missingValues')!r}",
            '[""] angeben: fehlende Werte sind leere Zellen, Symbole stehen in der Statusspalte',
            "schema-invalid",
            field="missingValues",
        )
    for field in fields:
        yield from _check_field(pkg, res, field, set(names), key)


def _check_field(
    pkg: PackageSource, res: dict[str, Any], field: dict[str, Any], names: set[str], key: list[str]
) -> Iterator[Issue]:
    name = str(field.get("name"))
    ftype = field.get("type")
    if ftype not in TYPES:
        yield resource_issue(
            pkg,
            res,
            f"Typ {ftype!r} nicht unterstützt",
            f"einer von {sorted(TYPES)}",
            "schema-invalid",
            field=name,
        )
    for prop in ("title", "description"):
        if not isinstance(field.get(prop), str) or not field[prop].strip():
            yield resource_issue(
                pkg,
                res,
                f"Feld ohne '{prop}'",
                f"deutschen Text für '{prop}' angeben",
                "field-metadata",
                field=name,
            )
    if ftype in NUMERIC and name not in key:
        unit_field = field.get("x_unit_field")
        if not isinstance(field.get("x_unit"), str) and unit_field not in names:
            yield resource_issue(
                pkg,
                res,
                "Wertspalte ohne Einheit",
                "'x_unit' (z. B. '%') oder 'x_unit_field' (Name der Einheitenspalte) angeben",
                "unit-missing",
                field=name,
            )
        if f"{name}{STATUS_SUFFIX}" not in names:
            yield resource_issue(
                pkg,
                res,
                f"Statusspalte '{name}{STATUS_SUFFIX}' fehlt",
                "Spalte für Zeichen wie 'x' oder '()' ergänzen",
                "status-column-missing",
                field=name,
            )
    yield from _check_value_type(pkg, res, field, names)
    if name.endswith(STATUS_SUFFIX):
        yield from _check_status_categories(pkg, res, field)
    elif ftype == "string" and name in key and not isinstance(field.get("categories"), list):
        yield resource_issue(
            pkg,
            res,
            "Dimensionsspalte ohne 'categories'",
            "alle zulässigen Ausprägungen als 'categories' angeben",
            "categories-missing",
            field=name,
        )


def _check_status_categories(
    pkg: PackageSource, res: dict[str, Any], field: dict[str, Any]
) -> Iterator[Issue]:
    categories = field.get("categories")
    values = (
        [c.get("value") if isinstance(c, dict) else c for c in categories]
        if isinstance(categories, list)
        else None
    )
    if values is None or not all(isinstance(v, str) and v in STATUS_CODES for v in values):
        yield resource_issue(
            pkg,
            res,
            "Statusspalte ohne gültige Codeliste",
            f"'categories' aus {list(STATUS_CODES)} mit Bezeichnung",
            "status-codes",
            field=str(field.get("name")),
        )


def _check_value_type(
    pkg: PackageSource, res: dict[str, Any], field: dict[str, Any], names: set[str]
) -> Iterator[Issue]:
    """A field with a unit or a status column is a value column: ``integer`` or ``number``."""
    name = str(field.get("name"))
    if field.get("type") in NUMERIC or field.get("type") not in TYPES:
        return
    marks = [
        f"'{prop}'" for prop in ("x_unit", "x_unit_field") if field.get(prop) not in (None, "")
    ]
    if f"{name}{STATUS_SUFFIX}" in names:
        marks.append(f"die Statusspalte '{name}{STATUS_SUFFIX}'")
    if marks:
        yield resource_issue(
            pkg,
            res,
            f"Typ {field.get('type')!r} für eine Wertspalte (sie hat {' und '.join(marks)}); Werte mit Einheit sind Zahlen",
            "'type': 'integer' oder 'number' angeben; Zellen, die keine Zahl sind, in der Quelle korrigieren (validate und init nennen sie)",
            "value-type",
            field=name,
            value=str(field.get("type")),
        )
