"""The region pages in Chromium: axe-core finds nothing serious, no sideways scrolling, map links.

/regionen, Kreis and Gemeinde Steckbriefe (with neighbours and small multiples) and a
comparison at 1280 and 360 px (screenshots in
``test-artefacts/``), and at 320 px (WCAG 1.4.10 reflow); the map's areas are links a keyboard
reaches.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import Tab, _tab
from tests.browser.test_page_types import _axe
from tests.browser.test_reflow import NARROW, _overflow

pytestmark = pytest.mark.browser

PAGES = {
    "regionen": "/regionen",
    "regionen-gemeinden": "/regionen?ebene=gemeinde",
    "steckbrief-kreis": "/regionen/05513",
    "steckbrief-regierungsbezirk": "/regionen/055",
    "steckbrief-nachbarn": "/regionen/05315",
    "steckbrief-gemeinde": "/regionen/05315000",
    "vergleich": "/regionen/vergleich?keys=05513,05562,05913",
    "region-404": "/regionen/99999",
}
EXPECTED_STATUS = {"region-404": 404}


@pytest.fixture
def narrow(browser, server: str) -> Iterator[Tab]:  # type: ignore[no-untyped-def]  # playwright Browser
    yield from _tab(browser, server, NARROW)


def _check(tab: Tab, name: str, axe_source: str, artefacts: Path, suffix: str) -> None:
    response = tab.open(PAGES[name])
    assert response.status == EXPECTED_STATUS.get(name, 200)
    tab.page.screenshot(path=str(artefacts / f"{name}-{suffix}.png"), full_page=True)
    assert _axe(tab, axe_source) == []
    assert tab.csp_violations() == []
    errors = [m for m in tab.console if m.startswith("error") and "status of 40" not in m]
    assert errors == []


@pytest.mark.parametrize("name", list(PAGES))
def test_region_page_on_desktop(desktop: Tab, axe_source: str, artefacts: Path, name: str) -> None:
    _check(desktop, name, axe_source, artefacts, "desktop")


@pytest.mark.parametrize("name", list(PAGES))
def test_region_page_on_a_phone(phone: Tab, axe_source: str, artefacts: Path, name: str) -> None:
    _check(phone, name, axe_source, artefacts, "360")
    assert _overflow(phone) == []


@pytest.mark.parametrize("name", list(PAGES))
def test_region_page_reflows_at_320(narrow: Tab, name: str) -> None:
    response = narrow.open(PAGES[name])
    assert response.status == EXPECTED_STATUS.get(name, 200)
    assert _overflow(narrow) == []


def test_map_areas_are_links_the_keyboard_reaches(desktop: Tab) -> None:
    desktop.open("/regionen")
    links = desktop.page.locator("a.map__link")
    assert links.count() == 53
    for _ in range(400):  # Tab through the page until focus enters the map
        desktop.page.keyboard.press("Tab")
        if desktop.page.evaluate("document.activeElement.getAttribute('class')") == "map__link":
            break
    else:
        pytest.fail("no map area got the keyboard focus")
    target = desktop.page.evaluate("document.activeElement.getAttribute('href')")
    with desktop.page.expect_navigation():
        desktop.page.keyboard.press("Enter")
    assert desktop.page.url == target
    assert desktop.page.locator("h1").count() == 1


def test_steckbrief_compares_with_its_neighbours_by_link(desktop: Tab) -> None:
    desktop.open("/regionen/05315")
    neighbours = desktop.page.locator("#nachbarn-bereich li a")
    assert neighbours.count() == 6  # Köln's Kreise neighbours (tests/test_region_neighbours.py)
    assert desktop.page.locator(".trend__svg").count() > 0  # small multiples drawn
    with desktop.page.expect_navigation():
        desktop.page.get_by_role("link", name="Köln, Stadt mit Nachbarn vergleichen").click()
    assert "/regionen/vergleich?keys=05315," in desktop.page.url
    columns = desktop.page.locator("thead a")
    assert columns.count() == 7
