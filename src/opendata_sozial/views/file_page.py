"""The page of a dataset whose resources are files only (boundaries as GeoJSON, TopoJSON).

Such a dataset has no rows to preview, filter or chart: the page shows its description, facts,
attribution, the files with their sizes and media types, the metadata, citations and versions.
"""

from dataclasses import dataclass

from opendata_sozial.formats.formatting import format_bytes
from opendata_sozial.media import file_format
from opendata_sozial.model.dataset import Dataset
from opendata_sozial.urls import Urls
from opendata_sozial.views.dataset_page import (
    DatasetBasics,
    Download,
    PageInputs,
    _metadata_downloads,
    _regions,
    basics_of,
    dataset_basics,
)


@dataclass(frozen=True, slots=True)
class FilePage(DatasetBasics):
    """Everything the page of a file-only dataset shows: the basics, no preview or chart."""


def has_rows(dataset: Dataset) -> bool:
    """Whether any resource of the package is a table (else the page is a ``FilePage``)."""
    return any(file_format(r) is None for r in dataset.resources)


def _file_downloads(name: str, dataset: Dataset, urls: Urls) -> list[Download]:
    """The original file of every file resource, as ``GET /api/v1/datasets/{name}`` links it."""
    downloads = []
    for res in dataset.resources:
        found = file_format(res)
        if found is None:
            continue
        downloads.append(
            Download(
                f"{res.title or res.name} ({found.label})",
                res.description,
                f"{urls.resource(name, res.name)}{found.suffix}",
                format_bytes(res.bytes),
                found.media_type,
            )
        )
    return downloads


def build_file_page(inputs: PageInputs) -> FilePage:
    """Assemble the page of a dataset without tables."""
    record, urls = inputs.record, inputs.urls
    regions = _regions(inputs.rows, record.model.spatial)
    downloads = _file_downloads(record.name, record.model, urls)
    metadata = _metadata_downloads(record.name, urls, inputs.datapackage_bytes)
    return FilePage(**basics_of(dataset_basics(inputs, regions, downloads, metadata)))
