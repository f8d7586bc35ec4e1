"""SQL of the region API: the region directory, and a region-keyed table's rows by place.

Every statement reads one published data table (built by ``db/data_tables.py``) with bound
parameters; the region column is indexed at publish time, so lookups by key are index reads.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, Table, case, cast, func, select

DIRECTORY_COLUMNS = (
    "ags",
    "name",
    "ebene",
    "art",
    "parent_ags",
    "gueltig_ab",
    "gueltig_bis",
    "nachfolger",
)
"""Columns of ``nrw-regionen/regionen`` the directory reads, in this order."""
AREA_COLUMNS = (
    "schluessel",
    "name",
    "ebene",
    "ebene",
    "uebergeordnet",
    "gueltig_ab",
    "gueltig_bis",
)
"""Columns of a municipality's ``gebiete`` table in ``DIRECTORY_COLUMNS`` order (the level
stands for the kind; own areas have no successor)."""
VARIANT_COLUMNS = ("name", "ags", "kontext")
"""Columns of ``nrw-regionen/namensvarianten`` the directory reads, in this order."""
PAIR_SEPARATOR = "\x1f"
"""Between place key and value in ``place_naming_select`` (unit separator: in neither)."""


def columns_select(table: Table, columns: Sequence[str]) -> Select[Any]:
    """Every row of ``table`` with ``columns`` (in file order): the small directory tables."""
    return select(*(table.c[name] for name in columns)).order_by(table.c["_row"])


def place_rows_select(
    table: Table, columns: Sequence[str], key_field: str, keys: Sequence[str]
) -> Select[Any]:
    """The rows of the places ``keys`` (an indexed lookup on the region column), file order."""
    return (
        select(*(table.c[name] for name in columns))
        .where(table.c[key_field].in_(list(keys)))
        .order_by(table.c["_row"])
    )


def period_rows_select(
    table: Table,
    columns: Sequence[str],
    key_field: str,
    keys: Sequence[str],
    period: tuple[str, Sequence[Any]],
) -> Select[Any]:
    """The rows of the places ``keys`` in the given periods (``(period field, values)``)."""
    field, values = period
    return place_rows_select(table, columns, key_field, keys).where(
        table.c[field].in_(list(values))
    )


def place_count_select(table: Table, key_field: str, key: str) -> Select[Any]:
    """How many rows a table holds for one place."""
    return select(func.count()).select_from(table).where(table.c[key_field] == key)


def first_place_select(table: Table, key_field: str) -> Select[Any]:
    """The smallest place key of a table (``NULL`` without rows): one read of the key's index."""
    return select(func.min(table.c[key_field]))


def distinct_at_place_select(
    table: Table, key_field: str, fields: Sequence[str], key: str
) -> Select[Any]:
    """Per field: how many distinct values the rows of one place have (one row)."""
    counts: list[ColumnElement[Any]] = [func.count(table.c[f].distinct()) for f in fields]
    return select(*counts).where(table.c[key_field] == key)


def place_naming_select(table: Table, key_field: str, fields: Sequence[str]) -> Select[Any]:
    """Per field, three counts over every row: (place, value) pairs, places, values.

    A field with as many distinct (place, value) pairs as places with a value has at most one
    value per place; with several values in all it names the place (a region's name in the
    source's spelling), not a dimension of the figures. One scan, no grouping: a grouping by
    place would walk the place index row by row, which on a million rows takes minutes.
    """
    key = table.c[key_field]
    counts: list[ColumnElement[Any]] = []
    for name in fields:
        value = table.c[name]
        pair = cast(key, String) + PAIR_SEPARATOR + cast(value, String)
        counts += [
            func.count(pair.distinct()),
            func.count(case((value.is_not(None), key)).distinct()),
            func.count(case((key.is_not(None), value)).distinct()),
        ]
    return select(*counts)


def place_keys_select(table: Table, key_field: str) -> Select[Any]:
    """The distinct places a table holds rows for."""
    column = table.c[key_field]
    return select(column).where(column.is_not(None)).distinct()


def latest_period_select(
    table: Table, period_field: str, conditions: Sequence[ColumnElement[bool]]
) -> Select[Any]:
    """The latest period among the rows that meet ``conditions`` (``NULL`` without rows)."""
    return select(func.max(table.c[period_field])).where(*conditions)


def periods_select(
    table: Table, period_field: str, conditions: Sequence[ColumnElement[bool]]
) -> Select[Any]:
    """The distinct periods among the rows that meet ``conditions``, in order."""
    column = table.c[period_field]
    return select(column).where(*conditions).distinct().order_by(column)


def map_rows_select(
    table: Table, columns: Sequence[str], conditions: Sequence[ColumnElement[bool]]
) -> Select[Any]:
    """The rows that meet ``conditions`` with ``columns``, in file order."""
    return select(*(table.c[name] for name in columns)).where(*conditions).order_by(table.c["_row"])


def in_places(table: Table, key_field: str, keys: Sequence[str]) -> ColumnElement[bool]:
    """The rows of the places ``keys``."""
    return table.c[key_field].in_(list(keys))


def at_period(table: Table, period_field: str, period: Any) -> ColumnElement[bool]:  # noqa: ANN401  # a year, date or text
    """The rows of one period."""
    condition: ColumnElement[bool] = table.c[period_field] == period
    return condition
