"""A fast proof that a large CSV resource has no row-level problem, for ``publish``.

frictionless checks a table row by row, cell by cell, in Python objects; for a table of a
million rows that is most of the time ``publish`` takes. This module proves the same absence
of problems column by column instead: it reads the file in batches with the C ``csv`` reader,
looks at the *distinct* values of each column of a batch, and accepts only the plain forms of
each type (``2019``, ``-3``, ``14.6``, ``2019-05``, ``2019-05-31``, ``true``). Each plain form
is a value frictionless accepts, with one spelling per value, so keys can be compared as text.

The proof is one-sided. ``prove_rows`` returns a :class:`RowProof` only when it is sure that
neither frictionless's row checks (labels, blank rows, cell counts, types, primary key) nor the
house rules of :mod:`ingest.data_rules` would report an error; for anything unusual (another
spelling of a number, a constraint, a duplicate key, a wrong symbol …) it returns ``None`` and
the caller runs the full checks, which then describe the problem exactly. ``opendata-sozial
validate`` always runs the full checks.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Final

from opendata_sozial.domain import STATUS_CODES, WITHHELD_STATUS
from opendata_sozial.ingest.data_rules import (
    CONTROL_CHARACTERS,
    MAX_CELL_CHARS,
    KeySets,
    foreign_lookup,
    plan_columns,
)
from opendata_sozial.ingest.number_rules import has_fault, text_columns
from opendata_sozial.ingest.package import PackageSource, objects_in

BATCH: Final = 20_000
PLAIN: Final[dict[str, re.Pattern[str]]] = {
    # One spelling per value (no leading zeros, no "+", no "-0"), so text equality is value
    # equality; bounded so that PostgreSQL's bigint and float8 read the same values as Python.
    "integer": re.compile(r"0|-?[1-9][0-9]{0,17}"),
    "number": re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?"),
    "year": re.compile(r"[0-9]{4}"),
    "yearmonth": re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])"),
    "date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
}
BOOLEANS: Final = frozenset({"true", "True", "TRUE", "1", "false", "False", "FALSE", "0"})
"""frictionless's default true and false values."""
KEY_TYPES: Final = frozenset({"string", "integer", "year", "yearmonth", "date"})
SCHEMA_KEYS: Final = frozenset({"$schema", "fields", "missingValues", "primaryKey"})
FIELD_KEYS: Final = frozenset(
    {
        "name",
        "type",
        "title",
        "description",
        "categories",
        "categoriesOrdered",
        "example",
        "x_unit",
        "x_unit_field",
        "x_source_format",
    }
)
HOUSE_DIALECT: Final = {"header": True, "delimiter": ",", "quoteChar": '"', "doubleQuote": True}


@dataclass(frozen=True, slots=True)
class RowProof:
    """A resource whose rows were proven free of problems."""

    rows: int
    used_markers: frozenset[str]
    """Footnote markers found in the ``fussnote`` column (for the unused-footnote warning)."""


class _Unsure(Exception):
    """Something the fast proof cannot vouch for (control flow inside this module only)."""


@dataclass(slots=True)
class _Columns:
    """What to check in each column, prepared once per resource."""

    types: list[str]
    keys: list[int]
    categories: dict[int, frozenset[str]]
    status: dict[int, int]
    footnote: int | None
    foreign: dict[int, frozenset[str]]
    markers: frozenset[str]
    texts: frozenset[int] = frozenset()
    """Text columns where a number written wrongly is an error (``number_rules``)."""
    seen_keys: set[int] = field(default_factory=set)
    used_markers: set[str] = field(default_factory=set)


def is_eligible(res: dict[str, Any]) -> bool:
    """Whether the resource uses only what the proof understands (house dialect, plain schema)."""
    schema = res.get("schema")
    dialect = res.get("dialect")
    if not isinstance(schema, dict) or not isinstance(dialect, dict) or "stats" in res:
        return False
    if any(dialect.get(k, v) != v for k, v in HOUSE_DIALECT.items()):
        return False
    if not set(dialect) <= {"$schema", "lineTerminator", *HOUSE_DIALECT}:
        return False
    if not set(schema) <= SCHEMA_KEYS or schema.get("missingValues") != [""]:
        return False
    fields = objects_in(schema.get("fields"))
    types = {str(f.get("name")): f.get("type") for f in fields}
    key = schema.get("primaryKey")
    return (
        bool(fields)
        and all(set(f) <= FIELD_KEYS for f in fields)
        and all(t in {*PLAIN, "string", "boolean"} for t in types.values())
        and isinstance(key, list)
        and bool(key)
        and all(types.get(k) in KEY_TYPES for k in key)
    )


def prove_rows(
    pkg: PackageSource, res: dict[str, Any], file: Path, key_sets: KeySets
) -> RowProof | None:
    """A proof that every row of ``file`` is valid, or ``None`` when the full checks must run."""
    if not is_eligible(res):
        return None
    fields = objects_in(res["schema"]["fields"])
    header = [str(f.get("name")) for f in fields]
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            if next(reader, None) != header:
                return None
            columns = _columns(pkg, res, header, fields, key_sets)
            rows = sum(_check_batch(batch, columns) for batch in _batches(reader))
    except (_Unsure, csv.Error, UnicodeDecodeError):
        return None
    if rows == 0 or len(columns.seen_keys) != rows:
        return None  # an empty table, or a duplicate key (or a hash collision)
    return RowProof(rows=rows, used_markers=frozenset(columns.used_markers))


def _batches(reader: Iterator[list[str]]) -> Iterable[list[list[str]]]:
    while batch := list(islice(reader, BATCH)):
        yield batch


def _columns(
    pkg: PackageSource,
    res: dict[str, Any],
    header: list[str],
    fields: list[dict[str, Any]],
    key_sets: KeySets,
) -> _Columns:
    foreign = foreign_lookup(pkg, str(res.get("name")), key_sets)
    plan = plan_columns(header, fields, foreign)
    notes = objects_in(pkg.descriptor.get("x_footnotes"))
    index = {name: i for i, name in enumerate(header)}
    return _Columns(
        types=[str(f.get("type")) for f in fields],
        keys=[index[k] for k in res["schema"]["primaryKey"]],
        categories=plan.categories,
        status=plan.status,
        footnote=plan.footnote,
        foreign={col: keys for col, (_, keys) in plan.foreign.items()},
        markers=frozenset(n["marker"] for n in notes if isinstance(n.get("marker"), str)),
        texts=frozenset(text_columns(fields)),
    )


def _check_batch(batch: list[list[str]], columns: _Columns) -> int:
    """Check one batch; raise ``_Unsure`` at the first doubt. Returns the number of rows."""
    try:
        cells = list(zip(*batch, strict=True))
    except ValueError:
        raise _Unsure from None  # a row with another number of cells (or a blank line)
    if len(cells) != len(columns.types):
        raise _Unsure
    for col, (kind, column) in enumerate(zip(columns.types, cells, strict=True)):
        _check_column(col, kind, set(column), columns)
    for status_col, value_col in columns.status.items():
        _check_status(set(zip(cells[status_col], map(bool, cells[value_col]), strict=True)))
    keys = [cells[k] for k in columns.keys]
    if all("" in column for column in keys) and any(
        not any(key) for key in zip(*keys, strict=True)
    ):
        raise _Unsure  # a row whose key cells are all empty (a blank row, say)
    before = len(columns.seen_keys)
    columns.seen_keys.update(map(hash, zip(*keys, strict=True)))
    if len(columns.seen_keys) - before != len(batch):
        raise _Unsure  # a duplicate key within the table so far
    return len(batch)


def _check_column(col: int, kind: str, distinct: set[str], columns: _Columns) -> None:
    values = distinct - {""}
    if any(len(v) > MAX_CELL_CHARS or CONTROL_CHARACTERS.search(v) for v in values):
        raise _Unsure
    if kind in PLAIN and not all(PLAIN[kind].fullmatch(v) for v in values):
        raise _Unsure
    if kind == "date" and not all(_is_date(v) for v in values):
        raise _Unsure
    if kind == "boolean" and not values <= BOOLEANS:
        raise _Unsure
    if col in columns.categories and not values <= columns.categories[col]:
        raise _Unsure
    if col in columns.foreign and not values <= columns.foreign[col]:
        raise _Unsure
    if col in columns.texts and any(has_fault(v) for v in values):
        raise _Unsure  # perhaps a number column with typos: the full checks decide
    if col == columns.footnote:
        markers = {m for v in values for m in v.split(";")}
        if not markers <= columns.markers:
            raise _Unsure
        columns.used_markers |= markers


def _check_status(pairs: set[tuple[str, bool]]) -> None:
    """The status rules of ``data_rules._check_status`` on (symbol, has value) pairs."""
    for status, has_value in pairs:
        if status and status not in STATUS_CODES:
            raise _Unsure
        if not has_value and status not in WITHHELD_STATUS:
            raise _Unsure
        if has_value and status in WITHHELD_STATUS - {"-"}:
            raise _Unsure


def _is_date(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m-%d")  # noqa: DTZ007  # frictionless's own parse
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
