"""Publish validated packages as a new release; the switch is one transaction."""

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, inspect, select, update

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.db.data_tables import (
    add_missing_indexes,
    analyze,
    create_and_load,
    define_data_table,
    dimension_fields,
    physical_name,
    store_places,
    store_values,
    stored_places,
    stored_values,
    table_content_hash,
    typed_rows,
)
from opendata_sozial.db.engine import sqlite_file
from opendata_sozial.db.file_store import store_file
from opendata_sozial.db.models import (
    CATALOG_STATE,
    DATA_TABLE,
    DATASET,
    FIELD,
    KEYWORD,
    NO_TABLE,
    PUBLISH_RUN,
    RELEASE,
    RESOURCE,
    TABLE_DIFF,
    THEME,
)
from opendata_sozial.db.schema import publish_lock, upgrade_schema
from opendata_sozial.errors import PackageInvalid, PublishRefused
from opendata_sozial.ingest.package import PackageSource
from opendata_sozial.ingest.validate import validate_paths
from opendata_sozial.model.dataset import Dataset, Period, Resource
from opendata_sozial.model.parse import parse_dataset, parse_table
from opendata_sozial.query.builder import values_select
from opendata_sozial.services.faults import Checkpoint, no_checkpoint
from opendata_sozial.services.indicators import region_tables
from opendata_sozial.services.publish_files import is_file_resource, publish_file_resource
from opendata_sozial.services.publish_plan import Current, PublishPlan, count_rows, make_plan
from opendata_sozial.services.region_facts import find_facts
from opendata_sozial.services.row_diff import compare_tables, store
from opendata_sozial.services.search_text import search_document
from opendata_sozial.services.storage import collect

logger = logging.getLogger(__name__)
PROVE_ROWS_FROM = 8 << 20
"""Resource size (bytes) from which publish proves rows column by column (ingest.row_proof)."""
Progress = Callable[[str, int], None]
"""Called with (dataset name, rows loaded) after each resource."""


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What a publish did (or, for a dry run, would do)."""

    release: int | None
    is_unchanged: bool
    datasets: int
    changed: list[str]
    rows: int
    seconds: float
    plan: PublishPlan = field(default_factory=PublishPlan)
    is_dry_run: bool = False


@dataclass(frozen=True, slots=True)
class Selection:
    """Which current datasets a publish withdraws; every other one stays in the new release."""

    withdraw: tuple[str, ...] = ()
    exact: bool = False
    dry_run: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def dataset_hash(pkg: PackageSource) -> str:
    """Content identity of a package: its descriptor (which holds every file hash)."""
    canonical = json.dumps(pkg.descriptor, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def publish(  # noqa: PLR0913  # keyword-only options of one use case
    paths: Sequence[Path],
    *,
    engine: Engine,
    catalog: CatalogInfo,
    reference_dirs: Sequence[Path] = (),
    notes: str = "",
    selection: Selection = Selection(),
    announce: Callable[[PublishPlan], None] | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint = no_checkpoint,
    prove_rows_from: int | None = PROVE_ROWS_FROM,
) -> PublishResult:
    """Validate ``paths``, then load them as a new release, or do nothing if nothing changed.

    The new release holds the packages of ``paths`` and keeps every other dataset of the current
    release, except those ``selection`` withdraws. ``announce`` receives the plan before
    anything is loaded; with ``selection.dry_run`` the plan is all that happens.
    Refuses with ``PackageInvalid`` before touching the database when any package is invalid,
    and with ``PublishRefused`` when the selection names unknown datasets or would leave a
    reference dangling. Packages with a resource file of ``prove_rows_from`` bytes or more are
    checked row by row through ``ingest.row_proof`` (see ``validate_paths``); ``None`` checks
    every row with frictionless.
    ``checkpoint`` is called at the points of ``services.faults.PAUSE_POINTS`` (crash tests).
    """
    started = time.perf_counter()
    report = validate_paths(
        paths, catalog, reference_dirs=reference_dirs, prove_rows_from=prove_rows_from
    )
    if not report.is_valid:
        raise PackageInvalid(report.errors())
    sources = [r.source for r in report.packages if r.source is not None]
    hashes = {pkg.name: dataset_hash(pkg) for pkg in sources}
    if selection.dry_run:
        plan = _plan(engine, sources, hashes, selection)
        if announce is not None:
            announce(plan)
        return _result(None, plan, 0, started, is_dry_run=True)
    with publish_lock(engine):
        upgrade_schema(engine)  # under the lock: simultaneous first publishes queue
        clean_up_interrupted(engine)
        plan = _plan(engine, sources, hashes, selection)
        if announce is not None:
            announce(plan)
        if plan.is_empty:
            _record_run(engine, status="unchanged", release_id=None, rows=0, plan=plan)
            return _result(None, plan, 0, started)
        checkpoint("before-release")
        release_id, number = _create_release(engine, notes)
        rows = 0
        for pkg in sources:
            rows += _load_package(engine, pkg, release_id, hashes[pkg.name], progress, checkpoint)
        _carry_over(engine, release_id, [e.name for e in plan.unchanged if e.name not in hashes])
        _compare_with_earlier(engine, [e.name for e in [*plan.added, *plan.changed]], release_id)
        checkpoint("before-switch")
        _switch(engine, release_id)
        _record_run(engine, status="succeeded", release_id=release_id, rows=rows, plan=plan)
        collect(engine)  # after the switch, under the lock: what no release references
    logger.info(
        "publish.finished", extra={"release": number, "datasets": plan.datasets, "rows": rows}
    )
    return _result(number, plan, rows, started)


def _result(
    number: int | None, plan: PublishPlan, rows: int, started: float, *, is_dry_run: bool = False
) -> PublishResult:
    changed = sorted(e.name for e in [*plan.added, *plan.changed, *plan.withdrawn])
    return PublishResult(
        release=number,
        is_unchanged=plan.is_empty,
        datasets=plan.datasets,
        changed=changed,
        rows=rows,
        seconds=time.perf_counter() - started,
        plan=plan,
        is_dry_run=is_dry_run,
    )


def _plan(
    engine: Engine,
    sources: Sequence[PackageSource],
    hashes: dict[str, str],
    selection: Selection,
) -> PublishPlan:
    current = _current_datasets(engine)
    ready: dict[str, int] = {}
    if current:
        with engine.connect() as conn:
            ready = _ready_tables(conn)
    new_rows = {pkg.name: _package_rows(pkg, ready) for pkg in sources}
    return make_plan(
        sources,
        hashes,
        current,
        withdraw=selection.withdraw,
        exact=selection.exact,
        new_rows=new_rows,
    )


def _ready_tables(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(DATA_TABLE.c.name, DATA_TABLE.c.row_count).where(DATA_TABLE.c.status == "ready")
    ).all()
    return {str(name): int(count) for name, count in rows}


def _package_rows(pkg: PackageSource, ready: dict[str, int]) -> int:
    """Rows of a package: from its loaded table where one exists, else counted in the file."""
    total = 0
    for res in parse_dataset(pkg.descriptor).resources:
        if is_file_resource(res):  # no rows
            continue
        name = physical_name(table_content_hash(res.hash, _table_schema(res)))
        total += ready[name] if name in ready else count_rows(pkg.folder / res.path)
    return total


def clean_up_interrupted(engine: Engine) -> None:
    """Remove what an interrupted publish left: unfinished releases and half-loaded tables."""
    with engine.begin() as conn:
        stale = (
            conn.execute(select(RELEASE.c.id).where(RELEASE.c.status != "complete")).scalars().all()
        )
        if stale:
            datasets = select(DATASET.c.id).where(DATASET.c.release_id.in_(stale))
            resources = select(RESOURCE.c.id).where(RESOURCE.c.dataset_id.in_(datasets))
            conn.execute(delete(FIELD).where(FIELD.c.resource_id.in_(resources)))
            conn.execute(delete(RESOURCE).where(RESOURCE.c.dataset_id.in_(datasets)))
            conn.execute(delete(KEYWORD).where(KEYWORD.c.dataset_id.in_(datasets)))
            conn.execute(delete(THEME).where(THEME.c.dataset_id.in_(datasets)))
            conn.execute(delete(DATASET).where(DATASET.c.release_id.in_(stale)))
            conn.execute(
                update(PUBLISH_RUN)
                .where(PUBLISH_RUN.c.release_id.in_(stale))
                .values(release_id=None)
            )
            conn.execute(delete(RELEASE).where(RELEASE.c.id.in_(stale)))
        loading = (
            conn.execute(select(DATA_TABLE.c.name).where(DATA_TABLE.c.status != "ready"))
            .scalars()
            .all()
        )
        conn.execute(
            update(PUBLISH_RUN)
            .where(PUBLISH_RUN.c.status == "running")
            .values(status="failed", message="abgebrochen", finished_at=_now())
        )
    existing = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        for name in loading:
            if name in existing:
                define_data_table(name, {"fields": []}).drop(conn)
            conn.execute(delete(DATA_TABLE).where(DATA_TABLE.c.name == name))


def published_rows(engine: Engine, name: str) -> int | None:
    """Rows of dataset ``name`` in the served release; None when it is not served."""
    current = _current_datasets(engine).get(name)
    return None if current is None else current.rows


def _current_datasets(engine: Engine) -> dict[str, Current]:
    """The datasets of the served release (none before the first publish).

    A SQLite file that does not exist yet is not created here (``publish --dry-run``).
    """
    path = sqlite_file(engine.url)
    if path is not None and not path.exists():
        return {}
    if not inspect(engine).has_table(CATALOG_STATE.name):
        return {}
    with engine.connect() as conn:
        current = conn.execute(
            select(CATALOG_STATE.c.current_release_id).where(CATALOG_STATE.c.id == 1)
        ).scalar()
        if current is None:
            return {}
        row_sum = (
            select(func.coalesce(func.sum(RESOURCE.c.row_count), 0))
            .where(RESOURCE.c.dataset_id == DATASET.c.id)
            .scalar_subquery()
        )
        rows = conn.execute(
            select(DATASET.c.name, DATASET.c.content_hash, DATASET.c.descriptor, row_sum).where(
                DATASET.c.release_id == current
            )
        ).all()
    return {
        str(name): Current(str(name), str(digest), int(count), dict(descriptor))
        for name, digest, descriptor, count in rows
    }


def _compare_with_earlier(engine: Engine, names: Sequence[str], release_id: int) -> None:
    """Store the row changes of each new table against every earlier table of its resource."""
    if not names:
        return
    versions = (
        select(
            DATASET.c.release_id,
            DATASET.c.name,
            RESOURCE.c.name,
            RESOURCE.c.table_name,
            RESOURCE.c.schema,
        )
        .join(RESOURCE, RESOURCE.c.dataset_id == DATASET.c.id)
        .join(RELEASE, RELEASE.c.id == DATASET.c.release_id)
        .where(
            DATASET.c.name.in_(names),
            (RELEASE.c.status == "complete") | (RELEASE.c.id == release_id),
            RESOURCE.c.table_name != NO_TABLE,
        )
    )
    with engine.connect() as conn:
        found = conn.execute(versions).all()
        pairs = conn.execute(select(TABLE_DIFF.c.old_table, TABLE_DIFF.c.new_table)).all()
    done = {(str(a), str(b)) for a, b in pairs}
    newest: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    earlier: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for release, dataset, resource, table_name, schema in found:
        place = (str(dataset), str(resource))
        if release == release_id:
            newest[place] = (str(table_name), schema)
        else:
            earlier.setdefault(place, {})[str(table_name)] = schema
    for place, new in newest.items():
        for old in earlier.get(place, {}).items():
            if old[0] == new[0] or (old[0], new[0]) in done or (new[0], old[0]) in done:
                continue
            with engine.begin() as conn:
                store(conn, old[0], new[0], compare_tables(conn, old, new))


def _carry_over(engine: Engine, release_id: int, names: Sequence[str]) -> None:
    """Copy the catalog rows of kept datasets into the new release (their data is shared)."""
    if not names:
        return
    with engine.begin() as conn:
        current = conn.execute(
            select(CATALOG_STATE.c.current_release_id).where(CATALOG_STATE.c.id == 1)
        ).scalar_one()
        kept = conn.execute(
            select(DATASET).where(DATASET.c.release_id == current, DATASET.c.name.in_(names))
        ).all()
        for row in kept:
            old_id = row.id
            values = {k: v for k, v in row._mapping.items() if k != "id"}
            new_id = conn.execute(
                DATASET.insert()
                .values(**{**values, "release_id": release_id})
                .returning(DATASET.c.id)
            ).scalar_one()
            _copy_children(conn, int(old_id), int(new_id))


def _copy_children(conn: Connection, old_id: int, new_id: int) -> None:
    for table in (KEYWORD, THEME):
        rows = conn.execute(select(table).where(table.c.dataset_id == old_id)).all()
        if rows:
            conn.execute(
                table.insert(),
                [{**_without_id(r._mapping), "dataset_id": new_id} for r in rows],
            )
    for res in conn.execute(select(RESOURCE).where(RESOURCE.c.dataset_id == old_id)).all():
        resource_id = conn.execute(
            RESOURCE.insert()
            .values(**{**_without_id(res._mapping), "dataset_id": new_id})
            .returning(RESOURCE.c.id)
        ).scalar_one()
        fields = conn.execute(select(FIELD).where(FIELD.c.resource_id == res.id)).all()
        if fields:
            conn.execute(
                FIELD.insert(),
                [{**_without_id(f._mapping), "resource_id": resource_id} for f in fields],
            )


def _without_id(mapping: Any) -> dict[str, Any]:  # noqa: ANN401  # a RowMapping
    return {k: v for k, v in mapping.items() if k != "id"}


def _create_release(engine: Engine, notes: str) -> tuple[int, int]:
    with engine.begin() as conn:
        number = (conn.execute(select(func.max(RELEASE.c.number))).scalar() or 0) + 1
        release_id = conn.execute(
            RELEASE.insert()
            .values(number=number, status="loading", created_at=_now(), notes=notes)
            .returning(RELEASE.c.id)
        ).scalar_one()
    return int(release_id), int(number)


def _switch(engine: Engine, release_id: int) -> None:
    """The one transaction that makes the new release visible."""
    with engine.begin() as conn:
        conn.execute(update(RELEASE).where(RELEASE.c.id == release_id).values(status="complete"))
        if conn.execute(select(CATALOG_STATE.c.id)).first() is None:
            conn.execute(CATALOG_STATE.insert().values(id=1, current_release_id=release_id))
        else:
            conn.execute(
                update(CATALOG_STATE)
                .where(CATALOG_STATE.c.id == 1)
                .values(current_release_id=release_id)
            )


def _record_run(
    engine: Engine, *, status: str, release_id: int | None, rows: int, plan: PublishPlan
) -> None:
    changed = [e.name for e in [*plan.added, *plan.changed, *plan.withdrawn]]
    with engine.begin() as conn:
        conn.execute(
            PUBLISH_RUN.insert().values(
                started_at=_now(),
                finished_at=_now(),
                status=status,
                release_id=release_id,
                datasets=plan.datasets,
                rows=rows,
                message=", ".join(changed) or "keine Änderung",
                plan=plan.to_dict(),
            )
        )


def _load_package(
    engine: Engine,
    pkg: PackageSource,
    release_id: int,
    content_hash: str,
    progress: Progress | None,
    checkpoint: Checkpoint,
) -> int:
    rows = 0
    dataset = parse_dataset(pkg.descriptor)
    with engine.begin() as conn:
        first_issued = _first_issued(conn, pkg.name, content_hash)
        dataset_id = _insert_dataset(conn, pkg, dataset, release_id, content_hash, first_issued)
    for position, res in enumerate(dataset.resources):
        if is_file_resource(res):
            publish_file_resource(engine, pkg, dataset_id, position, res)
            continue
        table_name, count = _ensure_data_table(engine, pkg, (dataset, res), checkpoint)
        with engine.begin() as conn:
            _insert_resource(conn, dataset_id, position, res, table_name, count)
        rows += count
        if progress is not None:
            progress(pkg.name, count)
    return rows


def _first_issued(conn: Connection, name: str, content_hash: str) -> tuple[datetime, datetime]:
    """(issued, modified): first release with this name, first release with this content."""
    issued = conn.execute(
        select(func.min(RELEASE.c.created_at))
        .join(DATASET, DATASET.c.release_id == RELEASE.c.id)
        .where(DATASET.c.name == name, RELEASE.c.status == "complete")
    ).scalar()
    modified = conn.execute(
        select(func.min(RELEASE.c.created_at))
        .join(DATASET, DATASET.c.release_id == RELEASE.c.id)
        .where(
            DATASET.c.name == name,
            DATASET.c.content_hash == content_hash,
            RELEASE.c.status == "complete",
        )
    ).scalar()
    now = _now()
    return issued or now, modified or now


def _insert_dataset(  # one row from these six
    conn: Connection,
    pkg: PackageSource,
    d: Dataset,
    release_id: int,
    content_hash: str,
    dates: tuple[datetime, datetime],
) -> int:
    period = d.period or Period()
    values: dict[str, Any] = {
        "release_id": release_id,
        "name": pkg.name,
        "title": d.title,
        "description": d.description,
        "content_hash": content_hash,
        "chapter": d.chapter,
        "publisher": d.publishers[0].title if d.publishers else "",
        "period_start": period.start,
        "period_end": period.end,
        "region_level": d.spatial.level if d.spatial else None,
        "issued": dates[0],
        "modified": dates[1],
        "descriptor": pkg.descriptor,  # stored as published, served byte for byte
        "search_text": search_document(d.title, d.description, " ".join(d.keywords)),
    }
    dataset_id = int(
        conn.execute(DATASET.insert().values(**values).returning(DATASET.c.id)).scalar_one()
    )
    keywords = [
        {"dataset_id": dataset_id, "keyword": k, "normalized": k.casefold()} for k in d.keywords
    ]
    conn.execute(KEYWORD.insert(), keywords)
    themes = [{"dataset_id": dataset_id, "code": t, "kind": "eu"} for t in d.themes]
    themes.append({"dataset_id": dataset_id, "code": d.chapter, "kind": "chapter"})
    conn.execute(THEME.insert(), themes)
    return dataset_id


def _ensure_data_table(
    engine: Engine, pkg: PackageSource, resource: tuple[Dataset, Resource], checkpoint: Checkpoint
) -> tuple[str, int]:
    """Create and fill the physical table unless a table with the same content exists.

    An existing table published before its place facts were kept gets them now (once), and
    the indexes the code defines since it was built (``add_missing_indexes``).
    """
    res = resource[1]
    schema = _table_schema(res)
    content = table_content_hash(res.hash, schema)
    name = physical_name(content)
    path = pkg.folder / res.path
    with engine.begin() as conn:
        existing = conn.execute(
            select(DATA_TABLE.c.status, DATA_TABLE.c.row_count).where(DATA_TABLE.c.name == name)
        ).first()
        if existing is not None and existing[0] == "ready":
            table = define_data_table(name, schema)
            add_missing_indexes(conn, table)
            _find_places(conn, table, resource, missing_only=True)
            return name, int(existing[1])
        conn.execute(
            DATA_TABLE.insert().values(
                name=name, content_hash=content, status="loading", row_count=0, created_at=_now()
            )
        )
    table = define_data_table(name, schema)
    with engine.begin() as conn:
        count = create_and_load(conn, table, _passing(typed_rows(path, schema), checkpoint))
        _count_values(conn, table, schema)
        _find_places(conn, table, resource, missing_only=False)
        store_file(conn, res.hash, path)
        checkpoint("file-chunks")
        conn.execute(
            update(DATA_TABLE)
            .where(DATA_TABLE.c.name == name)
            .values(status="ready", row_count=count)
        )
    analyze(engine, name)
    return name, count


MAX_STORED_VALUES = 5_000
"""Distinct values of a column kept at publish; a column with more is grouped per request."""


def _count_values(conn: Connection, table: Table, schema: dict[str, Any]) -> None:
    """Count the distinct values of every dimension column once (releases never change).

    The same statement as an unfiltered ``values/{field}`` request, so the stored answer is
    the one a live ``GROUP BY`` gives.
    """
    for name in dimension_fields(parse_table(table.name, schema)):
        statement = values_select(table, name, ()).limit(MAX_STORED_VALUES + 1)
        counts = [(row[0], int(row[1])) for row in conn.execute(statement)]
        if len(counts) <= MAX_STORED_VALUES:
            store_values(conn, table.name, name, counts)


def _find_places(
    conn: Connection, table: Table, resource: tuple[Dataset, Resource], *, missing_only: bool
) -> None:
    """Keep what a table with a region column holds (``services/region_facts.py``).

    Its places with their row counts go to ``table_values`` (already there for ``ags``, a
    dimension), its place-naming fields and counts per indicator and period to ``table_places``.
    """
    dataset, res = resource
    for region in (t for t in region_tables(dataset) if t.resource == res.name):
        if missing_only and stored_places(conn, table, region.key_field) is not None:
            continue
        store_places(conn, table.name, region.key_field, find_facts(conn, table, region))
        if stored_values(conn, table.name, region.key_field, "string") is None:
            statement = values_select(table, region.key_field, ())
            counts = [(row[0], int(row[1])) for row in conn.execute(statement)]
            store_values(conn, table.name, region.key_field, counts)


def _insert_resource(
    conn: Connection,
    dataset_id: int,
    position: int,
    res: Resource,
    table_name: str,
    count: int,
) -> None:
    values = {
        "dataset_id": dataset_id,
        "name": res.name,
        "position": position,
        "table_name": table_name,
        "row_count": count,
        "bytes": res.bytes,
        "hash": res.hash,
        "path": res.path,
        "schema": _table_schema(res),
    }
    resource_id = int(
        conn.execute(RESOURCE.insert().values(**values).returning(RESOURCE.c.id)).scalar_one()
    )
    key = set(res.primary_key)
    fields = [
        {
            "resource_id": resource_id,
            "position": i,
            "name": f.name,
            "type": f.type,
            "title": f.name if f.title is None else f.title,
            "unit": f.unit,
            "is_dimension": f.name in key,
        }
        for i, f in enumerate(res.fields)
    ]
    conn.execute(FIELD.insert(), fields)


def _table_schema(res: Resource) -> dict[str, Any]:
    """The stored Table Schema of a validated resource (validate refuses one without)."""
    if res.table_schema is None:
        raise PublishRefused(f"Ressource {res.name!r} hat kein Tabellenschema (schema)")
    return res.table_schema


def _passing(rows: Iterator[tuple[Any, ...]], checkpoint: Checkpoint) -> Iterator[tuple[Any, ...]]:
    """The rows unchanged; the ``data-load`` checkpoint once the first row is on its way."""
    for number, row in enumerate(rows):
        if number == 1:
            checkpoint("data-load")
        yield row
