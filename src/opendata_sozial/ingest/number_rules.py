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
from typing import Any, Final

from opendata_sozial.domain import FOOTNOTE_FIELD, Issue, Severity
from opendata_sozial.ingest.german_numbers import read_cell
from opendata_sozial.ingest.number_faults import diagnose
from opendata_sozial.ingest.resource_rules import NUMERIC, STATUS_SUFFIX

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


Kinds = tuple[str | None, ...]
"""How one cell text reads in each convention: ``number``, ``symbol``, a fault's reason, or
``None`` for text."""


@dataclass(slots=True)
class _TextColumn:
    """Cells of one text column, tallied by how they read (one classification per text)."""

    name: str
    kinds: dict[str, Kinds] = field(default_factory=dict)
    tally: dict[Kinds, int] = field(default_factory=dict)
    faults: list[tuple[int, str]] = field(default_factory=list)
    """(row, text) of the first cells that are a fault in some convention."""
    has_digit: set[str] = field(default_factory=set)
    """Conventions in which a faulty cell has a digit."""
    faulty: set[Kinds] = field(default_factory=set)
    """Classifications with a fault in some convention."""


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
            text = row[index]
            if not text:
                continue
            kinds = text_column.kinds.get(text)
            if kinds is None:
                kinds = _new_text(text_column, text)
            text_column.tally[kinds] = text_column.tally.get(kinds, 0) + 1
            if kinds in text_column.faulty and len(text_column.faults) < MAX_FAULTS * len(
                CONVENTIONS
            ):
                text_column.faults.append((number, text))
        for index, value_column in self._values.items():
            value = row[index]
            if value and (value[0] == "-" or "." in value or len(value) > 2):
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
        value = row[index]
        try:
            amount = float(value)
        except ValueError:
            return  # frictionless reports the cell
        problem = _implausible(value, amount, kind)
        if problem is None or (problem != "fraction" and self._is_change(column, row)):
            return
        self._warnings.append(
            (number, column.name, value, *_warning_text(value, unit or "", problem))
        )

    def _is_change(self, column: _ValueColumn, row: list[str]) -> bool:
        texts = [column.text, *(cell.lower() for cell in row)]
        return any(word in text for text in texts for word in CHANGE_WORDS)


def _implausible(value: str, amount: float, kind: str) -> str | None:
    if kind in PERCENT_UNITS:
        return "above" if amount > 100 else "below" if amount < 0 else None
    if amount < 0:
        return "negative"
    return "fraction" if "." in value and value.rstrip("0")[-1:] != "." else None


def _warning_text(value: str, unit: str, problem: str) -> tuple[str, str]:
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


def _new_text(column: _TextColumn, text: str) -> Kinds:
    kinds = tuple(_classify(text, decimal) for decimal in CONVENTIONS)
    if len(column.kinds) < MAX_CACHED:
        column.kinds[text] = kinds
    if any(kind not in {None, "number", "symbol"} for kind in kinds):
        column.faulty.add(kinds)
        if any(char.isdigit() for char in text):
            column.has_digit.update(
                d for d, k in zip(CONVENTIONS, kinds, strict=True) if k not in {None, "symbol"}
            )
    return kinds


def _classify(text: str, decimal: str) -> str | None:
    """``number``, ``symbol`` (of the legend), the fault's reason, or ``None`` for text."""
    reading = read_cell(text, decimal)
    if reading is not None:
        return "number" if reading.number is not None else "symbol"
    return diagnose(text, decimal)


def _column_issues(column: _TextColumn, make: IssueMaker) -> list[Issue]:
    counts: dict[str, tuple[int, int, int]] = {}
    for position, decimal in enumerate(CONVENTIONS):
        numbers = faults = texts = 0
        for kinds, count in column.tally.items():
            kind = kinds[position]
            if kind == "number":
                numbers += count
            elif kind is None:
                texts += count
            elif kind != "symbol":
                faults += count
        counts[decimal] = (numbers, faults, texts)
    decimal = max(CONVENTIONS, key=lambda d: counts[d][0])
    numbers, fault_count, texts = counts[decimal]
    if not fault_count or decimal not in column.has_digit or numbers + fault_count <= texts:
        return []
    total = numbers + fault_count + texts
    named: list[tuple[int, str, str]] = []
    for row, text in column.faults:
        reason = _classify(text, decimal)
        if reason not in {None, "number", "symbol"} and len(named) < MAX_FAULTS:
            named.append((row, text, reason))
    issues = [
        make(
            code="number-malformed",
            message=f"keine Zahl in einer Spalte aus Zahlen ({numbers} von {total} gefüllten Zellen sind Zahlen): {reason}",
            row=row,
            field=column.name,
            value=text,
            hint="Zelle korrigieren und die Spalte als 'integer' oder 'number' mit Statusspalte anlegen (init liest Zahlen mit Zeichen); ist die Spalte wirklich Text, die Zelle als Text eindeutig machen",
        )
        for row, text, reason in named
    ]
    if fault_count > len(named):
        issues.append(
            make(
                code="number-malformed",
                message=f"{fault_count - len(named)} weitere Zellen der Spalte sind keine Zahl",
                field=column.name,
                hint="die ersten korrigieren und erneut prüfen",
            )
        )
    return issues
