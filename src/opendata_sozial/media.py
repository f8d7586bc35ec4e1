"""Media types the service speaks, declared once (RDF formats, original files of resources)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

TURTLE: Final = "text/turtle"
RDF_XML: Final = "application/rdf+xml"
JSON_LD: Final = "application/ld+json"
CSV: Final = "text/csv"
GEOJSON: Final = "application/geo+json"
JSON: Final = "application/json"


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


def file_format(resource: Mapping[str, Any]) -> FileFormat | None:
    """How a non-tabular resource is served; ``None`` for a table (a CSV with a schema)."""
    return FILE_FORMATS.get(str(resource.get("format", "")))


def original_suffix(resource: Mapping[str, Any]) -> str:
    """The file name ending of a resource's original file (``.csv`` for a table)."""
    found = file_format(resource)
    return ".csv" if found is None else found.suffix


def original_media_type(resource: Mapping[str, Any]) -> str:
    """The media type of a resource's original file (``text/csv`` for a table)."""
    found = file_format(resource)
    return CSV if found is None else found.media_type
