"""A Stadtteil of the synthetic Musterstadt with its map, in Chromium.

A server of its own publishes the region directory, the official boundaries and the Musterstadt
packages of ``tests/fixtures/smallarea`` (never shipped). The Steckbrief of the Stadtteil
Nordwestheide draws the Stadtteile of its Gemeinde with itself outlined; at 1280 and 360 px
(screenshots in ``test-artefacts/``) axe-core finds nothing serious and nothing scrolls sideways;
the same for the Gemeinde page with the map of its Stadtteile.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Tab, _tab, published_server
from tests.browser.test_page_types import _axe
from tests.browser.test_reflow import _overflow

pytestmark = pytest.mark.browser

PACKAGES = [
    "datapackages/nrw-regionen",
    "geography/nrw-geometrie",
    "tests/fixtures/smallarea/musterstadt-gebiete",
    "tests/fixtures/smallarea/musterstadt-kennzahlen",
]
STADTTEIL = "/regionen/05515000-nw"


@pytest.fixture(scope="module")
def muster_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    """``opendata-sozial publish`` of the Musterstadt packages into a fresh SQLite, ``serve``."""
    yield from published_server(tmp_path_factory.mktemp("browser-musterstadt"), PACKAGES)


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "360"])
def muster_tab(request: pytest.FixtureRequest, browser, muster_server: str) -> Iterator[Tab]:  # type: ignore[no-untyped-def]  # playwright Browser
    yield from _tab(browser, muster_server, request.param)


def test_a_stadtteil_page_with_its_map(muster_tab: Tab, axe_source: str, artefacts: Path) -> None:
    tab = muster_tab
    response = tab.open(STADTTEIL)
    assert response.status == 200
    page = tab.page
    areas = page.locator("#karte a.map__link")
    assert areas.count() == 4  # the Stadtteile of the Gemeinde
    current = page.locator('#karte a.map__link[aria-current="page"]')
    assert current.get_attribute("aria-label") == "Nordwestheide: 3\u00a0150\u00a0Personen"
    assert page.locator("#karte .map__highlight").count() == 1
    assert page.locator("#karte .map__classes li").count() == 4
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(artefacts / f"stadtteil-karte-{width}.png"), full_page=True)
    assert _axe(tab, axe_source) == []
    assert tab.csp_violations() == []
    assert _overflow(tab) == []
    with page.expect_navigation():
        page.locator('#karte a.map__link[href$="/regionen/05515000-no"]').click()
    assert page.locator("h1").inner_text() == "Nordostfeld"


def test_the_gemeinde_page_with_the_map_of_its_areas(
    muster_tab: Tab, axe_source: str, artefacts: Path
) -> None:
    tab = muster_tab
    assert tab.open("/regionen/05515000?gebiete=stadtteil").status == 200
    page = tab.page
    assert page.locator("#gebiete a.map__link").count() == 4
    assert page.locator("#karte a.map__link").count() == 396  # the Gemeinden of NRW beside it
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(artefacts / f"gemeinde-gebiete-{width}.png"), full_page=True)
    assert _axe(tab, axe_source) == []
    assert _overflow(tab) == []
