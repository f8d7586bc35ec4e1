"""The page of a dataset whose resources are files only (boundaries as GeoJSON, TopoJSON).

Such a dataset has no rows to preview, filter or chart: the page shows its description, facts,
attribution, the files with their sizes and media types, the metadata, citations and versions.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from opendata_sozial.formats.citation import citation, dataset_page_url
from opendata_sozial.formats.formatting import format_bytes
from opendata_sozial.formats.structured_data import Distribution, dataset_jsonld
from opendata_sozial.media import file_format
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.services.rows import RowService
from opendata_sozial.views.dataset_page import (
    RDF_FORMATS,
    Download,
    Fact,
    _facts,
    _metadata_downloads,
    _regions,
    paragraphs,
)


@dataclass(frozen=True, slots=True)
class FilePage:
    """Everything the page of a file-only dataset shows."""

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


def has_rows(descriptor: Mapping[str, Any]) -> bool:
    """Whether any resource of the package is a table (else the page is a ``FilePage``)."""
    return any(file_format(r) is None for r in descriptor.get("resources") or [])


def _file_downloads(detail: Mapping[str, Any], descriptor: Mapping[str, Any]) -> list[Download]:
    links = {r["name"]: r for r in detail["links"]["resources"]}
    downloads = []
    for res in descriptor.get("resources") or []:
        found = file_format(res)
        if found is None:
            continue
        original = links[res["name"]]["downloads"]["original"]
        downloads.append(
            Download(
                f"{res.get('title') or res['name']} ({found.label})",
                str(res.get("description") or ""),
                original["url"],
                format_bytes(res.get("bytes")),
                found.media_type,
            )
        )
    return downloads


def build_file_page(  # the page's inputs, all keyword-only
    *,
    record: DatasetRecord,
    detail: Mapping[str, Any],
    datapackage_bytes: int,
    rows: RowService,
    base_url: str,
    accessed: date,
    chapters: Mapping[str, str],
    catalog_title: str,
) -> FilePage:
    """Assemble the page of a dataset without tables."""
    descriptor = record.descriptor
    regions = _regions(rows, descriptor.get("x_spatial") or {})
    downloads = _file_downloads(detail, descriptor)
    metadata = _metadata_downloads(detail, datapackage_bytes, base_url)
    return FilePage(
        name=record.name,
        title=record.title,
        paragraphs=paragraphs(str(descriptor.get("description", ""))),
        facts=_facts(descriptor, record, regions, chapters),
        attribution=str(descriptor.get("x_attribution", "")),
        downloads=downloads,
        metadata=metadata,
        citations=[
            (style, label, citation(record, record.release, base_url, accessed, style))
            for style, label in (("text", "Text"), ("bibtex", "BibTeX"), ("ris", "RIS"))
        ],
        jsonld=dataset_jsonld(
            descriptor=descriptor,
            page_url=dataset_page_url(base_url, record.name),
            modified=record.modified,
            spatial=regions,
            catalog=(catalog_title, f"{base_url}/"),
            distributions=[
                Distribution(x.label, x.url, x.media_type) for x in [*downloads, *metadata]
            ],
        ),
        alternates=[
            ("application/json", str(detail["links"]["self"])),
            *[
                (media, f"{base_url}/datasets/{record.name}.{suffix}")
                for suffix, media, _, _ in RDF_FORMATS
            ],
        ],
    )
