"""Releases: pinned URLs, history, change feed (JSON Feed and Atom), diffs, citations, config."""

import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, cast
from xml.etree.ElementTree import Element, SubElement, tostring

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import PathParameter, QueryParameter
from litestar.types import (
    HTTPScope,
)

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.citation import STYLE_MEDIA, STYLES, citation
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.changes import DatasetChange
from opendata_sozial.services.releases import ReleaseService, ReleaseSummary, iso
from opendata_sozial.services.row_diff import MAX_STORED_ROWS
from opendata_sozial.urls import API_PREFIX, Urls
from opendata_sozial.web.http import HeadAsGetLitestar
from opendata_sozial.web.params import CitationStyle
from opendata_sozial.web.params import DatasetName as Name
from opendata_sozial.web.request_release import RequestRelease, hold_release

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PINNED = re.compile(r"^/api/v1/releases/(?P<number>[1-9][0-9]{0,8})(?P<rest>/datasets(?:/.*)?)$")


class ReleasePinningLitestar(HeadAsGetLitestar):
    """Serve ``/api/v1/releases/{n}/datasets/…`` as ``/api/v1/datasets/…`` of release ``n``.

    The rewrite must happen before routing (Litestar's middleware runs after it), so it sits at
    the ASGI entry point like the HEAD handling. Every HTTP request gets its
    :class:`~opendata_sozial.web.request_release.RequestRelease` here (the pin of the path, or
    the current release looked up once), which the ETags, the response cache, the links and
    the handlers all read: a publish switching releases mid-request never gives an answer
    whose ETag and body disagree.
    """

    def __init__(self, *args: Any, catalog: CatalogService, **kwargs: Any) -> None:  # noqa: ANN401  # Litestar's own arguments
        """Litestar with ``catalog`` as the source of every request's release."""
        super().__init__(*args, **kwargs)
        self._catalog = catalog

    def before_routing(self, scope: HTTPScope) -> HTTPScope:
        """Hold the request to one release, pinned by its path or the current one."""
        match = PINNED.match(str(scope.get("path", "")))
        if match is None:
            hold_release(scope, self._catalog, None)
            return scope
        path = f"{API_PREFIX}{match['rest']}"
        pinned = cast("HTTPScope", {**scope, "path": path, "raw_path": path.encode()})
        hold_release(pinned, self._catalog, int(match["number"]))
        return pinned


DIFF_PAGE_SIZE = 100
DIFF_PAGE_MAX = 1_000
RELEASE_NUMBER_MAX = 2_147_483_647
"""Largest release number a URL may name (PostgreSQL ``integer``); larger ones are a 400."""


def _change(change: DatasetChange) -> dict[str, Any]:
    return change.to_dict()


def _summary(summary: ReleaseSummary, urls: Urls) -> dict[str, Any]:
    return {
        "release": summary.info.number,
        "created": iso(summary.info.created_at),
        "notes": summary.notes,
        "url": urls.pinned_to(summary.info.number).datasets(),
        "is_breaking": any(c.is_breaking for c in summary.changes),
        "plan": summary.plan,
        "changes": [
            {**_change(c), **_diff_links(urls, c.dataset, summary.previous, summary.info.number)}
            for c in summary.changes
        ],
    }


def _describe(change: DatasetChange) -> str:
    parts = [
        {"added": "neu", "removed": "entfernt", "changed": "geändert"}.get(change.kind, change.kind)
    ]
    for res in change.resources:
        if res.rows is not None:
            parts.append(
                f"{res.resource}: +{res.rows.added} / ~{res.rows.changed} / −{res.rows.removed} Zeilen"
            )
        parts += [
            f"{res.resource}: {c.detail}" + (" (nicht abwärtskompatibel)" if c.is_breaking else "")
            for c in res.schema
        ]
    if change.metadata:
        parts.append("Metadaten: " + ", ".join(change.metadata))
    return "; ".join(parts)


def _diff_links(urls: Urls, name: str, old: int | None, new: int) -> dict[str, str]:
    """Where a release's change of one dataset can be read row by row (API and page)."""
    if old is None:
        return {}
    return {
        "diff_url": urls.diff(name, old, new),
        "rows_url": urls.diff_rows(name, old, new),
        "page_url": urls.versions_page(name, old, new),
    }


def _plan_entry(plan: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """This dataset's line of the release's publish plan (group and row counts)."""
    for group in ("added", "changed", "withdrawn"):
        for entry in (plan or {}).get(group, []):
            if entry.get("name") == name:
                return {"group": group, **entry}
    return None


def _feed_items(history: list[ReleaseSummary], urls: Urls) -> list[dict[str, Any]]:
    items = []
    for summary in history:
        for change in summary.changes:
            links = _diff_links(urls, change.dataset, summary.previous, summary.info.number)
            items.append(
                {
                    "id": urls.release_change(summary.info.number, change.dataset),
                    "url": urls.pinned_to(summary.info.number).dataset(change.dataset),
                    "title": f"Release {summary.info.number}: {change.dataset} {'⚠ ' if change.is_breaking else ''}({change.kind})",
                    "content_text": _describe(change),
                    "date_published": iso(summary.info.created_at),
                    "tags": [change.kind, *(["breaking"] if change.is_breaking else [])],
                    **({"external_url": links["page_url"]} if links else {}),
                    "_opendata_sozial": {
                        **_change(change),
                        **links,
                        "plan": _plan_entry(summary.plan, change.dataset),
                    },
                }
            )
    return items


def _atom(history: list[ReleaseSummary], urls: Urls) -> str:
    """The change feed as Atom 1.0, built as an element tree: escaping is by construction."""
    updated = iso(history[0].info.created_at) if history else iso(datetime.now(UTC))
    feed = Element("feed", {"xmlns": ATOM, XML_LANG: "de"})
    SubElement(feed, "id").text = urls.changes_atom()
    SubElement(feed, "title").text = "Änderungen – Sozialberichterstattung NRW"
    SubElement(feed, "link", rel="self", href=urls.changes_atom())
    SubElement(feed, "updated").text = updated
    SubElement(SubElement(feed, "author"), "name").text = "opendata-sozial"
    for item in _feed_items(history, urls):
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = item["id"]
        SubElement(entry, "title").text = item["title"]
        SubElement(entry, "link", href=item["url"])
        SubElement(entry, "updated").text = item["date_published"]
        if "external_url" in item:
            SubElement(entry, "link", rel="related", type="text/html", href=item["external_url"])
        for tag in item["tags"]:
            SubElement(entry, "category", term=tag)
        SubElement(entry, "summary").text = item["content_text"]
    return f'<?xml version="1.0" encoding="utf-8"?>\n{tostring(feed, encoding="unicode")}\n'


def _release_number(name: str, description: str, example: int) -> QueryParameter:
    """A query parameter naming one release by its number."""
    return QueryParameter(
        name=name,
        description=description,
        examples=[Example(value=example)],
        ge=1,
        le=RELEASE_NUMBER_MAX,
    )


FromRelease = Annotated[int, _release_number("from", "älteres Release", 1)]
ToRelease = Annotated[int, _release_number("to", "neueres Release", 2)]


class ReleaseController(Controller):
    """Release history and the change feed."""

    path = "/api/v1"
    tags = ["Releases"]  # noqa: RUF012  # Litestar declares it as an instance attribute

    @get(
        "/releases",
        operation_id="ListReleases",
        summary="Alle Releases mit ihren Änderungen",
        sync_to_thread=True,
    )
    def list_releases(
        self, releases: NamedDependency[ReleaseService], urls: NamedDependency[Urls]
    ) -> dict[str, Any]:
        """Newest first; each release lists the datasets it added, removed or changed."""
        return {"releases": [_summary(s, urls) for s in releases.history()]}

    @get(
        "/releases/{number:int}",
        operation_id="GetRelease",
        summary="Ein Release mit seinen Änderungen",
        sync_to_thread=True,
    )
    def get_release(
        self,
        releases: NamedDependency[ReleaseService],
        urls: NamedDependency[Urls],
        number: Annotated[
            int,
            PathParameter(
                description="Release-Nummer",
                examples=[Example(value=1)],
                ge=1,
                le=RELEASE_NUMBER_MAX,
            ),
        ],
    ) -> dict[str, Any]:
        """One release; its datasets are served under ``/api/v1/releases/{number}/datasets``."""
        return _summary(releases.summary(number), urls)

    @get(
        "/changes",
        operation_id="ChangeFeed",
        summary="Änderungen als JSON Feed",
        sync_to_thread=True,
        media_type="application/feed+json",
    )
    def change_feed(
        self, releases: NamedDependency[ReleaseService], urls: NamedDependency[Urls]
    ) -> dict[str, Any]:
        """JSON Feed 1.1: one item per changed dataset and release; schema breaks are tagged."""
        return {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Änderungen – Sozialberichterstattung NRW",
            "home_page_url": urls.home(),
            "feed_url": urls.changes_feed(),
            "language": "de",
            "items": _feed_items(releases.history(), urls),
        }

    @get(
        "/changes.atom",
        operation_id="ChangeFeedAtom",
        summary="Änderungen als Atom-Feed",
        sync_to_thread=True,
        media_type="application/atom+xml",
    )
    def change_feed_atom(
        self, releases: NamedDependency[ReleaseService], urls: NamedDependency[Urls]
    ) -> str:
        """The same items as Atom 1.0."""
        return _atom(releases.history(), urls)

    @get(
        "/datasets/{name:str}/diff",
        operation_id="DiffDataset",
        summary="Unterschiede eines Datensatzes zwischen zwei Releases",
        sync_to_thread=True,
    )
    def diff_dataset(
        self,
        releases: NamedDependency[ReleaseService],
        name: Name,
        old: FromRelease,
        new: ToRelease,
    ) -> dict[str, Any]:
        """Schema changes (breaking flagged), metadata keys and row counts added/changed/removed."""
        return {"from": old, "to": new, **releases.diff(name, old, new).to_dict()}

    @get(
        "/datasets/{name:str}/diff/rows",
        operation_id="DiffDatasetRows",
        summary="Geänderte Zeilen eines Datensatzes zwischen zwei Releases (mit alten und neuen Werten)",
        sync_to_thread=True,
    )
    def diff_rows(
        self,
        releases: NamedDependency[ReleaseService],
        urls: NamedDependency[Urls],
        name: Name,
        old: FromRelease,
        new: ToRelease,
        resource: Annotated[
            str | None,
            QueryParameter(description="Ressource (Standard: die erste)", required=False),
        ] = None,
        size: Annotated[
            int,
            QueryParameter(name="_size", description="Zeilen je Seite", ge=1, le=DIFF_PAGE_MAX),
        ] = DIFF_PAGE_SIZE,
        page: Annotated[
            int, QueryParameter(description="Seite (ab 1)", ge=1, le=MAX_STORED_ROWS)
        ] = 1,
    ) -> dict[str, Any]:
        """Each added, removed or changed row by its key; for a change only the differing values."""
        found = releases.diff_rows(name, old, new, resource, (page - 1) * size, size)
        counts = found.counts
        listed = 0 if counts is None or counts.listed is None else counts.listed
        has_more = found.offset + len(found.rows) < listed
        following = urls.diff_rows(
            name, old, new, resource=found.resource, _size=size, page=page + 1
        )
        return {
            "dataset": name,
            "kind": found.kind,
            "resource": found.resource,
            "resources": found.resources,
            "from": old,
            "to": new,
            "counts": None if counts is None else asdict(counts),
            "page": page,
            "size": size,
            "rows": [r.to_dict() for r in found.rows],
            "next": following if has_more else None,
        }

    @get(
        "/datasets/{name:str}/citation",
        operation_id="CiteDataset",
        summary=f"Zitiervorschlag ({', '.join(STYLES)})",
        sync_to_thread=True,
    )
    def cite_dataset(
        self,
        catalog: NamedDependency[CatalogService],
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        name: Name,
        style: CitationStyle = "text",
    ) -> Response[str]:
        """A citation of the dataset as served (pinned URLs cite the pinned release)."""
        if style not in STYLES:
            raise InvalidParameter(f"format: {style!r} ist ungültig; gültig: {', '.join(STYLES)}")
        record = catalog.get_dataset(release.info(), name)
        text = citation(
            record,
            record.release,
            urls,
            datetime.now(UTC).date(),
            style,
            url=urls.dataset(name),
        )
        return Response(text, media_type=STYLE_MEDIA[style])
