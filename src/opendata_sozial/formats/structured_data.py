"""schema.org ``Dataset`` in JSON-LD for the dataset page (search engines, Google Dataset Search)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opendata_sozial.domain import web_url
from opendata_sozial.model.dataset import Contributor, Dataset, Period


@dataclass(frozen=True, slots=True)
class Distribution:
    """A download as schema.org ``DataDownload`` sees it."""

    name: str
    url: str
    media_type: str
    size: int | None = None


def _organisation(contributor: Contributor) -> dict[str, Any]:
    organisation = {"@type": "Organization", "name": contributor.title}
    if url := web_url(contributor.path):
        organisation["url"] = url
    return organisation


def _variables(dataset: Dataset) -> list[dict[str, Any]]:
    variables = []
    for resource in dataset.resources:
        for spec in resource.fields:
            if spec.is_numeric:
                variable = {
                    "@type": "PropertyValue",
                    "name": spec.label,
                    "description": spec.description,
                }
                if spec.unit:
                    variable["unitText"] = spec.unit
                variables.append(variable)
    return variables


def dataset_jsonld(
    *,
    dataset: Dataset,
    page_url: str,
    modified: str,
    spatial: str,
    catalog: tuple[str, str],
    distributions: Sequence[Distribution],
) -> dict[str, Any]:
    """The JSON-LD object; ``catalog`` is (title, URL) of the catalog the dataset belongs to."""
    temporal = dataset.period or Period()
    publisher = [_organisation(c) for c in dataset.publishers]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page_url,
        "name": dataset.title,
        "description": dataset.description,
        "url": page_url,
        "identifier": dataset.name,
        "keywords": list(dataset.keywords),
        "inLanguage": "de",
        "isAccessibleForFree": True,
        "license": web_url(dataset.licence.path if dataset.licence else None) or "",
        "version": dataset.version or "",
        "dateModified": modified,
        "temporalCoverage": f"{temporal.start}/{temporal.end}",
        "spatialCoverage": {"@type": "Place", "name": spatial},
        "publisher": publisher[0] if publisher else None,
        "creator": [_organisation(c) for c in dataset.producers] or publisher,
        "isBasedOn": [url for s in dataset.sources if (url := web_url(s.path))],
        "includedInDataCatalog": {"@type": "DataCatalog", "name": catalog[0], "url": catalog[1]},
        "variableMeasured": _variables(dataset),
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
