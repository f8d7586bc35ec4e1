"""Every point in time the service hands out is RFC 3339 with an offset, on both backends.

The walk covers the JSON answers (datasets list, dataset, releases, change feed, JSON-stat),
the DCAT catalog and dataset as JSON-LD (``dct:modified``/``dct:issued``) and the HTML pages'
JSON-LD. CKAN's API keeps CKAN's own format (UTC without offset; CKAN's
``date_str_to_datetime`` refuses an offset); its times must still be the same instants.
"""

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.domain import rfc3339

TIME_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
)
CKAN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")
DATASET = "lebensformen"


def _strings(node: Any, path: str = "$") -> Iterator[tuple[str, str]]:  # JSON
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _times(body: Any) -> list[tuple[str, str]]:
    return [(p, s) for p, s in _strings(body) if TIME_LIKE.match(s)]


def _assert_rfc3339(url: str, body: Any) -> int:
    times = _times(body)
    for path, text in times:
        assert RFC3339.match(text), f"{url} {path}: {text!r} ist kein RFC-3339-Zeitpunkt"
        assert datetime.fromisoformat(text).tzinfo is not None, (url, path, text)
    return len(times)


JSON_URLS = [
    "/api/v1/datasets",
    f"/api/v1/datasets/{DATASET}",
    f"/api/v1/datasets/{DATASET}/datapackage.json",
    "/api/v1/releases",
    "/api/v1/releases/1",
    "/api/v1/changes",
    f"/api/v1/datasets/{DATASET}/resources/{DATASET}/rows.jsonstat",
    "/catalog.jsonld",
    f"/datasets/{DATASET}.jsonld",
]


def test_every_json_answer_has_rfc3339_times_with_offset(api: TestClient[Litestar]) -> None:
    found = {}
    for url in JSON_URLS:
        response = api.get(url)
        assert response.status_code == 200, (url, response.text)
        found[url] = _assert_rfc3339(url, json.loads(response.content))
    # Each answer carries at least one time, so the walk cannot pass by finding none.
    assert all(found.values()), found


def test_dataset_modified_is_the_same_instant_everywhere(api: TestClient[Litestar]) -> None:
    modified = api.get(f"/api/v1/datasets/{DATASET}").json()["modified"]
    listed = {
        d["name"]: d["modified"] for d in api.get("/api/v1/datasets?_size=100").json()["datasets"]
    }
    stat = api.get(f"/api/v1/datasets/{DATASET}/resources/{DATASET}/rows.jsonstat").json()
    assert listed[DATASET] == modified == stat["updated"]
    assert modified.endswith("+00:00")
    page = api.get(f"/datensaetze/{DATASET}").text
    assert f'"dateModified": "{modified}"' in page or f'"dateModified":"{modified}"' in page


def test_ckan_times_are_ckan_format_and_the_same_instants(api: TestClient[Litestar]) -> None:
    result = api.get("/api/3/action/package_show", params={"id": DATASET}).json()["result"]
    times = _times(result)
    assert times
    for path, text in times:
        assert CKAN_TIME.match(text), (path, text)
    modified = api.get(f"/api/v1/datasets/{DATASET}").json()["modified"]
    as_utc = datetime.fromisoformat(result["metadata_modified"]).replace(tzinfo=UTC)
    assert as_utc == datetime.fromisoformat(modified)


@pytest.mark.parametrize(
    ("given", "spelled"),
    [
        (
            datetime(2026, 12, 2, 15, 37, 18, 730080),  # noqa: DTZ001  # naive, as SQLite returns it
            "2026-12-02T15:37:18.730080+00:00",
        ),
        ("2026-12-02T15:37:18.730080", "2026-12-02T15:37:18.730080+00:00"),
        ("2026-11-27T00:00:00Z", "2026-11-27T00:00:00+00:00"),
        ("2026-11-27T01:00:00+01:00", "2026-11-27T00:00:00+00:00"),
    ],
)
def test_rfc3339_spelling(given: datetime | str, spelled: str) -> None:
    assert rfc3339(given) == spelled
