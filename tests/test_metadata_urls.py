"""Metadata links: only http(s) (and mailto for contacts) pass validate and reach any output.

``validate`` refuses other schemes (the broken corpus has the cases, ``url-invalid``); a
release published before that rule may still hold them, so every output edge (HTML links,
JSON-LD, DCAT, CKAN) goes through ``domain.web_url`` as well. The test below plants such links
in a published release directly in the database and reads every edge.
"""

import copy
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select, update

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.models import DATASET
from opendata_sozial.domain import mailto_url, web_url
from opendata_sozial.ingest.validate import validate_paths
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from tests.broken_packages import copy_valid, edit_descriptor, flatten
from tests.conftest import REFERENCE_DIRS

NAME = "armutsrisikoquoten-merkmale"
HOSTILE = "javascript:alert(document.domain)"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.it.nrw/statistik?jahr=2019#tabelle",
        "http://127.0.0.1:8000/",
        "HTTPS://WWW.MAGS.NRW",
        "https://münchen.de/straße",
    ],
)
def test_web_url_accepts_http_and_https(url: str) -> None:
    assert web_url(url) == url
    assert web_url(url, contact=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://ftp.example.org/x",
        "//example.org/x",
        "/relativ",
        "www.it.nrw",
        "https://",
        "http:///pfad",
        "https://example.org:port/",
        " https://example.org",
        "https://example.org/mit leerzeichen",
        'https://example.org/"><script>',
        "https://example.org/\u202eevil",
        "mailto:a@b.de",  # only for contacts
        "",
        None,
        5,
    ],
)
def test_web_url_refuses_everything_else(url: object) -> None:
    assert web_url(url) is None


def test_contacts_may_be_mailto() -> None:
    assert web_url("mailto:statistik@it.nrw.de", contact=True) == "mailto:statistik@it.nrw.de"
    assert web_url("mailto:a b@c.de", contact=True) is None
    assert web_url("mailto:a@b.de?subject=x", contact=True) is None
    assert web_url("mailto:javascript:alert(1)", contact=True) is None
    assert mailto_url("statistik@it.nrw.de") == "mailto:statistik@it.nrw.de"
    assert mailto_url('a@b.de"><script>') is None


def test_validate_accepts_mailto_for_contributors(tmp_path: Path, catalog: CatalogInfo) -> None:
    folder = copy_valid(tmp_path)

    def change(descriptor: dict[str, Any]) -> None:
        descriptor["contributors"].append(
            {"title": "Redaktion", "roles": ["contact"], "path": "mailto:redaktion@mags.nrw.de"}
        )
        descriptor["contributors"][0]["email"] = "poststelle@mags.nrw.de"

    edit_descriptor(folder, change)
    assert flatten(validate_paths([folder], catalog)) == []


def test_validate_refuses_mailto_as_homepage_and_names_the_resource_fields(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    folder = copy_valid(tmp_path)

    def change(descriptor: dict[str, Any]) -> None:
        descriptor["homepage"] = "mailto:redaktion@mags.nrw.de"
        descriptor["resources"][0]["homepage"] = "file:///srv/daten"
        descriptor["resources"][0]["sources"] = [{"title": "Quelle", "path": "vbscript:x"}]

    edit_descriptor(folder, change)
    report = validate_paths([folder], catalog)
    assert flatten(report) == [
        ("url-invalid", None, "homepage", "mailto:redaktion@mags.nrw.de"),
        ("url-invalid", None, "resources[0].homepage", "file:///srv/daten"),
        ("url-invalid", None, "resources[0].sources[0].path", "vbscript:x"),
    ]
    issue = report.errors()[0]
    assert (
        issue.hint
        == "eine vollständige http(s)-Adresse, z. B. 'https://www.it.nrw/statistik' angeben"
    )


def _plant_hostile_links(url: str) -> None:
    """Links as a release published before the rule could hold them."""
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            stored = conn.execute(
                select(DATASET.c.id, DATASET.c.descriptor).where(DATASET.c.name == NAME)
            ).all()
            for row_id, descriptor in stored:
                changed = copy.deepcopy(descriptor)
                changed["homepage"] = HOSTILE
                changed["sources"][0]["path"] = HOSTILE
                for person in changed["contributors"]:
                    person["path"] = HOSTILE
                changed["contributors"].append(
                    {"title": "Kontakt", "roles": ["contact"], "email": f"x@y.de>{HOSTILE}"}
                )
                changed["licenses"][0]["path"] = HOSTILE
                conn.execute(
                    update(DATASET).where(DATASET.c.id == row_id).values(descriptor=changed)
                )
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_output_edge_emits_a_hostile_metadata_link(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    engine = create_db_engine(database_url)
    try:
        publish(
            [copy_valid(tmp_path)], engine=engine, catalog=catalog, reference_dirs=REFERENCE_DIRS
        )
    finally:
        engine.dispose()
    _plant_hostile_links(database_url)
    edges = [
        f"/datensaetze/{NAME}",  # HTML links and the JSON-LD inside the page
        f"/datasets/{NAME}.ttl",
        f"/datasets/{NAME}.jsonld",
        f"/datasets/{NAME}.rdf",
        "/catalog.ttl",
        f"/api/3/action/package_show?id={NAME}",
        "/api/3/action/package_search?q=armut",
        "/api/3/action/organization_list?all_fields=true",
        "/api/3/action/license_list",
    ]
    settings = Settings(database_url=database_url, rate_limit_requests=0)
    with TestClient(create_app(settings)) as client:
        assert HOSTILE in client.get(f"/api/v1/datasets/{NAME}/datapackage.json").text
        for edge in edges:
            response = client.get(edge)
            assert response.status_code == 200, edge
            assert "javascript:" not in response.text, edge
        page = client.get(f"/datensaetze/{NAME}").text
    assert "Information und Technik Nordrhein-Westfalen" in page  # still named, not linked
