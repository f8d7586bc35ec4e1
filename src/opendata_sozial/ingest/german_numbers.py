"""Raw tables of German official statistics: their rows, cells and the columns they make.

The pure half of ``opendata-sozial init``; ``scaffold.py`` does the file I/O. Cells such as
``1.234,5``, ``(17 890 100)``, ``123 p``, ``x`` or ``31.12.2023`` read as a number with its
status symbol (the codes of ``opendata_sozial.domain.STATUS_CODES``), as a symbol alone, as a
date, or stay text: nothing is guessed. A column is typed from all of its cells. Problems of
the table (no header, ragged rows) raise ``SourceError`` naming file, row and column.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from opendata_sozial.domain import FOOTNOTE_FIELD, STATUS_CODES
from opendata_sozial.errors import SourceError
from opendata_sozial.ingest.resource_rules import STATUS_SUFFIX

Cell = str | Decimal | date
"""A source cell: text (``""`` when empty), or a typed XLSX number or date."""

SPACES: Final = str.maketrans(dict.fromkeys("\u00a0\u202f\u2009\u2007\t", " "))
"""No-break, narrow no-break, thin and figure spaces (thousands separators) and tabs."""

SYMBOLS: Final[dict[str, str]] = {
    "x": "x",
    "X": "x",
    "-": "-",
    "–": "-",
    "—": "-",
    "−": "-",
    ".": ".",
    "...": "...",
    "…": "...",
    "/": "/",
}
"""Cells that hold only a symbol, mapped to the status code."""

MINUS_SIGNS: Final = frozenset("-–−")
DECIMAL_SIGNS: Final = (",", ".")
DATE_FORMATS: Final = ("%d.%m.%Y", "%Y-%m-%d")
ISO_DATE_FORMAT: Final = "%Y-%m-%d"
YEAR_HINT: Final = "jahr"
"""A column is a ``year`` when its name contains this and every cell is a four-digit year."""

_NAME_CHARS: Final = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss", "%": " prozent ", "€": " eur "}
)

_NUMBER_LIKE: Final = re.compile(
    r"[-+–−]?(?:\((?:[\d.,' ]*\d[\d.,' ]*%?)\)|[\d.,' ]*\d[\d.,' ]*%?)(?: ?[prs])?"
)
"""Digits with separators, sign, brackets or flag: text meant as a number (keys like ``05`` aside)."""
_FLAGGED: Final = re.compile(r"(?P<body>.*[\d%]) ?(?P<flag>[prs])")
_NUMBER: Final[dict[str, re.Pattern[str]]] = {
    decimal: re.compile(
        rf"(?P<int>0|[1-9]\d*|[1-9]\d{{0,2}}(?P<sep>[{re.escape(thousands)} ])\d{{3}}(?:(?P=sep)\d{{3}})*)"
        rf"(?:{re.escape(decimal)}(?P<frac>\d+))?"
    )
    for decimal, thousands in ((",", "."), (".", ","))
}
"""Unsigned numbers by decimal sign; thousands groups of three digits, one separator kind."""


@dataclass(frozen=True, slots=True)
class CellReading:
    """A value cell read as a number and a status code (``""`` for an ordinary value)."""

    number: Decimal | None
    status: str = ""

    @property
    def is_integral(self) -> bool:
        """True when the number was written without decimals (or there is none)."""
        if self.number is None:
            return True
        exponent = self.number.as_tuple().exponent
        return isinstance(exponent, int) and exponent >= 0


def clean_text(text: str) -> str:
    """Collapse every kind of space (and line breaks) to one blank and strip the edges."""
    return " ".join(text.translate(SPACES).split())


def parse_number(text: str, decimal: str) -> Decimal | None:
    """Read a German or English number (sign, thousands separators, ``%``); ``None`` if malformed.

    ``decimal`` decides ambiguous cases: with ``","`` the text ``1.234`` is 1234, with ``"."``
    the text ``1,234`` is 1234. Digit strings with a leading zero (``05``, official keys) are no
    numbers.
    """
    body = clean_text(text).removesuffix("%").rstrip()
    sign = ""
    if body[:1] in MINUS_SIGNS:
        sign, body = "-", body[1:]
    elif body[:1] == "+":
        body = body[1:]
    pattern = _NUMBER.get(decimal)
    match = pattern.fullmatch(body) if pattern is not None else None
    if match is None:
        return None
    integer = match["int"].replace(match["sep"], "") if match["sep"] else match["int"]
    fraction = match["frac"]
    return Decimal(f"{sign}{integer}.{fraction}" if fraction is not None else f"{sign}{integer}")


def read_cell(text: str, decimal: str) -> CellReading | None:
    """Read a value cell; ``None`` when it is neither empty, a symbol nor a (flagged) number.

    ``x`` → empty value with status ``x``; ``(17 890 100)`` → 17890100 with ``()``;
    ``123 p`` → 123 with ``p``; ``7,5 %`` → 7.5; ``–0,4`` → -0.4.
    """
    cleaned = clean_text(text)
    if not cleaned:
        return CellReading(None)
    if cleaned in SYMBOLS:
        return CellReading(None, SYMBOLS[cleaned])
    body, status = cleaned, ""
    if len(cleaned) > 2 and cleaned.startswith("(") and cleaned.endswith(")"):
        body, status = cleaned[1:-1], "()"
    elif (flagged := _FLAGGED.fullmatch(cleaned)) is not None:
        body, status = flagged["body"], flagged["flag"]
    number = parse_number(body, decimal)
    return None if number is None else CellReading(number, status)


def is_year(text: str) -> bool:
    """True for a four-digit year such as ``2023``."""
    return len(text) == 4 and text.isascii() and text.isdigit()


def parse_date(text: str, date_format: str) -> date | None:
    """Read ``text`` as a date in ``date_format`` (``%d.%m.%Y`` or ISO); ``None`` if it is not."""
    try:
        return datetime.strptime(clean_text(text), date_format).date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError:
        return None


def format_number(number: Decimal) -> str:
    """Canonical text of a number: ``.`` as decimal sign, no exponent, precision as published."""
    return format(number, "f")


def is_empty(cell: Cell) -> bool:
    """True for a cell without content (blanks of any kind count as empty)."""
    return isinstance(cell, str) and not clean_text(cell)


def cell_text(cell: Cell) -> str:
    """Canonical text of any cell: numbers with ``.``, dates in ISO, text with clean blanks."""
    if isinstance(cell, Decimal):
        return format_number(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    return clean_text(cell)


def snake_name(text: str) -> str:
    """Snake-case ASCII of a header: ``Empfänger/-innen in %`` → ``empfaenger_innen_in_prozent``."""
    lowered = text.lower().translate(_NAME_CHARS)
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")


# Columns


@dataclass(frozen=True, slots=True)
class TextNote:
    """Why a column that looks numeric stayed text: the first offending cell and the reason."""

    position: int
    reason: str


@dataclass(frozen=True, slots=True)
class Column:
    """An inferred column: Table Schema facts and its canonical cell texts."""

    name: str
    title: str
    type: str
    values: list[str]
    statuses: list[str] | None = None
    """Status codes of a value column (``integer``/``number``); ``None`` for other columns."""
    categories: list[str] | None = None
    source_format: str | None = None
    note: TextNote | None = None
    position: int = 0
    """Index of the column in the raw table (from 0), to look at its raw cells again."""

    @property
    def is_value(self) -> bool:
        """True for a value column, which gets a status column beside it."""
        return self.statuses is not None


def infer_column(
    title: str, cells: Sequence[Cell], decimal: str, *, position: int, as_text: bool = False
) -> Column:
    """Type one column: ``year``, ``date``, ``integer``/``number`` (value column), else ``string``.

    ``position`` (from 1) names a column whose header has no letters or digits (``spalte_3``).
    ``as_text`` keeps the column ``string`` whatever its cells are (``init --text``).
    """
    name = snake_name(title) or f"spalte_{position}"
    typed = None if as_text else _typed_column(name, title, cells, decimal)
    if typed is not None:
        return replace(typed, position=position - 1)
    texts = [cell_text(cell) for cell in cells]
    categories = None if name == FOOTNOTE_FIELD else list(dict.fromkeys(t for t in texts if t))
    return Column(
        name=name,
        title=title,
        type="string",
        values=texts,
        categories=categories,
        note=None if as_text else _text_note(cells, decimal),
        position=position - 1,
    )


def _typed_column(name: str, title: str, cells: Sequence[Cell], decimal: str) -> Column | None:
    """The ``year``, ``date`` or value column the cells make, or ``None`` for text."""
    years = _years(cells) if YEAR_HINT in name else None
    if years is not None:
        return Column(name=name, title=title, type="year", values=years)
    dates = _dates(cells)
    if dates is not None:
        values, date_format = dates
        source_format = None if date_format == ISO_DATE_FORMAT else date_format
        return Column(
            name=name, title=title, type="date", values=values, source_format=source_format
        )
    readings = _numbers(cells, decimal)
    if readings is None:
        return None
    return Column(
        name=name,
        title=title,
        type="integer" if all(reading.is_integral for reading in readings) else "number",
        values=["" if r.number is None else format_number(r.number) for r in readings],
        statuses=[reading.status for reading in readings],
    )


def _reading(cell: Cell, decimal: str) -> CellReading | None:
    if isinstance(cell, Decimal):
        return CellReading(cell)
    if isinstance(cell, date):
        return None
    return read_cell(cell, decimal)


def _numbers(cells: Sequence[Cell], decimal: str) -> list[CellReading] | None:
    """The readings when every cell is a number, a symbol or empty, and one is a number."""
    readings = [_reading(cell, decimal) for cell in cells]
    valid = [reading for reading in readings if reading is not None]
    if len(valid) < len(readings) or all(reading.number is None for reading in valid):
        return None
    return valid


def _text_note(cells: Sequence[Cell], decimal: str) -> TextNote | None:
    """Explain a text column whose cells are numbers with the other decimal sign, or malformed."""
    failed = [index for index, cell in enumerate(cells) if _reading(cell, decimal) is None]
    if not failed:
        return None
    other = next(sign for sign in DECIMAL_SIGNS if sign != decimal)
    if _numbers(cells, other) is not None:
        shown = repr(cell_text(cells[failed[0]]))
        reason = f"{shown} mit Dezimalzeichen {decimal!r} keine Zahl ist; mit --decimal {other!r} wäre sie eine Zahlenspalte"
        return TextNote(failed[0], reason)
    texts = {index: cell_text(cells[index]) for index in failed}
    malformed = [
        i for i, text in texts.items() if _NUMBER_LIKE.fullmatch(text) and not text.isdigit()
    ]
    if not malformed:
        return None
    shown = repr(texts[malformed[0]])
    reason = f"{shown} wie eine Zahl aussieht, aber mit Dezimalzeichen {decimal!r} keine ist ({len(malformed)} solche Zellen); die Quelle korrigieren, wenn die Spalte Zahlen enthält"
    return TextNote(malformed[0], reason)


def _years(cells: Sequence[Cell]) -> list[str] | None:
    years = []
    for cell in cells:
        text = cell_text(cell)
        if isinstance(cell, date) or not is_year(text):
            return None
        years.append(text)
    return years


def _dates(cells: Sequence[Cell]) -> tuple[list[str], str] | None:
    """ISO texts and source format when every filled cell is a date (typed, or text in one format)."""
    if all(is_empty(cell) for cell in cells):
        return None
    if all(isinstance(cell, date) or is_empty(cell) for cell in cells):
        return [cell_text(cell) for cell in cells], ISO_DATE_FORMAT
    for date_format in DATE_FORMATS:
        values = [_iso_date(cell, date_format) for cell in cells]
        if all(value is not None for value in values):
            return [value or "" for value in values], date_format
    return None


def _iso_date(cell: Cell, date_format: str) -> str | None:
    if is_empty(cell):
        return ""
    parsed = parse_date(cell, date_format) if isinstance(cell, str) else None
    return None if parsed is None else parsed.isoformat()


# Tables


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One row of the raw table with its line (CSV) or row number (XLSX) for messages."""

    number: int
    cells: list[Cell]


@dataclass(frozen=True, slots=True)
class SourceTable:
    """The header and the data rows of the raw table, blank rows and empty columns removed."""

    file: str
    header: list[str]
    rows: list[SourceRow]


def is_blank(cells: list[Cell]) -> bool:
    """True for a row without any content."""
    return all(is_empty(cell) for cell in cells)


def fits(cells: list[Cell], width: int) -> bool:
    """True when a row has ``width`` cells (extra cells at the end may be empty)."""
    return len(cells) == width or (len(cells) > width and is_blank(cells[width:]))


def skip_error(file: str, skip_rows: int, total: int) -> SourceError:
    """The error for ``--skip-rows`` at or beyond the end of the table."""
    return SourceError(
        f"{file}: --skip-rows {skip_rows} überspringt alle {total} Zeilen; höchstens {max(total - 1, 0)} Titelzeilen vor der Kopfzeile angeben"
    )


def source_table_from_rows(
    rows: list[SourceRow], file: str, skip_rows: int, *, is_padded: bool
) -> SourceTable:
    """Skip title rows, take the first non-blank row as header, check widths, drop blank rows.

    ``is_padded`` rows (XLSX) may be shorter than the header; CSV rows must have every cell.
    """
    if skip_rows >= len(rows):
        raise skip_error(file, skip_rows, len(rows))
    remaining = [row for row in rows[skip_rows:] if not is_blank(row.cells)]
    if not remaining:
        raise SourceError(
            f"{file}: keine Kopfzeile – nach Zeile {skip_rows} folgen nur leere Zeilen; --skip-rows prüfen"
        )
    header_row, data = remaining[0], remaining[1:]
    _check_header(header_row, file)
    if not data:
        raise SourceError(
            f"{file}: keine Datenzeilen unter der Kopfzeile (Zeile {header_row.number})"
        )
    width = len(header_row.cells)
    fitted = [_fit(row, width, header_row.number, file, is_padded=is_padded) for row in data]
    header = [cell_text(cell) for cell in header_row.cells]
    keep = _named_columns(header, fitted, header_row.number, file)
    return SourceTable(
        file=file,
        header=[header[i] for i in keep],
        rows=[SourceRow(row.number, [row.cells[i] for i in keep]) for row in fitted],
    )


def _check_header(header_row: SourceRow, file: str) -> None:
    texts = [cell_text(cell) for cell in header_row.cells if not is_empty(cell)]
    if all(
        parse_number(text, ",") is not None or parse_number(text, ".") is not None for text in texts
    ):
        raise SourceError(
            f"{file}, Zeile {header_row.number}: keine Kopfzeile – die Zeile enthält nur Zahlen ({', '.join(texts[:4])}); Spaltenüberschriften ergänzen oder --skip-rows anpassen"
        )


def _fit(
    row: SourceRow, width: int, header_number: int, file: str, *, is_padded: bool
) -> SourceRow:
    cells = row.cells
    extra = next((index for index in range(width, len(cells)) if not is_empty(cells[index])), None)
    if extra is not None:
        raise SourceError(
            f"{file}, Zeile {row.number}: {len(cells)} Zellen, die Kopfzeile (Zeile {header_number}) hat {width}; Wert {cell_text(cells[extra])!r} in Spalte {extra + 1} hat keine Überschrift (steht über der Kopfzeile ein Titel? dann --skip-rows angeben; in CSV Texte mit Trennzeichen in Anführungszeichen setzen oder --delimiter angeben)"
        )
    if len(cells) < width and not is_padded:
        raise SourceError(
            f"{file}, Zeile {row.number}: nur {len(cells)} Zellen, die Kopfzeile (Zeile {header_number}) hat {width}; fehlende Trennzeichen ergänzen, damit jede Zeile {width} Zellen hat"
        )
    return SourceRow(row.number, [*cells[:width], *[""] * (width - len(cells))])


def _named_columns(
    header: list[str], rows: list[SourceRow], header_number: int, file: str
) -> list[int]:
    """Indexes of the columns to keep: unnamed columns are dropped when empty, else an error."""
    keep = []
    for index, title in enumerate(header):
        if title:
            keep.append(index)
            continue
        filled = next((row for row in rows if not is_empty(row.cells[index])), None)
        if filled is not None:
            raise SourceError(
                f"{file}, Zeile {header_number}: Spalte {index + 1} hat keine Überschrift, aber Werte (Zeile {filled.number}: {cell_text(filled.cells[index])!r}); Überschrift ergänzen oder Titelzeilen mit --skip-rows überspringen"
            )
    return keep


def infer_columns(
    table: SourceTable, decimal: str, text_columns: frozenset[int] = frozenset()
) -> list[Column]:
    """Infer type, canonical values, status and categories of every column.

    A source column ``<name>_status`` beside a value column ``<name>`` (a table already in the
    house convention) becomes that column's status instead of a column of its own. Columns at
    the indexes ``text_columns`` stay text.
    """
    columns = [
        infer_column(
            title,
            [row.cells[index] for row in table.rows],
            decimal,
            position=index + 1,
            as_text=index in text_columns,
        )
        for index, title in enumerate(table.header)
    ]
    names = [column.name for column in columns]
    merged: list[Column] = []
    dropped: set[int] = set()
    for column in columns:
        status_name = f"{column.name}{STATUS_SUFFIX}"
        if column.is_value and status_name in names:
            given = names.index(status_name)
            dropped.add(given)
            merged.append(_merge_status(column, table, given))
        else:
            merged.append(column)
    kept = [column for index, column in enumerate(merged) if index not in dropped]
    return _unique_names(kept, table.file)


def _merge_status(column: Column, table: SourceTable, given: int) -> Column:
    """Combine the symbols found in the value cells with those of a given status column."""
    found = column.statuses if column.statuses is not None else [""] * len(table.rows)
    statuses = []
    for row, symbol in zip(table.rows, found, strict=True):
        text = cell_text(row.cells[given])
        code = SYMBOLS.get(text, text)
        where = f"{table.file}, Zeile {row.number}: Spalte {table.header[given]!r}"
        if code and code not in STATUS_CODES:
            raise SourceError(
                f"{where} enthält {text!r}; gültig sind {list(STATUS_CODES)} oder leer"
            )
        if code and symbol and code != symbol:
            raise SourceError(
                f"{where} enthält {code!r}, die Zelle in {column.title!r} aber {symbol!r}; eines davon korrigieren"
            )
        statuses.append(code or symbol)
    return replace(column, statuses=statuses)


def _unique_names(columns: list[Column], file: str) -> list[Column]:
    """Make source column names unique (``_2``, ``_3``) and keep status names free."""
    seen: set[str] = set()
    unique = []
    for column in columns:
        name, number = column.name, 2
        while name in seen:
            name, number = f"{column.name}_{number}", number + 1
        seen.add(name)
        unique.append(replace(column, name=name))
    status_of = {f"{column.name}{STATUS_SUFFIX}": column for column in unique if column.is_value}
    clash = next((column for column in unique if column.name in status_of), None)
    if clash is not None:
        raise SourceError(
            f"{file}: Spalte {clash.title!r} heißt {clash.name!r} wie die Statusspalte, die zu {status_of[clash.name].title!r} angelegt wird; Spalte in der Quelle umbenennen oder entfernen"
        )
    return unique
