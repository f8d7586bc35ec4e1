"""Data packages as CKAN 2.10 dicts: packages, resources, organizations, groups, tags, licences.

Pure mapping, no I/O: ``build_catalog`` turns the datasets of one release into everything the
CKAN Action API (``formats/ckan/actions.py``) answers. The mapping table is in ``docs/ckan.md``.
"""

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.domain import EU_THEMES, web_url
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.urls import Urls

# Fixed, so ids stay the same across releases, hosts and base URLs.
ID_NAMESPACE: Final = uuid.UUID("6f1c8a52-3c1e-5b8e-9d0a-5e0c2f7b4a11")
EU_THEME_URI: Final = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCY_URI: Final = "http://publications.europa.eu/resource/authority/frequency/"
GEOCODING_LEVEL_URI: Final = "http://dcat-ap.de/def/politicalGeocoding/Level/"
GEOCODING_URI: Final = "http://dcat-ap.de/def/politicalGeocoding/"
# Length of an official key (AGS/ARS) -> DCAT-AP.de political geocoding vocabulary.
GEOCODING_KEYS: Final = {
    2: "stateKey",
    3: "governmentDistrictKey",
    5: "districtKey",
    8: "municipalityKey",
    9: "municipalAssociationKey",
    12: "regionalKey",
}
_SPELLED_OUT: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
XLSX_MEDIA: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Download:
    """One download format of a table, as ``GET /api/v1/datasets/{name}`` links it."""

    key: str
    suffix: str
    format: str
    mimetype: str
    label: str


# The same order and URLs as ``links.resources[].downloads`` of the dataset detail (web/api.py);
# tests/test_ckan.py checks that both agree.
DOWNLOADS: Final = (
    Download("original", ".csv", "CSV", "text/csv", "Originaldatei (CSV)"),
    Download("csv", "/rows.csv", "CSV", "text/csv", "CSV (RFC 4180)"),
    Download(
        "csv_excel_de",
        "/rows.csv?profile=excel-de",
        "CSV",
        "text/csv",
        "CSV für deutsches Excel (Semikolon, Dezimalkomma)",
    ),
    Download("json", "/rows.json", "JSON", "application/json", "JSON"),
    Download("ndjson", "/rows.ndjson", "NDJSON", "application/x-ndjson", "NDJSON"),
    Download("xlsx", "/rows.xlsx", "XLSX", XLSX_MEDIA, "Excel-Arbeitsmappe (XLSX)"),
)


@dataclass(frozen=True, slots=True)
class CkanCatalog:
    """Every CKAN object of one release; packages in name order."""

    packages: list[dict[str, Any]]
    organizations: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    licenses: list[dict[str, Any]]

    def package(self, key: str) -> dict[str, Any] | None:
        """The package whose name or id is ``key``."""
        return next((p for p in self.packages if key in (p["name"], p["id"])), None)


def make_id(kind: str, key: str) -> str:
    """A stable UUID for a CKAN object (``kind`` keeps packages and tags apart)."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{key}"))


def ckan_time(value: str | datetime) -> str:
    """CKAN's timestamp: UTC without offset, microseconds (``2026-11-27T06:16:16.435205``)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def slugify(text: str) -> str:
    """A CKAN name: lower case ``[a-z0-9-]``, umlauts spelled out, at most 100 characters."""
    folded = text.casefold().translate(_SPELLED_OUT)
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:100].rstrip("-")


def organization_name(title: str) -> str:
    """The short name of a publisher: its abbreviation in parentheses, else its whole title.

    ``… (MAGS NRW)`` -> ``mags-nrw``; the two spellings of IT.NRW in the packages become one
    organization ``it-nrw``.
    """
    abbreviation = re.search(r"\(([^()]+)\)", title)
    short = slugify(abbreviation.group(1)) if abbreviation else ""
    return short or slugify(title)


def _period_bounds(period: str) -> tuple[str, str]:
    """First and last day of a year, month or day (``2021-11`` -> 2021-11-01, 2021-11-30)."""
    if len(period) == 4:
        return f"{period}-01-01", f"{period}-12-31"
    if len(period) == 7:
        year, month = int(period[:4]), int(period[5:])
        following = date(year + month // 12, month % 12 + 1, 1)
        return f"{period}-01", date.fromordinal(following.toordinal() - 1).isoformat()
    return period, period


def _publisher(descriptor: Mapping[str, Any], info: CatalogInfo) -> dict[str, Any]:
    for contributor in descriptor.get("contributors", []):
        if "publisher" in contributor.get("roles", []):
            return dict(contributor)
    return {"title": info.publisher.name, "path": str(info.publisher.uri)}


def _authors(descriptor: Mapping[str, Any]) -> str:
    return "; ".join(
        c["title"] for c in descriptor.get("contributors", []) if "producer" in c.get("roles", [])
    )


# Groups


def theme_group_name(code: str) -> str:
    """GovData's CKAN names its theme groups by the lower-case EU code (``soci``)."""
    return code.lower()


def chapter_group_name(chapter: str) -> str:
    """Chapters of the social report are groups ``kapitel-<id>``."""
    return f"kapitel-{chapter}"


def _groups(info: CatalogInfo) -> list[dict[str, Any]]:
    themes = [
        {
            "name": theme_group_name(code),
            "title": label,
            "description": f"EU-Datenthema {code} ({EU_THEME_URI}{code})",
        }
        for code, label in EU_THEMES.items()
    ]
    chapters = [
        {
            "name": chapter_group_name(chapter.id),
            "title": f"Kapitel {chapter.id}: {chapter.label}",
            "description": f"Kapitel {chapter.id} der Sozialberichterstattung NRW",
        }
        for chapter in info.chapters
    ]
    return [
        {**group, "id": make_id("group", group["name"]), "display_name": group["title"]}
        for group in sorted(themes + chapters, key=lambda g: g["name"])
    ]


def _group_refs(descriptor: Mapping[str, Any], groups: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = [theme_group_name(t) for t in descriptor.get("x_themes", [])]
    if descriptor.get("x_chapter"):
        names.append(chapter_group_name(str(descriptor["x_chapter"])))
    return [
        {key: groups[name][key] for key in ("description", "display_name", "id", "name", "title")}
        | {"image_display_url": ""}
        for name in sorted(set(names))
        if name in groups
    ]


# Organizations


def _organizations(
    records: Sequence[DatasetRecord], info: CatalogInfo, created: str
) -> list[dict[str, Any]]:
    """One organization per publisher name; the most frequent spelling is its title."""
    spellings: dict[str, Counter[str]] = {}
    homepages: dict[str, str] = {}
    for record in records:
        publisher = _publisher(record.descriptor, info)
        name = organization_name(publisher["title"])
        spellings.setdefault(name, Counter())[publisher["title"]] += 1
        if homepage := web_url(publisher.get("path")):
            homepages.setdefault(name, homepage)
    organizations = []
    for name, counts in sorted(spellings.items()):
        title = min(counts, key=lambda t: (-counts[t], len(t), t))
        organizations.append(
            {
                "id": make_id("organization", name),
                "name": name,
                "title": title,
                "type": "organization",
                "description": "",
                "image_url": "",
                "created": created,
                "is_organization": True,
                "approval_status": "approved",
                "state": "active",
                "homepage": homepages.get(name),
            }
        )
    return organizations


def organization_ref(organization: Mapping[str, Any]) -> dict[str, Any]:
    """The organization as a package embeds it (without our ``homepage`` helper key)."""
    return {key: value for key, value in organization.items() if key != "homepage"}


# Licences


def _licenses(records: Iterable[DatasetRecord]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for record in records:
        for licence in record.descriptor.get("licenses", [])[:1]:
            found.setdefault(licence["name"], licence)
    return [
        {
            "id": name,
            "title": licence.get("title", name),
            "url": web_url(licence.get("path")) or "",
            "status": "active",
            "maintainer": "",
            "family": "",
            "domain_content": False,
            "domain_data": True,
            "domain_software": False,
            "od_conformance": "approved",
            "osd_conformance": "not reviewed",
            "is_okd_compliant": True,
            "is_osi_compliant": False,
        }
        for name, licence in sorted(found.items())
    ]


# Packages


def _tags(descriptor: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": make_id("tag", keyword),
            "name": keyword,
            "display_name": keyword,
            "state": "active",
            "vocabulary_id": None,
        }
        for keyword in sorted(set(descriptor.get("keywords", [])))
    ]


def _geocoding_uris(keys: Sequence[str]) -> list[str]:
    return [
        f"{GEOCODING_URI}{GEOCODING_KEYS[len(key)]}/{key}"
        for key in keys
        if len(key) in GEOCODING_KEYS
    ]


def _extras(
    descriptor: Mapping[str, Any], info: CatalogInfo, chapters: Mapping[str, str]
) -> list[dict[str, str]]:
    """CKAN extras (``{key, value}``, values are text; lists as JSON), sorted by key."""
    temporal = descriptor.get("x_temporal", {})
    spatial = descriptor.get("x_spatial", {})
    chapter = str(descriptor.get("x_chapter", ""))
    values: dict[str, str | None] = {
        "temporal_start": _period_bounds(temporal["start"])[0] if temporal.get("start") else None,
        "temporal_end": _period_bounds(temporal["end"])[1] if temporal.get("end") else None,
        "spatial_level": spatial.get("level"),
        "spatial_keys": json.dumps(spatial.get("keys", [])),
        "politicalGeocodingLevelURI": (
            f"{GEOCODING_LEVEL_URI}{spatial['level']}" if spatial.get("level") else None
        ),
        "politicalGeocodingURI": json.dumps(_geocoding_uris(spatial.get("keys", []))),
        "contributorID": json.dumps([str(info.contributor_id)]) if info.contributor_id else None,
        "licenseAttributionByText": descriptor.get("x_attribution"),
        "chapter": chapter or None,
        "chapter_title": chapters.get(chapter),
        "theme": json.dumps([f"{EU_THEME_URI}{t}" for t in descriptor.get("x_themes", [])]),
        "frequency": (
            f"{FREQUENCY_URI}{descriptor['x_accrual_periodicity']}"
            if descriptor.get("x_accrual_periodicity")
            else None
        ),
        "completeness": descriptor.get("x_completeness"),
    }
    return [{"key": k, "value": v} for k, v in sorted(values.items()) if v is not None]


def _resources(
    record: DatasetRecord, *, package_id: str, urls: Urls, created: str, modified: str
) -> list[dict[str, Any]]:
    """One CKAN resource per download format of each table."""
    resources: list[dict[str, Any]] = []
    for table in record.descriptor.get("resources", []):
        label = table.get("title") or table["name"]
        for download in DOWNLOADS:
            is_original = download.key == "original"
            resources.append(
                {
                    "id": make_id("resource", f"{record.name}/{table['name']}/{download.key}"),
                    "package_id": package_id,
                    "name": f"{label} – {download.label}",
                    "description": table.get("description", ""),
                    "format": download.format,
                    "mimetype": download.mimetype,
                    "mimetype_inner": None,
                    "url": urls.download(record.name, table["name"], download.suffix),
                    "size": table.get("bytes") if is_original else None,
                    "hash": str(table.get("hash", "")) if is_original else "",
                    "position": len(resources),
                    "state": "active",
                    "created": created,
                    "last_modified": modified,
                    "metadata_modified": modified,
                    "cache_last_updated": None,
                    "cache_url": None,
                    "datastore_active": False,
                    "resource_type": None,
                    "url_type": None,
                }
            )
    return resources


@dataclass(frozen=True, slots=True)
class _Context:
    info: CatalogInfo
    urls: Urls
    chapters: Mapping[str, str]
    organizations: Mapping[str, dict[str, Any]]
    groups: Mapping[str, dict[str, Any]]


def _created(record: DatasetRecord) -> str:
    """The descriptor's ``created``, but never after ``modified`` (first release with it)."""
    modified = ckan_time(record.modified)
    created = record.descriptor.get("created")
    return min(ckan_time(created.replace("Z", "+00:00")), modified) if created else modified


def _package_dict(record: DatasetRecord, context: _Context) -> dict[str, Any]:
    """The CKAN 2.10 ``package_show`` dict of one dataset."""
    descriptor = record.descriptor
    package_id = make_id("package", record.name)
    created, modified = _created(record), ckan_time(record.modified)
    licence = (descriptor.get("licenses") or [{}])[0]
    publisher = _publisher(descriptor, context.info)
    organization = context.organizations[organization_name(publisher["title"])]
    tags = _tags(descriptor)
    resources = _resources(
        record, package_id=package_id, urls=context.urls, created=created, modified=modified
    )
    return {
        "id": package_id,
        "name": record.name,
        "title": record.title,
        "notes": descriptor.get("description", ""),
        "url": web_url(descriptor.get("homepage")) or "",
        "version": descriptor.get("version"),
        "state": "active",
        "type": "dataset",
        "private": False,
        "isopen": True,
        "license_id": licence.get("name"),
        "license_title": licence.get("title"),
        "license_url": web_url(licence.get("path")),
        "author": _authors(descriptor) or publisher["title"],
        "author_email": None,
        "maintainer": publisher["title"],
        "maintainer_email": str(context.info.contact_point.email),
        "creator_user_id": None,
        "metadata_created": created,
        "metadata_modified": modified,
        "owner_org": organization["id"],
        "organization": organization_ref(organization),
        "groups": _group_refs(descriptor, context.groups),
        "tags": tags,
        "num_tags": len(tags),
        "extras": _extras(descriptor, context.info, context.chapters),
        "resources": resources,
        "num_resources": len(resources),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def build_catalog(
    records: Sequence[DatasetRecord], *, info: CatalogInfo, urls: Urls
) -> CkanCatalog:
    """Every package, organization, group and licence of a release (``records`` by name)."""
    created = min((_created(r) for r in records), default=ckan_time(datetime.now(UTC)))
    organizations = _organizations(records, info, created)
    groups = [{**g, "created": created} for g in _groups(info)]
    context = _Context(
        info=info,
        urls=urls,
        chapters={c.id: c.label for c in info.chapters},
        organizations={o["name"]: o for o in organizations},
        groups={g["name"]: g for g in groups},
    )
    return CkanCatalog(
        packages=[_package_dict(r, context) for r in sorted(records, key=lambda r: r.name)],
        organizations=organizations,
        groups=groups,
        licenses=_licenses(records),
    )
