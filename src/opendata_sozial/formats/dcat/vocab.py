"""rdflib namespaces and the download list of the DCAT-AP.de mapping (docs/dcat.md).

The IRIs themselves are plain strings in ``model/vocab.py``, shared with CKAN.
"""

from dataclasses import dataclass
from typing import Final

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, XSD

from opendata_sozial.media import FileFormat
from opendata_sozial.model import vocab as iri

DCATAP: Final = Namespace(iri.DCATAP)
DCATDE: Final = Namespace(iri.DCATDE)
HYDRA: Final = Namespace(iri.HYDRA)
VCARD: Final = Namespace(iri.VCARD)
DCAT_VERSION: Final = URIRef(f"{DCAT}version")  # DCAT 3; rdflib's closed DCAT lacks it

PUBLISHER_TYPE: Final = Namespace(iri.PUBLISHER_TYPE)
DATA_THEME: Final = Namespace(iri.DATA_THEME)
FILE_TYPE: Final = Namespace(iri.FILE_TYPE)
FREQUENCY: Final = Namespace(iri.FREQUENCY)
LANGUAGE: Final = Namespace(iri.LANGUAGE)
COUNTRY: Final = Namespace(iri.COUNTRY)
ACCESS_RIGHT: Final = Namespace(iri.ACCESS_RIGHT)
AVAILABILITY: Final = Namespace(iri.AVAILABILITY)
GEOCODING_LEVEL: Final = Namespace(iri.GEOCODING_LEVEL)
LICENSES: Final = iri.LICENSES

PREFIXES: Final[dict[str, Namespace]] = {
    "dcat": Namespace(str(DCAT)),
    "dcatap": DCATAP,
    "dcatde": DCATDE,
    "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)),
    "hydra": HYDRA,
    "skos": Namespace(str(SKOS)),
    "vcard": Namespace(str(VCARD)),
    "xsd": Namespace(str(XSD)),
}

FEDERAL_SPATIAL: Final = COUNTRY["DEU"]
"""``dct:spatial`` of a federal table (Konventionenhandbuch 2.0, K11: EU country code)."""

CONTRIBUTOR_ROLES: Final[dict[URIRef, frozenset[str]]] = {
    DCTERMS.creator: frozenset({"producer", "creator"}),
    DCTERMS.contributor: frozenset({"contributor"}),
}
"""DCAT property -> Data Package contributor roles (``publisher``, ``contact`` have their own)."""


@dataclass(frozen=True, slots=True)
class DownloadFormat:
    """One download of a table resource, as ``GET /api/v1/datasets/{name}`` links it."""

    key: str
    suffix: str
    title: str
    file_type: str
    media_type: str | None
    is_original: bool = False
    title_en: str = ""
    """The title in English (DCAT ``@en``)."""


DOWNLOADS: Final = (
    DownloadFormat(
        "original", ".csv", "Originaldatei (CSV)", "CSV", "text/csv", True, "Original file (CSV)"
    ),
    DownloadFormat(
        "csv",
        "/rows.csv",
        "CSV (RFC 4180, UTF-8)",
        "CSV",
        "text/csv",
        False,
        "CSV (RFC 4180, UTF-8)",
    ),
    DownloadFormat(
        "csv-excel-de",
        "/rows.csv?profile=excel-de",
        "CSV für deutsches Excel (Semikolon, Dezimalkomma)",
        "CSV",
        "text/csv",
        False,
        "CSV for German Excel (semicolon, decimal comma)",
    ),
    DownloadFormat(
        "json",
        "/rows.json",
        "JSON (Zeilen als Objekte)",
        "JSON",
        "application/json",
        False,
        "JSON (rows as objects)",
    ),
    # NDJSON has neither an EU file type nor a registered IANA media type: JSON, no media type.
    DownloadFormat(
        "ndjson",
        "/rows.ndjson",
        "NDJSON (ein JSON-Objekt je Zeile)",
        "JSON",
        None,
        False,
        "NDJSON (one JSON object per row)",
    ),
    DownloadFormat(
        "xlsx",
        "/rows.xlsx",
        "Excel-Arbeitsmappe (XLSX) mit Metadaten",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        False,
        "Excel workbook (XLSX) with metadata",
    ),
)
"""Every download format of a table resource -> one ``dcat:Distribution`` each."""


def file_downloads(found: FileFormat | None) -> tuple[DownloadFormat, ...]:
    """The downloads of a resource: every format of a table, the file alone of a file resource."""
    if found is None:
        return DOWNLOADS
    title = f"Originaldatei ({found.label})"
    title_en = f"Original file ({found.label})"
    return (
        DownloadFormat(
            "original", found.suffix, title, found.file_type, found.media_type, True, title_en
        ),
    )


def media_type_iri(media_type: str) -> URIRef:
    """The IANA IRI of a media type (``text/csv`` -> ``…/media-types/text/csv``)."""
    return URIRef(f"{iri.IANA_MEDIA_TYPE}{media_type}")


def new_graph() -> Graph:
    """An empty graph with the prefixes of this mapping bound (readable Turtle)."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph
