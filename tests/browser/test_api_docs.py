"""``/schema`` in Chromium: the viewer renders from this origin only and stays accessible open."""

import pytest

from tests.browser.conftest import Tab
from tests.browser.test_page_types import _axe

pytestmark = pytest.mark.browser

OPERATIONS = ["#operations-Datensätze-ListDatasets", "#operations-Zeilen-GetRows"]


def test_api_docs_load_nothing_from_other_origins(desktop: Tab) -> None:
    requested: list[str] = []
    desktop.page.on("request", lambda request: requested.append(request.url))
    desktop.open("/schema")
    desktop.page.wait_for_selector(".api-docs .opblock-tag")
    assert any(url.endswith("/schema/openapi.json") for url in requested)
    assert [url for url in requested if not url.startswith(desktop.base)] == []
    assert desktop.csp_violations() == []


def test_open_operations_pass_axe(desktop: Tab, axe_source: str) -> None:
    desktop.open("/schema")
    desktop.page.wait_for_selector(".api-docs .opblock-tag")
    for operation in OPERATIONS:
        desktop.page.click(f"{operation} .opblock-summary-control")
        desktop.page.wait_for_selector(f"{operation} .parameters")
    assert _axe(desktop, axe_source) == []
    assert desktop.csp_violations() == []
    assert [m for m in desktop.console if m.startswith("error")] == []
