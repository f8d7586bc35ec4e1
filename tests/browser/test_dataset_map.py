"""Dataset pages with a map and several filter values, in Chromium.

The page of a Kreis table with its choropleth and filters with two values each, and the
cross-table view, at 1280 and 360 px (screenshots in ``test-artefacts/``) and 320 px: axe-core
finds nothing serious, nothing scrolls sideways; picking two values in a filter menu with the
mouse gives the rows of both.
"""

from pathlib import Path

import pytest

from tests.browser.conftest import Tab
from tests.browser.test_page_types import _axe
from tests.browser.test_reflow import _overflow

pytestmark = pytest.mark.browser

KREISE = "/datensaetze/arbeitslose-kreise"
PAGES = {
    "datensatz-karte": f"{KREISE}?karte=Arbeitslosenquote+bez.+auf+alle+zivilen+Erwerbspersonen+(Prozent)&karte_zeitraum=2023",
    "datensatz-mehrfachfilter": f"{KREISE}?ags__in=05,05513,05562&indikator=Arbeitslose+insgesamt&_sort=-wert",
    "datensatz-zeitreihe": f"{KREISE}?ags__in=05,05513&ansicht=zeitreihe",
    "datensatz-laender": "/datensaetze/armutsgefaehrdungsquoten-laender?land__in=Deutschland,Nordrhein-Westfalen,Bayern",
}


def _check(tab: Tab, name: str, axe_source: str, artefacts: Path, suffix: str) -> None:
    response = tab.open(PAGES[name])
    assert response.status == 200
    tab.page.screenshot(path=str(artefacts / f"{name}-{suffix}.png"), full_page=True)
    assert _axe(tab, axe_source) == []
    assert tab.csp_violations() == []
    assert _overflow(tab) == []


@pytest.mark.parametrize("name", list(PAGES))
def test_dataset_map_page_on_desktop(
    desktop: Tab, axe_source: str, artefacts: Path, name: str
) -> None:
    _check(desktop, name, axe_source, artefacts, "desktop")


@pytest.mark.parametrize("name", list(PAGES))
def test_dataset_map_page_on_a_phone(
    phone: Tab, axe_source: str, artefacts: Path, name: str
) -> None:
    _check(phone, name, axe_source, artefacts, "360")


def test_map_has_a_legend_and_links_every_kreis(desktop: Tab) -> None:
    desktop.open(PAGES["datensatz-karte"])
    page = desktop.page
    assert page.locator("#karte a.map__link").count() == 53
    legend = page.locator("#karte .map__classes li").all_inner_texts()
    assert len(legend) >= 2
    assert all("Prozent" in entry or "keine Angabe" in entry for entry in legend)
    target = page.locator("#karte a.map__link").first.get_attribute("href") or ""
    assert "/regionen/05" in target


def test_two_values_of_one_filter_with_the_mouse(desktop: Tab) -> None:
    page = desktop.page
    desktop.open("/datensaetze/lebensformen")
    page.get_by_label("Jahr", exact=True).select_option(["2018", "2019"])
    page.get_by_label("Einheit", exact=True).select_option("%")
    page.get_by_role("button", name="Anwenden").click()
    page.wait_for_url("**jahr=2018&jahr=2019**")
    assert "Zeilen 1–16 von 16" in page.locator(".table-status").inner_text()
    assert "Jahr: 2018 oder 2019" in page.locator(".table-status").inner_text()
    href = page.locator(".selection-downloads").get_by_role("link", name="CSV", exact=True)
    assert "jahr__in=2018%2C2019" in (href.get_attribute("href") or "")
