"""The dataset page as data: facts, preview, chart, downloads, snippets and citations.

Built from the same calls as the API (the dataset detail of ``GET /api/v1/datasets/{name}``,
``ReleaseRows.page`` and ``ReleaseRows.values``); the template only lays it out.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final
from urllib.parse import urlencode

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
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.services.rows import ReleaseRows
from opendata_sozial.urls import Urls, page_path
from opendata_sozial.views.chart import NARROW_WIDTH, WIDTH, Chart, build_chart
from opendata_sozial.views.preview import (
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
REGION_PACKAGE: Final = ("nrw-regionen", "regionen")
SHOWN_REGIONS: Final = 8
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


@dataclass(frozen=True, slots=True)
class DatasetPage:
    """Everything the dataset page shows."""

    name: str
    title: str
    paragraphs: list[list[tuple[str, bool]]]
    facts: list[Fact]
    attribution: str
    breaks: list[tuple[str, str]]
    footnotes: list[tuple[str, str, bool]]
    status_codes: list[tuple[str, str]]
    fields: list[FieldDoc]
    preview: Preview
    charts: list[Chart]
    downloads: list[Download]
    metadata: list[Download]
    snippets: list[Snippet]
    citations: list[tuple[str, str, str]]
    jsonld: dict[str, Any]
    alternates: list[tuple[str, str]]


def paragraphs(text: str) -> list[list[tuple[str, bool]]]:
    """Description paragraphs as (text, is_code) spans; `backticks` mark field names."""
    result = []
    for block in filter(None, (b.strip() for b in text.split("\n\n"))):
        parts = _CODE.split(block)
        result.append([(part, index % 2 == 1) for index, part in enumerate(parts) if part])
    return result


def _regions(rows: ReleaseRows, spatial: Mapping[str, Any]) -> str:
    """The level and names of the covered regions (from ``nrw-regionen`` where available)."""
    level = GEOCODING_LEVELS.get(str(spatial.get("level", "")), str(spatial.get("level", "")))
    keys = [str(k) for k in spatial.get("keys", [])]
    if not keys:
        return f"Ebene: {level}"
    params = {"ags__in": [",".join(keys)], "_select": ["ags,name"], "_size": [str(len(keys))]}
    try:
        names: dict[object, object] = dict(rows.page(*REGION_PACKAGE, params).rows)
    except OpendataError:
        names = {}
    shown = [str(names.get(k, k)) for k in keys[:SHOWN_REGIONS]]
    more = f" und {len(keys) - SHOWN_REGIONS} weitere" if len(keys) > SHOWN_REGIONS else ""
    return f"{level}: {', '.join(shown)}{more}"


def _facts(
    descriptor: Mapping[str, Any], record: DatasetRecord, regions: str, chapters: Mapping[str, str]
) -> list[Fact]:
    temporal = descriptor.get("x_temporal") or {}
    chapter = str(descriptor.get("x_chapter", ""))
    licenses = descriptor.get("licenses", [])
    contributors = descriptor.get("contributors", [])
    facts = [
        Fact("Zeitraum", format_period_range(temporal.get("start", ""), temporal.get("end", ""))),
        Fact("Gebiet", regions),
        Fact(
            "Kapitel",
            links=(
                Link(chapters.get(chapter, chapter), f"/suche?{urlencode({'theme': chapter})}"),
            ),
        ),
        Fact(
            "Quelle",
            links=tuple(
                Link(s["title"], web_url(s.get("path")) or "")
                for s in descriptor.get("sources", [])
            ),
        ),
        Fact(
            "Herausgeber",
            links=tuple(
                Link(c["title"], web_url(c.get("path"), contact=True) or "")
                for c in contributors
                if "publisher" in c["roles"]
            ),
        ),
        Fact(
            "Statistische Stelle",
            links=tuple(
                Link(c["title"], web_url(c.get("path"), contact=True) or "")
                for c in contributors
                if "producer" in c["roles"]
            ),
        ),
        Fact(
            "Lizenz",
            links=tuple(
                Link(x.get("title", x["name"]), web_url(x.get("path")) or "") for x in licenses
            ),
        ),
        Fact("Aktualisierung", FREQUENCIES.get(str(descriptor.get("x_accrual_periodicity")), "")),
        Fact("Vollständigkeit", COMPLETENESS.get(str(descriptor.get("x_completeness")), "")),
        Fact("Zuletzt geändert", format_date(record.modified)),
        Fact("Release", f"{record.release} (Paketversion {descriptor.get('version', '–')})"),
    ]
    return [fact for fact in facts if fact.text or fact.links]


def _field_docs(schema: Mapping[str, Any]) -> list[FieldDoc]:
    return [
        FieldDoc(
            name=f["name"],
            title=str(f.get("title", "")),
            type=TYPE_LABELS.get(f["type"], f["type"]),
            unit=str(
                f.get("x_unit") or (f"siehe {f['x_unit_field']}" if f.get("x_unit_field") else "")
            ),
            description=str(f.get("description", "")),
        )
        for f in schema.get("fields", [])
    ]


def _downloads(links: Mapping[str, Any], size: int | None, rows: int) -> list[Download]:
    d = links["downloads"]
    count = format_count(rows, "Zeile", "Zeilen")
    return [
        Download(
            "CSV (Original)",
            "Originaldatei des Datenpakets: UTF-8, Komma als Trennzeichen, Punkt als Dezimalzeichen",
            d["original"]["url"],
            format_bytes(size),
            "text/csv",
        ),
        Download(
            "CSV für Excel",
            "Semikolon, Dezimalkomma, UTF-8 mit BOM; Schlüssel behalten führende Nullen",
            d["csv_excel_de"]["url"],
            count,
            "text/csv",
        ),
        Download(
            "Excel (XLSX)",
            "Arbeitsmappe mit Blatt „Metadaten“ (Quelle, Lizenz, Fußnoten, Zeichen)",
            d["xlsx"]["url"],
            count,
            d["xlsx"]["media_type"],
        ),
        Download(
            "CSV (abgefragt)",
            "Alle Zeilen nach RFC 4180, wie die Zeilen-API sie liefert",
            d["csv"]["url"],
            count,
            "text/csv",
        ),
        Download(
            "JSON",
            "Array von Objekten, eine Zeile je Objekt",
            d["json"]["url"],
            count,
            d["json"]["media_type"],
        ),
        Download(
            "NDJSON",
            "Ein JSON-Objekt je Zeile (für Streaming)",
            d["ndjson"]["url"],
            count,
            d["ndjson"]["media_type"],
        ),
    ]


def _metadata_downloads(
    detail: Mapping[str, Any], datapackage_bytes: int, urls: Urls
) -> list[Download]:
    name = str(detail["name"])
    downloads = [
        Download(
            "datapackage.json",
            "Frictionless Data Package: Schema, Quellen, Fußnoten, Zeitreihenbrüche",
            detail["links"]["datapackage"],
            format_bytes(datapackage_bytes),
            "application/json",
        ),
    ]
    downloads += [
        Download(
            label,
            f"DCAT-AP.de-Metadaten {note}",
            urls.dataset_record_file(name, suffix),
            "",
            media,
        )
        for suffix, media, label, note in RDF_FORMATS
    ]
    return downloads


def _without_default_resource(
    descriptor: Mapping[str, Any], request: PreviewRequest
) -> PreviewRequest:
    """Leave the first resource (the default) out of the page's URLs."""
    if request.resource == descriptor["resources"][0]["name"]:
        return replace(request, resource=None)
    return request


def _resource_name(detail: Mapping[str, Any], request: PreviewRequest) -> str:
    """The requested resource (an unknown one fails in the rows service), else the first."""
    return request.resource or str(detail["resources"][0]["name"])


def _preview(
    rows: ReleaseRows, detail: Mapping[str, Any], request: PreviewRequest, path: str
) -> tuple[Preview, Any]:
    """The preview and the page of rows it shows (its schema drives the rest of the page)."""
    name = str(detail["name"])
    resource = _resource_name(detail, request)
    page = rows.page(name, resource, request.rows_params())
    schema = page.resource.schema
    values = {
        f["name"]: rows.values(name, resource, f["name"], {})[1] for f in filter_fields(schema)
    }
    controls = filter_controls(schema, values, request)
    offered = {c.name for c in controls}
    titles = {f["name"]: str(f.get("title") or f["name"]) for f in schema["fields"]}
    order = {f["name"]: index for index, f in enumerate(schema["fields"])}
    export_query = urlencode(request.export_query())
    links = next(r for r in detail["links"]["resources"] if r["name"] == resource)
    d = links["downloads"]
    exports = [
        Link("CSV", f"{d['csv']['url']}?{export_query}"),
        Link(
            "CSV für Excel",
            f"{d['csv']['url']}?{urlencode([('profile', 'excel-de'), *request.export_query()])}",
        ),
        Link("Excel (XLSX)", f"{d['xlsx']['url']}?{export_query}"),
        Link("JSON", f"{d['json']['url']}?{export_query}"),
    ]
    resources = [
        Link(r["name"], PreviewRequest(resource=r["name"]).url(path))
        for r in detail.get("resources", [])
    ]
    preview = Preview(
        resource=resource,
        resources=resources if len(resources) > 1 else [],
        controls=controls,
        hidden=[(k, v) for k, v in request.filters if k not in offered],
        active=[
            f"{titles.get(k.split('__')[0], k)} = {v}"
            for k, v in sorted(request.filters, key=lambda kv: order.get(kv[0].split("__")[0], 0))
        ],
        reset_url=PreviewRequest(resource=request.resource).url(path) if request.filters else None,
        table=preview_table(page, request, path),
        exports=exports,
    )
    return preview, page


def _charts(rows: ReleaseRows, detail: Mapping[str, Any], request: PreviewRequest) -> list[Chart]:
    """The chart of the filtered rows, wide and narrow (or none without a numeric column)."""
    params = {**request.rows_params(), "_size": [str(CHART_ROW_LIMIT)]}
    params.pop("_cursor", None)
    params.pop("_sort", None)
    page = rows.page(str(detail["name"]), _resource_name(detail, request), params)
    charts = [
        build_chart(
            columns=page.columns,
            rows=page.rows,
            schema=page.resource.schema,
            breaks=detail.get("x_breaks", []),
            total=page.total,
            width=width,
        )
        for width in (WIDTH, NARROW_WIDTH)
    ]
    return [chart for chart in charts if chart is not None]


def _example_filter(preview: Preview) -> list[tuple[str, str]]:
    """A filter for the curl example: the shortest first value of any menu (e.g. a year)."""
    firsts = [(c.name, c.options[1].value) for c in preview.controls if len(c.options) > 1]
    return [min(firsts, key=lambda pair: len(pair[1]))] if firsts else []


def build_dataset_page(  # noqa: PLR0913  # the page's inputs, all keyword-only
    *,
    record: DatasetRecord,
    detail: Mapping[str, Any],
    datapackage_bytes: int,
    rows: ReleaseRows,
    params: Mapping[str, Sequence[str]],
    urls: Urls,
    accessed: date,
    chapters: Mapping[str, str],
    catalog_title: str,
) -> DatasetPage:
    """Assemble the dataset page for the request's preview state (``params``)."""
    descriptor = record.descriptor
    request = _without_default_resource(descriptor, parse_preview(params))
    path = page_path(record.name)
    preview, page = _preview(rows, detail, request, path)
    breaks = list(descriptor.get("x_breaks", []))
    resource_links = next(r for r in detail["links"]["resources"] if r["name"] == preview.resource)
    resource_descriptor = next(r for r in descriptor["resources"] if r["name"] == preview.resource)
    downloads = _downloads(
        resource_links, resource_descriptor.get("bytes"), page.resource.row_count
    )
    metadata = _metadata_downloads(detail, datapackage_bytes, urls)
    regions = _regions(rows, descriptor.get("x_spatial") or {})
    page_url = urls.page(record.name)
    d = resource_links["downloads"]
    return DatasetPage(
        name=record.name,
        title=record.title,
        paragraphs=paragraphs(str(descriptor.get("description", ""))),
        facts=_facts(descriptor, record, regions, chapters),
        attribution=str(descriptor.get("x_attribution", "")),
        breaks=[(str(b.get("period", "")), str(b.get("description", ""))) for b in breaks],
        footnotes=[
            (str(n.get("marker", "")), str(n.get("text", "")), n.get("scope") == "table")
            for n in descriptor.get("x_footnotes", [])
        ],
        status_codes=list(STATUS_CODES.items()),
        fields=_field_docs(page.resource.schema),
        preview=preview,
        charts=_charts(rows, detail, request),
        downloads=downloads,
        metadata=metadata,
        snippets=usage_snippets(
            resource=preview.resource,
            schema=page.resource.schema,
            original_url=d["original"]["url"],
            rows_url=resource_links["rows"],
            excel_url=d["csv_excel_de"]["url"],
            example=_example_filter(preview),
        ),
        citations=[
            (style, label, citation(record, record.release, urls, accessed, style))
            for style, label in (("text", "Text"), ("bibtex", "BibTeX"), ("ris", "RIS"))
        ],
        jsonld=dataset_jsonld(
            descriptor=descriptor,
            page_url=page_url,
            modified=record.modified,
            spatial=regions,
            catalog=(catalog_title, urls.home()),
            distributions=[
                Distribution(x.label, x.url, x.media_type) for x in [*downloads, *metadata]
            ],
        ),
        alternates=[
            ("application/json", str(detail["links"]["self"])),
            *[
                (media, urls.dataset_record_file(record.name, suffix))
                for suffix, media, _, _ in RDF_FORMATS
            ],
        ],
    )
