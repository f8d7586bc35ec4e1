"""House rules on numbers in a package's CSV: text columns that are numbers, implausible values.

``data_rules.check_data`` feeds every row to a :class:`NumberWatch`:

* A ``string`` column whose cells are mostly numbers, with some that are not, is an error for
  each cell that is not (row, value, and what it probably is: see ``number_faults``). The
  column was meant as a value column; a typo must not turn it into text that publishes.
* Where a unit says what a value may be, implausible values are warnings: a percentage above
  100 or below 0 (unless the field or the row is a change, ``Veränderung``), a count that is
  negative (same exception) or has decimals.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from opendata_sozial.domain import Issue, Severity
from opendata_sozial.ingest.german_numbers import read_cell
from opendata_sozial.ingest.number_faults import diagnose
from opendata_sozial.ingest.resource_rules import FOOTNOTE_FIELD, NUMERIC, STATUS_SUFFIX

CONVENTIONS: Final = (".", ",")
"""Decimal signs a text column is read with: the package's own (``.``) and German (``,``)."""
MAX_FAULTS: Final = 50
"""Faulty cells named per text column; more are counted."""
MAX_CACHED: Final = 10_000
"""Distinct cell texts whose reading is remembered per column."""
PERCENT_UNITS: Final = frozenset({"%", "prozent", "in %", "v. h.", "vh"})
COUNT_UNITS: Final = frozenset({"anzahl", "personen", "fälle", "haushalte"})
CHANGE_WORDS: Final = ("veränderung", "änderung", "gegenüber", "ggü", "differenz", "saldo")
"""A field or row about a change may be negative (and a change in percent above 100)."""

IssueMaker = Callable[..., Issue]
"""``Issue`` with package, resource and file filled in."""


def text_columns(fields: list[dict[str, Any]]) -> dict[int, str]:
    """Positions and names of the ``string`` columns that may hold numbers by mistake.

    Status, footnote and unit columns hold symbols, markers and units, never a value.
    """
    unit_columns = {f.get("x_unit_field") for f in fields}
    return {
        index: str(spec.get("name"))
        for index, spec in enumerate(fields)
        if spec.get("type") == "string"
        and not str(spec.get("name")).endswith(STATUS_SUFFIX)
        and spec.get("name") != FOOTNOTE_FIELD
        and spec.get("name") not in unit_columns
    }


def has_fault(text: str) -> bool:
    """True when ``text`` looks like a number written wrongly in either convention."""
    return any(diagnose(text, decimal) is not None for decimal in CONVENTIONS)


@dataclass(slots=True)
class _Reading:
    """How the cells of one text column read in one convention."""

    numbers: int = 0
    texts: int = 0
    has_digit: bool = False
    faults: list[tuple[int, str, str]] = field(default_factory=list)
    fault_count: int = 0


@dataclass(slots=True)
class _TextColumn:
    name: str
    readings: dict[str, _Reading] = field(
        default_factory=lambda: {decimal: _Reading() for decimal in CONVENTIONS}
    )
    cache: dict[str, tuple[str | None, ...]] = field(default_factory=dict)


@dataclass(slots=True)
class _ValueColumn:
    name: str
    text: str
    """Title and description in lower case, to see whether the field is a change."""
    unit: str | None
    unit_index: int | None


class NumberWatch:
    """Collects what the rows of one resource say about its numbers."""

    def __init__(self, header: list[str], fields: list[dict[str, Any]]) -> None:
        """Prepare the text columns and the value columns whose unit sets a range."""
        self._header = header
        self._texts = {index: _TextColumn(name) for index, name in text_columns(fields).items()}
        position = {name: index for index, name in enumerate(header)}
        self._values: dict[int, _ValueColumn] = {}
        for index, spec in enumerate(fields):
            unit, unit_field = spec.get("x_unit"), spec.get("x_unit_field")
            if spec.get("type") in NUMERIC and (isinstance(unit, str) or unit_field in position):
                words = f"{spec.get('title', '')} {spec.get('description', '')}".lower()
                self._values[index] = _ValueColumn(
                    name=str(spec.get("name")),
                    text=words,
                    unit=unit if isinstance(unit, str) else None,
                    unit_index=position.get(str(unit_field)),
                )
        self._warnings: list[tuple[int, str, str, str, str]] = []

    def observe(self, row: list[str], number: int) -> None:
        """Look at one row (``number`` is its line in the file, the header is 1)."""
        for index, text_column in self._texts.items():
            if row[index]:
                _observe_text(text_column, row[index], number)
        for index, value_column in self._values.items():
            if row[index]:
                self._check_value(value_column, row, index, number)

    def issues(self, make: IssueMaker) -> list[Issue]:
        """Errors for faulty cells of number-like text columns, then plausibility warnings."""
        found = []
        for column in self._texts.values():
            found.extend(_column_issues(column, make))
        for number, name, value, message, hint in self._warnings:
            found.append(
                make(
                    code="value-implausible",
                    message=message,
                    row=number,
                    field=name,
                    value=value,
                    hint=hint,
                    severity=Severity.WARNING,
                )
            )
        return found

    def _check_value(self, column: _ValueColumn, row: list[str], index: int, number: int) -> None:
        unit = column.unit if column.unit_index is None else row[column.unit_index]
        kind = (unit or "").strip().lower()
        if kind not in PERCENT_UNITS and kind not in COUNT_UNITS:
            return
        try:
            value = Decimal(row[index])
        except InvalidOperation:
            return  # frictionless reports the cell
        problem = _implausible(value, kind)
        if problem is None:
            return
        if problem != "fraction" and self._is_change(column, row):
            return
        self._warnings.append(
            (number, column.name, row[index], *_warning_text(value, unit or "", problem))
        )

    def _is_change(self, column: _ValueColumn, row: list[str]) -> bool:
        texts = [column.text, *(cell.lower() for cell in row)]
        return any(word in text for text in texts for word in CHANGE_WORDS)


def _implausible(value: Decimal, kind: str) -> str | None:
    if kind in PERCENT_UNITS:
        return "above" if value > 100 else "below" if value < 0 else None
    if value < 0:
        return "negative"
    return "fraction" if value != value.to_integral_value() else None


def _warning_text(value: Decimal, unit: str, problem: str) -> tuple[str, str]:
    check = "Wert und Trennzeichen in der Quelle prüfen"
    if problem == "above":
        return (
            f"Prozentwert {value} liegt über 100 (Einheit {unit!r})",
            f"{check} (16.300 mit Dezimalkomma ist 16300, nicht 16,3); bei einer Veränderungsrate das Feld oder die Zeile als Veränderung benennen",
        )
    if problem == "below":
        return (
            f"Prozentwert {value} liegt unter 0 (Einheit {unit!r})",
            f"{check}; bei einer Veränderungsrate das Feld oder die Zeile als Veränderung benennen",
        )
    if problem == "negative":
        return (
            f"Anzahl {value} ist negativ (Einheit {unit!r})",
            f"{check}; bei einer Veränderung das Feld oder die Zeile als Veränderung benennen",
        )
    return (
        f"Anzahl {value} ist keine ganze Zahl (Einheit {unit!r})",
        f"{check} (4,572 mit Dezimalkomma ist 4.572, nicht 4572); Einheit korrigieren, wenn es keine Anzahl ist",
    )


def _observe_text(column: _TextColumn, text: str, number: int) -> None:
    known = column.cache.get(text)
    if known is None:
        known = tuple(_classify(text, decimal) for decimal in CONVENTIONS)
        if len(column.cache) < MAX_CACHED:
            column.cache[text] = known
    has_digit = any(char.isdigit() for char in text)
    for decimal, kind in zip(CONVENTIONS, known, strict=True):
        reading = column.readings[decimal]
        if kind == "number":
            reading.numbers += 1
            reading.has_digit = True
        elif kind is None:
            reading.texts += 1
        elif kind != "symbol":
            reading.fault_count += 1
            reading.has_digit = reading.has_digit or has_digit
            if len(reading.faults) < MAX_FAULTS:
                reading.faults.append((number, text, kind))


def _classify(text: str, decimal: str) -> str | None:
    """``number``, ``symbol`` (of the legend), the fault's reason, or ``None`` for text."""
    reading = read_cell(text, decimal)
    if reading is not None:
        return "number" if reading.number is not None else "symbol"
    return diagnose(text, decimal)


def _column_issues(column: _TextColumn, make: IssueMaker) -> list[Issue]:
    decimal = max(CONVENTIONS, key=lambda d: column.readings[d].numbers)
    reading = column.readings[decimal]
    if (
        not reading.faults
        or not reading.has_digit
        or reading.numbers + reading.fault_count <= reading.texts
    ):
        return []
    total = reading.numbers + reading.fault_count + reading.texts
    issues = [
        make(
            code="number-malformed",
            message=f"keine Zahl in einer Spalte aus Zahlen ({reading.numbers} von {total} gefüllten Zellen sind Zahlen): {reason}",
            row=row,
            field=column.name,
            value=text,
            hint="Zelle korrigieren und die Spalte als 'integer' oder 'number' mit Statusspalte anlegen (init liest Zahlen mit Zeichen); ist die Spalte wirklich Text, die Zelle als Text eindeutig machen",
        )
        for row, text, reason in reading.faults
    ]
    if reading.fault_count > len(reading.faults):
        issues.append(
            make(
                code="number-malformed",
                message=f"{reading.fault_count - len(reading.faults)} weitere Zellen der Spalte sind keine Zahl",
                field=column.name,
                hint="die ersten korrigieren und erneut prüfen",
            )
        )
    return issues
