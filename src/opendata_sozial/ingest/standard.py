"""Frictionless's own validation of a package (descriptor profile and typed data)."""

from typing import Any

import frictionless

from opendata_sozial.domain import Issue
from opendata_sozial.ingest.data_rules import clip
from opendata_sozial.ingest.frictionless_messages import german_message, key_values
from opendata_sozial.ingest.package import PackageSource, objects_in

_HINTS = {
    "type-error": "Wert passend zum Feldtyp schreiben (Zahlen mit Punkt als Dezimaltrennzeichen, ohne Tausenderzeichen)",
    "constraint-error": "Wert an die Feldbedingungen anpassen",
    "primary-key": "Zeilen mit gleichem Schlüssel zusammenführen oder Schlüsselspalten ergänzen",
    "missing-label": "Spaltenkopf passend zu den Feldern im Schema schreiben",
    "extra-label": "Spalte aus der Datei entfernen oder im Schema ergänzen",
    "incorrect-label": "Spaltenkopf oder Feldnamen im Schema angleichen",
    "blank-row": "Leerzeile entfernen",
    "extra-cell": "Zeile hat mehr Zellen als der Kopf: Trennzeichen in Texten in Anführungszeichen setzen",
    "missing-cell": "Zeile hat weniger Zellen als der Kopf",
    "encoding-error": "Datei als UTF-8 speichern",
    "hash-count": "Datei prüfen; bei gewollter Änderung 'hash' und 'bytes' aktualisieren",
    "byte-count": "Datei prüfen; bei gewollter Änderung 'bytes' aktualisieren",
}

_OURS = frozenset({"hash-count", "byte-count", "encoding-error"})
"""Reported by our own rules with the expected values or the exact position; skipped here."""


def check_standard(pkg: PackageSource, *, limit_rows: int | None = None) -> list[Issue]:
    """Run ``frictionless`` on the package and translate its report into issues.

    ``limit_rows`` stops each table after that many rows (the descriptor, the labels and the
    first rows are still checked); ``publish`` uses it where ``row_proof`` covered every row.
    """
    try:
        report = frictionless.Package(str(pkg.descriptor_path)).validate(limit_rows=limit_rows)
    except frictionless.FrictionlessException as exc:
        return [_from_error(pkg, None, exc.error.to_descriptor())]
    issues = [_from_error(pkg, None, err.to_descriptor()) for err in report.errors]
    for task in report.tasks:
        issues.extend(_from_error(pkg, task, err.to_descriptor()) for err in task.errors)
    return [issue for issue in issues if issue.code not in _OURS]


def _from_error(pkg: PackageSource, task: object, error: dict[str, Any]) -> Issue:
    code = str(error.get("type", "frictionless-error"))
    cell = error.get("cell", error.get("label"))  # the offending cell, or header label
    value = None if cell is None else str(cell)
    key = _key_fields(pkg, getattr(task, "name", None))
    if value is not None and clip(value) != value:  # a huge cell must not flood the report
        error = (
            {**error, "cell": clip(value)} if "cell" in error else {**error, "label": clip(value)}
        )
        value = clip(value)
    message = german_message(error, key)
    if code == "primary-key":  # the key values, or none when the key cells are all empty
        value = key_values(error, key) if any(error.get("cells") or []) else None
    return Issue(
        code=code,
        message=message,
        package=pkg.name,
        resource=getattr(task, "name", None),
        file=str(getattr(task, "place", "") or pkg.descriptor_path),
        row=error.get("rowNumber"),
        field=error.get("fieldName") or None,  # extra cells have no field: "" would read as one
        value=value,
        hint=_HINTS.get(code, "Beschreibung von frictionless beachten"),
    )


def _key_fields(pkg: PackageSource, resource: object) -> list[tuple[int, str]]:
    """Position and name of each primary-key field of ``resource`` (for duplicate keys)."""
    res = next((r for r in pkg.resources() if r.get("name") == resource), None)
    schema = res.get("schema") if res is not None else None
    if not isinstance(schema, dict):
        return []
    names = [str(f.get("name")) for f in objects_in(schema.get("fields"))]
    key = schema.get("primaryKey")
    keys = key if isinstance(key, list) else []
    return [(names.index(k), k) for k in keys if isinstance(k, str) and k in names]
