"""frictionless's English error messages in German, with the same facts (row, field, value).

One entry per frictionless error type that a package validation can report. A note that
frictionless phrases freely (descriptor errors from its JSON Schema check) keeps its text in
quotes after a German lead, with the common phrasings translated; an unknown type keeps the
English message, marked as such, so no fact is lost.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Final

from opendata_sozial.ingest.number_faults import canonical_fault

TYPE_NAMES: Final[dict[str, str]] = {
    "integer": "ganze Zahl (integer)",
    "number": "Zahl (number)",
    "year": "Jahr (year, vierstellig)",
    "yearmonth": "Jahr und Monat (yearmonth, JJJJ-MM)",
    "date": "Datum (date, JJJJ-MM-TT)",
    "datetime": "Zeitpunkt (datetime, ISO 8601)",
    "boolean": "Wahrheitswert (boolean)",
    "string": "Text (string)",
}
_TYPE_NOTE: Final = re.compile(r'type is "(?P<type>[a-z]+)/')
_CONSTRAINT_NOTE: Final = re.compile(r'constraint "(?P<name>\w+)" is "(?P<value>.*)"')
_POSITION_NOTE: Final = re.compile(r'position "?(?P<row>\d+)')
_SCHEMA_PHRASES: Final = (
    (re.compile(r"'(?P<a>[^']+)' is a required property"), "Pflichtangabe '{a}' fehlt"),
    (re.compile(r"(?P<a>.+) is not of type '(?P<b>\w+)'"), "{a} hat nicht den Typ '{b}'"),
    (re.compile(r"(?P<a>.+) is not one of (?P<b>.+)"), "{a} ist keiner der Werte {b}"),
    (re.compile(r"(?P<a>.+) does not match '(?P<b>.+)'"), "{a} passt nicht zum Muster '{b}'"),
    (re.compile(r"(?P<a>.+) is too short"), "{a} ist zu kurz"),
    (re.compile(r" at property '(?P<a>[^']+)'"), " (Eigenschaft '{a}')"),
)
DESCRIPTOR_KINDS: Final[dict[str, str]] = {
    "package-error": "Fehler im Paket-Deskriptor",
    "resource-error": "Fehler in der Ressource",
    "schema-error": "Table Schema ungültig",
    "field-error": "Feld ungültig",
    "dialect-error": "Tabellendialekt ungültig",
    "metadata-error": "Metadaten ungültig",
    "stats-error": "Angaben zu Umfang oder Prüfsumme ungültig",
    "source-error": "Datei hat nicht unterstützten oder widersprüchlichen Inhalt",
    "scheme-error": "Datei nicht ladbar",
    "format-error": "Datei nicht als CSV lesbar",
    "encoding-error": "Datei nicht dekodierbar",
    "compression-error": "Datei nicht entpackbar",
    "file-error": "Dateifehler",
    "data-error": "Datenfehler",
    "table-error": "Tabellenfehler",
    "field-count": "Anzahl der Felder stimmt nicht",
    "row-count": "Anzahl der Zeilen stimmt nicht",
    "table-dimensions": "Tabellengröße stimmt nicht",
    "required-value": "erforderliche Werte fehlen",
}

Facts = dict[str, Any]
KeyFields = Sequence[tuple[int, str]]
"""Position (from 0) and name of each primary-key field of the resource."""


def german_message(error: Facts, key: KeyFields) -> str:
    """The German message for one frictionless error (its ``to_descriptor()``)."""
    kind = str(error.get("type", ""))
    row, field, cell = error.get("rowNumber"), error.get("fieldName"), error.get("cell")
    number, label, note = error.get("fieldNumber"), error.get("label"), str(error.get("note", ""))
    template = _TEMPLATES.get(kind)
    if template is not None:
        return template(error, key)
    if kind in _PLAIN:
        return _PLAIN[kind].format_map(defaultdict(lambda: None, error))
    if kind in DESCRIPTOR_KINDS:
        return f"{DESCRIPTOR_KINDS[kind]}: {translate_note(note)}"
    where = ", ".join(
        part
        for part in (
            f"Zeile {row}" if row is not None else "",
            f"Feld {field!r}" if field else "",
            f"Position {number}" if number is not None else "",
            f"Wert {cell!r}" if cell is not None else "",
            f"Spalte {label!r}" if label is not None else "",
        )
        if part
    )
    english = f"frictionless meldet {kind!r}: {error.get('message', note)}"
    return f"{where}: {english}" if where else english


def translate_note(note: str) -> str:
    """Common phrasings of frictionless's JSON Schema notes in German (others unchanged)."""
    text = note
    for pattern, german in _SCHEMA_PHRASES:
        text = pattern.sub(partial(_fill, german), text)
    return text


def _fill(german: str, match: re.Match[str]) -> str:
    return german.format(**match.groupdict())


def _type_error(error: Facts, _key: KeyFields) -> str:
    match = _TYPE_NOTE.search(str(error.get("note", "")))
    kind = match["type"] if match else "?"
    cell = str(error.get("cell", ""))
    message = f"Zeile {error.get('rowNumber')}, Feld {error.get('fieldName')!r}: {cell!r} ist keine gültige Angabe vom Typ {TYPE_NAMES.get(kind, kind)}"
    reason = canonical_fault(cell, kind) if kind in {"integer", "number"} else None
    return f"{message}: {reason}" if reason else message


def _constraint_error(error: Facts, _key: KeyFields) -> str:
    note = str(error.get("note", ""))
    match = _CONSTRAINT_NOTE.search(note)
    rule = f"{match['name']} = {match['value']}" if match else note
    return f"Zeile {error.get('rowNumber')}, Feld {error.get('fieldName')!r}: {error.get('cell')!r} verletzt die Bedingung {rule}"


def _unique_error(error: Facts, _key: KeyFields) -> str:
    other = _POSITION_NOTE.search(str(error.get("note", "")))
    return f"Zeile {error.get('rowNumber')}, Feld {error.get('fieldName')!r}: derselbe Wert wie in Zeile {other['row'] if other else '?'}, das Feld verlangt eindeutige Werte"


def _duplicate_label(error: Facts, _key: KeyFields) -> str:
    note = translate_note(str(error.get("note")))
    return f"Kopfzeile: Spaltenüberschrift {error.get('label')!r} an Position {error.get('fieldNumber')} kommt mehrfach vor ({note})"


def key_values(error: Facts, key: KeyFields) -> str:
    """The primary-key values of the row of ``error``, as ``Geschlecht, Insgesamt, 2005``."""
    cells = error.get("cells") or []
    return ", ".join(str(cells[i]) if i < len(cells) else "" for i, _ in key)


def _primary_key(error: Facts, key: KeyFields) -> str:
    names = ", ".join(name for _, name in key)
    other = _POSITION_NOTE.search(str(error.get("note", "")))
    if other is None:
        return f"Zeile {error.get('rowNumber')}: alle Schlüsselfelder ({names}) sind leer"
    return f"Zeile {error.get('rowNumber')} hat denselben Schlüssel wie Zeile {other['row']}: ({names}) = ({key_values(error, key)})"


_TEMPLATES: Final[dict[str, Callable[[Facts, KeyFields], str]]] = {
    "type-error": _type_error,
    "constraint-error": _constraint_error,
    "unique-error": _unique_error,
    "primary-key": _primary_key,
    "duplicate-label": _duplicate_label,
}
# Messages that only place the error's facts; a fact frictionless did not give reads None.
_PLAIN: Final[dict[str, str]] = {
    "foreign-key": "Zeile {rowNumber} verletzt einen Fremdschlüssel: {note}",
    "blank-row": "Zeile {rowNumber} ist vollständig leer",
    "duplicate-row": "Zeile {rowNumber} wiederholt eine andere Zeile ({note})",
    "extra-cell": "Zeile {rowNumber} hat mehr Zellen als das Schema Felder: zusätzlicher Wert {cell!r} an Position {fieldNumber}",
    "missing-cell": "Zeile {rowNumber} hat zu wenige Zellen: Feld {fieldName!r} an Position {fieldNumber} fehlt",
    "extra-label": "Kopfzeile: Spalte {label!r} an Position {fieldNumber} steht nicht im Schema",
    "missing-label": "Kopfzeile: Spalte für Feld {fieldName!r} an Position {fieldNumber} fehlt",
    "blank-label": "Kopfzeile: Spaltenüberschrift an Position {fieldNumber} ist leer",
    "incorrect-label": "Kopfzeile: Spalte {label!r} an Position {fieldNumber} heißt im Schema {fieldName!r}",
    "blank-header": "die Kopfzeile ist leer",
    "unmatched-header": "kein Feld des Schemas steht in der Kopfzeile",
    "row-constraint": "Zeile {rowNumber} verletzt eine Zeilenbedingung: {note}",
}
