"""The „Daten nutzen“ snippets and the pandas block of docs/api.md, run against a live server.

A real uvicorn (``opendata-sozial serve``) on a free loopback port serves the published
packages. Each snippet of every resource with an ``ags`` column runs as a user would run it:
Python with pandas (the original CSV and the commented ``excel-de`` variant), curl with curl, R
with Rscript when R is installed. Every region key must come back as in the canonical CSV, with
its leading zero (``05111``, never ``5111``).
"""

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opendata_sozial.model.parse import parse_table
from opendata_sozial.views.snippets import VARIANT, Snippet, usage_snippets
from tests.conftest import DATAPACKAGES, ROOT
from tests.servers import serving

KEY = "ags"


def _resources() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for descriptor in sorted(DATAPACKAGES.glob("*/datapackage.json")):
        package = json.loads(descriptor.read_text(encoding="utf-8"))
        for resource in package["resources"]:
            if any(
                f["name"] == KEY for f in resource.get("schema", {"fields": []})["fields"]
            ):  # boundaries have none
                found.append((package["name"], resource))
    return found


RESOURCES = _resources()
IDS = [r["name"] for _, r in RESOURCES]


def _keys(package: str, resource: dict[str, Any]) -> list[str]:
    """The region keys of the canonical CSV, as written there."""
    path = DATAPACKAGES / package / resource["path"]
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return sorted(row[KEY] for row in csv.DictReader(handle))


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  # loopback test server
        return bytes(response.read())


@pytest.fixture(scope="module")
def live(published_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``opendata-sozial serve`` over the published database."""

    def env(port: int) -> dict[str, str]:
        return {
            **os.environ,
            "ODS_DATABASE_URL": published_url,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
        }

    command = [sys.executable, "-m", "opendata_sozial", "serve"]
    logs = tmp_path_factory.mktemp("snippets-server")
    with serving(lambda port: [*command, "--port", str(port)], env, logs) as port:
        yield f"http://127.0.0.1:{port}"


def _snippets(live: str, package: str, resource: dict[str, Any]) -> dict[str, Snippet]:
    """The snippets of a resource for the live server's URLs (as the dataset page builds them)."""
    detail = json.loads(_get(f"{live}/api/v1/datasets/{package}"))
    links = next(r for r in detail["links"]["resources"] if r["name"] == resource["name"])
    snippets = usage_snippets(
        resource=resource["name"],
        table=parse_table(resource["name"], resource["schema"]),
        original_url=links["downloads"]["original"]["url"],
        rows_url=links["rows"],
        excel_url=links["downloads"]["csv_excel_de"]["url"],
        example=[(KEY, _keys(package, resource)[0])],
    )
    return {s.language: s for s in snippets}


def _variant(code: str) -> str:
    """The commented second read, uncommented."""
    tail = code.split(VARIANT, 1)[1]
    return "\n".join(line.removeprefix("# ").removeprefix("#") for line in tail.splitlines())


def test_the_page_shows_the_snippets_that_are_tested(live: str) -> None:
    package, resource = RESOURCES[0]
    page = _get(f"{live}/datensaetze/{package}").decode("utf-8")
    shown = re.search(r'<pre id="nutzen-python"[^>]*><code>(.*?)</code></pre>', page, re.S)
    assert shown is not None
    expected = _snippets(live, package, resource)["python"].code
    assert html.unescape(shown.group(1)) == expected


@pytest.mark.parametrize(("package", "resource"), RESOURCES, ids=IDS)
def test_python_snippet_keeps_region_keys(
    live: str, package: str, resource: dict[str, Any]
) -> None:
    code = _snippets(live, package, resource)["python"].code
    scope: dict[str, Any] = {}
    exec(code, scope)  # noqa: S102  # the snippet, as a user would run it
    assert sorted(scope["daten"][KEY].tolist()) == _keys(package, resource)
    exec(_variant(code), scope)  # noqa: S102
    assert sorted(scope["daten"][KEY].tolist()) == _keys(package, resource)


@pytest.mark.parametrize(("package", "resource"), RESOURCES, ids=IDS)
def test_curl_snippet_keeps_region_keys(
    live: str, package: str, resource: dict[str, Any], tmp_path: Path
) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl ist nicht installiert")
    code = _snippets(live, package, resource)["shell"].code
    done = subprocess.run(  # the snippet, as a user would run it
        ["/bin/sh", "-e", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    saved = (tmp_path / f"{resource['name']}.csv").read_bytes()
    assert saved == (DATAPACKAGES / package / resource["path"]).read_bytes()
    rows = json.loads(done.stdout)["rows"]
    first = _keys(package, resource)[0]
    assert rows
    assert {row[KEY] for row in rows} == {first}


@pytest.mark.parametrize(("package", "resource"), RESOURCES, ids=IDS)
def test_r_snippet_keeps_region_keys(
    live: str, package: str, resource: dict[str, Any], tmp_path: Path
) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("R (Rscript) ist auf diesem Rechner nicht installiert")
    code = _snippets(live, package, resource)["r"].code
    out = tmp_path / "keys.txt"
    for script in (code, f"{code.split(VARIANT, 1)[0]}\n{_variant(code)}"):
        program = f'{script}\nwriteLines(sort(daten${KEY}), "{out}")\n'
        done = subprocess.run(  # the snippet, as a user would run it
            [rscript, "-e", program], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert sorted(out.read_text(encoding="utf-8").split()) == _keys(package, resource)


def test_the_pandas_block_of_the_api_docs_keeps_region_keys(live: str) -> None:
    docs = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = docs.split("### Reading the exports with pandas", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(block.replace("http://127.0.0.1:8000", live), scope)  # noqa: S102  # the documented code
    package = "grundsicherung-sitz-des-traegers"
    resource = next(r for p, r in RESOURCES if p == package)
    keys = _keys(package, resource)
    for frame in ("original", "excel_csv", "rows_json", "workbook"):
        assert sorted(scope[frame][KEY].tolist()) == keys, frame
