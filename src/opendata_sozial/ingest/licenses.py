"""The licences a package may name, and how a publisher may write them.

A package names its licence explicitly (``licenses[0].name``); ``validate`` accepts only the
licences below, each with its canonical ``path`` and ``title``. ``init`` writes the licence the
publisher chose (``--license``) or the catalog's default (``license`` in ``catalog.yaml``).
The names are those DCAT-AP.de maps to its licence list (``formats/dcat/vocab.py``).
"""

from dataclasses import dataclass
from typing import Any, Final

from opendata_sozial.errors import SourceError


@dataclass(frozen=True, slots=True)
class License:
    """A licence as a package descriptor names it, and its DCAT-AP.de IRI."""

    name: str
    title: str
    path: str
    iri: str

    def descriptor(self) -> dict[str, Any]:
        """The ``licenses`` entry of a package descriptor."""
        return {"name": self.name, "path": self.path, "title": self.title}


LICENSES: Final[dict[str, License]] = {
    lic.name: lic
    for lic in (
        License(
            "dl-de-by-2.0",
            "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "https://www.govdata.de/dl-de/by-2-0",
            "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        ),
        License(
            "dl-de-zero-2.0",
            "Datenlizenz Deutschland – Zero – Version 2.0",
            "https://www.govdata.de/dl-de/zero-2-0",
            "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
        ),
        License(
            "cc-by-4.0",
            "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
            "https://creativecommons.org/licenses/by/4.0/",
            "http://dcat-ap.de/def/licenses/cc-by/4.0",
        ),
        License(
            "cc0-1.0",
            "Creative Commons CC0 1.0 Universell",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "http://dcat-ap.de/def/licenses/cc-zero",
        ),
        License(
            "geonutzv-de-2013-03-19",
            "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Bundes (GeoNutzV)",
            "https://www.gesetze-im-internet.de/geonutzv/",
            "http://dcat-ap.de/def/licenses/geonutz/20130319",
        ),
        # CC BY where the source names no version (Stadt Köln): DCAT-AP.de's unversioned entry
        License(
            "cc-by",
            "Creative Commons Namensnennung (CC BY), Version in der Quelle nicht angegeben",
            "http://www.opendefinition.org/licenses/cc-by",
            "http://dcat-ap.de/def/licenses/cc-by",
        ),
    )
}


def _key(text: str) -> str:
    """``dl-de/by-2.0``, ``DL-DE-BY-2-0`` and ``dl-de-by-2.0`` compare equal."""
    return text.strip().lower().rstrip("/").replace("/", "-").replace(".", "-")


def find_license(text: str) -> License | None:
    """The licence ``text`` names: its name in any common spelling, its path or its IRI."""
    key = _key(text)
    for lic in LICENSES.values():
        if key in {_key(lic.name), _key(lic.path), _key(lic.iri)}:
            return lic
    return None


def license_choices() -> str:
    """The valid licence names with their titles, for messages."""
    return "; ".join(f"{lic.name} ({lic.title})" for lic in LICENSES.values())


def choose_license(wanted: str | None, catalog_default: str | None) -> tuple[License | None, str]:
    """The licence for ``init`` and a German sentence saying where it comes from.

    ``wanted`` (``--license``) must name a known licence, else ``SourceError``; without it the
    catalog's default applies when it is a known licence, else none is written.
    """
    if wanted is not None:
        lic = find_license(wanted)
        if lic is None:
            raise SourceError(f"--license {wanted!r} unbekannt; gültig sind: {license_choices()}")
        return lic, f"Lizenz {lic.name} ({lic.title}), mit --license gewählt."
    lic = find_license(catalog_default) if catalog_default is not None else None
    if lic is None:
        return None, (
            f"Keine Lizenz eingetragen: der Standard des Katalogs ({catalog_default}) ist keine der bekannten Lizenzen; "
            f"mit --license wählen, eine von: {license_choices()}."
        )
    return lic, (
        f"Lizenz {lic.name} ({lic.title}) eingetragen, der Standard des Katalogs (license in der Katalogdatei); "
        "trifft sie für diese Tabelle nicht zu, init mit --license wiederholen."
    )
