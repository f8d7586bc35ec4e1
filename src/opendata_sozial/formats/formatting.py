"""Spelling of numbers: German display formats (Jinja filters) and the plain machine spelling.

For people, thousands are grouped with a no-break space (``2 123``), as in the tables of IT.NRW;
the decimal sign is a comma. For machines (every export and JSON answer), a ``number`` cell is
spelled as in the canonical CSV: an integral value without decimals (``2016``, not
``2016.0``), any other as the shortest text that reads back to the same value, never with an
exponent. Nothing here knows about HTML.
"""

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Final

from opendata_sozial.domain import EXACT_INTEGERS, WITHHELD_STATUS
from opendata_sozial.domain import number_text as number_text  # in domain: db/csv_export uses it
from opendata_sozial.domain import plain_number as plain_number
from opendata_sozial.model.dataset import Resource

NBSP: Final = "\u00a0"
MAX_DECIMALS: Final = 3
MONTHS: Final = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


PLAIN_REPR: Final = (1e-4, 1e16)
"""``repr`` of a float in this magnitude range has no exponent."""


def plain_column(values: Iterable[Any]) -> list[Any]:
    """A ``number`` column for the C ``csv`` writer, which then writes what ``number_text`` does.

    Integral values become integers, floats that ``repr`` would write with an exponent become
    text; every other float stays, as the writer spells it with ``repr`` (one pass per column,
    no call per cell in the common case: a full export renders a million cells).
    """
    low, high = PLAIN_REPR
    return [
        (
            int(v)
            if v.is_integer() and -EXACT_INTEGERS < v < EXACT_INTEGERS
            else v
            if low <= abs(v) < high
            else number_text(v)
        )
        if type(v) is float
        else v
        for v in values
    ]


def number_positions(table: Resource, columns: Sequence[str]) -> list[int]:
    """Positions of the ``number`` fields among ``columns``."""
    numbers = {f.name for f in table.fields if f.type == "number"}
    return [i for i, name in enumerate(columns) if name in numbers]


def plain_rows(rows: Sequence[Sequence[Any]], positions: Sequence[int]) -> list[list[Any]]:
    """Rows as lists, with the ``number`` cells at ``positions`` spelled by ``plain_number``.

    Column by column, without a call per cell.
    """
    if not rows:
        return []
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i in positions:
        columns[i] = [
            int(v)
            if type(v) is float and v.is_integer() and -EXACT_INTEGERS < v < EXACT_INTEGERS
            else v
            for v in columns[i]
        ]
    return [list(row) for row in zip(*columns, strict=True)]


def decimals_of(values: Iterable[object]) -> int:
    """The decimals a column needs so that no shown value is rounded (at most 3)."""
    needed = 0
    for value in values:
        if isinstance(value, float) and math.isfinite(value):
            text = repr(value)
            if "e" not in text and "." in text:
                needed = max(needed, len(text.split(".", 1)[1].rstrip("0")))
    return min(needed, MAX_DECIMALS)


def format_number(value: float | None, decimals: int = 0) -> str:
    """``2123`` -> ``2 123``, ``14.6`` with one decimal -> ``14,6``; ``None`` -> ``""``."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    if text in {"-0", "-0.0", "-0.00", "-0.000"}:
        text = text[1:]
    return text.replace(",", NBSP).replace(".", ",").replace("-", "\u2212")


def format_cell(
    value: object, status: str | None = None, decimals: int = 0, field_type: str = ""
) -> str:
    """A table cell in the manner of official statistics: value and symbol.

    A withheld cell shows only its symbol (``/``); ``()`` wraps the value; other symbols
    (``p``, ``r``, ``s``) follow the value. Years are never grouped (``2015``).
    """
    if isinstance(value, bool):
        text = "ja" if value else "nein"
    elif field_type == "year" and isinstance(value, int):
        text = str(value)
    elif isinstance(value, int | float):
        text = format_number(value, decimals)
    elif isinstance(value, date):
        text = format_date(value)
    else:
        text = "" if value is None else str(value)
    if not status:
        return text
    if status in WITHHELD_STATUS and not text:
        return status
    if status == "()":
        return f"({text})"
    return f"{text}{NBSP}{status}" if text else status


def format_date(value: date | datetime | str | None) -> str:
    """``2025-01-31`` (or a datetime, or its ISO text) -> ``31.01.2025``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def format_period(period: str) -> str:
    """An ISO period as people read it: ``2015``, ``November 2021``, ``31.12.2023``."""
    if len(period) == 7 and period[4] == "-" and period[5:].isdigit():
        return f"{MONTHS[int(period[5:]) - 1]} {period[:4]}"
    if len(period) == 10:
        return format_date(period)
    return period


def format_period_range(start: str, end: str) -> str:
    """``2005``/``2019`` -> ``2005–2019``; one period when start and end are equal."""
    if not start and not end:
        return ""
    if start == end or not end:
        return format_period(start)
    return f"{format_period(start)}–{format_period(end)}"


def format_bytes(size: int | None) -> str:
    """``5713`` -> ``5,7 kB`` (SI units, as browsers and file managers show them)."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size}{NBSP}Byte"
    scaled = size / 1000
    for unit in ("kB", "MB"):
        if scaled < 1000:
            return f"{format_number(scaled, 1)}{NBSP}{unit}"
        scaled /= 1000
    return f"{format_number(scaled, 1)}{NBSP}GB"


def format_count(count: int, singular: str, plural: str) -> str:
    """``1 Zeile``, ``2 123 Zeilen``."""
    return f"{format_number(count)}{NBSP}{singular if count == 1 else plural}"
