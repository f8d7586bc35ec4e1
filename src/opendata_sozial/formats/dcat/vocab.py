"""Namespaces and controlled vocabularies of the DCAT-AP.de mapping (docs/dcat.md)."""

from dataclasses import dataclass
from typing import Final

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, XSD

from opendata_sozial.media import FileFormat

DCATAP: Final = Namespace("http://data.europa.eu/r5r/")
DCATDE: Final = Namespace("http://dcat-ap.de/def/dcatde/")
HYDRA: Final = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD: Final = Namespace("http://www.w3.org/2006/vcard/ns#")
DCAT_VERSION: Final = URIRef(f"{DCAT}version")  # DCAT 3; rdflib's closed DCAT lacks it

PUBLISHER_TYPE: Final = Namespace("http://purl.org/adms/publishertype/")
EU_AUTHORITY: Final = "http://publications.europa.eu/resource/authority/"
DATA_THEME: Final = Namespace(f"{EU_AUTHORITY}data-theme/")
FILE_TYPE: Final = Namespace(f"{EU_AUTHORITY}file-type/")
FREQUENCY: Final = Namespace(f"{EU_AUTHORITY}frequency/")
LANGUAGE: Final = Namespace(f"{EU_AUTHORITY}language/")
COUNTRY: Final = Namespace(f"{EU_AUTHORITY}country/")
ACCESS_RIGHT: Final = Namespace(f"{EU_AUTHORITY}access-right/")
AVAILABILITY: Final = Namespace(f"{EU_AUTHORITY}planned-availability/")
IANA_MEDIA_TYPE: Final = "https://www.iana.org/assignments/media-types/"
GEOCODING: Final = "http://dcat-ap.de/def/politicalGeocoding/"
GEOCODING_LEVEL: Final = Namespace(f"{GEOCODING}Level/")
DCATDE_LICENSES: Final = "http://dcat-ap.de/def/licenses/"

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

LICENSES: Final[dict[str, str]] = {
    "dl-de-by-2.0": f"{DCATDE_LICENSES}dl-by-de/2.0",
    "dl-de-zero-2.0": f"{DCATDE_LICENSES}dl-zero-de/2.0",
    "cc-by-4.0": f"{DCATDE_LICENSES}cc-by/4.0",
    "cc0-1.0": f"{DCATDE_LICENSES}cc-zero",
    # the BKG's boundaries (nrw-geometrie); lower case as in the DCAT-AP.de licence list
    "geonutzv-de-2013-03-19": f"{DCATDE_LICENSES}geonutz/20130319",
}
"""Data Package licence ``name`` (lower case) -> DCAT-AP.de licence IRI (no trailing slash)."""

AGS_SCHEMES: Final[dict[int, str]] = {
    2: "stateKey",
    3: "governmentDistrictKey",
    5: "districtKey",
    8: "municipalityKey",
    9: "municipalAssociationKey",
    12: "regionalKey",
}
"""Length of an official key (AGS/ARS) -> DCAT-AP.de political geocoding key list."""

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


DOWNLOADS: Final = (
    DownloadFormat("original", ".csv", "Originaldatei (CSV)", "CSV", "text/csv", is_original=True),
    DownloadFormat("csv", "/rows.csv", "CSV (RFC 4180, UTF-8)", "CSV", "text/csv"),
    DownloadFormat(
        "csv-excel-de",
        "/rows.csv?profile=excel-de",
        "CSV für deutsches Excel (Semikolon, Dezimalkomma)",
        "CSV",
        "text/csv",
    ),
    DownloadFormat("json", "/rows.json", "JSON (Zeilen als Objekte)", "JSON", "application/json"),
    # NDJSON has neither an EU file type nor a registered IANA media type: JSON, no media type.
    DownloadFormat("ndjson", "/rows.ndjson", "NDJSON (ein JSON-Objekt je Zeile)", "JSON", None),
    DownloadFormat(
        "xlsx",
        "/rows.xlsx",
        "Excel-Arbeitsmappe (XLSX) mit Metadaten",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
)
"""Every download format of a table resource -> one ``dcat:Distribution`` each."""


def file_downloads(found: FileFormat | None) -> tuple[DownloadFormat, ...]:
    """The downloads of a resource: every format of a table, the file alone of a file resource."""
    if found is None:
        return DOWNLOADS
    title = f"Originaldatei ({found.label})"
    return (
        DownloadFormat(
            "original", found.suffix, title, found.file_type, found.media_type, is_original=True
        ),
    )


def media_type_iri(media_type: str) -> URIRef:
    """The IANA IRI of a media type (``text/csv`` -> ``…/media-types/text/csv``)."""
    return URIRef(f"{IANA_MEDIA_TYPE}{media_type}")


def new_graph() -> Graph:
    """An empty graph with the prefixes of this mapping bound (readable Turtle)."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph
