"""Catalog-level metadata (``catalog/catalog.yaml``): a typed model, validated on load."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, ValidationError

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


class Chapter(_Strict):
    """A chapter of the social report, used as the catalog's own theme taxonomy."""

    id: str = Field(pattern=r"^[0-9]+$")
    label: str


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

    def chapter_ids(self) -> set[str]:
        """Return the valid chapter ids."""
        return {chapter.id for chapter in self.chapters}

    def organisation(self, contributor: Mapping[str, Any]) -> Organisation | None:
        """The organisation a Data Package contributor names, if ``catalog.yaml`` lists it.

        Matched by its ``path`` (IRI or homepage, scheme and trailing ``/`` aside), else by its
        exact ``title``.
        """
        known = [self.publisher, *self.organisations]
        path = contributor.get("path")
        if path:
            for org in known:
                sites = [str(org.uri)] + ([str(org.homepage)] if org.homepage else [])
                if any(_same_site(str(path), site) for site in sites):
                    return org
        title = contributor.get("title")
        return next((org for org in known if org.name == title), None)


def load_catalog(path: Path) -> CatalogInfo:
    """Read and validate the catalog file; raise ``ConfigError`` naming the bad key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Katalogdatei {path} nicht lesbar: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Katalogdatei {path} ist kein gültiges YAML: {exc}") from exc
    try:
        info = CatalogInfo.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Katalogdatei {path} ungültig: {problems}") from exc
    unknown = sorted(set(info.themes) - set(EU_THEMES))
    if unknown:
        raise ConfigError(
            f"Katalogdatei {path}: unbekannte EU-Themen {unknown}; gültig: {sorted(EU_THEMES)}"
        )
    return info
