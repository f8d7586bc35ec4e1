"""schema.org ``Dataset`` in JSON-LD for the dataset page (search engines, Google Dataset Search)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opendata_sozial.domain import web_url


@dataclass(frozen=True, slots=True)
class Distribution:
    """A download as schema.org ``DataDownload`` sees it."""

    name: str
    url: str
    media_type: str
    size: int | None = None


def _organisation(contributor: Mapping[str, Any]) -> dict[str, Any]:
    organisation = {"@type": "Organization", "name": str(contributor.get("title", ""))}
    if url := web_url(contributor.get("path")):
        organisation["url"] = url
    return organisation


def _by_role(descriptor: Mapping[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        _organisation(c) for c in descriptor.get("contributors", []) if role in c.get("roles", [])
    ]


def _variables(descriptor: Mapping[str, Any]) -> list[dict[str, Any]]:
    variables = []
    for resource in descriptor.get("resources", []):
        for spec in resource.get("schema", {}).get("fields", []):
            if spec.get("type") in {"number", "integer"}:
                variable = {
                    "@type": "PropertyValue",
                    "name": str(spec.get("title") or spec["name"]),
                    "description": str(spec.get("description", "")),
                }
                if spec.get("x_unit"):
                    variable["unitText"] = str(spec["x_unit"])
                variables.append(variable)
    return variables


def dataset_jsonld(
    *,
    descriptor: Mapping[str, Any],
    page_url: str,
    modified: str,
    spatial: str,
    catalog: tuple[str, str],
    distributions: Sequence[Distribution],
) -> dict[str, Any]:
    """The JSON-LD object; ``catalog`` is (title, URL) of the catalog the dataset belongs to."""
    temporal = descriptor.get("x_temporal") or {}
    licenses = descriptor.get("licenses") or [{}]
    publisher = _by_role(descriptor, "publisher")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page_url,
        "name": str(descriptor.get("title", "")),
        "description": str(descriptor.get("description", "")),
        "url": page_url,
        "identifier": str(descriptor.get("name", "")),
        "keywords": list(descriptor.get("keywords", [])),
        "inLanguage": "de",
        "isAccessibleForFree": True,
        "license": web_url(licenses[0].get("path")) or "",
        "version": str(descriptor.get("version", "")),
        "dateModified": modified,
        "temporalCoverage": f"{temporal.get('start', '')}/{temporal.get('end', '')}",
        "spatialCoverage": {"@type": "Place", "name": spatial},
        "publisher": publisher[0] if publisher else None,
        "creator": _by_role(descriptor, "producer") or publisher,
        "isBasedOn": [
            url for s in descriptor.get("sources", []) if (url := web_url(s.get("path")))
        ],
        "includedInDataCatalog": {"@type": "DataCatalog", "name": catalog[0], "url": catalog[1]},
        "variableMeasured": _variables(descriptor),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": d.name,
                "encodingFormat": d.media_type,
                "contentUrl": d.url,
                **({"contentSize": f"{d.size} B"} if d.size is not None else {}),
            }
            for d in distributions
        ],
    }
    return {key: value for key, value in data.items() if value not in (None, "", [])}
