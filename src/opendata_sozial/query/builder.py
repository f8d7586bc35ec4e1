"""Build SQL from a ``RowQuery``: bound parameters only, total order, keyset paging."""

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from opendata_sozial.db.data_tables import ROW_COLUMN
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.query.filters import (
    DATE_TEXT,
    LIST_OPS,
    Filter,
    Op,
    RowQuery,
    SortKey,
    domain_error,
    load_json,
)

Condition = ColumnElement[bool]


def _contains(column: ColumnElement[Any], value: str, dialect: str) -> Condition:
    """Case-sensitive substring test, identical on SQLite and PostgreSQL."""
    if dialect == "postgresql":
        return func.strpos(column, value) > 0
    return func.instr(column, value) > 0


def _startswith(column: ColumnElement[Any], value: str) -> Condition:
    return func.substr(column, 1, len(value)) == value


def _condition(table: Table, flt: Filter, dialect: str) -> Condition:
    column = table.c[flt.field]
    builders: dict[Op, Callable[[], Condition]] = {
        Op.EXACT: lambda: column == flt.value,
        Op.NOT: lambda: or_(column != flt.value, column.is_(None)),
        Op.IN: lambda: column.in_(flt.value),
        Op.NOTIN: lambda: or_(column.not_in(flt.value), column.is_(None)),
        Op.GT: lambda: column > flt.value,
        Op.GTE: lambda: column >= flt.value,
        Op.LT: lambda: column < flt.value,
        Op.LTE: lambda: column <= flt.value,
        Op.CONTAINS: lambda: _contains(column, flt.value, dialect),
        Op.STARTSWITH: lambda: _startswith(column, flt.value),
        Op.ISNULL: lambda: column.is_(None) if flt.value else column.is_not(None),
    }
    return builders[flt.op]()


Conditions = tuple[Condition, ...]
"""Conditions joined by AND; none at all means every row (the statement gets no ``WHERE``)."""


def where_clause(table: Table, filters: Sequence[Filter], dialect: str) -> Conditions:
    """One condition per filter, ANDed by ``.where(*conditions)``.

    Without filters the tuple is empty, so the statement has no ``WHERE`` at all: SQLite
    answers a bare ``count(*)`` from the table's b-tree size, which a ``WHERE 1 = 1`` defeats
    (27 ms against 5 ms on 1.2 million rows, issue 17).
    """
    return tuple(_condition(table, f, dialect) for f in filters)


def total_order(query: RowQuery, primary_key: Sequence[str]) -> tuple[SortKey, ...]:
    """A total order: file order by default; a requested sort is tie-broken by the primary key.

    A field named twice in ``_sort`` counts once (its first direction wins). The hidden file
    position ``_row`` closes every order, so it is total even where key columns hold NULL.
    """
    if not query.sort:
        return (SortKey(ROW_COLUMN),)
    keys: dict[str, SortKey] = {}
    for key in query.sort:
        keys.setdefault(key.field, key)
    for name in primary_key:
        keys.setdefault(name, SortKey(name))
    return (*keys.values(), SortKey(ROW_COLUMN))


def order_by(table: Table, keys: Sequence[SortKey]) -> list[UnaryExpression[Any]]:
    """ORDER BY with NULL as the smallest value in both databases.

    The file position ``_row`` is never NULL and gets a plain ``ASC``/``DESC``: PostgreSQL
    walks its primary key only for an order that names no NULL placement against the index
    (``_row NULLS FIRST`` made it sort all 1.2 million rows for every default page, issue 17).
    """
    return [_ordered(table.c[k.field], k) for k in keys]


def _ordered(column: ColumnElement[Any], key: SortKey) -> UnaryExpression[Any]:
    if key.field == ROW_COLUMN:
        return column.desc() if key.is_descending else column.asc()
    return column.desc().nulls_last() if key.is_descending else column.asc().nulls_first()


def _after(column: ColumnElement[Any], value: Any, is_descending: bool) -> Condition:  # noqa: ANN401  # typed by field
    """Rows that come strictly after ``value`` in this column's order (NULL smallest).

    A boolean is bound as a typed parameter: SQLAlchemy refuses ``<`` and ``>`` with a bare
    True/False (false < true in both databases).
    """
    if isinstance(value, bool):
        value = literal(value, column.type)
    if is_descending:
        return false() if value is None else or_(column < value, column.is_(None))
    return column.is_not(None) if value is None else column > value


def _equal(column: ColumnElement[Any], value: Any) -> Condition:  # noqa: ANN401  # typed by field
    return column.is_(None) if value is None else column == value


def keyset_condition(
    table: Table,
    keys: Sequence[SortKey],
    values: Sequence[Any],
    dialect: str = "",
    *,
    filter_only: bool = False,
) -> Condition:
    """Lexicographic "after the last row" condition over the total order.

    On SQLite an order of several keys compares ``+column`` (the same value, but no index):
    otherwise the planner combines one index range per alternative of the ``OR``
    (``MULTI-INDEX OR``) and sorts every row they find (5 s for a page sorted by a measure of
    1.2 M rows, issue 17). ``keyset_segments`` adds the seekable range in front; a single key
    (the default order, ``_row``) stays a seekable range itself. ``filter_only`` compares
    ``+column`` for a single key too.
    """
    plain = dialect != "sqlite" or (len(keys) == 1 and not filter_only)
    columns = [table.c[k.field] if plain else _unindexed(table.c[k.field]) for k in keys]
    # Nested from the last key: a > x OR (a = x AND (b > y OR (b = y AND …))), linear in the
    # number of keys (the flat form repeats the equalities: 21 comparisons for six keys, and
    # building them cost more than the page itself).
    condition = _after(columns[-1], values[-1], keys[-1].is_descending)
    for column, value, key in reversed(
        list(zip(columns[:-1], values[:-1], keys[:-1], strict=True))
    ):
        condition = or_(
            _after(column, value, key.is_descending), and_(_equal(column, value), condition)
        )
    return condition


def keyset_segments(
    table: Table, keys: Sequence[SortKey], values: Sequence[Any], dialect: str = ""
) -> tuple[tuple[Condition, ...], dict[str, Any]]:
    """The rows after the cursor as disjoint segments, each one range of the first sort key.

    Read one after the other in the total order, each until the page is full, the segments
    give exactly the rows of ``keyset_condition``. Each segment starts with a condition the
    database can seek to in the index of the first key (``measure >= v``, ``measure <= v``,
    ``IS NULL``, ``IS NOT NULL``); the rest of the lexicographic condition only filters the rows
    that tie with the cursor there. With the composite measure indexes
    (``db.data_tables.measure_indexes``) a page sorted by a measure is a seek plus the page's
    rows in index order, whatever its depth (issue 17).

    The cursor's values are bind parameters (returned with their values, to pass to
    ``execute``): the conditions are built once per table, order and NULL pattern, since
    building them cost more than the database's part of a page.
    """
    nulls = tuple(value is None for value in values)
    params = {_cursor_param(i): v for i, v in enumerate(values) if v is not None}
    return _segments(table, tuple(keys), nulls, dialect), params


def _cursor_param(position: int) -> str:
    return f"keyset_after_{position}"


@lru_cache(maxsize=1024)
def _segments(
    table: Table, keys: tuple[SortKey, ...], nulls: tuple[bool, ...], dialect: str
) -> tuple[Condition, ...]:
    """``keyset_segments`` for one shape, with a bind parameter for every non-NULL value.

    NULL is the smallest value, so it never lies in a range next to the other values: a
    descending first key after a value ends with the segment of its NULLs, an ascending first
    key after NULL continues with every non-NULL row. A single key (the default order,
    ``_row``, never NULL) is one plain range.
    """
    values = [
        None if null else bindparam(_cursor_param(i), type_=table.c[key.field].type)
        for i, (key, null) in enumerate(zip(keys, nulls, strict=True))
    ]
    if len(keys) == 1 and keys[0].field == ROW_COLUMN:
        return (keyset_condition(table, keys, values, dialect),)
    first, value = keys[0], values[0]
    column = table.c[first.field]
    lexicographic = keyset_condition(table, keys, values, dialect, filter_only=True)
    if value is None:
        ties = and_(column.is_(None), lexicographic)
        return (ties,) if first.is_descending else (ties, column.is_not(None))
    if first.is_descending:
        return (and_(column <= value, lexicographic), column.is_(None))
    return (and_(column >= value, lexicographic),)


def _unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQLite's ``+column``: the column's value, which the planner never looks up in an index."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _canonical(flt: Filter) -> str:
    """One filter as canonical JSON text; the items of an in/notin list as a sorted set."""
    value = _jsonable(flt.value)
    if flt.op in LIST_OPS:
        value = sorted({_json(item) for item in value})
    return _json([flt.field, flt.op.value, value])


def _json(value: Any) -> str:  # noqa: ANN401  # JSON-able values
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=True)


def fingerprint(table_name: str, filters: Sequence[Filter], keys: Sequence[SortKey]) -> str:
    """Identity of a query: its table, the set of its filters and its total order.

    A cursor is valid for every URL of the same query: filters are ANDed, so their order in the
    URL, repeated filters and the order of in/notin items do not change the identity. Only
    canonical JSON text, sorted explicitly, goes into the hash (no set or dict iteration order),
    so every process agrees on it whatever its ``PYTHONHASHSEED``.
    """
    spec = [
        table_name,
        sorted({_canonical(f) for f in filters}),
        [[k.field, k.is_descending] for k in keys],
    ]
    return hashlib.sha256(_json(spec).encode("ascii")).hexdigest()[:16]


def _jsonable(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def encode_cursor(values: Sequence[Any], print_: str) -> str:
    """Encode the last row's sort values as an opaque URL-safe token."""
    raw = json.dumps({"v": [_jsonable(v) for v in values], "q": print_}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


MAX_CURSOR_LENGTH = 16_384
"""Characters of a ``_cursor`` token; real ones hold one row's sort values (the URL allows 8 KiB)."""
CURSOR_DEPTH = 2
"""``{"v": [...], "q": "..."}``: an object holding a flat list."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
ROW_TYPE = "row"
"""The cursor's type of the hidden file position ``_row`` (see ``filters.INTEGER_RANGES``)."""


def decode_cursor(
    token: str, keys: Sequence[SortKey], types: dict[str, str], print_: str
) -> list[Any]:
    """Decode a token made by ``encode_cursor`` for the same query, or raise ``InvalidParameter``.

    Whatever the token holds is checked before it reaches SQL: its length and alphabet, the
    nesting of its JSON, the shape ``{"v": [...], "q": ...}`` and every value against its
    column's type and range (``filters.domain_error``), as a filter value would be.
    """
    problem = InvalidParameter(
        "_cursor ist ungültig oder gehört zu einer anderen Abfrage; den Link 'next' der vorigen Seite unverändert verwenden oder ohne _cursor neu beginnen"
    )
    if len(token) > MAX_CURSOR_LENGTH:
        raise InvalidParameter(
            f"_cursor ist mit {len(token)} Zeichen zu lang (höchstens {MAX_CURSOR_LENGTH}); den Link 'next' der vorigen Seite unverändert verwenden oder ohne _cursor neu beginnen"
        )
    if not _TOKEN.fullmatch(token):
        raise problem
    try:
        data = load_json(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), CURSOR_DEPTH)
    except ValueError:  # also binascii.Error and UnicodeDecodeError
        raise problem from None
    if (
        not isinstance(data, dict)
        or data.get("q") != print_
        or not isinstance(data.get("v"), list)
        or len(data["v"]) != len(keys)
    ):
        raise problem
    try:
        return [
            _restore(v, types.get(k.field, ROW_TYPE)) for k, v in zip(keys, data["v"], strict=True)
        ]
    except (TypeError, ValueError, OverflowError):
        raise problem from None


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "year": (int,),
    ROW_TYPE: (int,),
    "number": (int, float),
    "boolean": (bool,),
    "date": (str,),
}
"""The JSON types a cursor may hold per field type (text types: ``str``)."""


def _restore(value: Any, field_type: str) -> Any:  # noqa: ANN401
    """A cursor's JSON value as the column's Python value; ``TypeError``/``ValueError`` if not one."""
    if value is None:
        return None
    wanted = _JSON_TYPES.get(field_type, (str,))
    if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
        raise TypeError(value)
    restored: Any = value
    if field_type == "date":
        if not DATE_TEXT.fullmatch(restored):
            raise ValueError(value)
        restored = date.fromisoformat(restored)
    elif field_type == "number":
        restored = float(restored)  # OverflowError beyond the double range
    if domain_error(field_type, restored) is not None:
        raise ValueError(value)
    return restored


def selected_columns(columns: Sequence[str], keys: Sequence[SortKey]) -> list[str]:
    """The columns ``rows_select`` returns, in order: the wanted ones, then missing sort keys."""
    return list(dict.fromkeys([*columns, *(k.field for k in keys)]))


def rows_select(
    table: Table, columns: Sequence[str], condition: Conditions, keys: Sequence[SortKey]
) -> Select[Any]:
    """SELECT the columns (plus sort keys) WHERE condition ORDER BY the total order."""
    wanted = selected_columns(columns, keys)
    return select(*(table.c[c] for c in wanted)).where(*condition).order_by(*order_by(table, keys))


def export_select(
    table: Table, columns: Sequence[str], condition: Conditions, keys: Sequence[SortKey]
) -> Select[Any]:
    """SELECT exactly the columns WHERE condition ORDER BY the total order (for streams)."""
    return select(*(table.c[c] for c in columns)).where(*condition).order_by(*order_by(table, keys))


def count_select(table: Table, condition: Conditions) -> Select[Any]:
    """SELECT count(*) for the filter."""
    return select(func.count()).select_from(table).where(*condition)


def values_select(table: Table, column: str, condition: Conditions) -> Select[Any]:
    """Distinct values of a column with their counts, most frequent first."""
    col = table.c[column]
    return (
        select(col, func.count().label("n"))
        .where(*condition)
        .group_by(col)
        .order_by(func.count().desc(), col.asc().nulls_first())
    )
