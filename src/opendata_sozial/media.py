"""Media types the service speaks, declared once (RDF formats, downloads, original files of resources)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

TURTLE: Final = "text/turtle"
RDF_XML: Final = "application/rdf+xml"
JSON_LD: Final = "application/ld+json"
RDF: Final = (TURTLE, RDF_XML, JSON_LD)
"""Every RDF media type, the default first."""

CSV: Final = "text/csv"
GEOJSON: Final = "application/geo+json"
JSON: Final = "application/json"
NDJSON: Final = "application/x-ndjson"
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HasFormat(Protocol):
    """A resource of the typed model (``model.dataset.Resource``): its Data Package ``format``."""

    @property
    def format(self) -> str | None:
        """The Data Package ``format`` (``csv``, ``geojson`` …)."""


@dataclass(frozen=True, slots=True)
class FileFormat:
    """A resource served as a file only (no data table, no rows): boundaries and the like."""

    key: str
    """The Data Package ``format`` (``geojson``)."""
    suffix: str
    """The download's file name ending (``.geojson``)."""
    media_type: str
    file_type: str
    """The EU file-type code of DCAT-AP (TopoJSON has none of its own: ``JSON``)."""
    label: str


FILE_FORMATS: Final[dict[str, FileFormat]] = {
    "geojson": FileFormat("geojson", ".geojson", GEOJSON, "GEOJSON", "GeoJSON"),
    "topojson": FileFormat("topojson", ".topojson", JSON, "JSON", "TopoJSON"),
}
"""Data Package ``format`` of a non-tabular resource -> how it is stored and served."""


def file_format(resource: Mapping[str, Any] | HasFormat) -> FileFormat | None:
    """How a non-tabular resource is served; ``None`` for a table (a CSV with a schema).

    ``resource`` is a resource of a stored descriptor (publish, the served ``datapackage.json``)
    or of the typed model.
    """
    key = resource.get("format") if isinstance(resource, Mapping) else resource.format
    return FILE_FORMATS.get(str(key or ""))


def original_suffix(resource: Mapping[str, Any] | HasFormat) -> str:
    """The file name ending of a resource's original file (``.csv`` for a table)."""
    found = file_format(resource)
    return ".csv" if found is None else found.suffix


def original_media_type(resource: Mapping[str, Any] | HasFormat) -> str:
    """The media type of a resource's original file (``text/csv`` for a table)."""
    found = file_format(resource)
    return CSV if found is None else found.media_type
