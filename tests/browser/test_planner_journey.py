"""A social planner's journey in Chromium, from the home page to every download (issue 13).

A planner in Gelsenkirchen starts on the home page, finds her Kreis, sees every indicator
beside NRW and its peers (spine charts, ranks), sees it on the map, builds an index from three
indicators, compares her city with two of its neighbours and fetches every download the
pages offer. A planner in Köln finds the Stadtteil Chorweiler the same way. At 1280 and
360 px, with a screenshot of each step in ``test-artefacts/`` and axe-core finding nothing
serious on any page. Downloads are fetched with the page's own request context (Chromium's
download manager is not available here): each link answers 200 with its media type.
"""

from pathlib import Path

import pytest

from tests.browser.conftest import Tab
from tests.browser.test_page_types import _axe
from tests.browser.test_reflow import _overflow
from tests.browser.test_region_index import build_index_by_form

pytestmark = pytest.mark.browser

GELSENKIRCHEN = "05513"
CHORWEILER = "05315000-609"
MEDIA = {  # the start of the Content-Type each kind of download answers with
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _step(tab: Tab, axe_source: str, artefacts: Path, name: str) -> None:
    """Screenshot, axe-core and the console of the page the tab is on."""
    tab.page.screenshot(path=str(artefacts / f"journey-{name}.png"), full_page=True)
    assert _axe(tab, axe_source) == [], name
    assert tab.csp_violations() == [], name
    assert [m for m in tab.console if m.startswith("error")] == [], name
    assert _overflow(tab) == [], name


def _fetch_downloads(tab: Tab, section: str) -> list[str]:
    """Fetch every ``download`` link inside ``section``; their URLs."""
    links = tab.page.locator(f"{section} a[download]")
    urls = [str(links.nth(i).get_attribute("href")) for i in range(links.count())]
    assert urls, section
    for url in urls:
        response = tab.page.request.get(url if url.startswith("http") else f"{tab.base}{url}")
        assert response.status == 200, url
        suffix = next((s for s in MEDIA if url.split("?")[0].endswith(s)), None)
        if suffix is not None:
            assert response.headers["content-type"].startswith(MEDIA[suffix]), url
        assert len(response.body()) > 0, url
    return urls


def _find_from_home(tab: Tab, query: str, key: str) -> None:
    """Home page → region search → the place's Steckbrief."""
    assert tab.open("/").status == 200
    tab.page.fill("#start-region-q", query)
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Steckbrief finden").click()
    assert "/regionen?q=" in tab.page.url
    hit = tab.page.locator(f'main a[href$="/regionen/{key}"]').first
    with tab.page.expect_navigation():
        hit.click()
    assert tab.page.url.endswith(f"/regionen/{key}")


def _steckbrief(tab: Tab) -> None:
    """Every indicator beside NRW and its peers, and the place on the map."""
    page = tab.page
    assert "Gelsenkirchen" in page.locator("h1").inner_text()
    headers = page.locator("table.region-table thead th").all_inner_texts()
    assert "NRW" in headers
    assert "Rang" in headers
    rows = page.locator("table.region-table tbody tr")
    assert rows.count() >= 10  # the Kreis tables: unemployment, age, income, SGB II, …
    assert page.locator("table.region-table tbody td.region-table__chart svg").count() >= 5
    assert "von 53" in " ".join(page.locator("table.region-table tbody").all_inner_texts())
    assert page.locator(".map a.map__link").count() == 53
    assert page.locator(f'.map a.map__link[href$="/regionen/{GELSENKIRCHEN}"]').count() == 1


def _index(tab: Tab) -> None:
    """An index from three indicators; the planner's Kreis is in the ranking."""
    page = tab.page
    assert tab.open("/regionen/index?ebene=kreis").status == 200
    build_index_by_form(page)  # the three indicators of tests/browser/test_region_index.py
    ranking = page.locator("table.index-table tbody")
    assert ranking.locator(f'a[href$="/regionen/{GELSENKIRCHEN}"]').count() == 1
    assert page.locator(".map a.map__link").count() == 53


def _compare_with_two_neighbours(tab: Tab) -> list[str]:
    """From the Steckbrief's neighbours to a comparison of three places, by the form."""
    page = tab.page
    assert tab.open(f"/regionen/{GELSENKIRCHEN}").status == 200
    neighbours = page.locator("#nachbarn-bereich li a")
    assert neighbours.count() >= 2
    keys = [str(neighbours.nth(i).get_attribute("href")).rsplit("/", 1)[1] for i in range(2)]
    assert tab.open(f"/regionen/vergleich?keys={GELSENKIRCHEN}").status == 200
    for key in keys:  # a place is added by its key through the form (one match: 303)
        page.fill("#ort", key)
        with page.expect_navigation():
            page.get_by_role("button", name="Hinzufügen").click()
    columns = page.locator("thead a")
    assert columns.count() == 3
    for key in [GELSENKIRCHEN, *keys]:
        assert page.locator(f'thead a[href$="/regionen/{key}"]').count() == 1
    return keys


def _journey(tab: Tab, axe_source: str, artefacts: Path, suffix: str) -> None:
    _find_from_home(tab, "Gelsenkirchen", GELSENKIRCHEN)
    _steckbrief(tab)
    _step(tab, axe_source, artefacts, f"steckbrief-{suffix}")
    profile = _fetch_downloads(tab, "main")
    assert any(u.split("?")[0].endswith(".xlsx") for u in profile)
    assert any("excel-de" in u for u in profile)
    _index(tab)
    _step(tab, axe_source, artefacts, f"index-{suffix}")
    _compare_with_two_neighbours(tab)
    _step(tab, axe_source, artefacts, f"vergleich-{suffix}")
    comparison = _fetch_downloads(tab, "main")
    assert any(u.split("?")[0].endswith(".xlsx") for u in comparison)
    _find_from_home(tab, "Chorweiler", CHORWEILER)
    assert "Chorweiler" in tab.page.locator("h1").inner_text()
    assert tab.page.locator("table.region-table tbody tr").count() >= 1
    _step(tab, axe_source, artefacts, f"stadtteil-{suffix}")


def test_planner_journey_on_desktop(desktop: Tab, axe_source: str, artefacts: Path) -> None:
    _journey(desktop, axe_source, artefacts, "desktop")


def test_planner_journey_on_a_phone(phone: Tab, axe_source: str, artefacts: Path) -> None:
    _journey(phone, axe_source, artefacts, "360")
