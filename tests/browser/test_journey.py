"""The reader's path in a real browser: search, open a dataset, filter, sort, download the CSV.

Once with the mouse, once with the keyboard alone. Downloads are fetched through the link's
URL with the page's own request context (the browser's download manager is not needed).
"""

import csv
import io
import re

import pytest

from tests.browser.conftest import Tab

pytestmark = pytest.mark.browser


def _csv_rows(tab: Tab, href: str) -> list[dict[str, str]]:
    response = tab.page.request.get(href)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text())))


def _assert_filtered_and_sorted(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 8
    assert {r["jahr"] for r in rows} == {"2019"}
    assert {r["einheit"] for r in rows} == {"%"}
    values = [float(r["wert"]) for r in rows]
    assert values == sorted(values, reverse=True)


def test_search_filter_sort_download_with_the_mouse(desktop: Tab) -> None:
    page = desktop.page
    desktop.open("/")
    page.get_by_label("Datensätze durchsuchen").fill("Lebensformen")
    page.get_by_role("button", name="Suchen").click()
    page.wait_for_url("**/suche?q=Lebensformen")
    page.get_by_role("link", name="Lebensformen in NRW 2015–2019").click()
    page.wait_for_url("**/datensaetze/lebensformen")
    assert page.get_by_role("heading", level=1).inner_text() == "Lebensformen in NRW 2015–2019"

    page.get_by_label("Jahr", exact=True).select_option("2019")
    page.get_by_label("Einheit", exact=True).select_option("%")
    page.get_by_role("button", name="Anwenden").click()
    page.wait_for_url("**jahr=2019**")
    assert "Zeilen 1–8 von 8" in page.locator(".table-status").inner_text()

    page.get_by_role("link", name=re.compile(r"^Wert\b")).click()  # ascending first
    page.wait_for_url("**_sort=wert**")
    page.get_by_role("link", name=re.compile(r"^Wert\b")).click()  # then descending
    page.wait_for_url("**_sort=-wert**")
    header = page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "descending"
    cells = page.locator(".data-table tbody tr td:nth-child(4)").all_inner_texts()
    shown = [float(c.replace(",", ".")) for c in cells]
    assert shown == sorted(shown, reverse=True)
    assert cells[0] == "100,0"

    href = page.locator(".selection-downloads").get_by_role("link", name="CSV", exact=True)
    _assert_filtered_and_sorted(_csv_rows(desktop, href.get_attribute("href") or ""))
    assert desktop.csp_violations() == []


def _tab_to(tab: Tab, selector: str, limit: int = 250) -> list[str]:
    """Press Tab until the focused element matches ``selector``; returns what lacked a focus style."""
    unstyled = []
    for _ in range(limit):
        tab.page.keyboard.press("Tab")
        state = tab.page.evaluate(
            """(selector) => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                const visible = style.outlineStyle !== "none" || style.boxShadow !== "none";
                return {matches: el.matches(selector), visible, name: el.outerHTML.slice(0, 80)};
            }""",
            selector,
        )
        if not state["visible"]:
            unstyled.append(state["name"])
        if state["matches"]:
            return unstyled
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def test_the_same_path_with_the_keyboard_only(desktop: Tab) -> None:
    page = desktop.page
    desktop.open("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhalt"

    unstyled = _tab_to(desktop, "#start-q")
    page.keyboard.type("Lebensformen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/suche?q=Lebensformen")

    unstyled += _tab_to(desktop, 'a[href="/datensaetze/lebensformen"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/datensaetze/lebensformen")

    unstyled += _tab_to(desktop, "#filter-jahr")
    page.keyboard.type("2019")
    unstyled += _tab_to(desktop, "#filter-einheit")
    page.keyboard.type("%")
    unstyled += _tab_to(desktop, ".preview-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**jahr=2019**")
    assert page.url.count("einheit=%25") == 1

    for expected in ("_sort=wert", "_sort=-wert"):
        unstyled += _tab_to(
            desktop, 'th a.sort-link[href*="_sort=wert"], th a.sort-link[href*="_sort=-wert"]'
        )
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{expected}**")

    unstyled += _tab_to(desktop, ".selection-downloads a")
    href = page.evaluate("document.activeElement.href")
    assert "/rows.csv?" in href
    _assert_filtered_and_sorted(_csv_rows(desktop, href))
    assert unstyled == [], "focus without a visible indicator"
    assert desktop.csp_violations() == []
