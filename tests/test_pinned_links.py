"""Pinned releases stay pinned: every link in an answer under /api/v1/releases/{n}/… keeps the pin.

The walk starts at the pinned catalog and a few pinned documents, collects every URL of this
service in bodies (JSON, text, CSV, NDJSON, the cells of XLSX workbooks) and ``Link`` headers,
asserts that each one stays in the release, and follows those of the walked datasets. It runs
with the response cache on, after the same URLs were read unpinned (so a cached unpinned
answer cannot stand in for a pinned one), and again after a newer release exists.
"""

import io
import json
import re
import shutil
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.config import Settings
from opendata_sozial.urls import Urls, pinned_path
from opendata_sozial.web.app import create_app
from tests.conftest import DATAPACKAGES
from tests.publishing import change_figure, publish_into

BASE = "http://testserver.local"
PINNED = f"{BASE}/api/v1/releases/1/"
WALKED = ("lebensformen", "nrw-regionen")
"""Datasets whose links are followed; links to other datasets are checked, not fetched."""
PACKAGES = (*WALKED, "verbraucherinsolvenzen")
URL = re.compile(r"https?://[^\s<>\"'|\\^`\]\[,;)]+")
START = [
    "/datasets?_size=1",
    "/datasets?q=lebensformen",
    "/datasets/lebensformen/resources/lebensformen/rows?_size=25&_sort=-jahr&jahr__gte=2016",
    "/datasets/lebensformen/resources/lebensformen/rows?_size=30&_shape=arrays",
    "/datasets/nrw-regionen/resources/regionen/rows?ags__notin=05558044&art__in=Stadt&_sort=ags,-art,ebene&_size=100",
    "/datasets/lebensformen/resources/lebensformen/rows.jsonstat?jahr=2015",
    *(
        f"/datasets/lebensformen/citation?format={style}"
        for style in ("text", "bibtex", "ris", "csl")
    ),
]


def _packages(target: Path, *, changed: bool) -> Path:
    """A copy of the walked packages; ``changed`` alters one value of lebensformen."""
    for name in PACKAGES:
        shutil.copytree(DATAPACKAGES / name, target / name)
    if changed:
        change_figure(target / "lebensformen")
    return target


def _link_targets(header: str) -> list[str]:
    return re.findall(r"<([^>]*)>", header)


def _strings(value: Any) -> Iterator[str]:  # any JSON value
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _urls_in(content_type: str, body: bytes) -> list[str]:
    """Every absolute URL of this service in a body, whatever its format."""
    if "spreadsheetml" in content_type:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        text = "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    elif "json" in content_type and "ndjson" not in content_type:
        text = "\n".join(_strings(json.loads(body)))
    else:
        text = body.decode("utf-8-sig")
    found = (url if "{" in url else url.rstrip("}.") for url in URL.findall(text))
    return [url for url in found if url.startswith(BASE)]


def _followed(url: str) -> bool:
    """Fetch links of the walked datasets (and the search pages); check all the others."""
    path = url.removeprefix(PINNED.rstrip("/"))
    if path.startswith("/datasets?"):
        return True
    return any(path.startswith(f"/datasets/{name}") for name in WALKED)


FIELD_OF = {"lebensformen": "jahr", "regionen": "art", "namensvarianten": "kontext"}
"""A field of each walked resource, to fill the ``{field}`` of its ``values`` link."""


def _filled(url: str) -> str:
    match = re.search(r"/resources/([^/]+)/values/\{field\}$", url)
    return url.replace("{field}", FIELD_OF[match[1]]) if match else url


def walk(client: TestClient[Litestar], starts: list[str]) -> dict[str, list[str]]:
    """Read every start URL and every followed link; the URLs each answer holds, by answer."""
    seen: dict[str, list[str]] = {}
    queue = deque(f"{PINNED.rstrip('/')}{start}" for start in starts)
    while queue:
        url = _filled(queue.popleft())
        if url in seen:
            continue
        response = client.get(url.removeprefix(BASE))
        assert response.status_code == 200, (url, response.text[:300])
        found = _urls_in(response.headers.get("content-type", ""), response.content)
        found += _link_targets(response.headers.get("link", ""))
        seen[url] = found
        queue.extend(u for u in found if u.startswith(PINNED) and _followed(u))
    return seen


def assert_all_pinned(seen: dict[str, list[str]]) -> None:
    escaped = {
        (answer, url) for answer, urls in seen.items() for url in urls if not url.startswith(PINNED)
    }
    assert not escaped, f"links leave release 1: {sorted(escaped)[:10]}"


def test_every_link_of_a_pinned_answer_stays_in_its_release(
    database_url: str, tmp_path: Path
) -> None:
    publish_into(database_url, [_packages(tmp_path / "first", changed=False)], notes="Erstausgabe")
    settings = Settings(
        database_url=database_url,
        base_url=BASE,
        release_poll_seconds=0,
        rate_limit_requests=0,
        cache_dir=tmp_path / "cache",
        disk_cache_mb=64,
    )
    with TestClient(create_app(settings)) as client:
        read_unpinned(client)
        seen = walk(client, START)
        assert_all_pinned(seen)
        kinds = {_kind(url) for url in seen}
        assert {"search", "detail", "datapackage", "rows", "values", "original", "export"} <= kinds
        assert {"jsonstat", "citation"} <= kinds
        rows = "/api/v1/releases/1/datasets/lebensformen/resources/lebensformen/rows"
        problem = client.get(f"{rows}?_cursor=x").json()
        assert (problem["status"], problem["instance"]) == (400, rows)

        publish_into(
            database_url, [_packages(tmp_path / "second", changed=True)], notes="Korrektur"
        )
        current = client.get("/api/v1/datasets/lebensformen").json()
        assert current["release"] == 2
        again = walk(client, START)
        assert_all_pinned(again)
        assert again.keys() == seen.keys()
        query = "/datasets/lebensformen/resources/lebensformen/rows?jahr=2015"
        old = client.get(f"/api/v1/releases/1{query}").json()
        new = client.get(f"/api/v1{query}").json()
        assert (old["release"], new["release"]) == (1, 2)
        assert 2123 in {r["wert"] for r in old["rows"]} - {r["wert"] for r in new["rows"]}


def read_unpinned(client: TestClient[Litestar]) -> None:
    """Read the start URLs and the detail of each walked dataset unpinned (fills the cache)."""
    paths = [f"/api/v1{start}" for start in START]
    paths += [f"/api/v1/datasets/{name}" for name in WALKED]
    paths += [f"/api/v1/datasets/{name}/datapackage.json" for name in WALKED]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])


KINDS = (
    ("datapackage", re.compile(r"/datapackage\.json$")),
    ("citation", re.compile(r"/citation$")),
    ("jsonstat", re.compile(r"/rows\.jsonstat$")),
    ("rows", re.compile(r"/rows$")),
    ("values", re.compile(r"/values/[^/]+$")),
    ("export", re.compile(r"/rows\.[a-z]+$")),
    ("original", re.compile(r"/resources/[^/]+\.csv$")),
    ("detail", re.compile(r"^/datasets/[^/]+$")),
    ("search", re.compile(r"^/datasets$")),
)


def _kind(url: str) -> str:
    path = url.removeprefix(PINNED.rstrip("/")).partition("?")[0]
    return next(kind for kind, pattern in KINDS if pattern.search(path))


@pytest.mark.parametrize(
    ("path", "release", "expected"),
    [
        ("/api/v1/datasets", 3, "/api/v1/releases/3/datasets"),
        (
            "/api/v1/datasets/a/resources/b/rows",
            3,
            "/api/v1/releases/3/datasets/a/resources/b/rows",
        ),
        ("/api/v1/datasets/a", None, "/api/v1/datasets/a"),
        ("/api/v1/datasetsx", 3, "/api/v1/datasetsx"),
        ("/api/v1/releases", 3, "/api/v1/releases"),
        ("/datasets/a.ttl", 3, "/datasets/a.ttl"),
    ],
)
def test_only_dataset_paths_are_pinned(path: str, release: int | None, expected: str) -> None:
    assert pinned_path(path, release) == expected


def test_pinned_urls_leave_out_the_current_dcat_records() -> None:
    pinned, current = Urls(BASE, 2), Urls(BASE)
    assert pinned.dataset("x") == f"{BASE}/api/v1/releases/2/datasets/x"
    assert pinned.rdf("x") is None
    assert pinned.alternate("x") is None
    assert pinned.link_header(None, pinned.alternate()) == {}
    assert current.rdf("x") == {
        "turtle": f"{BASE}/datasets/x.ttl",
        "rdf_xml": f"{BASE}/datasets/x.rdf",
        "json_ld": f"{BASE}/datasets/x.jsonld",
    }
    assert current.link_header(current.alternate()) == {
        "Link": f'<{BASE}/catalog.ttl>; rel="alternate"; type="text/turtle"'
    }
