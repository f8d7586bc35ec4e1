"""Cells meant as numbers that are none, and numbers that can be read two ways.

``init`` (raw German tables) and ``validate`` (the canonical CSV of a package) share this: a
column whose cells are mostly numbers names every cell that is not one, with what it probably
is (English decimal point, thousands separator, a symbol outside the legend, a unit or letter
after the number, a footnote marker at the number, an Excel error value). Cells of real text
(``4 und mehr``, ``Veränderung 2015 ggü. 2014``) and official keys (``05111``) are no faults.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from opendata_sozial.ingest.german_numbers import (
    SYMBOLS,
    Cell,
    CellReading,
    cell_text,
    clean_text,
    format_number,
    is_empty,
    parse_number,
    read_cell,
)

MAX_LISTED: Final = 20
"""Faults named one by one in an ``init`` message; the rest are counted."""
LEGEND: Final = "x, -, ., ..., /, (Zahl), Zahl p/r/s"
"""The symbols ``init`` understands, as a publisher writes them."""
EXCEL_ERRORS: Final = frozenset(
    {"#DIV/0!", "#NV", "#N/A", "#WERT!", "#VALUE!", "#BEZUG!", "#REF!", "#NAME?", "#ZAHL!"}
    | {"#NUM!", "#NULL!", "#ÜBERLAUF!", "#SPILL!"}
)
PLACEHOLDERS: Final = frozenset(
    {"k.a.", "k. a.", "ka", "n.v.", "n. v.", "nv", "n.a.", "n/a", "na", "nan", "null", "none"}
    | {"keine angabe", "-/-", "--", "..", "?", "*", "**", "***", "#", "o", "°"}
)
"""Placeholders (compared in lower case) that are not symbols of the legend."""
UNIT_SIGNS: Final = frozenset({"%", "€", "‰", "eur"})
"""A cell with only a unit is text (a unit column), not a faulty number."""

_SIGN: Final = r"[-+–−]?"
_BODY: Final = re.compile(rf"{_SIGN}\d[\d.,' ]*")
"""Digits with separators: a number, perhaps with the wrong separators."""
_FOOTNOTE: Final = re.compile(r"(?P<number>.*\d)\s*(?P<marker>\d{1,2}\)|[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\*{1,3})")
_UNIT_AFTER: Final = re.compile(
    rf"(?P<number>{_SIGN}\d[\d.,' ]*)\s*(?P<unit>[^\W\d_][^\W\d_.]{{0,4}}\.?|[€$£‰]|T€)"
)
"""A number and one short word or currency sign (``4.572 k``, ``3 Mio.``, ``12 €``), not ``65+``."""
_PREFIX: Final = re.compile(rf"(?P<prefix>[<>≤≥~≈€$£]{{1,2}})\s*(?P<number>{_SIGN}\d[\d.,' ]*)")
"""A comparison or currency sign before the number (``< 5``, ``€ 12``), not ``ab 65``."""
_STATUS_WRAP: Final = re.compile(r"\((?P<inner>.+)\)|(?P<body>.+\d) ?[prs]")


@dataclass(frozen=True, slots=True)
class CellFault:
    """A cell of a number column that is no number (or reads two ways), and why."""

    position: int
    """Index of the cell in its column (0 for the first data row)."""
    text: str
    reason: str


def other_decimal(decimal: str) -> str:
    """The decimal sign of the other convention (``.`` for ``,`` and back)."""
    return "." if decimal == "," else ","


def diagnose(text: str, decimal: str) -> str | None:
    """Why ``text`` is no number although it was probably meant as one; ``None`` for text.

    ``None`` also for cells that read as a number or a symbol of the legend.
    """
    cleaned = clean_text(text)
    if not cleaned or read_cell(cleaned, decimal) is not None:
        return None
    wrapped = _STATUS_WRAP.fullmatch(cleaned)
    inner = (wrapped["inner"] or wrapped["body"]) if wrapped else None
    if inner is not None and inner != cleaned and (reason := diagnose(inner, decimal)):
        return reason
    if cleaned.upper() in EXCEL_ERRORS:
        return f"Excel-Fehlerwert statt einer Zahl; die Formel in der Quelle prüfen oder ein Zeichen der Zeichenerklärung ({LEGEND}) setzen"
    if cleaned.lower() in PLACEHOLDERS or _is_symbol(cleaned):
        return f"Zeichen, das nicht in der Zeichenerklärung steht; eines von {LEGEND} verwenden"
    if cleaned.isascii() and cleaned.isdigit():
        return None  # an official key such as 05111 (leading zero), not a number
    return _attached(cleaned, decimal) or _separators(cleaned, decimal)


def _is_symbol(text: str) -> bool:
    return (
        len(text) <= 4
        and text.lower() not in UNIT_SIGNS
        and not any(char.isalnum() for char in text)
    )


def _is_number(text: str, decimal: str) -> bool:
    return (
        parse_number(text, decimal) is not None
        or parse_number(text, other_decimal(decimal)) is not None
        or (_BODY.fullmatch(text) is not None and not text.isdigit())
    )


def _attached(text: str, decimal: str) -> str | None:
    """A footnote marker, unit or letter after the number, or a sign or word before it."""
    if (match := _FOOTNOTE.fullmatch(text)) and _is_number(match["number"].strip(), decimal):
        return f"Fußnotenzeichen {match['marker']!r} an der Zahl; die Zahl in die Zelle, das Zeichen in die Spalte Fußnote"
    if (match := _UNIT_AFTER.fullmatch(text)) and _is_number(match["number"].strip(), decimal):
        return f"Einheit oder Buchstabe {match['unit']!r} nach der Zahl; Einheiten gehören in die Spaltenüberschrift (x_unit), Zeichen der Zeichenerklärung sind {LEGEND}"
    if (match := _PREFIX.fullmatch(text)) and _is_number(match["number"].strip(), decimal):
        return f"{match['prefix']!r} vor der Zahl; nur die Zahl eintragen (Zeichen der Zeichenerklärung: {LEGEND})"
    return None


def _separators(text: str, decimal: str) -> str | None:
    """Separators of the other convention, or in the wrong place."""
    if _BODY.fullmatch(text.removesuffix("%").rstrip()) is None:
        return None
    body = text.removesuffix("%").rstrip()
    other = other_decimal(decimal)
    reading = parse_number(body, other)
    if reading is None:
        return "Tausender- oder Dezimaltrennzeichen an falscher Stelle (Tausendergruppen haben drei Ziffern, höchstens ein Dezimaltrennzeichen)"
    meant = german_text(reading) if decimal == "," else format_number(reading)
    if decimal in body and other in body:
        kind = "englische" if decimal == "," else "deutsche"
        return f"{kind} Schreibweise (Tausender- und Dezimaltrennzeichen vertauscht); gemeint ist wohl {meant}"
    if body.count(decimal) > 1 or (decimal in body and reading == reading.to_integral_value()):
        return f"{decimal!r} als Tausendertrennzeichen, das hier Dezimaltrennzeichen ist; gemeint ist wohl {meant}"
    name = "englischer Dezimalpunkt" if decimal == "," else "deutsches Dezimalkomma"
    return f"{name}; gemeint ist wohl {meant}"


def german_text(number: Decimal) -> str:
    """A number as a German reader writes it: ``14,9``, ``-0,4`` (no thousands separator)."""
    return format_number(number).replace(".", ",")


# Columns of a raw table (init)


def column_faults(cells: Sequence[Cell], decimal: str) -> list[CellFault] | None:
    """The faulty cells of a column that is mostly numbers; ``None`` for a text column.

    A column is mostly numbers when its numbers and faulty cells outnumber its cells of real
    text, and one of them has a digit (a column of placeholders alone is no number column).
    """
    numbers, texts = 0, 0
    faults: list[CellFault] = []
    dates: list[CellFault] = []
    for position, cell in enumerate(cells):
        if is_empty(cell):
            continue
        if isinstance(cell, date):
            dates.append(CellFault(position, cell_text(cell), _date_reason(cell)))
            continue
        if isinstance(cell, Decimal):
            numbers += 1
            continue
        reading = read_cell(cell, decimal)
        if reading is not None:
            numbers += reading.number is not None
            continue
        reason = diagnose(cell, decimal)
        if reason is None:
            texts += 1
        else:
            faults.append(CellFault(position, cell_text(cell), reason))
    if numbers:
        faults = sorted([*faults, *dates], key=lambda fault: fault.position)
    else:
        texts += len(dates)
    has_digit = numbers > 0 or any(char.isdigit() for f in faults for char in f.text)
    if not faults or not has_digit or numbers + len(faults) <= texts:
        return None
    return faults


def _date_reason(value: date) -> str:
    return f"Excel hat die Eingabe als Datum gespeichert ({value:%d.%m.%Y}); war eine Zahl mit Punkt gemeint? In Excel mit Dezimalkomma eingeben oder die Zelle als Zahl formatieren"


def ambiguous_cells(title: str, cells: Sequence[Cell], decimal: str) -> list[CellFault]:
    """Cells of a number column that a German and an English reader read differently.

    ``4,572`` among whole numbers (a decimal, or 4572 with an English thousands separator?);
    ``16.300`` in a percentage column or among small decimals (16300, or 16.3?). Empty for a
    column that is not all numbers and symbols.
    """
    found = [
        CellReading(cell) if isinstance(cell, Decimal) else read_cell(cell, decimal)
        for cell in cells
        if not isinstance(cell, date)
    ]
    readings = [reading for reading in found if reading is not None]
    if len(readings) < len(cells):
        return []
    other = other_decimal(decimal)
    one_decimal = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}{re.escape(decimal)}\d{{3}}")
    one_group = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}{re.escape(other)}\d{{3}}%?")
    texts = [cell if isinstance(cell, str) else "" for cell in cells]
    by_decimal = {i for i, t in enumerate(texts) if one_decimal.fullmatch(clean_text(t))}
    by_group = {i for i, t in enumerate(texts) if one_group.fullmatch(clean_text(t))}
    rest = [r.number for i, r in enumerate(readings) if r.number is not None and i not in by_group]
    whole = all(n == n.to_integral_value() for i, n in enumerate(rest) if i not in by_decimal)
    is_percent = _is_percent(title, texts)
    small = bool(rest) and all(abs(n) < 1000 for n in rest) and not whole
    faults = []
    for i in sorted(by_decimal | by_group):
        number = readings[i].number
        if number is None:
            continue
        text = clean_text(texts[i])
        digits = text.replace(decimal, "").lstrip("+")
        if i in by_decimal and _others_whole(readings, i):
            meant = digits if decimal == "," else text.replace(decimal, ".")
            faults.append(
                CellFault(
                    i,
                    text,
                    f"gelesen als {german_text(number)}, die übrigen Zahlen der Spalte sind ganz: war {meant} mit Tausendertrennzeichen gemeint?",
                )
            )
        elif i in by_group and (is_percent or small):
            meant = german_text(Decimal(text.removesuffix("%").replace(other, ".")).normalize())
            where = "in einer Prozentspalte" if is_percent else "zwischen kleinen Dezimalzahlen"
            faults.append(
                CellFault(
                    i,
                    text,
                    f"gelesen als {format_number(number)} (Tausendertrennzeichen); {where} vielleicht {meant} (englischer Dezimalpunkt)?",
                )
            )
    return faults


def _others_whole(readings: Sequence[CellReading], index: int) -> bool:
    others = [r.number for i, r in enumerate(readings) if i != index and r.number is not None]
    return bool(others) and all(n == n.to_integral_value() for n in others)


def _is_percent(title: str, texts: Sequence[str]) -> bool:
    lowered = title.lower()
    return (
        "%" in lowered
        or "prozent" in lowered
        or "quote" in lowered
        or any(clean_text(text).endswith("%") for text in texts)
    )


# Cells of a package's own CSV (validate)

_DECIMALS: Final = re.compile(r"-?\d+\.\d+")


def canonical_fault(text: str, kind: str) -> str | None:
    """Why a cell of a package CSV is no ``integer``/``number``; ``None`` when unclear.

    The package's CSV writes numbers plainly (``1234.5``); symbols stand in the status column.
    """
    cleaned = clean_text(text)
    if kind == "integer" and _DECIMALS.fullmatch(cleaned):
        return "Dezimalstellen in einer Spalte ganzer Zahlen; den Wert prüfen oder das Feld als 'number' anlegen"
    if cleaned in SYMBOLS:
        return f"das Zeichen {cleaned!r} gehört in die Statusspalte, die Zelle bleibt leer"
    reason = diagnose(cleaned, ".")
    if reason is not None:
        return f"{reason} (im Paket Punkt als Dezimaltrennzeichen, ohne Tausendertrennzeichen)"
    number = parse_number(cleaned, ".")
    if number is not None:
        return f"Tausendertrennzeichen; im Paket ohne Tausendertrennzeichen schreiben: {format_number(number)}"
    return None
