"""Data tables on phones: each row keeps its label and its value in view, no empty columns.

At 320, 360 and 1280 px, for the page of every shipped dataset (and its table with periods as
columns, where it has one), the Steckbrief, the comparison and the index ranking: the table's
region is scrolled as far right as it goes, then the first data row's label cell and value cell
must both lie inside the viewport and be what the browser shows at their centre
(not hidden under a sticky neighbour). On a phone the dataset page's tables stack (one block a
row), elsewhere the row label (and on phones the value) is sticky; see docs/web.md. The page
never scrolls sideways, axe-core finds nothing serious (the cross tables of ``CROSS_AXE`` stand
for all: one template, and axe takes minutes on 2 000 rows; screenshots of the table in
``test-artefacts/tabelle-…``), and no table of any page has a column without any content.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Tab, _tab
from tests.browser.test_page_types import _axe
from tests.browser.test_reflow import ALL_PAGES, DATASETS, NARROW, _overflow
from tests.browser.test_region_index import build_index_by_form

pytestmark = pytest.mark.browser

WIDTHS = {"320": NARROW, "360": PHONE, "1280": DESKTOP}
ROWS_TABLE = "#vorschau ~ .scroll-x > table.data-table:not(.cross-table)"
CROSS_TABLE = "table.cross-table"
# Where the label and the value of a row are, per table (CSS selectors relative to the row).
DATASET_CELLS = (":scope > :first-child", ":scope > .is-value, :scope > :last-child")
CROSS_CELLS = (":scope > th[scope='row']", ":scope > td:last-child")
REGION_CELLS = (":scope > th[scope='row']", ":scope > :nth-child(2)")
COMPARE_CELLS = (":scope > th[scope='row']", ":scope > td:last-child")
INDEX_CELLS = (":scope > th[scope='row']", ":scope > :nth-child(3)")
CROSS_AXE = [
    "/datensaetze/lebensformen?ansicht=zeitreihe",
    "/datensaetze/armutsgefaehrdungsquoten-laender?ansicht=zeitreihe",
    "/datensaetze/arbeitslose-kreise?ansicht=zeitreihe&ebene=kreis&indikator=Arbeitslose%20insgesamt",
]
"""Cross tables checked with axe-core at every width (the others share their template)."""

FIRST_ROW = """([selector, labelSelector, valueSelector]) => {
  const table = document.querySelector(selector);
  if (!table) return null;
  const row = [...table.tBodies[0].rows].find((r) => r.querySelector('td'));
  row.scrollIntoView({block: 'center', behavior: 'instant'});
  const region = table.closest('.scroll-x');
  region.scrollLeft = region.scrollWidth;
  const label = row.querySelector(labelSelector);
  const value = row.querySelector(valueSelector);
  const root = document.documentElement;
  const seen = (cell) => {
    const box = cell.getClientRects()[0];  // an inline label's first line
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return cell.contains(top);
  };
  const box = (cell) => {
    const b = cell.getBoundingClientRect();
    return {left: b.left, right: b.right, text: cell.textContent.trim()};
  };
  return {
    label: box(label), value: box(value), labelSeen: seen(label), valueSeen: seen(value),
    same: label === value, viewport: root.clientWidth,
    overflow: root.scrollWidth - root.clientWidth,
  };
}"""

EMPTY_COLUMNS = """() => {
  const out = [];
  for (const table of document.querySelectorAll('table')) {
    const rows = [...table.querySelectorAll(':scope > tbody > tr')]
      .filter((r) => !r.querySelector('[colspan]'));
    const count = Math.max(0, ...rows.map((r) => r.cells.length));
    for (let i = 0; i < count; i++) {
      const empty = rows.every((r) => {
        const cell = r.cells[i];
        return !cell || (!cell.textContent.trim() && !cell.querySelector('svg, img'));
      });
      if (empty) {
        const head = table.tHead ? table.tHead.rows[0].cells[i] : null;
        out.push(`${table.className} column ${i + 1} ${head ? head.textContent.trim() : ''}`);
      }
    }
  }
  return out;
}"""


@pytest.fixture(params=list(WIDTHS))
def sized(
    request: pytest.FixtureRequest, browser: Any, server: str
) -> Iterator[tuple[str, Tab]]:  # playwright Browser
    """A tab at 320, 360 or 1280 CSS pixels, with its width's name."""
    for tab in _tab(browser, server, WIDTHS[request.param]):
        yield request.param, tab


def _assert_row_in_view(tab: Tab, selector: str, cells: tuple[str, str]) -> None:
    """The first data row's label and value are inside the viewport once scrolled fully right."""
    found = tab.page.evaluate(FIRST_ROW, [selector, *cells])
    assert found is not None, f"no table {selector}"
    label, value, viewport = found["label"], found["value"], found["viewport"]
    assert not found["same"], f"the row's label is its value: {label}"
    for cell in (label, value):
        assert cell["left"] >= 0, (cell, viewport)
        assert cell["right"] <= viewport + 0.5, (cell, viewport)
    assert found["labelSeen"], f"label {label['text']!r} is covered"
    assert found["valueSeen"], f"value {value['text']!r} is covered"
    assert found["overflow"] <= 0, "the page scrolls sideways"


def _screenshot(tab: Tab, selector: str, path: Path) -> None:
    """The viewport with the top of ``selector``'s first element at its top (scrolled as tested)."""
    tab.page.evaluate(
        """(selector) => {
          const top = document.querySelector(selector).getBoundingClientRect().top;
          window.scrollTo({top: top + window.scrollY - 8, behavior: 'instant'});
        }""",
        selector,
    )
    tab.page.screenshot(path=str(path))


def _check_page(
    tab: Tab, axe_source: str, artefacts: Path, selector: str, name: str, *, axe: bool = True
) -> None:
    _screenshot(tab, selector, artefacts / f"tabelle-{name}.png")
    if axe:
        assert _axe(tab, axe_source) == []
    assert _overflow(tab) == []
    assert tab.page.evaluate(EMPTY_COLUMNS) == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_dataset_table_keeps_label_and_value_in_view(
    sized: tuple[str, Tab], axe_source: str, artefacts: Path, dataset: str
) -> None:
    width, tab = sized
    assert tab.open(f"/datensaetze/{dataset}").status == 200
    if tab.page.locator(ROWS_TABLE).count() == 0:  # files only: no rows to show
        _check_page(tab, axe_source, artefacts, "main", f"{dataset}-{width}")
        return
    _assert_row_in_view(tab, ROWS_TABLE, DATASET_CELLS)
    # axe at 320 (stacked) and 1280 (table); 360 has the 320 layout, axe there would add minutes
    axe = width != "360"
    _check_page(tab, axe_source, artefacts, "#vorschau ~ .scroll-x", f"{dataset}-{width}", axe=axe)
    cross = tab.page.get_by_role("link", name="Zeiträume als Spalten", exact=True)
    if cross.count():
        assert tab.open(cross.get_attribute("href") or "").status == 200
        _assert_row_in_view(tab, CROSS_TABLE, CROSS_CELLS)
        name, selector = f"{dataset}-zeitreihe-{width}", f".scroll-x:has(> {CROSS_TABLE})"
        # axe on every cross table takes minutes (up to 2 000 rows): see CROSS_AXE below
        _check_page(tab, axe_source, artefacts, selector, name, axe=False)


@pytest.mark.parametrize("path", CROSS_AXE)
def test_cross_table_passes_axe(sized: tuple[str, Tab], axe_source: str, path: str) -> None:
    """The cross table's markup (one template) in both layouts, with one and three label columns."""
    _, tab = sized
    assert tab.open(path).status == 200
    assert tab.page.locator(CROSS_TABLE).count() == 1
    assert _axe(tab, axe_source) == []


@pytest.mark.parametrize(
    ("path", "table", "cells"),
    [
        ("/regionen/05513", "table.region-table", REGION_CELLS),
        ("/regionen/05315000", "table.region-table", REGION_CELLS),
        ("/regionen/vergleich?keys=05513,05562,05913", "table.compare-table", COMPARE_CELLS),
    ],
    ids=["steckbrief-kreis", "steckbrief-gemeinde", "vergleich"],
)
def test_region_table_keeps_label_and_value_in_view(
    sized: tuple[str, Tab], axe_source: str, artefacts: Path, path: str, table: str, cells: Any
) -> None:
    width, tab = sized
    assert tab.open(path).status == 200
    _assert_row_in_view(tab, table, cells)
    name = path.strip("/").replace("/", "-").split("?")[0]
    _check_page(tab, axe_source, artefacts, f".scroll-x:has(> {table})", f"{name}-{width}")


def test_index_ranking_keeps_place_and_index_in_view(
    sized: tuple[str, Tab], axe_source: str, artefacts: Path
) -> None:
    width, tab = sized
    assert tab.open("/regionen/index?ebene=kreis").status == 200
    build_index_by_form(tab.page)
    _assert_row_in_view(tab, "table.index-table", INDEX_CELLS)
    selector = ".scroll-x:has(> table.index-table)"
    _check_page(tab, axe_source, artefacts, selector, f"index-{width}")


def test_wide_dataset_table_keeps_its_first_column_at_the_left_edge(desktop: Tab) -> None:
    """Between phone and desktop the rows table scrolls in its region, the first cell sticky."""
    desktop.page.set_viewport_size({"width": 700, "height": 900})
    desktop.open("/datensaetze/arbeitslose-kreise")
    found = desktop.page.evaluate(FIRST_ROW, [ROWS_TABLE, *DATASET_CELLS])
    region = desktop.page.evaluate(
        f"(() => document.querySelector('{ROWS_TABLE}').closest('.scroll-x')"
        ".getBoundingClientRect().left)()"
    )
    assert abs(found["label"]["left"] - region) <= 1
    assert found["labelSeen"]
    assert found["overflow"] <= 0


@pytest.mark.parametrize("name", list(ALL_PAGES))
def test_no_table_has_an_empty_column(desktop: Tab, name: str) -> None:
    desktop.open(ALL_PAGES[name])
    assert desktop.page.evaluate(EMPTY_COLUMNS) == []


@pytest.fixture
def narrow(browser: Any, server: str) -> Iterator[Tab]:  # playwright Browser
    yield from _tab(browser, server, NARROW)


def _ax_roles(tab: Tab, selector: str) -> list[tuple[str, str]]:
    """Role and name of the element at ``selector`` and its children in Chromium's own tree."""
    cdp = tab.page.context.new_cdp_session(tab.page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    backend = cdp.send("DOM.describeNode", {"nodeId": node})["node"]["backendNodeId"]
    nodes = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": True})
    by_id = {n["nodeId"]: n for n in nodes["nodes"]}
    element = next(n for n in nodes["nodes"] if n.get("backendDOMNodeId") == backend)
    children = [by_id[c] for c in element.get("childIds", []) if c in by_id]
    return [
        (n.get("role", {}).get("value", ""), n.get("name", {}).get("value", ""))
        for n in [element, *children]
    ]


def test_stacked_rows_keep_table_semantics(narrow: Tab) -> None:
    """At 320 px Chromium still exposes rows and cells; a cell's name is its value alone."""
    narrow.open("/datensaetze/lebensformen")
    headers = narrow.page.locator(f"{ROWS_TABLE} thead th").count()
    row = narrow.page.evaluate(
        f"""() => [...document.querySelector('{ROWS_TABLE}').tBodies[0].rows[0].cells]
            .map((c) => c.textContent.trim())"""
    )
    roles = _ax_roles(narrow, f"{ROWS_TABLE} tbody tr")
    assert roles[0][0] == "row"
    assert [role for role, _ in roles[1:]] == ["cell"] * headers
    assert [name for _, name in roles[1:4]] == row[:3]  # no "Jahr" before "2015"
    assert (
        narrow.page.evaluate(
            f"getComputedStyle(document.querySelector('{ROWS_TABLE} tbody tr')).display"
        )
        == "block"
    )
