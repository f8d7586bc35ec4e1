"""Plain values shared by every layer: code lists and validation issues. No I/O here."""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

LICENSE_NAME: Final = "dl-de-by-2.0"
LICENSE_PATH: Final = "https://www.govdata.de/dl-de/by-2-0"
LICENSE_TITLE: Final = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
DATAPACKAGE_PROFILE: Final = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLESCHEMA_PROFILE: Final = "https://datapackage.org/profiles/2.0/tableschema.json"
TABLEDIALECT_PROFILE: Final = "https://datapackage.org/profiles/2.0/tabledialect.json"


EXACT_INTEGERS: Final = 2**53
"""Below this size every integral double is an exact integer."""


def plain_number(value: float) -> float:
    """A ``number`` cell for JSON and spreadsheets: ``2016.0`` -> ``2016``, ``14.6`` stays."""
    if math.isfinite(value) and value.is_integer() and abs(value) < EXACT_INTEGERS:
        return int(value)
    return value


def number_text(value: float) -> str:
    """A ``number`` cell as CSV text: ``2016``, ``14.6``, ``0.00001`` (no exponent).

    The one spelling of the canonical CSV (``formats/formatting.py`` explains it); here, at the
    bottom of the layers, because the database export path (``db/csv_export.py``) needs it too.
    """
    plain = plain_number(value)
    if isinstance(plain, int):
        return str(plain)
    text = repr(plain)
    if "e" in text and math.isfinite(plain):
        text = format(Decimal(text), "f")
    return text


def rfc3339(moment: datetime | str) -> str:
    """The one spelling of a point in time in every answer: RFC 3339 in UTC with its offset.

    ``2026-12-02T15:37:18.730080+00:00``. A naive time (SQLite hands them back) or text without
    an offset is UTC, as every time is written; ``Z`` is read as ``+00:00``.
    """
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


STATUS_CODES: Final[dict[str, str]] = {
    "0": "Mehr als nichts, aber weniger als die Hälfte der kleinsten dargestellten Einheit",
    "-": "Nichts vorhanden (genau null) oder keine Veränderung",
    "...": "Angabe liegt noch nicht vor",
    "/": "Keine Angabe, da der Zahlenwert nicht sicher genug ist",
    ".": "Zahlenwert unbekannt oder geheim zu halten",
    "x": "Tabellenfach gesperrt, weil eine Angabe nicht sinnvoll ist",
    "()": "Aussagewert eingeschränkt, da der Zahlenwert statistisch unsicher ist",
    "p": "Vorläufige Zahl",
    "r": "Berichtigte Zahl",
    "s": "Geschätzte Zahl",
}
"""The statistical cell symbols and their meaning (German labels shipped in every package)."""

FOOTNOTE_FIELD: Final = "fussnote"
"""The column whose cells name a row's footnote markers (``1);2)``, split on ``;``)."""

LOST_FOOTNOTE_TEXT: Final = "Der Fußnotentext ist in der ausgewerteten Quelle nicht erhalten."
"""What a package writes as the text of a footnote whose text the source does not preserve."""

WITHHELD_STATUS: Final = frozenset({"-", "...", "/", ".", "x"})
"""Symbols that may stand without a value (the cell shows only the symbol)."""

EU_THEMES: Final[dict[str, str]] = {
    "AGRI": "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel",
    "ECON": "Wirtschaft und Finanzen",
    "EDUC": "Bildung, Kultur und Sport",
    "ENER": "Energie",
    "ENVI": "Umwelt",
    "GOVE": "Regierung und öffentlicher Sektor",
    "HEAL": "Gesundheit",
    "INTR": "Internationale Themen",
    "JUST": "Justiz, Rechtssystem und öffentliche Sicherheit",
    "REGI": "Regionen und Städte",
    "SOCI": "Bevölkerung und Gesellschaft",
    "TECH": "Wissenschaft und Technologie",
    "TRAN": "Verkehr",
}
"""EU data themes (publications.europa.eu authority table data-theme) with German labels."""

GEOCODING_LEVELS: Final[dict[str, str]] = {
    "federal": "Bund",
    "state": "Land",
    "administrativeDistrict": "Kreis / kreisfreie Stadt",
    "municipality": "Gemeinde",
}
"""DCAT-AP.de political geocoding levels used for spatial coverage."""

FREQUENCIES: Final[dict[str, str]] = {
    "ANNUAL": "jährlich",
    "MONTHLY": "monatlich",
    "QUARTERLY": "vierteljährlich",
    "IRREG": "unregelmäßig",
    "NEVER": "keine Aktualisierung (abgeschlossen)",
}
"""EU frequency codes allowed for ``x_accrual_periodicity``."""

TRANSLATION_LANGUAGES: Final[dict[str, str]] = {"en": "Englisch"}
"""Languages a package may translate its texts into (``x_translations``); German is the default."""


class Severity(StrEnum):
    """How bad an issue is: errors block publishing, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding of validation, precise enough to fix without guessing."""

    code: str
    message: str
    package: str
    resource: str | None = None
    file: str | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def location(self) -> str:
        """Return a compact 'file, row, field' location for humans."""
        parts = [self.file or self.resource or self.package]
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.field is not None:
            parts.append(f"Feld {self.field!r}")
        return ", ".join(part for part in parts if part)


FORMULA_SIGNS: Final = frozenset("=+-@＝＋－＠")
"""Characters that start a formula in a spreadsheet, full-width forms included (Excel and
LibreOffice read ``＝1+1`` as ``=1+1``)."""
_INVISIBLE_CATEGORIES: Final = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def _is_invisible(char: str) -> bool:
    """Whitespace of any kind, control and format characters: what may hide before a sign."""
    return char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet would run as a formula (CSV/formula injection).

    Any control character first (tab, carriage return, line feed …), or a formula sign
    (``=``, ``+``, ``-``, ``@`` or their full-width forms) with something after it, behind any
    leading whitespace (space, no-break space, U+3000 …) or invisible format characters. A lone
    ``-`` (the status symbol "nothing") and text merely indented with spaces stay plain.
    """
    if not text or text[0].isalnum():  # the common case, decided at once
        return False
    if unicodedata.category(text[0]) == "Cc":
        return True
    start = 0
    while start < len(text) and _is_invisible(text[start]):
        start += 1
    return len(text) - start > 1 and text[start] in FORMULA_SIGNS


WEB_SCHEMES: Final = frozenset({"http", "https"})
"""The schemes a metadata link may have; contacts may also be ``mailto:``."""
_NOT_IN_URL: Final = re.compile(
    r'[\s<>"{}|\\^`\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]'
)
_MAILTO: Final = re.compile(r"^mailto:[^@/?#:]+@[^@/?#:]+\.[^@/?#:.]+$", re.IGNORECASE)


def web_url(value: object, *, contact: bool = False) -> str | None:
    """``value`` if it is an absolute ``http``/``https`` address with a host, else ``None``.

    With ``contact``, a ``mailto:`` address (``mailto:name@example.de``) passes too. Anything
    else (``javascript:``, ``data:``, relative paths, blanks, control characters) is refused,
    so a link taken from metadata can go into an ``href``, JSON-LD, DCAT or CKAN as it is.
    """
    if not isinstance(value, str) or not value or _NOT_IN_URL.search(value):
        return None
    if contact and _MAILTO.match(value):
        return value
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises for a port that is no number
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return value


def mailto_url(email: object) -> str | None:
    """``mailto:`` plus ``email`` if that is an address, else ``None``."""
    return web_url(f"mailto:{email}", contact=True) if isinstance(email, str) else None
