"""The index builder in Chromium: a planner builds an index from three indicators with the form.

At 1280 and 360 px (screenshots in ``test-artefacts/``): the form is filled and sent without
any script of ours, the result shows map, ranking, method and downloads; axe-core finds
nothing serious, the page does not scroll sideways, and the ranking links each Steckbrief.
"""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Tab
from tests.browser.test_page_types import _axe
from tests.browser.test_reflow import _overflow

pytestmark = pytest.mark.browser

CHOSEN = [
    ("Arbeitslosenquote bez. auf alle zivilen Erwerbspersonen (Prozent;", "hoch-schlecht", "2"),
    ("Verfügbares Einkommen der privaten Haushalte je Einwohner (EUR;", "hoch-gut", "1"),
    ("SGB II-Quote Insgesamt (%;", "hoch-schlecht", "1"),
]
LABEL = "berechnet aus den veröffentlichten Zahlen, keine amtliche Kennzahl"


def build_index_by_form(page: Any) -> None:  # playwright's Page
    """Choose the three indicators of ``CHOSEN`` in the form on the page and send it."""
    for number, (label, direction, weight) in enumerate(CHOSEN, start=1):
        option = page.locator(f"#ind-{number} option", has_text=label)
        assert option.count() == 1, label
        page.select_option(f"#ind-{number}", value=option.get_attribute("value"))
        page.select_option(f"#richtung-{number}", value=direction)
        page.fill(f"#gewicht-{number}", weight)
    with page.expect_navigation():
        page.get_by_role("button", name="Index berechnen").click()


def _build(tab: Tab, artefacts: Path, suffix: str, axe_source: str) -> None:
    response = tab.open("/regionen/index?ebene=kreis")
    assert response.status == 200
    assert _axe(tab, axe_source) == []
    page = tab.page
    build_index_by_form(page)
    assert "/regionen/index?" in page.url
    assert page.locator("h2#rangliste").count() == 1
    rows = page.locator("table.index-table tbody tr")
    assert rows.count() >= 3
    assert page.locator(".map a.map__link").count() == 53
    assert LABEL in page.locator("main").inner_text()
    assert page.locator("a", has_text="Index als CSV").count() == 1
    page.screenshot(path=str(artefacts / f"index-{suffix}.png"), full_page=True)
    assert _axe(tab, axe_source) == []
    assert tab.csp_violations() == []
    assert [m for m in tab.console if m.startswith("error")] == []
    first = rows.first.locator("th a")
    target = first.get_attribute("href")
    with page.expect_navigation():
        first.click()
    assert page.url == target
    assert page.locator("h1").count() == 1


def test_index_builder_on_desktop(desktop: Tab, axe_source: str, artefacts: Path) -> None:
    _build(desktop, artefacts, "desktop", axe_source)


def test_index_builder_on_a_phone(phone: Tab, axe_source: str, artefacts: Path) -> None:
    _build(phone, artefacts, "360", axe_source)
    phone.page.go_back()
    assert _overflow(phone) == []
