"""SQL of the index builder: which indicators a level holds, and one indicator's rows.

Both statements read one published data table (``db/data_tables.py``) with bound parameters.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, select


def level_indicators_select(
    table: Table, key_field: str, keys: Sequence[str] | None, groups: Sequence[str]
) -> Select[Any]:
    """Per combination of ``groups`` (dimensions, unit, period): how many rows the places have.

    ``keys`` ``None``: every row (the caller knows that the table holds only those places; a
    long ``IN`` list would slow the scan of a large table down).
    """
    columns = [table.c[name] for name in groups]
    statement = select(*columns, func.count()).group_by(*columns)
    return statement if keys is None else statement.where(table.c[key_field].in_(list(keys)))


def _equal(table: Table, name: str, value: Any) -> ColumnElement[bool]:  # noqa: ANN401  # a cell
    column = table.c[name]
    condition: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return condition


def indicator_rows_select(
    table: Table,
    columns: Sequence[str],
    fixed: Sequence[tuple[str, Any]],
    periods: tuple[str, Sequence[Any]] | None,
) -> Select[Any]:
    """The rows whose fields ``fixed`` have the given values, in the given periods.

    ``fixed`` pins the dimensions (``None``: the field is empty); ``periods`` is
    ``(period field, values)`` or ``None`` for a table without a period. The caller keeps the
    rows of its places: a few hundred rows per period, read through the table's key index.
    """
    conditions = [_equal(table, name, value) for name, value in fixed]
    if periods is not None:
        conditions.append(table.c[periods[0]].in_(list(periods[1])))
    return select(*(table.c[name] for name in columns)).where(*conditions)
