"""Every page type in Chromium: axe-core finds nothing serious, the CSP holds, the layout reflows.

Screenshots (desktop 1280 px and phone 360 px) are written to ``test-artefacts/``.
"""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Tab

pytestmark = pytest.mark.browser

PAGES = {
    "start": "/",
    "suche": "/suche?q=armut&theme=7",
    "datensatz": "/datensaetze/lebensformen?einheit=%25",
    "datensatz-balken": "/datensaetze/sgb2-hilfequoten-kinder-kreise",
    "aenderungen": "/aenderungen",
    "versionen": "/datensaetze/lebensformen/versionen",
    "fehler-404": "/datensaetze/gibtsnicht",
    "fehler-400": "/datensaetze/lebensformen?jahr=kein-jahr",
    "api-dokumentation": "/schema",
    "impressum": "/impressum",
    "datenschutz": "/datenschutz",
    "barrierefreiheit": "/barrierefreiheit",
}
RENDERED = {"api-dokumentation": ".api-docs .opblock-tag"}
"""Pages that a script fills after loading: checked once this selector is there."""
EXPECTED_STATUS = {"fehler-404": 404, "fehler-400": 400}
SERIOUS = {"serious", "critical"}


def _axe(tab: Tab, source: str) -> list[dict[str, Any]]:
    tab.page.evaluate(source)
    result: dict[str, Any] = tab.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


def _check(tab: Tab, name: str, axe_source: str, artefacts: Path, suffix: str) -> None:
    response = tab.open(PAGES[name])
    assert response.status == EXPECTED_STATUS.get(name, 200)
    if name in RENDERED:
        tab.page.wait_for_selector(RENDERED[name])
    tab.page.screenshot(path=str(artefacts / f"{name}-{suffix}.png"), full_page=True)
    assert _axe(tab, axe_source) == []
    assert tab.csp_violations() == []
    errors = [m for m in tab.console if m.startswith("error") and "status of 40" not in m]
    assert errors == []


@pytest.mark.parametrize("name", list(PAGES))
def test_page_type_on_desktop(desktop: Tab, axe_source: str, artefacts: Path, name: str) -> None:
    _check(desktop, name, axe_source, artefacts, "desktop")


@pytest.mark.parametrize("name", list(PAGES))
def test_page_type_on_a_phone(phone: Tab, axe_source: str, artefacts: Path, name: str) -> None:
    _check(phone, name, axe_source, artefacts, "360")
    overflow = phone.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the page scrolls sideways at 360 px"


def test_json_ld_block_is_data_not_a_blocked_script(desktop: Tab) -> None:
    desktop.open("/datensaetze/lebensformen")
    data = desktop.page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert data["name"] == "Lebensformen in NRW 2015–2019"
    assert desktop.csp_violations() == []


def test_copy_buttons_are_added_by_the_script(desktop: Tab) -> None:
    desktop.open("/datensaetze/lebensformen")
    buttons = desktop.page.get_by_role("button", name="Zitat als BibTeX kopieren")
    assert buttons.count() == 1
