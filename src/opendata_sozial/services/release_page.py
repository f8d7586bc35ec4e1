"""View models for the release history page and a dataset's version list (no framework)."""

from dataclasses import dataclass

from opendata_sozial.services.changes import DatasetChange
from opendata_sozial.services.formatting import format_date
from opendata_sozial.services.releases import ReleaseSummary

KIND_LABELS = {
    "added": "neu",
    "removed": "entfernt",
    "changed": "geändert",
    "unchanged": "unverändert",
}


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One dataset's change in a release, in words."""

    dataset: str
    kind: str
    is_breaking: bool
    details: list[str]
    api_url: str


@dataclass(frozen=True, slots=True)
class ReleaseView:
    """A release as shown on the history page."""

    number: int
    date: str
    notes: str
    changes: list[ChangeView]
    api_url: str


def change_details(change: DatasetChange) -> list[str]:
    """Row counts, schema changes (breaking marked) and changed metadata keys as sentences."""
    details = []
    for res in change.resources:
        if res.rows is not None and res.rows.is_comparable:
            details.append(
                f"{res.resource}: {res.rows.added} Zeilen neu, {res.rows.changed} geändert, {res.rows.removed} entfernt"
            )
        elif res.rows is not None:
            details.append(
                f"{res.resource}: Schlüssel geändert, Zeilen nicht vergleichbar ({res.rows.added} statt {res.rows.removed})"
            )
        details += [
            f"{res.resource}: {c.detail}{' – nicht abwärtskompatibel' if c.is_breaking else ''}"
            for c in res.schema
        ]
    if change.metadata:
        details.append("Metadaten geändert: " + ", ".join(change.metadata))
    return details


def _change_view(change: DatasetChange, number: int, base_url: str) -> ChangeView:
    return ChangeView(
        dataset=change.dataset,
        kind=KIND_LABELS.get(change.kind, change.kind),
        is_breaking=change.is_breaking,
        details=change_details(change),
        api_url=f"{base_url}/api/v1/releases/{number}/datasets/{change.dataset}",
    )


def build_history(history: list[ReleaseSummary], base_url: str) -> list[ReleaseView]:
    """Every release, newest first, with its changes."""
    return [
        ReleaseView(
            number=s.info.number,
            date=format_date(s.info.created_at.date()),
            notes=s.notes,
            changes=[_change_view(c, s.info.number, base_url) for c in s.changes],
            api_url=f"{base_url}/api/v1/releases/{s.info.number}",
        )
        for s in history
    ]


def dataset_versions(history: list[ReleaseSummary], name: str, base_url: str) -> list[ReleaseView]:
    """The releases in which ``name`` was added, changed or removed, newest first."""
    views = []
    for view in build_history(history, base_url):
        mine = [c for c in view.changes if c.dataset == name]
        if mine:
            views.append(
                ReleaseView(
                    number=view.number,
                    date=view.date,
                    notes=view.notes,
                    changes=mine,
                    api_url=view.api_url,
                )
            )
    return views
