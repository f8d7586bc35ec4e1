"""``/schema``: the API documentation page works offline, loads nothing from third parties.

The browser tests (``tests/browser``) run axe-core over the rendered viewer; these check the
HTML, the CSP and the vendored viewer files without a browser.
"""

import importlib.util
import re
from html.parser import HTMLParser
from types import ModuleType

from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.web.rendering import STATIC_DIR
from tests.conftest import ROOT

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
    "connect-src 'self'"
)


class _Resources(HTMLParser):
    """Every URL the page makes the browser load (scripts, styles, icons), and its landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script" and attributes.get("src"):
            self.loaded.append(str(attributes["src"]))
        if tag == "link" and attributes.get("rel") in {"stylesheet", "icon", "preconnect"}:
            self.loaded.append(str(attributes["href"]))


def _vendor_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "vendor_swagger_ui", ROOT / "scripts" / "vendor_swagger_ui.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_page_loads_only_from_this_origin(api: TestClient[Litestar]) -> None:
    page = api.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == DOCS_CSP
    parser = _Resources()
    parser.feed(page.text)
    assert parser.loaded, "the page loads its viewer"
    assert all(url.startswith("/static/") for url in parser.loaded), parser.loaded
    assert not re.search(r"cdn\.|googleapis|jsdelivr|unpkg|redoc\.ly", page.text)
    for url in parser.loaded:
        asset = api.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-security-policy"].startswith("default-src 'none'")


def test_docs_page_has_language_main_and_heading(api: TestClient[Litestar]) -> None:
    parser = _Resources()
    parser.feed(api.get("/schema").text)
    tags = [tag for tag, _ in parser.tags]
    assert ("html", {"lang": "de"}) in parser.tags
    assert tags.count("main") == 1
    assert tags.count("h1") == 1
    viewer = next(
        attributes for tag, attributes in parser.tags if attributes.get("id") == "api-docs"
    )
    assert viewer["data-openapi"] == "/schema/openapi.json"


def test_openapi_document_is_still_served_with_a_strict_policy(api: TestClient[Litestar]) -> None:
    for path in ("/schema/openapi.json", "/schema/openapi.yaml"):
        response = api.get(path)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )
    assert api.get("/schema/redoc").status_code == 404  # Litestar's CDN pages are gone


def test_vendored_viewer_matches_the_pinned_package() -> None:
    script = _vendor_script()
    assert script.check() == []
    assert {name for name, _ in script.FILES.values()} <= {
        path.name for path in STATIC_DIR.iterdir()
    }
    assert "Apache License" in (STATIC_DIR / "swagger-ui.LICENSE.txt").read_text(encoding="utf-8")
