"""Impressum, Datenschutzerklärung and Erklärung zur Barrierefreiheit, filled from catalog.yaml.

A test catalog with values found nowhere else proves that every detail comes from the file;
defaults (LDI NRW, Ombudsstelle, contact point) show where a key is left out; a missing required
key stops the server start and ``validate`` with a German message naming it.
"""

import copy
import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import pytest
import yaml
from litestar.testing import TestClient
from pydantic import BaseModel

from opendata_sozial.catalog import Legal, load_catalog
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.errors import ConfigError
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from tests.conftest import CATALOG_FILE, DATAPACKAGES, REFERENCE_DIRS

if TYPE_CHECKING:
    from litestar import Litestar

    Client = TestClient[Litestar]

LEGAL_PAGES = ("/impressum", "/datenschutz", "/barrierefreiheit")

LEGAL: dict[str, Any] = {
    "operator": {
        "name": "Testamt für Rechtsseiten Nordrhein-Westfalen",
        "address": ["Prüfweg 7", "59999 Musterstadt"],
        "represented_by": "die Amtsleiterin Erika Mustermann",
        "email": "impressum@testamt.example",
        "phone": "(02999) 123-45",
        "url": "https://testamt.example/",
        "vat_id": "DE987654321",
        "supervisory_authority": {
            "name": "Aufsichtsministerium Teststadt",
            "address": ["Aufsichtsplatz 1", "59998 Teststadt"],
        },
    },
    "content_responsible": {
        "name": "Max Inhaltsprüfer",
        "address": ["Redaktionsgasse 3", "59997 Redaktionsdorf"],
    },
    "privacy": {
        "controller": {
            "name": "Verantwortliche Teststelle",
            "address": ["Kontrollallee 9", "59996 Kontrollheim"],
            "email": "verantwortlich@testamt.example",
        },
        "data_protection_officer": {
            "name": "Datenschutzbeauftragte Petra Probe",
            "email": "dsb@testamt.example",
            "phone": "(02999) 555-00",
        },
        "server_log": {
            "fields": ["Gekürzte IP-Adresse (letztes Oktett genullt)", "Abgerufene Adresse"],
            "retention_days": 3,
        },
        "processor": "Rechenzentrum Probehausen",
    },
    "accessibility": {
        "statement_date": "2024-02-14",
        "last_review": "2025-03-09",
        "assessment": "Zusätzlich prüfte das Prüflabor Sehtest am 01.03.2025 nach BITV.",
        "feedback": {
            "name": "Barrierestelle Testamt",
            "email": "barrieren@testamt.example",
            "phone": "(02999) 777-00",
            "form_url": "https://testamt.example/barriere-melden",
        },
    },
}

EXPECTED = {
    "/impressum": [
        "Testamt für Rechtsseiten Nordrhein-Westfalen",
        "Prüfweg 7",
        "59999 Musterstadt",
        "Vertreten durch die Amtsleiterin Erika Mustermann.",
        "impressum@testamt.example",
        "(02999) 123-45",
        "DE987654321",
        "Aufsichtsministerium Teststadt",
        "Max Inhaltsprüfer",
        "Redaktionsgasse 3",
    ],
    "/datenschutz": [
        "Verantwortliche Teststelle",
        "Kontrollallee 9",
        "Datenschutzbeauftragte Petra Probe",
        "dsb@testamt.example",
        "(02999) 555-00",
        "Gekürzte IP-Adresse (letztes Oktett genullt)",
        "Das Protokoll wird nach 3 Tagen gelöscht.",
        "in Zeitfenstern von 45 Sekunden",
        "Die Server betreibt Rechenzentrum Probehausen",
        # defaults of an NRW public body where the catalog says nothing
        "§ 3 Abs. 1 Datenschutzgesetz Nordrhein-Westfalen (DSG NRW)",
        "Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen",
    ],
    "/barrierefreiheit": [
        "Testamt für Rechtsseiten Nordrhein-Westfalen ist als öffentliche Stelle bemüht",
        "<strong>teilweise vereinbar</strong>",
        'am <time datetime="2024-02-14">14.02.2024</time> erstellt',
        'am <time datetime="2025-03-09">09.03.2025</time>',
        "Zusätzlich prüfte das Prüflabor Sehtest am 01.03.2025 nach BITV.",
        "axe-core",
        "Barrierestelle Testamt",
        "barrieren@testamt.example",
        "(02999) 777-00",
        "https://testamt.example/barriere-melden",
        "Diese Erklärung gilt für alle Seiten unter "
        '<a href="https://daten.testamt.example/">https://daten.testamt.example</a>',
        # the enforcement procedure for NRW public bodies by default
        "Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen",
        "ombudsstelle-barrierefreie-it@mags.nrw.de",
        "https://www.lbbp.nrw.de/ombudsstelle",
    ],
}


def write_catalog(folder: Path, legal: dict[str, Any] | None) -> Path:
    """The shipped catalog.yaml with ``legal`` replaced (``None``: the section left out)."""
    raw = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    raw.pop("legal", None)
    if legal is not None:
        raw["legal"] = legal
    path = folder / "catalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def client(catalog_file: Path, database_url: str, **settings: Any) -> "Client":
    return TestClient(
        create_app(
            Settings(
                database_url=database_url,
                catalog_file=catalog_file,
                base_url="https://daten.testamt.example",
                **settings,
            )
        )
    )


def without(path: str) -> dict[str, Any]:
    """LEGAL with the key at the dotted ``path`` removed."""
    legal = copy.deepcopy(LEGAL)
    *parents, last = path.split(".")
    node = legal
    for key in parents:
        node = node[key]
    del node[last]
    return legal


def text_of(page: str) -> str:
    """The visible text of ``<main>``, tags removed and blanks folded."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


# The pages carry the catalog's details


@pytest.fixture(scope="module")
def legal_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator["Client"]:
    """The test catalog and no database at all: the legal pages must not need one."""
    folder = tmp_path_factory.mktemp("legal")
    catalog_file = write_catalog(folder, LEGAL)
    missing = f"sqlite:///{folder / 'nie-angelegt.sqlite'}"
    with client(catalog_file, missing, rate_limit_window_seconds=45) as test_client:
        yield test_client


@pytest.mark.parametrize("path", LEGAL_PAGES)
def test_each_page_shows_the_operator_details_from_the_catalog(
    legal_client: "Client", path: str
) -> None:
    response = legal_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    missing = [
        value
        for value in EXPECTED[path]
        if html.escape(value, quote=False) not in response.text and value not in response.text
    ]
    assert missing == []
    assert "<h1>" in response.text


def test_the_shipped_catalog_fills_every_page() -> None:
    with client(CATALOG_FILE, "sqlite:///:memory:") as shipped:
        pages = {path: shipped.get(path) for path in LEGAL_PAGES}
    assert {path: r.status_code for path, r in pages.items()} == dict.fromkeys(LEGAL_PAGES, 200)
    imprint = text_of(pages["/impressum"].text)
    assert "Ministerium für Arbeit, Gesundheit und Soziales" in imprint
    assert "Fürstenwall 25" in imprint
    privacy = text_of(pages["/datenschutz"].text)
    assert "Das Protokoll wird nach 7 Tagen gelöscht." in privacy
    assert "IP-Adresse und Quellport" in privacy  # what `serve` (uvicorn) logs by default


def test_left_out_details_fall_back_to_the_operator_and_the_contact_point(
    tmp_path: Path,
) -> None:
    legal = without("privacy.controller")
    del legal["accessibility"]["feedback"]
    del legal["content_responsible"]["address"]
    legal["accessibility"]["enforcement"] = {
        "name": "Schlichtungsstelle nach dem Testgesetz",
        "address": ["Schlichtweg 1", "59995 Schlichtingen"],
        "phone": "(02999) 888-00",
    }
    with client(write_catalog(tmp_path, legal), "sqlite:///:memory:") as test_client:
        privacy = text_of(test_client.get("/datenschutz").text)
        imprint = text_of(test_client.get("/impressum").text)
        a11y = text_of(test_client.get("/barrierefreiheit").text)
    assert (
        "Verantwortlich im Sinne der Datenschutz-Grundverordnung (DSGVO) ist: "
        "Testamt für Rechtsseiten Nordrhein-Westfalen Prüfweg 7" in privacy
    )
    assert "Max Inhaltsprüfer Prüfweg 7 59999 Musterstadt" in imprint
    # the catalog's contact point answers reports of barriers
    assert "Sozialberichterstattung NRW E-Mail: Sozialberichte-Online@it.nrw.de" in a11y
    assert "Kontaktformular" not in a11y
    assert "Schlichtungsstelle nach dem Testgesetz Schlichtweg 1 59995 Schlichtingen" in a11y
    assert "Telefon: (02999) 888-00" in a11y
    assert "Ombudsstelle" not in a11y


def test_no_rate_limit_no_sentence_about_it(tmp_path: Path) -> None:
    catalog_file = write_catalog(tmp_path, LEGAL)
    with client(catalog_file, "sqlite:///:memory:", rate_limit_requests=0) as test_client:
        privacy = text_of(test_client.get("/datenschutz").text)
    assert "Begrenzung der Abrufe" not in privacy


def test_catalog_values_are_html_escaped(tmp_path: Path) -> None:
    legal = copy.deepcopy(LEGAL)
    legal["operator"]["represented_by"] = 'Dr. <b>Kühn</b> & "Partner"'
    legal["content_responsible"]["name"] = "<script>alert(1)</script>"
    legal["accessibility"]["feedback"]["name"] = "Barrieren & <i>Hürden</i>"
    with client(write_catalog(tmp_path, legal), "sqlite:///:memory:") as test_client:
        imprint = test_client.get("/impressum").text
        a11y = test_client.get("/barrierefreiheit").text
    assert "Dr. &lt;b&gt;Kühn&lt;/b&gt; &amp; &#34;Partner&#34;" in imprint
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in imprint
    assert "<b>Kühn</b>" not in imprint
    assert "<script>alert" not in imprint
    assert "Barrieren &amp; &lt;i&gt;Hürden&lt;/i&gt;" in a11y


# Every page links to the three statements


class _Footer:
    """The links of a page's ``<footer>``: href -> the link's whole tag."""

    def __init__(self, page: str) -> None:
        footer = page.split('<footer class="site-footer">', 1)[1].split("</footer>", 1)[0]
        self.links = {
            m.group(1): m.group(0) for m in re.finditer(r'<a href="([^"]+)"[^>]*>', footer)
        }


@pytest.fixture
def published_client(database_url: str, tmp_path: Path) -> Iterator["Client"]:
    """One package published (on both backends), served with the test catalog."""
    engine = create_db_engine(database_url)
    try:
        publish(
            [DATAPACKAGES / "lebensformen"],
            engine=engine,
            catalog=load_catalog(CATALOG_FILE),
            reference_dirs=REFERENCE_DIRS,
        )
    finally:
        engine.dispose()
    with client(write_catalog(tmp_path, LEGAL), database_url, rate_limit_requests=0) as c:
        yield c


PAGE_TYPES = {
    "/": 200,
    "/suche?q=lebensformen": 200,
    "/datensaetze/lebensformen": 200,
    "/datensaetze/lebensformen/versionen": 200,
    "/aenderungen": 200,
    "/schema": 200,
    "/datensaetze/gibtsnicht": 404,
    "/datensaetze/lebensformen?jahr=kein-jahr": 400,
    "/impressum": 200,
    "/datenschutz": 200,
    "/barrierefreiheit": 200,
}


def test_the_footer_of_every_page_type_links_to_the_three_statements(
    published_client: "Client",
) -> None:
    for url, status in PAGE_TYPES.items():
        response = published_client.get(url)
        assert response.status_code == status, url
        links = _Footer(response.text).links
        assert [path for path in LEGAL_PAGES if path not in links] == [], url
        current = [path for path in LEGAL_PAGES if 'aria-current="page"' in links[path]]
        assert current == ([url] if url in LEGAL_PAGES else []), url
        # what the privacy statement promises: no cookies, nothing loaded from elsewhere
        assert "set-cookie" not in response.headers, url
        assert _loaded_from_elsewhere(response.text) == [], url
        # not every dataset is under DL-DE (Köln: CC BY): the footer points to each one's licence
        assert "Jeder Datensatz nennt seine Lizenz" in response.text, url
        assert "Die Daten stehen unter der" not in response.text, url


def _loaded_from_elsewhere(page: str) -> list[str]:
    """Addresses of scripts, stylesheets, icons, images and frames not on this origin."""
    loaded = re.findall(r'<(?:script|img|iframe|source)\b[^>]*\bsrc="([^"]+)"', page)
    loaded += [
        m.group(2)
        for m in re.finditer(r'<link\b([^>]*)\bhref="([^"]+)"', page)
        if re.search(r'rel="(?:stylesheet|icon|preload|modulepreload)"', m.group(0))
    ]
    return [url for url in loaded if not url.startswith("/") or url.startswith("//")]


def test_the_footer_of_the_unavailable_page_links_to_them_too(tmp_path: Path) -> None:
    broken = "postgresql://nobody@127.0.0.1:1/nowhere"
    with client(write_catalog(tmp_path, LEGAL), broken, connect_timeout_seconds=1) as c:
        unavailable = c.get("/suche")
        imprint = c.get("/impressum")
    assert unavailable.status_code == 503
    assert set(LEGAL_PAGES) <= set(_Footer(unavailable.text).links)
    assert imprint.status_code == 200  # the statements need no database


# A missing or malformed detail stops the start, naming the key in German


@pytest.mark.parametrize(
    ("removed", "message"),
    [
        (
            "operator.represented_by",
            "legal.operator.represented_by (Impressum: vertreten durch): Pflichtangabe fehlt",
        ),
        (
            "operator.address",
            "legal.operator.address (Anschrift, eine Zeile je Eintrag): Pflichtangabe fehlt",
        ),
        ("operator.email", "legal.operator.email (E-Mail des Anbieters): Pflichtangabe fehlt"),
        (
            "content_responsible.name",
            "legal.content_responsible.name (Verantwortlich für den Inhalt nach § 18 Abs. 2 "
            "MStV): Pflichtangabe fehlt",
        ),
        (
            "privacy.data_protection_officer.email",
            "legal.privacy.data_protection_officer.email (E-Mail der oder des "
            "Datenschutzbeauftragten): Pflichtangabe fehlt",
        ),
        (
            "privacy.server_log.retention_days",
            "legal.privacy.server_log.retention_days (Speicherdauer der Protokolle in Tagen): "
            "Pflichtangabe fehlt",
        ),
        (
            "accessibility.statement_date",
            "legal.accessibility.statement_date (Datum der Erklärung (JJJJ-MM-TT)): "
            "Pflichtangabe fehlt",
        ),
    ],
)
def test_a_missing_required_detail_stops_the_server_start(
    tmp_path: Path, removed: str, message: str
) -> None:
    catalog_file = write_catalog(tmp_path, without(removed))
    with pytest.raises(ConfigError) as caught:
        create_app(Settings(database_url="sqlite:///:memory:", catalog_file=catalog_file))
    assert str(caught.value) == f"Katalogdatei {catalog_file} ungültig: {message}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"operator": {"represented_by": "   "}},
            "legal.operator.represented_by (Impressum: vertreten durch): zu kurz oder leer",
        ),
        (
            {"privacy": {"data_protection_officer": {"email": "datenschutz(at)amt"}}},
            "legal.privacy.data_protection_officer.email (E-Mail der oder des "
            "Datenschutzbeauftragten): keine gültige E-Mail-Adresse",
        ),
        (
            {"accessibility": {"last_review": "9. März 2025"}},
            "legal.accessibility.last_review (Datum der letzten Überprüfung (JJJJ-MM-TT)): "
            "kein Datum der Form JJJJ-MM-TT",
        ),
        (
            {"accessibility": {"last_review": "2023-12-31"}},
            "legal.accessibility (Barrierefreiheit): last_review (2023-12-31) liegt vor "
            "statement_date (2024-02-14)",
        ),
        (
            {"privacy": {"server_log": {"retention_days": 0}}},
            "legal.privacy.server_log.retention_days (Speicherdauer der Protokolle in Tagen): "
            "muss mindestens 1 sein",
        ),
        (
            {"operator": {"vat_id": "123"}},
            "legal.operator.vat_id (Umsatzsteuer-Identifikationsnummer): hat nicht die Form "
            "^DE[0-9]{9}$",
        ),
        ({"operator": {"fax": "0211 1"}}, "legal.operator.fax: unbekannter Schlüssel"),
    ],
)
def test_a_malformed_detail_is_named_in_german(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    legal = copy.deepcopy(LEGAL)
    for section, values in change.items():
        _merge(legal[section], values)
    catalog_file = write_catalog(tmp_path, legal)
    with pytest.raises(ConfigError) as caught:
        create_app(Settings(database_url="sqlite:///:memory:", catalog_file=catalog_file))
    assert str(caught.value) == f"Katalogdatei {catalog_file} ungültig: {message}"


def _merge(target: dict[str, Any], values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, dict):
            _merge(target[key], value)
        else:
            target[key] = value


def test_validate_refuses_a_catalog_without_legal_details(tmp_path: Path) -> None:
    catalog_file = write_catalog(tmp_path, None)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ODS_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "opendata_sozial",
            "--catalog",
            str(catalog_file),
            "validate",
            str(DATAPACKAGES / "lebensformen"),
        ],
        cwd=tmp_path,
        env={**env, "COLUMNS": "1000"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"Fehler (invalid-config): Katalogdatei {catalog_file} ungültig: legal (Angaben für "
        "Impressum, Datenschutz und Barrierefreiheit): Pflichtangabe fehlt"
    ) in result.stderr


def test_every_legal_key_is_documented() -> None:
    text = (CATALOG_FILE.parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert list(_undocumented(Legal, "legal", text)) == []


def _undocumented(model: type[BaseModel], prefix: str, text: str) -> Iterator[str]:
    """Keys below ``prefix`` that the table names neither in full nor as ``.key`` in a row.

    A section documented as a whole (```legal.privacy.controller``` with its keys in braces)
    is not descended into.
    """
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}"
        sections = [
            a
            for a in (field.annotation, *get_args(field.annotation))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if sections and f"`{path}`" not in text:
            yield from _undocumented(sections[0], path, text)
        elif path not in text and f"`.{name}`" not in text:
            yield path
