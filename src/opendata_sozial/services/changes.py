"""What changed in a dataset between two releases: metadata, schema (breaking?) and rows."""

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection

from opendata_sozial.model.dataset import Field
from opendata_sozial.model.parse import parse_table
from opendata_sozial.services.row_diff import compare_tables, stored_diff

_VOLATILE = frozenset({"resources", "created", "version"})
"""Descriptor keys whose change is reported elsewhere (resources) or is bookkeeping."""
_RESOURCE_VOLATILE = frozenset({"hash", "bytes", "schema"})


@dataclass(frozen=True, slots=True)
class StoredResource:
    """One resource of a stored release, as a comparison of two releases reads it."""

    name: str
    table_name: str
    schema: dict[str, Any]
    """The stored Table Schema (read through ``model.parse.parse_table``)."""
    descriptor: dict[str, Any]
    """The resource's stored JSON, compared key by key (``metadata_changes``), never read."""


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One change of a resource's Table Schema."""

    kind: str  # field-added | field-removed | field-renamed | type-changed | unit-changed | key-changed
    field: str
    detail: str
    is_breaking: bool


@dataclass(frozen=True, slots=True)
class RowChanges:
    """Row counts of a resource's change, compared by primary key."""

    added: int
    changed: int
    removed: int
    is_comparable: bool = True
    listed: int | None = None
    """Changed rows that can be read one by one (``services.row_diff``); None: only counts."""


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """Everything that changed in one resource."""

    resource: str
    schema: list[SchemaChange] = field(default_factory=list)
    rows: RowChanges | None = None
    metadata: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DatasetChange:
    """A dataset's change from one release to the next."""

    dataset: str
    kind: str  # added | removed | changed
    metadata: list[str] = field(default_factory=list)
    resources: list[ResourceChange] = field(default_factory=list)

    @property
    def is_breaking(self) -> bool:
        """True when a script reading the old table may fail on the new one."""
        return self.kind == "removed" or any(
            c.is_breaking for r in self.resources for c in r.schema
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, with the breaking flag."""
        return {**asdict(self), "is_breaking": self.is_breaking}


def _unit(field: Field) -> str | None:
    return field.unit or field.unit_field


def _key(key: tuple[str, ...]) -> list[str] | None:
    """A primary key as the change text shows it (``None`` where there is none)."""
    return list(key) or None


def schema_changes(old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    """Compare two Table Schemas field by field (a same-position, same-type swap is a rename)."""
    before_table, after_table = parse_table("old", old), parse_table("new", new)
    old_fields = {f.name: (i, f) for i, f in enumerate(before_table.fields)}
    new_fields = {f.name: (i, f) for i, f in enumerate(after_table.fields)}
    removed = [n for n in old_fields if n not in new_fields]
    added = [n for n in new_fields if n not in old_fields]
    changes: list[SchemaChange] = []
    for name in list(removed):
        position, spec = old_fields[name]
        twin = next(
            (
                a
                for a in added
                if new_fields[a][0] == position and new_fields[a][1].type == spec.type
            ),
            None,
        )
        if twin is not None:
            changes.append(
                SchemaChange("field-renamed", name, f"{name} → {twin}", is_breaking=True)
            )
            removed.remove(name)
            added.remove(twin)
    changes += [
        SchemaChange("field-removed", n, f"Feld {n} entfällt", is_breaking=True) for n in removed
    ]
    changes += [
        SchemaChange(
            "field-added", n, f"neues Feld {n} ({new_fields[n][1].type})", is_breaking=False
        )
        for n in added
    ]
    for name in old_fields.keys() & new_fields.keys():
        before, after = old_fields[name][1], new_fields[name][1]
        if before.type != after.type:
            changes.append(
                SchemaChange(
                    "type-changed", name, f"{before.type} → {after.type}", is_breaking=True
                )
            )
        if _unit(before) != _unit(after):
            changes.append(
                SchemaChange(
                    "unit-changed", name, f"{_unit(before)} → {_unit(after)}", is_breaking=True
                )
            )
    old_key, new_key = before_table.primary_key, after_table.primary_key
    if old_key != new_key:
        changes.append(
            SchemaChange(
                "key-changed",
                ",".join(new_key),
                f"{_key(old_key)} → {_key(new_key)}",
                is_breaking=True,
            )
        )
    return sorted(changes, key=lambda c: (c.kind, c.field))


def metadata_changes(
    old: dict[str, Any], new: dict[str, Any], *, volatile: frozenset[str] = _VOLATILE
) -> list[str]:
    """Keys of a descriptor (or resource) whose values differ."""
    keys = (old.keys() | new.keys()) - volatile
    return sorted(k for k in keys if old.get(k) != new.get(k))


def resource_changes(
    conn: Connection, old: StoredResource | None, new: StoredResource | None
) -> ResourceChange:
    """Compare two versions of a resource (one of them may be missing)."""
    if old is None or new is None:
        present = new or old
        assert present is not None  # noqa: S101  # one side always exists
        return ResourceChange(resource=present.name)
    schema = schema_changes(old.schema, new.schema)
    rows = None if old.table_name == new.table_name else _stored_or_counted(conn, old, new)
    metadata = metadata_changes(old.descriptor, new.descriptor, volatile=_RESOURCE_VOLATILE)
    return ResourceChange(resource=new.name, schema=schema, rows=rows, metadata=metadata)


def _stored_or_counted(conn: Connection, old: StoredResource, new: StoredResource) -> RowChanges:
    """The comparison stored at publish, else (older releases) the same merge run now.

    The merge reads each table once in key order; on a read it gives counts only and stores
    nothing.
    """
    found = stored_diff(conn, old.table_name, new.table_name)
    if found is not None:
        return RowChanges(
            added=found.added,
            changed=found.changed,
            removed=found.removed,
            is_comparable=found.is_comparable,
            listed=found.stored,
        )
    diff = compare_tables(conn, (old.table_name, old.schema), (new.table_name, new.schema))
    return RowChanges(diff.added, diff.changed, diff.removed, diff.is_comparable, listed=None)
