"""What a table with a region column holds: found once at publish, read by the region services.

A data table is content-addressed and never changes, so which fields only name the place and
how many rows each combination of dimensions, unit and period has are counted when the table is
loaded (``services/publish.py``) and kept in ``table_places``; its places with their row counts
are the ``table_values`` of the key field. ``find_facts`` is the one computation: publish stores
its answer, and the region services run it live only for a table published before these facts
were kept (migration 0005).
"""

from collections.abc import Sequence

from sqlalchemy import Connection, Table

from opendata_sozial.db.data_tables import PlaceFacts, stored_places, stored_values
from opendata_sozial.query.region_index import level_indicators_select
from opendata_sozial.query.regions import (
    distinct_at_place_select,
    first_place_select,
    place_keys_select,
    place_naming_select,
)
from opendata_sozial.services.indicators import RegionTable


def group_columns(table: RegionTable) -> list[str]:
    """The columns an indicator of ``table`` is told apart and counted by: dims, unit, period."""
    extra = [c for c in (table.unit_field, table.period) if c is not None]
    return [*table.dimensions, *extra]


def place_naming(
    conn: Connection, sql: Table, key_field: str, dims: Sequence[str]
) -> tuple[str, ...]:
    """The fields of ``dims`` that name the place, cheap evidence first.

    A field with several values at one place is a dimension (an index read of that place's
    rows); only the others are counted over every row (``place_naming_select``).
    """
    if not dims:
        return ()
    first = conn.execute(first_place_select(sql, key_field)).scalar()
    if first is None:
        return ()
    at_first = conn.execute(distinct_at_place_select(sql, key_field, dims, first)).one()
    candidates = [d for d, n in zip(dims, at_first, strict=True) if n <= 1]
    if not candidates:
        return ()
    counts = conn.execute(place_naming_select(sql, key_field, candidates)).one()
    return tuple(
        name
        for i, name in enumerate(candidates)
        if counts[3 * i] == counts[3 * i + 1] and counts[3 * i + 2] > 1
    )


def find_facts(conn: Connection, sql: Table, table: RegionTable) -> PlaceFacts:
    """Count the facts of ``table`` over every row (at publish; live only as a fallback)."""
    naming = place_naming(conn, sql, table.key_field, table.dimensions)
    groups = group_columns(table.without(naming))
    rows = conn.execute(level_indicators_select(sql, table.key_field, None, groups)).all()
    return PlaceFacts(naming, tuple(groups), [(*row[:-1], int(row[-1])) for row in rows])


def read_facts(conn: Connection, sql: Table, table: RegionTable) -> PlaceFacts | None:
    """The facts stored for ``table``, or ``None`` where none were (or for other columns)."""
    facts = stored_places(conn, sql, table.key_field)
    if facts is None:
        return None
    expected = group_columns(table.without(facts.place_fields))
    return facts if list(facts.groups) == expected else None


def held_places(conn: Connection, sql: Table, key_field: str) -> frozenset[str]:
    """The places ``sql`` has rows for: stored at publish, else (older tables) read live."""
    counted = stored_values(conn, sql.name, key_field, "string")
    if counted is not None:
        return frozenset(str(k) for k, _ in counted if k is not None)
    found = conn.execute(place_keys_select(sql, key_field)).scalars()
    return frozenset(str(k) for k in found)
