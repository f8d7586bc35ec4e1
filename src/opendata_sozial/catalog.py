"""Catalog-level metadata (``catalog/catalog.yaml``): a typed model, validated on load.

Besides what DCAT needs, the file holds the operator's legal details (``legal``): the
Impressum, the privacy statement and the accessibility statement are filled from them, and a
missing required detail stops ``validate`` and the server start with a German message naming
the key.
"""

import types
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from opendata_sozial.domain import EU_THEMES
from opendata_sozial.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(_Strict):
    """An organisation (publisher, producer)."""

    name: str = Field(min_length=2)
    uri: HttpUrl
    homepage: HttpUrl | None = None
    type: str = Field(default="RegionalAuthority", description="ADMS publisher type")


def _same_site(a: str, b: str) -> bool:
    """Two web addresses of one organisation: equal up to the scheme and a trailing ``/``."""

    def plain(url: str) -> str:
        return url.split("://", 1)[-1].rstrip("/").lower()

    return plain(a) == plain(b)


class ContactPoint(_Strict):
    """Who answers questions about the catalog."""

    name: str
    email: EmailStr
    url: HttpUrl | None = None


class CatalogTexts(_Strict):
    """The catalog's title and description in another language (``translations``)."""

    title: str = Field(min_length=1)
    description: str = Field(min_length=1)


class Chapter(_Strict):
    """A chapter of the social report, used as the catalog's own theme taxonomy."""

    id: str = Field(pattern=r"^[0-9]+$")
    label: str
    in_report: bool = True
    """Whether ``id`` is a chapter number of the printed report (pages show it only then)."""


# Legal statements (Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2)]
"""A required piece of text: surrounding blanks are dropped, two characters at least."""

ACCESS_LOG_FIELDS: Final = (
    "IP-Adresse und Quellport des abrufenden Geräts (hinter einem Proxy-Server die von ihm "
    "weitergereichte Adresse)",
    "Anfragemethode, aufgerufene Adresse einschließlich Suchbegriffen und Filtern, HTTP-Version",
    "Statuscode der Antwort (zum Beispiel 200 oder 404)",
    "Datum und Uhrzeit des Abrufs (vom Protokolldienst des Servers vermerkt)",
)
"""What ``opendata-sozial serve`` writes per request at ``ODS_LOG_LEVEL=INFO`` (uvicorn's
access log: client address, request line, status); the log collector adds the time."""


class Party(_Strict):
    """A body or person with a postal address."""

    name: Text = Field(title="Name")
    address: list[Text] = Field(min_length=1, title="Anschrift, eine Zeile je Eintrag")
    email: EmailStr | None = Field(default=None, title="E-Mail")
    phone: Text | None = Field(default=None, title="Telefon")
    url: HttpUrl | None = Field(default=None, title="Webseite")


class Operator(Party):
    """The provider named in the Impressum (§ 5 DDG, § 18 MStV)."""

    email: EmailStr = Field(title="E-Mail des Anbieters")
    represented_by: Text = Field(title="Impressum: vertreten durch")
    vat_id: str | None = Field(
        default=None, pattern=r"^DE[0-9]{9}$", title="Umsatzsteuer-Identifikationsnummer"
    )
    supervisory_authority: Party | None = Field(default=None, title="Aufsichtsbehörde")


class ContentResponsible(_Strict):
    """Who answers for the content (§ 18 Abs. 2 MStV); the operator's address by default."""

    name: Text = Field(title="Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV")
    address: list[Text] | None = Field(default=None, min_length=1, title="Anschrift")


class DataProtectionOfficer(_Strict):
    """The data protection officer (Art. 37 GDPR); the operator's address by default."""

    name: Text = Field(title="Datenschutzbeauftragte oder Datenschutzbeauftragter")
    email: EmailStr = Field(title="E-Mail der oder des Datenschutzbeauftragten")
    phone: Text | None = Field(default=None, title="Telefon")
    url: HttpUrl | None = Field(default=None, title="Webseite")
    address: list[Text] | None = Field(default=None, min_length=1, title="Anschrift")


class ServerLog(_Strict):
    """What the servers log per request and for how long the operator keeps it."""

    fields: list[Text] = Field(
        default_factory=lambda: list(ACCESS_LOG_FIELDS), min_length=1, title="Protokollierte Daten"
    )
    retention_days: int = Field(ge=1, le=366, title="Speicherdauer der Protokolle in Tagen")


LDI_NRW: Final = Party(
    name="Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen",
    address=["Kavalleriestraße 2–4", "40213 Düsseldorf"],
    email="poststelle@ldi.nrw.de",
    url=HttpUrl("https://www.ldi.nrw.de"),
)
"""The data protection supervisory authority for public bodies of North Rhine-Westphalia."""

NRW_PUBLIC_BODY_BASIS: Final = (
    "Art. 6 Abs. 1 Unterabs. 1 Buchst. e und Abs. 3 DSGVO in Verbindung mit § 3 Abs. 1 "
    "Datenschutzgesetz Nordrhein-Westfalen (DSG NRW)"
)


class Privacy(_Strict):
    """Details of the privacy statement (Art. 13 GDPR)."""

    controller: Party | None = Field(default=None, title="Verantwortliche Stelle")
    """``None``: the operator."""
    data_protection_officer: DataProtectionOfficer = Field(title="Datenschutzbeauftragte(r)")
    server_log: ServerLog = Field(title="Server-Protokolle")
    legal_basis: Text = Field(default=NRW_PUBLIC_BODY_BASIS, title="Rechtsgrundlage")
    processor: Text | None = Field(default=None, title="Auftragsverarbeiter (Hosting)")
    supervisory_authority: Party = Field(default=LDI_NRW, title="Datenschutz-Aufsichtsbehörde")


class Feedback(_Strict):
    """Where people report barriers; the catalog's contact point by default."""

    name: Text = Field(title="Name der Kontaktstelle")
    email: EmailStr = Field(title="E-Mail für Rückmeldungen zur Barrierefreiheit")
    phone: Text | None = Field(default=None, title="Telefon")
    form_url: HttpUrl | None = Field(default=None, title="Kontaktformular")


class Enforcement(_Strict):
    """The body that mediates when the operator's answer does not satisfy."""

    name: Text = Field(title="Name der Ombuds- oder Schlichtungsstelle")
    attached_to: Text | None = Field(default=None, title="angesiedelt bei")
    address: list[Text] = Field(default_factory=list, title="Anschrift")
    email: EmailStr | None = Field(default=None, title="E-Mail")
    phone: Text | None = Field(default=None, title="Telefon")
    url: HttpUrl | None = Field(default=None, title="Webseite")
    legal_basis: Text | None = Field(default=None, title="Rechtsgrundlage")


OMBUDSSTELLE_NRW: Final = Enforcement(
    name="Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen",
    attached_to="der Beauftragten für die Belange der Menschen mit Behinderung des Landes "
    "Nordrhein-Westfalen",
    email="ombudsstelle-barrierefreie-it@mags.nrw.de",
    url=HttpUrl("https://www.lbbp.nrw.de/ombudsstelle"),
    legal_basis="§§ 10d, 10e BGG NRW und §§ 9 ff. BITV NRW",
)
"""The enforcement procedure for public bodies of North Rhine-Westphalia."""

NRW_ACCESSIBILITY_LAW: Final = (
    "dem Behindertengleichstellungsgesetz Nordrhein-Westfalen (BGG NRW) und der "
    "Barrierefreie-Informationstechnik-Verordnung Nordrhein-Westfalen (BITV NRW)"
)


class Accessibility(_Strict):
    """Details of the accessibility statement (directive (EU) 2016/2102, § 10b BGG NRW)."""

    statement_date: date = Field(title="Datum der Erklärung (JJJJ-MM-TT)")
    last_review: date = Field(title="Datum der letzten Überprüfung (JJJJ-MM-TT)")
    law: Text = Field(default=NRW_ACCESSIBILITY_LAW, title="Rechtsgrundlage (im Dativ)")
    assessment: Text | None = Field(default=None, title="weitere Prüfung (etwa ein BITV-Test)")
    feedback: Feedback | None = Field(default=None, title="Kontakt für Barrieren")
    """``None``: the catalog's ``contact_point``."""
    enforcement: Enforcement = Field(default=OMBUDSSTELLE_NRW, title="Durchsetzungsverfahren")

    @model_validator(mode="after")
    def _review_after_statement(self) -> "Accessibility":
        if self.last_review < self.statement_date:
            raise ValueError(
                f"last_review ({self.last_review.isoformat()}) liegt vor statement_date "
                f"({self.statement_date.isoformat()})"
            )
        return self


class Legal(_Strict):
    """Everything the Impressum, privacy and accessibility statements say about the operator."""

    operator: Operator = Field(title="Anbieter")
    content_responsible: ContentResponsible = Field(title="Inhaltlich verantwortlich")
    privacy: Privacy = Field(title="Datenschutz")
    accessibility: Accessibility = Field(title="Barrierefreiheit")

    @property
    def controller(self) -> Party:
        """The controller under the GDPR: ``privacy.controller``, else the operator."""
        return self.privacy.controller or self.operator


class CatalogInfo(_Strict):
    """Everything the catalog says about itself."""

    title: str
    description: str
    publisher: Organisation
    contact_point: ContactPoint
    homepage: HttpUrl
    language: str = Field(default="DEU", pattern=r"^[A-Z]{3}$")
    license: HttpUrl
    contributor_id: HttpUrl | None = None
    themes: list[str]
    chapters: list[Chapter]
    organisations: list[Organisation] = Field(default_factory=list)
    """Every other organisation the packages name (publisher, creator, contributor), with the
    IRI that DCAT gives it, so that harvesters keep ``publisher_uri``."""
    legal: Legal = Field(title="Angaben für Impressum, Datenschutz und Barrierefreiheit")
    translations: dict[Literal["en"], CatalogTexts] = Field(
        default_factory=dict, title="Titel und Beschreibung in anderen Sprachen"
    )

    @property
    def accessibility_feedback(self) -> Feedback:
        """Where to report barriers: ``legal.accessibility.feedback``, else the contact point."""
        given = self.legal.accessibility.feedback
        if given is not None:
            return given
        point = self.contact_point
        return Feedback(name=point.name, email=point.email)

    def chapter_ids(self) -> set[str]:
        """Return the valid chapter ids."""
        return {chapter.id for chapter in self.chapters}

    def organisation(self, contributor: Mapping[str, Any]) -> Organisation | None:
        """The organisation a Data Package contributor names, if ``catalog.yaml`` lists it.

        Matched by its ``path`` (IRI or homepage, scheme and trailing ``/`` aside), else by its
        exact ``title``.
        """
        return self.organisation_named(contributor.get("title"), contributor.get("path"))

    def organisation_named(self, title: object, path: object) -> Organisation | None:
        """The organisation with web address ``path`` (else the exact name ``title``), if any."""
        known = [self.publisher, *self.organisations]
        if path:
            for org in known:
                sites = [str(org.uri)] + ([str(org.homepage)] if org.homepage else [])
                if any(_same_site(str(path), site) for site in sites):
                    return org
        return next((org for org in known if org.name == title), None)


def read_yaml(path: Path, label: str) -> object:
    """The YAML document in ``path``; ``ConfigError`` (``label`` names the kind of file)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{label} {path} nicht lesbar: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label} {path} ist kein gültiges YAML: {exc}") from exc


def load_catalog(path: Path) -> CatalogInfo:
    """Read and validate the catalog file; raise ``ConfigError`` naming the bad key."""
    raw = read_yaml(path, "Katalogdatei")
    try:
        info = CatalogInfo.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors())
        raise ConfigError(f"Katalogdatei {path} ungültig: {problems}") from exc
    unknown = sorted(set(info.themes) - set(EU_THEMES))
    if unknown:
        raise ConfigError(
            f"Katalogdatei {path}: unbekannte EU-Themen {unknown}; gültig: {sorted(EU_THEMES)}"
        )
    return info


# German messages for validation errors

_MESSAGES: Final = {
    "missing": "Pflichtangabe fehlt",
    "extra_forbidden": "unbekannter Schlüssel",
    "string_too_short": "zu kurz oder leer",
    "string_type": "muss ein Text sein",
    "list_type": "muss eine Liste sein",
    "too_short": "braucht mindestens einen Eintrag",
    "model_type": "muss ein Abschnitt mit Schlüsseln sein",
    "model_attributes_type": "muss ein Abschnitt mit Schlüsseln sein",
    "url_parsing": "keine gültige Web-Adresse",
    "url_scheme": "keine gültige Web-Adresse (http oder https)",
    "date_from_datetime_parsing": "kein Datum der Form JJJJ-MM-TT",
    "date_parsing": "kein Datum der Form JJJJ-MM-TT",
    "date_type": "kein Datum der Form JJJJ-MM-TT",
    "int_parsing": "keine ganze Zahl",
    "int_type": "keine ganze Zahl",
}


def _problem(err: ErrorDetails) -> str:
    """One validation error in German: the key path, its meaning, what is wrong."""
    loc = [str(part) for part in err["loc"]]
    key = ".".join(loc) or "(Datei)"
    title = _title(loc)
    label = f"{key} ({title})" if title else key
    kind = err["type"]
    if kind == "value_error" and "email" in err["msg"]:
        message = "keine gültige E-Mail-Adresse"
    elif kind == "value_error":
        message = err["msg"].removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch":
        message = f"hat nicht die Form {err.get('ctx', {}).get('pattern', '')}"
    elif kind == "greater_than_equal":
        message = f"muss mindestens {err.get('ctx', {}).get('ge')} sein"
    elif kind == "less_than_equal":
        message = f"darf höchstens {err.get('ctx', {}).get('le')} sein"
    else:
        message = _MESSAGES.get(kind, err["msg"])
    return f"{label}: {message}"


def _title(loc: list[str]) -> str | None:
    """The German title of the field at ``loc`` (``Field(title=...)``), if it has one."""
    model: type[BaseModel] | None = CatalogInfo
    title = None
    for part in loc:
        if part.isdigit():  # an index into a list
            continue
        if model is None or part not in model.model_fields:
            return None
        field = model.model_fields[part]
        title = field.title
        model = _model_in(field.annotation)
    return title


def _model_in(annotation: Any) -> type[BaseModel] | None:  # noqa: ANN401  # any annotation
    """The pydantic model inside ``X``, ``X | None`` or ``list[X]``, if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, list):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
