"""View models for the release history page and a dataset's version list (no framework)."""

from dataclasses import dataclass

from opendata_sozial.formats.formatting import decimals_of, format_cell, format_date
from opendata_sozial.services.changes import DatasetChange
from opendata_sozial.services.releases import ReleaseSummary, RowPage
from opendata_sozial.services.row_diff import RowChange
from opendata_sozial.urls import Urls

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
    title: str
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
    previous: int | None = None


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


def _change_view(
    change: DatasetChange, number: int, urls: Urls, titles: dict[str, str]
) -> ChangeView:
    return ChangeView(
        dataset=change.dataset,
        title=titles.get(change.dataset, change.dataset),
        kind=KIND_LABELS.get(change.kind, change.kind),
        is_breaking=change.is_breaking,
        details=change_details(change),
        api_url=urls.pinned_to(number).dataset(change.dataset),
    )


def build_history(history: list[ReleaseSummary], urls: Urls) -> list[ReleaseView]:
    """Every release, newest first, with its changes."""
    return [
        ReleaseView(
            number=s.info.number,
            date=format_date(s.info.created_at.date()),
            notes=s.notes,
            changes=[_change_view(c, s.info.number, urls, s.titles) for c in s.changes],
            api_url=urls.release_api(s.info.number),
            previous=s.previous,
        )
        for s in history
    ]


def dataset_versions(history: list[ReleaseSummary], name: str, urls: Urls) -> list[ReleaseView]:
    """The releases in which ``name`` was added, changed or removed, newest first."""
    views = []
    for view in build_history(history, urls):
        mine = [c for c in view.changes if c.dataset == name]
        if mine:
            views.append(
                ReleaseView(
                    number=view.number,
                    date=view.date,
                    notes=view.notes,
                    changes=mine,
                    api_url=view.api_url,
                    previous=view.previous,
                )
            )
    return views


@dataclass(frozen=True, slots=True)
class RowChangeView:
    """One changed row in words: what happened, its key, and old → new per column."""

    kind: str
    key: list[tuple[str, str]]
    values: list[tuple[str, str, str]]


@dataclass(frozen=True, slots=True)
class RowChangesView:
    """A page of the changed rows between two releases of a dataset."""

    old: int
    new: int
    resource: str
    summary: str
    rows: list[RowChangeView]
    first: int
    next_page: int | None
    previous_page: int | None
    api_url: str


def _text(value: object) -> str:
    return "–" if value is None else format_cell(value, decimals=decimals_of([value]))


def _row_view(change: RowChange) -> RowChangeView:
    old, new = change.old or {}, change.new or {}
    columns = list(dict.fromkeys([*old, *new]))
    return RowChangeView(
        kind=KIND_LABELS.get(change.kind, change.kind),
        key=[(name, _text(value)) for name, value in change.key.items()],
        values=[
            (
                name,
                _text(old.get(name)) if change.kind != "added" else "",
                _text(new.get(name)) if change.kind != "removed" else "",
            )
            for name in columns
        ],
    )


def build_row_changes(
    found: RowPage, span: tuple[int, int], page: int, api_url: str
) -> RowChangesView:
    """The page model of ``found`` (page number ``page``)."""
    counts = found.counts
    if found.kind == "removed":
        summary = (
            f"Der Datensatz ist in Veröffentlichung {span[1]} nicht mehr enthalten (zurückgezogen)."
        )
    elif found.kind == "added":
        summary = f"Der Datensatz ist in Veröffentlichung {span[1]} neu hinzugekommen."
    elif counts is None:
        summary = "Die Zeilen dieser Ressource sind unverändert."
    elif not counts.is_comparable:
        summary = (
            f"Der Schlüssel der Tabelle hat sich geändert; Zeilen lassen sich nicht einzeln "
            f"zuordnen ({counts.removed} Zeilen vorher, {counts.added} nachher)."
        )
    else:
        summary = (
            f"{counts.added} Zeilen neu, {counts.changed} geändert, {counts.removed} entfernt."
        )
        if counts.listed is None:
            summary += " Einzelne Zeilen sind für Veröffentlichungen vor dieser Funktion nicht verzeichnet."
        elif counts.listed < counts.added + counts.changed + counts.removed:
            summary += f" Verzeichnet sind die ersten {counts.listed} Änderungen."
    listed = 0 if counts is None or counts.listed is None else counts.listed
    return RowChangesView(
        old=span[0],
        new=span[1],
        resource=found.resource,
        summary=summary,
        rows=[_row_view(r) for r in found.rows],
        first=found.offset + 1,
        next_page=page + 1 if found.offset + len(found.rows) < listed else None,
        previous_page=page - 1 if page > 1 else None,
        api_url=api_url,
    )
