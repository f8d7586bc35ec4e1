"""The dataset page as data: facts, preview, chart, downloads, snippets and citations.

Built from the typed records the API answers from (``DatasetRecord.model``, ``ReleaseRows.page``
and ``ReleaseRows.values``) and the request's ``Urls``; the template only lays it out.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any, Final
from urllib.parse import urlencode

from opendata_sozial import media
from opendata_sozial.domain import FREQUENCIES, GEOCODING_LEVELS, STATUS_CODES, web_url
from opendata_sozial.errors import OpendataError
from opendata_sozial.formats.citation import citation
from opendata_sozial.formats.formatting import (
    format_bytes,
    format_count,
    format_date,
    format_period_range,
)
from opendata_sozial.formats.structured_data import Distribution, dataset_jsonld
from opendata_sozial.media import file_format
from opendata_sozial.model.dataset import REGION_PACKAGE, Dataset, Field, Spatial
from opendata_sozial.query.filters import split_list
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.services.rows import ReleaseRows
from opendata_sozial.urls import Urls
from opendata_sozial.views.chart import NARROW_WIDTH, WIDTH, Chart, build_charts
from opendata_sozial.views.cross_view import CrossView, ViewLinks, build_cross_view, view_links
from opendata_sozial.views.footnotes import NoteList, anchors, note_list
from opendata_sozial.views.preview import (
    CHOICE_OPS,
    FilterControl,
    PreviewRequest,
    PreviewTable,
    filter_controls,
    filter_fields,
    parse_preview,
    preview_table,
)
from opendata_sozial.views.snippets import Snippet, usage_snippets

CHART_ROW_LIMIT: Final = 2000
SHOWN_REGIONS: Final = 8
AREA_KINDS: Final[dict[int, tuple[str, str]]] = {
    2: ("Land", "Länder"),
    3: ("Regierungsbezirk", "Regierungsbezirke"),
    5: ("Kreis oder kreisfreie Stadt", "Kreise und kreisfreie Städte"),
    8: ("Gemeinde", "Gemeinden"),
    9: ("Gemeindeverband", "Gemeindeverbände"),
}
"""Kinds of area by the length of the amtlicher Regionalschlüssel (AGS), singular and plural."""
TYPE_LABELS: Final = {
    "year": "Jahr",
    "integer": "Ganzzahl",
    "number": "Zahl",
    "date": "Datum",
    "string": "Text",
    "boolean": "Wahrheitswert",
}
COMPLETENESS: Final = {"complete": "vollständig", "partial": "Auszug (siehe Beschreibung)"}
RDF_FORMATS: Final = (
    ("ttl", "text/turtle", "RDF (Turtle)", "in Turtle, gut lesbar"),
    ("rdf", "application/rdf+xml", "RDF/XML", "als RDF/XML"),
    ("jsonld", "application/ld+json", "JSON-LD", "als JSON-LD"),
)
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True, slots=True)
class Link:
    """A labelled link."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class ResourceUrls:
    """Where a resource's rows and downloads are (as ``GET /api/v1/datasets/{name}`` links them)."""

    rows: str
    original: str
    csv: str
    csv_excel_de: str
    json: str
    ndjson: str
    xlsx: str

    def selected(self, query: Sequence[tuple[str, str]]) -> "ResourceUrls":
        """The generated downloads limited to a selection (filters and sort); the rest as is."""
        text = urlencode(list(query))
        return replace(
            self,
            csv=f"{self.csv}?{text}",
            csv_excel_de=f"{self.csv_excel_de}&{text}",
            json=f"{self.json}?{text}",
            ndjson=f"{self.ndjson}?{text}",
            xlsx=f"{self.xlsx}?{text}",
        )

    @classmethod
    def of(cls, urls: Urls, name: str, resource: str) -> "ResourceUrls":
        """The URLs of ``resource`` of dataset ``name`` for this request."""
        base = urls.resource(name, resource)
        return cls(
            rows=f"{base}/rows",
            original=f"{base}.csv",
            csv=f"{base}/rows.csv",
            csv_excel_de=f"{base}/rows.csv?profile=excel-de",
            json=f"{base}/rows.json",
            ndjson=f"{base}/rows.ndjson",
            xlsx=f"{base}/rows.xlsx",
        )


@dataclass(frozen=True, slots=True)
class Fact:
    """A key fact: a label, a text and optional links."""

    label: str
    text: str = ""
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Download:
    """A download: format, what it contains, URL, size (or row count) and media type."""

    label: str
    description: str
    url: str
    size: str
    media_type: str


@dataclass(frozen=True, slots=True)
class FieldDoc:
    """One column of the Table Schema, for the field list."""

    name: str
    title: str
    type: str
    unit: str
    description: str


@dataclass(frozen=True, slots=True)
class Preview:
    """The table preview of the selected resource."""

    resource: str
    resources: list[Link]
    controls: list[FilterControl]
    hidden: list[tuple[str, str]]
    active: list[str]
    reset_url: str | None
    table: PreviewTable
    exports: list[Link]
    views: ViewLinks
    cross: CrossView | None
    request: PreviewRequest
    """The parsed page state (filters, sort, view, map), the default table left out."""


@dataclass(frozen=True, slots=True)
class DatasetBasics:
    """What the page of every dataset shows, with tables or with files only."""

    name: str
    title: str
    paragraphs: list[list[tuple[str, bool]]]
    facts: list[Fact]
    attribution: str
    downloads: list[Download]
    metadata: list[Download]
    citations: list[tuple[str, str, str]]
    jsonld: dict[str, Any]
    alternates: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class DatasetPage(DatasetBasics):
    """Everything the dataset page shows: the basics, and what its tables add."""

    breaks: list[tuple[str, str]]
    footnotes: NoteList
    status_codes: list[tuple[str, str]]
    fields: list[FieldDoc]
    preview: Preview
    charts: list[Chart]
    snippets: list[Snippet]


def paragraphs(text: str) -> list[list[tuple[str, bool]]]:
    """Description paragraphs as (text, is_code) spans; `backticks` mark field names."""
    result = []
    for block in filter(None, (b.strip() for b in text.split("\n\n"))):
        parts = _CODE.split(block)
        result.append([(part, index % 2 == 1) for index, part in enumerate(parts) if part])
    return result


def _regions(rows: ReleaseRows, spatial: Spatial | None) -> str:
    """The covered areas, counted per level and named without ambiguity.

    ``1 Land, 5 Regierungsbezirke, 53 Kreise und kreisfreie Städte: Nordrhein-Westfalen;
    Reg.-Bez. Düsseldorf; Düsseldorf, Stadt; … und 51 weitere`` (names from ``nrw-regionen``
    where available; semicolons, because official names contain commas).
    """
    code = (spatial.level if spatial else None) or ""
    keys = list(spatial.keys) if spatial else []
    if not keys:
        return f"Ebene: {GEOCODING_LEVELS.get(code, code)}"
    params = {"ags__in": [",".join(keys)], "_select": ["ags,name"], "_size": [str(len(keys))]}
    try:
        names: dict[object, object] = dict(rows.page(*REGION_PACKAGE, params).rows)
    except OpendataError:
        names = {}
    shown = [str(names.get(k, k)) for k in keys[:SHOWN_REGIONS]]
    more = f" und {len(keys) - SHOWN_REGIONS} weitere" if len(keys) > SHOWN_REGIONS else ""
    return f"{_level_counts(keys)}: {'; '.join(shown)}{more}"


def _level_counts(keys: Sequence[str]) -> str:
    """``1 Land, 53 Kreise und kreisfreie Städte`` from the lengths of the regional keys."""
    counts: dict[int, int] = {}
    for key in keys:
        counts[len(key)] = counts.get(len(key), 0) + 1
    parts = []
    for length, count in sorted(counts.items()):
        one, many = AREA_KINDS.get(length, ("Gebiet", "Gebiete"))
        parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def _facts(record: DatasetRecord, regions: str, chapters: Mapping[str, str]) -> list[Fact]:
    dataset = record.model
    period = dataset.period
    chapter = dataset.chapter
    facts = [
        Fact(
            "Berichtszeitraum",
            format_period_range(*((period.start, period.end) if period else ("", ""))),
        ),
        Fact("Gebiet", regions),
        Fact(
            "Kapitel",
            links=(
                Link(chapters.get(chapter, chapter), f"/suche?{urlencode({'theme': chapter})}"),
            ),
        ),
        Fact("Quelle", links=tuple(Link(s.title, web_url(s.path) or "") for s in dataset.sources)),
        Fact(
            "Herausgeber",
            links=tuple(
                Link(c.title, web_url(c.path, contact=True) or "") for c in dataset.publishers
            ),
        ),
        Fact(
            "Statistische Stelle",
            links=tuple(
                Link(c.title, web_url(c.path, contact=True) or "") for c in dataset.producers
            ),
        ),
        Fact(
            "Lizenz",
            links=tuple(
                Link(x.name if x.title is None else x.title, web_url(x.path) or "")
                for x in dataset.licences
            ),
        ),
        Fact("Aktualisierung", FREQUENCIES.get(str(dataset.accrual_periodicity), "")),
        Fact("Vollständigkeit", COMPLETENESS.get(str(dataset.completeness), "")),
        Fact("Veröffentlicht", f"zuletzt aktualisiert am {format_date(record.modified)}"),
        Fact(
            "Veröffentlichungsstand",
            f"Nr. {record.release}" + (f", Ausgabe {dataset.version}" if dataset.version else ""),
        ),
        Fact(
            "Fußnoten zur ganzen Tabelle",
            links=tuple(
                Link(n.marker, f"#{anchor}")
                for n, anchor in zip(
                    dataset.footnotes, anchors(dataset.footnotes).values(), strict=True
                )
                if n.is_table_wide
            ),
        ),
    ]
    return [fact for fact in facts if fact.text or fact.links]


def _field_docs(fields: Sequence[Field]) -> list[FieldDoc]:
    return [
        FieldDoc(
            name=f.name,
            title=f.title or "",
            type=TYPE_LABELS.get(f.type, f.type),
            unit=f.unit or (f"siehe {f.unit_field}" if f.unit_field else ""),
            description=f.description,
        )
        for f in fields
    ]


def _downloads(d: ResourceUrls, size: int | None, rows: int) -> list[Download]:
    count = format_count(rows, "Zeile", "Zeilen")
    return [
        Download(
            "CSV (Original)",
            "Originaldatei des Datenpakets: UTF-8, Komma als Trennzeichen, Punkt als Dezimalzeichen",
            d.original,
            format_bytes(size),
            media.CSV,
        ),
        Download(
            "CSV für Excel",
            "Semikolon, Dezimalkomma, UTF-8 mit BOM; Schlüssel behalten führende Nullen",
            d.csv_excel_de,
            count,
            media.CSV,
        ),
        Download(
            "Excel (XLSX)",
            "Arbeitsmappe mit Blatt „Metadaten“ (Quelle, Lizenz, Fußnoten, Zeichen)",
            d.xlsx,
            count,
            media.XLSX,
        ),
        Download(
            "CSV der gewählten Zeilen",
            "Die Zeilen der Auswahl (ohne Filter alle), Komma als Trennzeichen (RFC 4180)",
            d.csv,
            count,
            media.CSV,
        ),
        Download("JSON", "Array von Objekten, eine Zeile je Objekt", d.json, count, media.JSON),
        Download(
            "NDJSON", "Ein JSON-Objekt je Zeile (für Streaming)", d.ndjson, count, media.NDJSON
        ),
    ]


def _metadata_downloads(name: str, urls: Urls, datapackage_bytes: int) -> list[Download]:
    downloads = [
        Download(
            "datapackage.json",
            "Beschreibung des Datenpakets zum Einlesen: Spalten, Quellen, Fußnoten, Zeitreihenbrüche",
            f"{urls.dataset(name)}/datapackage.json",
            format_bytes(datapackage_bytes),
            media.JSON,
        ),
    ]
    downloads += [
        Download(
            label,
            f"DCAT-AP.de-Metadaten {note}",
            urls.dataset_record_file(name, suffix),
            "",
            media_type,
        )
        for suffix, media_type, label, note in RDF_FORMATS
    ]
    return downloads


def _without_default_resource(dataset: Dataset, request: PreviewRequest) -> PreviewRequest:
    """Leave the first resource (the default) out of the page's URLs."""
    if request.resource == _tables(dataset)[0]:
        return replace(request, resource=None)
    return request


def _resource_name(dataset: Dataset, request: PreviewRequest) -> str:
    """The requested resource (an unknown one fails in the rows service), else the first table."""
    return request.resource or _tables(dataset)[0]


def _tables(dataset: Dataset) -> list[str]:
    """The names of the table resources (files such as GeoJSON have no rows to preview)."""
    return [r.name for r in dataset.resources if file_format(r) is None]


def _preview(
    rows: ReleaseRows, record: DatasetRecord, request: PreviewRequest, urls: Urls
) -> tuple[Preview, Any]:
    """The preview and the page of rows it shows (its schema drives the rest of the page)."""
    name = record.name
    path = f"/datensaetze/{name}"
    resource = _resource_name(record.model, request)
    page = rows.page(name, resource, request.rows_params())
    table = page.resource.model
    values = {f.name: rows.values(name, resource, f.name, {})[1] for f in filter_fields(table)}
    controls = filter_controls(table, values, request)
    offered = {c.name for c in controls}
    fields = page.resource.model.fields
    titles = {f.name: f.label for f in fields}
    order = {f.name: index for index, f in enumerate(fields)}
    export_query = urlencode(request.export_query())
    d = ResourceUrls.of(urls, name, resource)
    exports = [
        Link("CSV", f"{d.csv}?{export_query}"),
        Link(
            "CSV für Excel",
            f"{d.csv}?{urlencode([('profile', 'excel-de'), *request.export_query()])}",
        ),
        Link("Excel (XLSX)", f"{d.xlsx}?{export_query}"),
        Link("JSON", f"{d.json}?{export_query}"),
    ]
    views = view_links(table, request, path)
    if views.cross_url:
        cross_csv = f"{urls.resource(name, resource)}/crosstab.csv"
        exports += [
            Link("Zeiträume als Spalten (CSV)", f"{cross_csv}?{views.cross_csv}"),
            Link(
                "Zeiträume als Spalten (CSV für Excel)",
                f"{cross_csv}?{urlencode([('profile', 'excel-de'), *request.export_query()])}",
            ),
        ]
    resources = [Link(r, PreviewRequest(resource=r).url(path)) for r in _tables(record.model)]
    preview = Preview(
        resource=resource,
        resources=resources if len(resources) > 1 else [],
        controls=controls,
        hidden=[
            *((k, v) for k, v in request.filters if not _is_menu(k, offered)),
            *request.state,
        ],
        active=[
            f"{titles.get(k.split('__')[0], k)}: {_filter_text(k, v)}"
            for k, v in sorted(request.filters, key=lambda kv: order.get(kv[0].split("__")[0], 0))
        ],
        reset_url=PreviewRequest(resource=request.resource).url(path) if request.filters else None,
        table=preview_table(page, request, path, anchors(record.model.footnotes)),
        exports=exports,
        views=views,
        cross=build_cross_view(rows, name, table, request) if views.is_cross else None,
        request=request,
    )
    return preview, page


def _is_menu(key: str, offered: set[str]) -> bool:
    """Whether the filter ``key`` is one a filter menu shows (``field`` or ``field__in``)."""
    name, _, op = key.partition("__")
    return name in offered and op in CHOICE_OPS


def _filter_text(key: str, value: str) -> str:
    """``2019`` or ``2019 oder 2020`` (for ``__in``) in the line above the table."""
    return " oder ".join(split_list(value, key)) if key.endswith("__in") else value


def _charts(rows: ReleaseRows, record: DatasetRecord, request: PreviewRequest) -> list[Chart]:
    """The chart of the filtered rows in the table's order, wide and narrow (none without numbers)."""
    params = {**request.rows_params(), "_size": [str(CHART_ROW_LIMIT)]}
    params.pop("_cursor", None)
    page = rows.page(record.name, _resource_name(record.model, request), params)
    charts = build_charts(
        columns=page.columns,
        rows=page.rows,
        table=page.resource.model,
        breaks=record.model.breaks,
        total=page.total,
        widths=(WIDTH, NARROW_WIDTH),
        ordered=request.sort is not None,
    )
    return [chart for chart in charts if chart is not None]


def _example_filter(preview: Preview) -> list[tuple[str, str]]:
    """A filter for the curl example: the shortest first value of any menu (e.g. a year)."""
    firsts = [(c.name, c.options[1].value) for c in preview.controls if len(c.options) > 1]
    return [min(firsts, key=lambda pair: len(pair[1]))] if firsts else []


@dataclass(frozen=True, slots=True)
class PageInputs:
    """What the page of a dataset is built from, with tables or with files only."""

    record: DatasetRecord
    datapackage_bytes: int
    """Size of the served ``datapackage.json``, for its download link."""
    rows: ReleaseRows
    urls: Urls
    accessed: date
    """The access date citations name."""
    chapters: Mapping[str, str]
    catalog_title: str


def dataset_basics(
    inputs: PageInputs,
    regions: str,
    downloads: list[Download],
    metadata: list[Download],
    whole: Sequence[Download] | None = None,
) -> DatasetBasics:
    """What every dataset page shows, ``downloads`` and ``metadata`` being its download links.

    ``whole`` are the unfiltered files where ``downloads`` follow the page's filters: the
    JSON-LD always describes the whole dataset.
    """
    record, urls, dataset = inputs.record, inputs.urls, inputs.record.model
    return DatasetBasics(
        name=record.name,
        title=record.title,
        paragraphs=paragraphs(dataset.description),
        facts=_facts(record, regions, inputs.chapters),
        attribution=dataset.attribution or "",
        downloads=downloads,
        metadata=metadata,
        citations=page_citations(record, urls, inputs.accessed),
        jsonld=page_jsonld(
            record, urls, regions, inputs.catalog_title, [*(whole or downloads), *metadata]
        ),
        alternates=page_alternates(record, urls),
    )


def basics_of(basics: DatasetBasics) -> dict[str, Any]:
    """The basics as the keyword arguments of a page that adds to them (not copied)."""
    return {f.name: getattr(basics, f.name) for f in dataclass_fields(DatasetBasics)}


def build_dataset_page(inputs: PageInputs, params: Mapping[str, Sequence[str]]) -> DatasetPage:
    """Assemble the dataset page for the request's preview state (``params``)."""
    record, rows, urls = inputs.record, inputs.rows, inputs.urls
    dataset = record.model
    request = _without_default_resource(dataset, parse_preview(params))
    preview, page = _preview(rows, record, request, urls)
    d = ResourceUrls.of(urls, record.name, preview.resource)
    resource = dataset.resource(preview.resource)
    size = resource.bytes if resource else None
    whole = _downloads(d, size, page.resource.row_count)
    query = preview.request.export_query()
    downloads = _downloads(d.selected(query), size, page.total) if query else whole
    metadata = _metadata_downloads(record.name, urls, inputs.datapackage_bytes)
    regions = _regions(rows, dataset.spatial)
    return DatasetPage(
        **basics_of(dataset_basics(inputs, regions, downloads, metadata, whole)),
        breaks=[(b.period, b.description) for b in dataset.breaks],
        footnotes=note_list(dataset.footnotes, preview.table.referenced),
        status_codes=list(STATUS_CODES.items()),
        fields=_field_docs(page.resource.model.fields),
        preview=preview,
        charts=_charts(rows, record, request),
        snippets=usage_snippets(
            resource=preview.resource,
            table=page.resource.model,
            original_url=d.original,
            rows_url=d.rows,
            excel_url=d.csv_excel_de,
            example=_example_filter(preview),
        ),
    )


def page_citations(record: DatasetRecord, urls: Urls, accessed: date) -> list[tuple[str, str, str]]:
    """The dataset's citation in the styles a page offers: (style, label, text)."""
    return [
        (style, label, citation(record, record.release, urls, accessed, style))
        for style, label in (("text", "Text"), ("bibtex", "BibTeX"), ("ris", "RIS"))
    ]


def page_jsonld(
    record: DatasetRecord,
    urls: Urls,
    regions: str,
    catalog_title: str,
    links: Sequence[Download],
) -> dict[str, Any]:
    """schema.org ``Dataset`` of a dataset page, with ``links`` as its distributions."""
    return dataset_jsonld(
        dataset=record.model,
        page_url=urls.page(record.name),
        modified=record.modified,
        spatial=regions,
        catalog=(catalog_title, urls.home()),
        distributions=[Distribution(x.label, x.url, x.media_type) for x in links],
    )


def page_alternates(record: DatasetRecord, urls: Urls) -> list[tuple[str, str]]:
    """The other formats of a dataset page: the API's JSON and the DCAT records."""
    return [
        (media.JSON, urls.dataset(record.name)),
        *[
            (media_type, urls.dataset_record_file(record.name, suffix))
            for suffix, media_type, _, _ in RDF_FORMATS
        ],
    ]
