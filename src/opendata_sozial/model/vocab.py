"""IRIs of the controlled vocabularies that DCAT and CKAN share (plain strings, no rdflib).

``formats/dcat/vocab.py`` builds its rdflib namespaces from these; ``formats/ckan`` writes them
into extras as text. The mapping tables are in docs/dcat.md and docs/ckan.md.
"""

from collections.abc import Iterable
from typing import Final

EU_AUTHORITY: Final = "http://publications.europa.eu/resource/authority/"
DATA_THEME: Final = f"{EU_AUTHORITY}data-theme/"
FILE_TYPE: Final = f"{EU_AUTHORITY}file-type/"
FREQUENCY: Final = f"{EU_AUTHORITY}frequency/"
LANGUAGE: Final = f"{EU_AUTHORITY}language/"
COUNTRY: Final = f"{EU_AUTHORITY}country/"
ACCESS_RIGHT: Final = f"{EU_AUTHORITY}access-right/"
AVAILABILITY: Final = f"{EU_AUTHORITY}planned-availability/"
PUBLISHER_TYPE: Final = "http://purl.org/adms/publishertype/"
IANA_MEDIA_TYPE: Final = "https://www.iana.org/assignments/media-types/"
DCATAP: Final = "http://data.europa.eu/r5r/"
DCATDE: Final = "http://dcat-ap.de/def/dcatde/"
HYDRA: Final = "http://www.w3.org/ns/hydra/core#"
VCARD: Final = "http://www.w3.org/2006/vcard/ns#"
GEOCODING: Final = "http://dcat-ap.de/def/politicalGeocoding/"
GEOCODING_LEVEL: Final = f"{GEOCODING}Level/"
DCATDE_LICENSES: Final = "http://dcat-ap.de/def/licenses/"

LICENSES: Final[dict[str, str]] = {
    "dl-de-by-2.0": f"{DCATDE_LICENSES}dl-by-de/2.0",
    "dl-de-zero-2.0": f"{DCATDE_LICENSES}dl-zero-de/2.0",
    "cc-by-4.0": f"{DCATDE_LICENSES}cc-by/4.0",
    "cc-by": f"{DCATDE_LICENSES}cc-by",
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


def geocoding_iris(keys: Iterable[str]) -> list[str]:
    """The political geocoding IRI of each official key whose length names a key list."""
    return [f"{GEOCODING}{AGS_SCHEMES[len(k)]}/{k}" for k in keys if len(k) in AGS_SCHEMES]


def geocoding_level_iri(level: str) -> str:
    """The political geocoding level IRI (``districtKey`` level ``administrativeDistrict`` …)."""
    return f"{GEOCODING_LEVEL}{level}"
