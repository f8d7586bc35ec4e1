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
from opendata_sozial.media import file_format
from opendata_sozial.model.dataset import Contributor, Dataset, Licence, Period, Resource
from opendata_sozial.model.parse import publisher as find_publisher
from opendata_sozial.model.vocab import DATA_THEME, FREQUENCY, geocoding_iris, geocoding_level_iri
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.urls import Urls

# Fixed, so ids stay the same across releases, hosts and base URLs.
ID_NAMESPACE: Final = uuid.UUID("6f1c8a52-3c1e-5b8e-9d0a-5e0c2f7b4a11")
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


def _downloads(resource: Resource) -> tuple[Download, ...]:
    """Every download of a table; the file alone of a file resource (GeoJSON, TopoJSON)."""
    found = file_format(resource)
    if found is None:
        return DOWNLOADS
    label = f"Originaldatei ({found.label})"
    return (Download("original", found.suffix, found.label.upper(), found.media_type, label),)


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


def _authors(dataset: Dataset) -> str:
    return "; ".join(c.title for c in dataset.producers)


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
            "description": f"EU-Datenthema {code} ({DATA_THEME}{code})",
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


def _group_refs(dataset: Dataset, groups: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = [theme_group_name(t) for t in dataset.themes]
    if dataset.chapter:
        names.append(chapter_group_name(dataset.chapter))
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
        publisher = find_publisher(record.model, info)
        name = organization_name(publisher.title)
        spellings.setdefault(name, Counter())[publisher.title] += 1
        if homepage := web_url(publisher.path):
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
    found: dict[str, Licence] = {}
    for record in records:
        if record.model.licence is not None:
            found.setdefault(record.model.licence.name, record.model.licence)
    return [
        {
            "id": name,
            "title": licence.title if licence.title is not None else name,
            "url": web_url(licence.path) or "",
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


def _tags(dataset: Dataset) -> list[dict[str, Any]]:
    return [
        {
            "id": make_id("tag", keyword),
            "name": keyword,
            "display_name": keyword,
            "state": "active",
            "vocabulary_id": None,
        }
        for keyword in sorted(set(dataset.keywords))
    ]


def _temporal(period: Period | None) -> tuple[str | None, str | None]:
    """First day of the start period and last day of the end period."""
    if period is None:
        return None, None
    start = _period_bounds(period.start)[0] if period.start else None
    end = _period_bounds(period.end)[1] if period.end else None
    return start, end


def _extras(
    dataset: Dataset, info: CatalogInfo, chapters: Mapping[str, str]
) -> list[dict[str, str]]:
    """CKAN extras (``{key, value}``, values are text; lists as JSON), sorted by key."""
    start, end = _temporal(dataset.period)
    level = dataset.spatial.level if dataset.spatial else None
    keys = list(dataset.spatial.keys) if dataset.spatial else []
    frequency = dataset.accrual_periodicity
    values: dict[str, str | None] = {
        "temporal_start": start,
        "temporal_end": end,
        "spatial_level": level,
        "spatial_keys": json.dumps(keys),
        "politicalGeocodingLevelURI": geocoding_level_iri(level) if level else None,
        "politicalGeocodingURI": json.dumps(geocoding_iris(keys)),
        "contributorID": json.dumps([str(info.contributor_id)]) if info.contributor_id else None,
        "licenseAttributionByText": dataset.attribution,
        "chapter": dataset.chapter or None,
        "chapter_title": chapters.get(dataset.chapter),
        "theme": json.dumps([f"{DATA_THEME}{t}" for t in dataset.themes]),
        "frequency": f"{FREQUENCY}{frequency}" if frequency else None,
        "completeness": dataset.completeness,
    }
    return [{"key": k, "value": v} for k, v in sorted(values.items()) if v is not None]


def _resources(
    record: DatasetRecord, *, package_id: str, urls: Urls, created: str, modified: str
) -> list[dict[str, Any]]:
    """One CKAN resource per download format of each table."""
    resources: list[dict[str, Any]] = []
    for table in record.model.resources:
        label = table.title or table.name
        for download in _downloads(table):
            is_original = download.key == "original"
            resources.append(
                {
                    "id": make_id("resource", f"{record.name}/{table.name}/{download.key}"),
                    "package_id": package_id,
                    "name": f"{label} – {download.label}",
                    "description": table.description,
                    "format": download.format,
                    "mimetype": download.mimetype,
                    "mimetype_inner": None,
                    "url": urls.download(record.name, table.name, download.suffix),
                    "size": table.bytes if is_original else None,
                    "hash": table.hash if is_original else "",
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
    created = record.model.created
    return min(ckan_time(created.replace("Z", "+00:00")), modified) if created else modified


def _translated(german: str, dataset: Dataset, key: str) -> dict[str, str]:
    """ckanext-fluent's ``*_translated``: language -> text, German and every translation."""
    texts = {"de": german}
    for found in dataset.translations:
        text = found.package.title if key == "title" else found.package.description
        if text:
            texts[found.language] = text
    return texts


def _package_dict(record: DatasetRecord, context: _Context) -> dict[str, Any]:
    """The CKAN 2.10 ``package_show`` dict of one dataset."""
    dataset = record.model
    package_id = make_id("package", record.name)
    created, modified = _created(record), ckan_time(record.modified)
    licence = dataset.licence
    publisher: Contributor = find_publisher(dataset, context.info)
    organization = context.organizations[organization_name(publisher.title)]
    tags = _tags(dataset)
    resources = _resources(
        record, package_id=package_id, urls=context.urls, created=created, modified=modified
    )
    return {
        "id": package_id,
        "name": record.name,
        "title": record.title,
        "notes": dataset.description,
        "title_translated": _translated(record.title, dataset, "title"),
        "notes_translated": _translated(dataset.description, dataset, "description"),
        "url": web_url(dataset.homepage) or "",
        "version": dataset.version,
        "state": "active",
        "type": "dataset",
        "private": False,
        "isopen": True,
        "license_id": licence.name if licence else None,
        "license_title": licence.title if licence else None,
        "license_url": web_url(licence.path) if licence else None,
        "author": _authors(dataset) or publisher.title,
        "author_email": None,
        "maintainer": publisher.title,
        "maintainer_email": str(context.info.contact_point.email),
        "creator_user_id": None,
        "metadata_created": created,
        "metadata_modified": modified,
        "owner_org": organization["id"],
        "organization": organization_ref(organization),
        "groups": _group_refs(dataset, context.groups),
        "tags": tags,
        "num_tags": len(tags),
        "extras": _extras(dataset, context.info, context.chapters),
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
