"""The plan of a publish: which datasets a new release adds, changes, keeps and withdraws.

A publish of some packages keeps every other dataset of the current release; only an explicit
``withdraw`` (or ``exact``) removes one. The plan is printed before the switch, is all that
``--dry-run`` does, and is stored with the publish run for the change feed.
"""

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata_sozial.errors import PublishRefused
from opendata_sozial.ingest.package import PackageSource
from opendata_sozial.model.parse import parse_dataset


@dataclass(frozen=True, slots=True)
class Current:
    """A dataset of the current release, as the plan needs it."""

    name: str
    content_hash: str
    rows: int
    descriptor: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One dataset of the plan with its row counts before and after (None: not there)."""

    name: str
    rows_before: int | None = None
    rows_after: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "rows_before": self.rows_before, "rows_after": self.rows_after}


@dataclass(frozen=True, slots=True)
class PublishPlan:
    """What the new release will hold compared with the current one."""

    added: list[PlanEntry] = field(default_factory=list)
    changed: list[PlanEntry] = field(default_factory=list)
    unchanged: list[PlanEntry] = field(default_factory=list)
    withdrawn: list[PlanEntry] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when the new release would equal the current one."""
        return not (self.added or self.changed or self.withdrawn)

    @property
    def datasets(self) -> int:
        """Number of datasets the new release holds."""
        return len(self.added) + len(self.changed) + len(self.unchanged)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the publish run, shown in the change feed)."""
        return {
            "added": [e.to_dict() for e in self.added],
            "changed": [e.to_dict() for e in self.changed],
            "unchanged": [e.name for e in self.unchanged],
            "withdrawn": [e.to_dict() for e in self.withdrawn],
        }

    def lines(self) -> list[str]:
        """The plan in German, one line per group, for the terminal."""
        out = [f"Plan: {self.datasets} Datensätze im neuen Release"]
        out += [f"  neu:          {e.name} ({_count(e.rows_after)} Zeilen)" for e in self.added]
        out += [
            f"  geändert:     {e.name} ({_count(e.rows_before)} → {_count(e.rows_after)} Zeilen)"
            for e in self.changed
        ]
        out += [
            f"  zurückgezogen: {e.name} ({_count(e.rows_before)} Zeilen)" for e in self.withdrawn
        ]
        if self.unchanged:
            names = ", ".join(e.name for e in self.unchanged)
            out.append(f"  unverändert:  {len(self.unchanged)} ({names})")
        return out


def _count(rows: int | None) -> str:
    return "?" if rows is None else f"{rows:,}".replace(",", ".")


def count_rows(path: Path) -> int:
    """Data rows of a canonical (UTF-8, comma) CSV file, quoted line breaks counted once."""
    with path.open(encoding="utf-8", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def make_plan(
    sources: Sequence[PackageSource],
    hashes: Mapping[str, str],
    current: Mapping[str, Current],
    *,
    withdraw: Iterable[str] = (),
    exact: bool = False,
    new_rows: Mapping[str, int],
) -> PublishPlan:
    """Compare the packages to publish with the current release; refuse an unsafe request.

    ``withdraw`` names current datasets to drop; ``exact`` drops every current dataset that is
    not among ``sources``. ``new_rows`` gives the row count of each source package.
    """
    names = {pkg.name for pkg in sources}
    dropped = _withdrawn_names(names, current, set(withdraw), exact=exact)
    plan = PublishPlan()
    for name in sorted(names):
        before = current.get(name)
        entry = PlanEntry(name, None if before is None else before.rows, new_rows[name])
        if before is None:
            plan.added.append(entry)
        elif before.content_hash != hashes[name]:
            plan.changed.append(entry)
        else:
            plan.unchanged.append(entry)
    for name in sorted(current.keys() - names):
        entry = PlanEntry(name, current[name].rows, None)
        if name in dropped:
            plan.withdrawn.append(entry)
        else:
            plan.unchanged.append(PlanEntry(name, current[name].rows, current[name].rows))
    plan.unchanged.sort(key=lambda e: e.name)
    _refuse_dangling_references(sources, current, plan)
    return plan


def _withdrawn_names(
    names: set[str], current: Mapping[str, Current], withdraw: set[str], *, exact: bool
) -> set[str]:
    unknown = sorted(withdraw - current.keys())
    if unknown:
        known = ", ".join(sorted(current)) or "keine"
        raise PublishRefused(
            f"--withdraw nennt Datensätze, die das laufende Release nicht enthält: "
            f"{', '.join(unknown)}. Zurückziehen lassen sich: {known}"
        )
    both = sorted(withdraw & names)
    if both:
        raise PublishRefused(
            f"{', '.join(both)} soll zugleich veröffentlicht und zurückgezogen werden; "
            "bitte nur eines von beiden angeben"
        )
    return withdraw | (set(current) - names if exact else set())


def _refuse_dangling_references(
    sources: Sequence[PackageSource], current: Mapping[str, Current], plan: PublishPlan
) -> None:
    """A dataset of the new release may not point at a withdrawn one (x_foreign_keys)."""
    gone = {e.name for e in plan.withdrawn}
    if not gone:
        return
    descriptors = {pkg.name: pkg.descriptor for pkg in sources}
    for entry in plan.unchanged:
        descriptors.setdefault(entry.name, current[entry.name].descriptor)
    for name, descriptor in sorted(descriptors.items()):
        for ref in parse_dataset(descriptor).foreign_keys:
            if ref.package in gone:
                raise PublishRefused(
                    f"{ref.package} kann nicht zurückgezogen werden: {name} verweist mit "
                    f"{', '.join(ref.fields)} darauf. Erst {name} anpassen oder mit "
                    "zurückziehen"
                )
