"""Release history, the change feed and diffs between releases of a dataset."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from opendata_sozial.db.models import DATASET, PUBLISH_RUN, RELEASE, RESOURCE
from opendata_sozial.domain import rfc3339
from opendata_sozial.errors import DatasetNotFound, InvalidParameter
from opendata_sozial.model.parse import parse_dataset
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo
from opendata_sozial.services.changes import (
    DatasetChange,
    RowChanges,
    StoredResource,
    metadata_changes,
    resource_changes,
)
from opendata_sozial.services.row_diff import RowChange, stored_rows

_Snapshot = dict[str, tuple[str, dict[str, Any], list[StoredResource]]]
"""Per dataset name: (content hash, descriptor, resources with table name and schema)."""


@dataclass(frozen=True, slots=True)
class ReleaseSummary:
    """A release with what it changed compared with the one before."""

    info: ReleaseInfo
    notes: str
    changes: list[DatasetChange]
    previous: int | None = None
    """Number of the release compared with (None for the first)."""
    plan: dict[str, Any] | None = None
    """The publish plan stored with the run that made the release (``services.publish_plan``)."""
    titles: dict[str, str] = field(default_factory=dict)
    """Title of each changed dataset (from the release, or the one before for a withdrawn one)."""


@dataclass(frozen=True, slots=True)
class RowPage:
    """A page of the changed rows of one resource between two releases."""

    resource: str
    resources: list[str]
    counts: RowChanges | None
    rows: list[RowChange]
    offset: int
    kind: str = "changed"
    """The dataset's change: added, removed, changed or unchanged."""


class ReleaseService:
    """Immutable history: every result is cached per release number."""

    def __init__(self, engine: Engine, catalog: CatalogService) -> None:
        """Read through ``engine``; resolve release numbers with ``catalog``."""
        self._engine = engine
        self._catalog = catalog
        self._snapshots: dict[int, _Snapshot] = {}
        self._summaries: dict[int, ReleaseSummary] = {}

    def numbers(self) -> list[tuple[int, str]]:
        """(number, notes) of every completed release, oldest first."""
        query = (
            select(RELEASE.c.number, RELEASE.c.notes)
            .where(RELEASE.c.status == "complete")
            .order_by(RELEASE.c.number)
        )
        with self._engine.connect() as conn:
            return [(int(n), str(notes or "")) for n, notes in conn.execute(query).all()]

    def _snapshot(self, info: ReleaseInfo) -> _Snapshot:
        if info.number in self._snapshots:
            return self._snapshots[info.number]
        datasets = select(
            DATASET.c.id, DATASET.c.name, DATASET.c.content_hash, DATASET.c.descriptor
        ).where(DATASET.c.release_id == info.id)
        resources = (
            select(RESOURCE.c.dataset_id, RESOURCE.c.name, RESOURCE.c.table_name, RESOURCE.c.schema)
            .join(DATASET, DATASET.c.id == RESOURCE.c.dataset_id)
            .where(DATASET.c.release_id == info.id)
            .order_by(RESOURCE.c.position)
        )
        with self._engine.connect() as conn:
            by_id = {int(r[0]): (str(r[1]), str(r[2]), r[3]) for r in conn.execute(datasets).all()}
            tables: dict[int, list[StoredResource]] = {}
            for dataset_id, name, table_name, schema in conn.execute(resources).all():
                stored = _resource_json(by_id[int(dataset_id)][2], name)
                tables.setdefault(int(dataset_id), []).append(
                    StoredResource(name, table_name, schema, stored)
                )
        snapshot = {
            name: (digest, descriptor, tables.get(i, []))
            for i, (name, digest, descriptor) in by_id.items()
        }
        self._snapshots[info.number] = snapshot
        return snapshot

    def compare(
        self, old: ReleaseInfo | None, new: ReleaseInfo, names: Sequence[str] | None = None
    ) -> list[DatasetChange]:
        """Dataset changes from ``old`` (None = nothing) to ``new``, optionally for some names."""
        before = self._snapshot(old) if old else {}
        after = self._snapshot(new)
        wanted = sorted(set(names) if names is not None else before.keys() | after.keys())
        changes = []
        with self._engine.connect() as conn:
            for name in wanted:
                change = _dataset_change(conn, name, before.get(name), after.get(name))
                if change is not None:
                    changes.append(change)
        return changes

    def summary(self, number: int) -> ReleaseSummary:
        """A release and its changes against the previous release."""
        if number in self._summaries:
            return self._summaries[number]
        notes = dict(self.numbers())
        info = self._catalog.release_info(number)
        previous = max((n for n in notes if n < number), default=None)
        changes = self.compare(self._catalog.release_info(previous) if previous else None, info)
        summary = ReleaseSummary(
            info=info,
            notes=notes.get(number, ""),
            changes=changes,
            previous=previous,
            plan=self._plan(info.id),
            titles=self._titles(
                [info, *([self._catalog.release_info(previous)] if previous else [])]
            ),
        )
        self._summaries[number] = summary
        return summary

    def _titles(self, infos: list[ReleaseInfo]) -> dict[str, str]:
        titles: dict[str, str] = {}
        for info in reversed(infos):  # the newer release's title wins
            for name, (_, descriptor, _) in self._snapshot(info).items():
                titles[name] = parse_dataset(descriptor).title or name
        return titles

    def _plan(self, release_id: int) -> dict[str, Any] | None:
        query = select(PUBLISH_RUN.c.plan).where(PUBLISH_RUN.c.release_id == release_id)
        with self._engine.connect() as conn:
            plan = conn.execute(query.limit(1)).scalar()
        return dict(plan) if isinstance(plan, dict) else None

    def history(self) -> list[ReleaseSummary]:
        """Every release with its changes, newest first."""
        return [self.summary(number) for number, _ in reversed(self.numbers())]

    def diff(self, name: str, old: int, new: int) -> DatasetChange:
        """What changed in one dataset between two releases (either order)."""
        if old == new:
            raise InvalidParameter("from und to müssen verschiedene Releases nennen")
        first, second = self._catalog.release_info(old), self._catalog.release_info(new)
        if name not in self._snapshot(first) and name not in self._snapshot(second):
            raise DatasetNotFound(
                f"Datensatz {name!r} gibt es weder in Release {old} noch in {new}"
            )
        changes = self.compare(first, second, [name])
        return changes[0] if changes else DatasetChange(dataset=name, kind="unchanged")

    def diff_rows(
        self, name: str, old: int, new: int, resource: str | None, offset: int, limit: int
    ) -> RowPage:
        """Changed rows of ``resource`` (default: the first) stored when ``new`` was published."""
        change = self.diff(name, old, new)
        first, second = self._catalog.release_info(old), self._catalog.release_info(new)
        before = {r.name: r for r in self._resources(first, name)}
        after = {r.name: r for r in self._resources(second, name)}
        names = list(after) + [n for n in before if n not in after]
        if resource is None:
            resource = names[0] if names else ""
        if resource not in names:
            raise InvalidParameter(
                f"resource={resource!r} gibt es in {name} nicht; gültig: {', '.join(names)}"
            )
        counts = next((r.rows for r in change.resources if r.resource == resource), None)
        rows: list[RowChange] = []
        if resource in before and resource in after:
            with self._engine.connect() as conn:
                rows = stored_rows(
                    conn,
                    before[resource].table_name,
                    after[resource].table_name,
                    offset=offset,
                    limit=limit,
                )
        return RowPage(resource, names, counts, rows, offset, change.kind)

    def _resources(self, info: ReleaseInfo, name: str) -> list[StoredResource]:
        found = self._snapshot(info).get(name)
        return [] if found is None else found[2]


def _resource_json(descriptor: dict[str, Any], name: str) -> dict[str, Any]:
    """The stored JSON of resource ``name``, to diff key by key (not to read facts from)."""
    return next((res for res in descriptor["resources"] if res["name"] == name), {})


def _dataset_change(
    conn: Connection,
    name: str,
    old: tuple[str, dict[str, Any], list[StoredResource]] | None,
    new: tuple[str, dict[str, Any], list[StoredResource]] | None,
) -> DatasetChange | None:  # Connection
    if old is None and new is None:
        return None
    if old is None:
        return DatasetChange(dataset=name, kind="added")
    if new is None:
        return DatasetChange(dataset=name, kind="removed")
    if old[0] == new[0]:
        return None
    old_resources = {r.name: r for r in old[2]}
    new_resources = {r.name: r for r in new[2]}
    resources = [
        resource_changes(conn, old_resources.get(n), new_resources.get(n))
        for n in sorted(old_resources.keys() | new_resources.keys())
    ]
    return DatasetChange(
        dataset=name, kind="changed", metadata=metadata_changes(old[1], new[1]), resources=resources
    )


def iso(moment: datetime) -> str:
    """RFC 3339 timestamp for feeds (the one spelling: ``domain.rfc3339``)."""
    return rfc3339(moment)
