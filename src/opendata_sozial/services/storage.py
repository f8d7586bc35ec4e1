"""Storage collection: remove what no release references any more.

Every complete release is kept (a pinned ``/api/v1/releases/{n}/…`` must keep serving), so an
object is garbage only when no complete release refers to it:

- a data table (its ``data_table`` row and the physical table ``data_<20 hex>``) that no
  resource of a complete release names, a ``data_table`` row still ``loading`` (a load that was
  killed), and a physical table of that name pattern without any ``data_table`` row;
- the stored chunks of an original file (``file_chunk``) whose hash no such resource has;
- releases that never completed (``find_garbage`` reports them; ``publish.clean_up_interrupted``
  removes them together with their datasets and resources).

Only call this while holding ``db.schema.publish_lock``: an unfinished release or a table that
is not yet referenced belongs to a publish that is still running otherwise. ``publish`` calls
``collect`` after its switch, under its lock; ``opendata-sozial gc`` takes the lock itself.
"""

import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from opendata_sozial.db.data_tables import define_data_table
from opendata_sozial.db.models import (
    DATA_TABLE,
    DATASET,
    FILE_CHUNK,
    RELEASE,
    RESOURCE,
    TABLE_DIFF,
    TABLE_DIFF_ROW,
    TABLE_PLACES,
    TABLE_VALUES,
)

logger = logging.getLogger(__name__)
DATA_TABLE_NAME = re.compile(r"^data_[0-9a-f]{20}$")
"""Names of physical data tables (``db.data_tables.physical_name``)."""


@dataclass(frozen=True, slots=True)
class OrphanTable:
    """A data table no complete release uses. ``None``: not known (or not cheap to know)."""

    name: str
    rows: int | None
    bytes: int | None
    exists: bool
    """The physical table exists (a killed load may leave only its ``data_table`` row)."""
    registered: bool
    """It has a ``data_table`` row (a stray table of our name pattern has none)."""
    loading: bool = False
    """Its ``data_table`` row is still ``loading``: the load was killed."""


@dataclass(frozen=True, slots=True)
class OrphanFile:
    """An original file whose chunks are stored but that no complete release uses."""

    hash: str
    bytes: int
    chunks: int


@dataclass(frozen=True, slots=True)
class Garbage:
    """Everything that no complete release references."""

    has_catalog: bool = True
    releases: list[tuple[int, str]] = field(default_factory=list)
    """(number, status) of releases that never completed."""
    tables: list[OrphanTable] = field(default_factory=list)
    files: list[OrphanFile] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to remove."""
        return not (self.releases or self.tables or self.files)


def _kept(conn: Connection, column: ColumnElement[str]) -> set[str]:
    """The values of a ``resource`` column (table name, file hash) in complete releases."""
    query = (
        select(column)
        .join(DATASET, DATASET.c.id == RESOURCE.c.dataset_id)
        .join(RELEASE, RELEASE.c.id == DATASET.c.release_id)
        .where(RELEASE.c.status == "complete")
        .distinct()
    )
    return {str(value) for value in conn.execute(query).scalars()}


def _table_bytes(conn: Connection, name: str) -> int | None:
    """Size on disk with indexes: cheap on PostgreSQL, a page scan (``dbstat``) on SQLite."""
    if conn.dialect.name == "postgresql":
        size = conn.execute(
            text("SELECT pg_total_relation_size(CAST(:name AS regclass))"), {"name": name}
        ).scalar()
        return None if size is None else int(size)
    try:  # the table and its indexes (named ``<table>_…``, db.data_tables.define_data_table)
        size = conn.execute(
            text(
                "SELECT sum(pgsize) FROM dbstat "
                "WHERE name = :name OR substr(name, 1, length(:name) + 1) = :name || '_'"
            ),
            {"name": name},
        ).scalar()
    except OperationalError:  # SQLite built without the dbstat table; the transaction goes on
        return None
    return None if size is None else int(size)


def find_garbage(engine: Engine, *, sizes: bool = True) -> Garbage:
    """What no complete release references (``sizes``: measure tables, may read them)."""
    names = inspect(engine).get_table_names()
    if "release" not in names:
        return Garbage(has_catalog=False)
    physical = {name for name in names if DATA_TABLE_NAME.match(name)}
    with engine.connect() as conn:
        releases = [
            (int(number), str(status))
            for number, status in conn.execute(
                select(RELEASE.c.number, RELEASE.c.status)
                .where(RELEASE.c.status != "complete")
                .order_by(RELEASE.c.number)
            ).all()
        ]
        kept = _kept(conn, RESOURCE.c.table_name)
        registry = {
            str(name): (str(status), int(rows))
            for name, status, rows in conn.execute(
                select(DATA_TABLE.c.name, DATA_TABLE.c.status, DATA_TABLE.c.row_count)
            ).all()
        }
        tables = [
            OrphanTable(
                name=name,
                rows=registry[name][1] if registry.get(name, ("", 0))[0] == "ready" else None,
                bytes=_table_bytes(conn, name) if sizes and name in physical else None,
                exists=name in physical,
                registered=name in registry,
                loading=registry.get(name, ("ready", 0))[0] != "ready",
            )
            for name in sorted((set(registry) | physical) - kept)
        ]
        kept_files = _kept(conn, RESOURCE.c.hash)
        files = [
            OrphanFile(hash=str(digest), bytes=int(size or 0), chunks=int(chunks))
            for digest, size, chunks in conn.execute(
                select(
                    FILE_CHUNK.c.file_hash,
                    func.sum(func.length(FILE_CHUNK.c.data)),
                    func.count(),
                )
                .group_by(FILE_CHUNK.c.file_hash)
                .order_by(FILE_CHUNK.c.file_hash)
            ).all()
            if str(digest) not in kept_files
        ]
    return Garbage(releases=releases, tables=tables, files=files)


def collect(engine: Engine, *, sizes: bool = False) -> Garbage:
    """Remove every unreferenced data table and stored file; return what was removed.

    Each table is dropped in its own short transaction (with its ``data_table`` row), so no
    lock is held longer than one drop and readers of other tables never wait. Unfinished
    releases are left to ``publish.clean_up_interrupted`` (they are reported, not removed).
    """
    garbage = find_garbage(engine, sizes=sizes)
    for table in garbage.tables:
        with engine.begin() as conn:
            if table.exists:
                define_data_table(table.name, {"fields": []}).drop(conn, checkfirst=True)
            conn.execute(delete(DATA_TABLE).where(DATA_TABLE.c.name == table.name))
            for facts in (TABLE_VALUES, TABLE_PLACES):  # counted at publish
                conn.execute(delete(facts).where(facts.c.table_name == table.name))
            for diff in (TABLE_DIFF_ROW, TABLE_DIFF):  # comparisons stored at publish
                conn.execute(
                    delete(diff).where(
                        (diff.c.old_table == table.name) | (diff.c.new_table == table.name)
                    )
                )
    for file in garbage.files:
        with engine.begin() as conn:
            conn.execute(delete(FILE_CHUNK).where(FILE_CHUNK.c.file_hash == file.hash))
    if garbage.tables or garbage.files:
        logger.info(
            "storage.collected",
            extra={"tables": [t.name for t in garbage.tables], "files": len(garbage.files)},
        )
    return garbage


def _size(size: int) -> str:
    """Bytes in German notation, e.g. ``12,3 MB``."""
    value, unit = float(size), "B"
    for bigger in ("kB", "MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    number = f"{value:.0f}" if unit == "B" else f"{value:.1f}".replace(".", ",")
    return f"{number} {unit}"


def _count(number: int, one: str, many: str) -> str:
    """``1 Datentabelle``, ``1.234 Datentabellen``."""
    return f"{number:,} {one if number == 1 else many}".replace(",", ".")


def _table_facts(table: OrphanTable) -> str:
    size = [_size(table.bytes)] if table.bytes is not None else []
    if not table.registered:
        return ", ".join(["ohne Eintrag in data_table", *size])
    if table.loading:
        where = size if table.exists else ["nur der Eintrag in data_table"]
        return ", ".join(["Laden abgebrochen", *where])
    return ", ".join([_count(table.rows or 0, "Zeile", "Zeilen"), *size])


def describe(garbage: Garbage) -> list[str]:
    """One German line per object, then a total (for ``opendata-sozial gc``)."""
    if not garbage.has_catalog:
        return ["Die Datenbank hat noch keine Katalogtabellen (nie veröffentlicht)."]
    lines = [
        f"Release {number}: nie fertig geworden ({status})" for number, status in garbage.releases
    ]
    lines += [f"Datentabelle {table.name}: {_table_facts(table)}" for table in garbage.tables]
    lines += [
        f"Originaldatei {file.hash}: {_size(file.bytes)} in {_count(file.chunks, 'Teil', 'Teilen')}"
        for file in garbage.files
    ]
    table_bytes = sum(t.bytes or 0 for t in garbage.tables)
    file_bytes = sum(f.bytes for f in garbage.files)
    lines.append(
        f"Zusammen: {_count(len(garbage.releases), 'unfertiges Release', 'unfertige Releases')}, "
        f"{_count(len(garbage.tables), 'Datentabelle', 'Datentabellen')} ({_size(table_bytes)}), "
        f"{_count(len(garbage.files), 'Originaldatei', 'Originaldateien')} ({_size(file_bytes)})."
    )
    return lines
