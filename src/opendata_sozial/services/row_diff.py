"""Row changes between two data tables, computed once at publish and stored.

Data tables are content-addressed and never change, so the difference between two of them is a
fact that can be computed once. ``publish`` compares each new table with every earlier table of
the same dataset resource by a merge of both tables read in key order (one pass over each, no
join the planner could get wrong), stores the counts in ``table_diff`` and the changed rows, up
to ``MAX_STORED_ROWS`` per pair, in ``table_diff_row``. The change feed, the releases list, the
diff API and the dataset pages only read what is stored.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Connection, Table, and_, asc, func, select

from opendata_sozial.db.data_tables import define_data_table
from opendata_sozial.db.models import TABLE_DIFF, TABLE_DIFF_ROW
from opendata_sozial.model.parse import parse_table

MAX_STORED_ROWS = 50_000
"""Changed rows kept per pair of tables; the counts are always exact."""
_FETCH = 5_000


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row that was added, removed or changed, identified by its key."""

    kind: str  # added | removed | changed
    key: dict[str, Any]
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    def reversed(self) -> "RowChange":
        """The same change seen from the newer table to the older one."""
        kind = {"added": "removed", "removed": "added"}.get(self.kind, self.kind)
        return RowChange(kind, self.key, self.new, self.old)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; for ``changed`` only the differing columns in ``old``/``new``."""
        return {"kind": self.kind, "key": self.key, "old": self.old, "new": self.new}


@dataclass(slots=True)
class TableDiff:
    """Counts of a comparison; ``stored`` of the changed rows are kept (in key order)."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    is_comparable: bool = True
    rows: list[RowChange] = field(default_factory=list)

    @property
    def stored(self) -> int:
        """Changed rows kept (at most ``MAX_STORED_ROWS``)."""
        return len(self.rows)

    def note(self, change: RowChange) -> None:
        """Count a change and keep it while under the limit."""
        if change.kind == "added":
            self.added += 1
        elif change.kind == "removed":
            self.removed += 1
        else:
            self.changed += 1
        if len(self.rows) < MAX_STORED_ROWS:
            self.rows.append(change)


Side = tuple[str, dict[str, Any]]
"""(physical table name, Table Schema)."""


def comparable_key(old: dict[str, Any], new: dict[str, Any]) -> list[str] | None:
    """The new primary key if the old table has the same key fields with the same types."""
    key = list(parse_table("new", new).primary_key)
    old_types, new_types = _types(old), _types(new)
    if not key or any(old_types.get(k) != new_types[k] for k in key):
        return None
    return key


def _types(schema: dict[str, Any]) -> dict[str, str]:
    """Field name -> Table Schema type, in the order of the fields."""
    return {f.name: f.type for f in parse_table("", schema).fields}


def compare_tables(conn: Connection, old: Side, new: Side) -> TableDiff:
    """Every row added, removed or changed from ``old`` to ``new``, matched by key."""
    key = comparable_key(old[1], new[1])
    old_table, new_table = define_data_table(*old), define_data_table(*new)
    if key is None:
        return TableDiff(
            added=_count(conn, new_table), removed=_count(conn, old_table), is_comparable=False
        )
    types, new_types = _types(old[1]), _types(new[1])
    old_values = [name for name in types if name not in key]
    new_values = [name for name in new_types if name not in key]
    compared = [n for n in new_values if n in types and types[n] == new_types[n]]
    before = _ordered(conn, old_table, key, old_values)
    after = _ordered(conn, new_table, key, new_values)
    diff = TableDiff()
    try:
        for change in _merge(before, after, key, compared):
            diff.note(change)
    except _OutOfOrder:
        diff = TableDiff()
        for change in _match_in_memory(
            conn, (old_table, new_table), key, (old_values, new_values), compared
        ):
            diff.note(change)
    return diff


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _sort_column(conn: Connection, column: Column[Any]) -> Any:  # noqa: ANN401  # SQL expression
    """Order by code point on both backends, NULL first (as ``_sort_key`` orders in Python)."""
    expr: Any = column
    if conn.dialect.name == "postgresql" and column.type.python_type is str:
        expr = column.collate("C")
    return asc(expr).nulls_first()


Row = tuple[tuple[Any, ...], dict[str, Any]]


def _ordered(
    conn: Connection, table: Table, key: Sequence[str], values: Sequence[str]
) -> Iterator[Row]:
    query = select(*(table.c[k] for k in key), *(table.c[v] for v in values)).order_by(
        *(_sort_column(conn, table.c[k]) for k in key)
    )
    result = conn.execute(query.execution_options(yield_per=_FETCH))
    for row in result:
        yield tuple(row[: len(key)]), dict(zip(values, row[len(key) :], strict=True))


class _OutOfOrder(Exception):
    """The database's key order differs from Python's; the in-memory match takes over."""


def _sort_key(key: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is not None, value) for value in key)


def _checked(rows: Iterator[Row]) -> Iterator[Row]:
    previous: tuple[tuple[bool, Any], ...] | None = None
    for row in rows:
        current = _sort_key(row[0])
        if previous is not None and current <= previous:
            raise _OutOfOrder
        previous = current
        yield row


def _merge(
    before: Iterator[Row], after: Iterator[Row], key: Sequence[str], compared: Sequence[str]
) -> Iterator[RowChange]:
    old_rows, new_rows = _checked(before), _checked(after)
    old, new = next(old_rows, None), next(new_rows, None)
    while old is not None or new is not None:
        if new is None or (old is not None and _sort_key(old[0]) < _sort_key(new[0])):
            assert old is not None  # noqa: S101  # one side is left
            yield RowChange("removed", _named(key, old[0]), _plain(old[1]), None)
            old = next(old_rows, None)
        elif old is None or _sort_key(new[0]) < _sort_key(old[0]):
            yield RowChange("added", _named(key, new[0]), None, _plain(new[1]))
            new = next(new_rows, None)
        else:
            change = _changed(key, old, new, compared)
            if change is not None:
                yield change
            old, new = next(old_rows, None), next(new_rows, None)


def _match_in_memory(
    conn: Connection,
    tables: tuple[Table, Table],
    key: Sequence[str],
    values: tuple[list[str], list[str]],
    compared: Sequence[str],
) -> Iterator[RowChange]:
    """Fallback for keys the database orders differently: the old table as a dictionary."""
    old_rows = dict(_unordered(conn, tables[0], key, values[0]))
    seen: set[tuple[Any, ...]] = set()
    for new_key, new_values in _unordered(conn, tables[1], key, values[1]):
        seen.add(new_key)
        if new_key not in old_rows:
            yield RowChange("added", _named(key, new_key), None, _plain(new_values))
            continue
        change = _changed(key, (new_key, old_rows[new_key]), (new_key, new_values), compared)
        if change is not None:
            yield change
    for old_key in sorted(old_rows.keys() - seen, key=_sort_key):
        yield RowChange("removed", _named(key, old_key), _plain(old_rows[old_key]), None)


def _unordered(
    conn: Connection, table: Table, key: Sequence[str], values: Sequence[str]
) -> Iterator[Row]:
    query = select(*(table.c[k] for k in key), *(table.c[v] for v in values))
    for row in conn.execute(query.execution_options(yield_per=_FETCH)):
        yield tuple(row[: len(key)]), dict(zip(values, row[len(key) :], strict=True))


def _changed(key: Sequence[str], old: Row, new: Row, compared: Sequence[str]) -> RowChange | None:
    differing = [c for c in compared if old[1].get(c) != new[1].get(c)]
    if not differing:
        return None
    return RowChange(
        "changed",
        _named(key, new[0]),
        _plain({c: old[1][c] for c in differing}),
        _plain({c: new[1][c] for c in differing}),
    )


def _named(key: Sequence[str], values: tuple[Any, ...]) -> dict[str, Any]:
    return _plain(dict(zip(key, values, strict=True)))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values (dates as ISO 8601)."""
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


def store(conn: Connection, old_table: str, new_table: str, diff: TableDiff) -> None:
    """Keep a computed comparison (counts and stored rows) for ``old_table`` → ``new_table``."""
    if diff.rows:
        conn.execute(
            TABLE_DIFF_ROW.insert(),
            [
                {
                    "old_table": old_table,
                    "new_table": new_table,
                    "seq": seq,
                    "kind": change.kind,
                    "key": change.key,
                    "old": change.old,
                    "new": change.new,
                }
                for seq, change in enumerate(diff.rows)
            ],
        )
    conn.execute(
        TABLE_DIFF.insert().values(
            old_table=old_table,
            new_table=new_table,
            added=diff.added,
            changed=diff.changed,
            removed=diff.removed,
            stored=diff.stored,
            is_comparable=diff.is_comparable,
        )
    )


@dataclass(frozen=True, slots=True)
class StoredDiff:
    """Counts of a stored comparison, in the direction asked for."""

    added: int
    changed: int
    removed: int
    stored: int
    is_comparable: bool
    is_reversed: bool


def stored_diff(conn: Connection, old_table: str, new_table: str) -> StoredDiff | None:
    """The stored comparison of two tables in either direction, or None when there is none."""
    for first, second, is_reversed in ((old_table, new_table, False), (new_table, old_table, True)):
        row = conn.execute(
            select(TABLE_DIFF).where(
                TABLE_DIFF.c.old_table == first, TABLE_DIFF.c.new_table == second
            )
        ).first()
        if row is not None:
            added, removed = (row.removed, row.added) if is_reversed else (row.added, row.removed)
            return StoredDiff(
                int(added), int(row.changed), int(removed), int(row.stored),
                bool(row.is_comparable), is_reversed,
            )  # fmt: skip
    return None


def stored_rows(
    conn: Connection, old_table: str, new_table: str, *, offset: int, limit: int
) -> list[RowChange]:
    """A page of the stored changed rows (key order of the newer table)."""
    found = stored_diff(conn, old_table, new_table)
    if found is None:
        return []
    first, second = (new_table, old_table) if found.is_reversed else (old_table, new_table)
    rows = conn.execute(
        select(
            TABLE_DIFF_ROW.c.kind, TABLE_DIFF_ROW.c.key, TABLE_DIFF_ROW.c.old, TABLE_DIFF_ROW.c.new
        )
        .where(and_(TABLE_DIFF_ROW.c.old_table == first, TABLE_DIFF_ROW.c.new_table == second))
        .order_by(TABLE_DIFF_ROW.c.seq)
        .offset(offset)
        .limit(limit)
    ).all()
    changes = [RowChange(str(kind), key, old, new) for kind, key, old, new in rows]
    return [c.reversed() for c in changes] if found.is_reversed else changes
