"""Reflow (WCAG 1.4.10): no page scrolls sideways at 320 CSS pixels.

Every page type (start, search, dataset with rows and with periods as columns, files-only
dataset, schema, versions, changes, regions, Steckbrief, comparison, index builder with and
without a result, legal pages, error pages) and the page of every shipped dataset (packages and
geography), in Debian's Chromium. Wide tables scroll inside their own focusable region
(``.scroll-x``) or stack on phones; the page itself never does (``test_tables.py`` checks that
each row keeps its label and value in view).
"""

from collections.abc import Iterator

import pytest

from tests.browser.conftest import Tab, _tab
from tests.browser.test_page_types import EXPECTED_STATUS, PAGES
from tests.conftest import REFERENCE_DIRS

NARROW = {"width": 320, "height": 640}
DATASETS = sorted(p.parent.name for d in REFERENCE_DIRS for p in d.glob("*/datapackage.json"))
"""Every shipped dataset: the packages in ``datapackages/`` and the boundaries in ``geography/``."""
ALL_PAGES = {
    **PAGES,
    "datensatz-zeitreihe": "/datensaetze/lebensformen?ansicht=zeitreihe",
    "datensatz-dateien": "/datensaetze/nrw-geometrie",
    "regionen": "/regionen",
    "steckbrief": "/regionen/05513",
    "steckbrief-gemeinde": "/regionen/05315000",
    "vergleich": "/regionen/vergleich?keys=05513,05562,05913",
    "indexbaukasten": "/regionen/index?ebene=kreis",
    "region-404": "/regionen/99999",
}
"""Every page type: ``test_page_types.PAGES`` and the region and file pages."""
STATUS = {**EXPECTED_STATUS, "region-404": 404}


@pytest.fixture
def narrow(browser, server: str) -> Iterator[Tab]:  # type: ignore[no-untyped-def]  # playwright Browser
    yield from _tab(browser, server, NARROW)


def _overflow(tab: Tab) -> list[str]:
    """How far the page scrolls sideways, and the widest elements sticking out."""
    return tab.page.evaluate(
        """() => {
          const root = document.documentElement;
          const extra = root.scrollWidth - root.clientWidth;
          if (extra <= 0) return [];
          const out = [];
          for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.right > root.clientWidth + 1 && !el.closest('.scroll-x')) {
              out.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
            }
          }
          return [`scrollWidth - clientWidth = ${extra}`, ...out.slice(0, 8)];
        }"""
    )


@pytest.mark.parametrize("name", list(ALL_PAGES))
def test_page_type_reflows_at_320(narrow: Tab, name: str) -> None:
    response = narrow.open(ALL_PAGES[name])
    assert response.status == STATUS.get(name, 200)
    assert _overflow(narrow) == []


def test_index_result_reflows_at_320(narrow: Tab) -> None:
    from tests.browser.test_region_index import build_index_by_form  # imports this module

    assert narrow.open("/regionen/index?ebene=kreis").status == 200
    build_index_by_form(narrow.page)
    assert narrow.page.locator("table.index-table").count() == 1
    assert _overflow(narrow) == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_dataset_page_reflows_at_320(narrow: Tab, dataset: str) -> None:
    response = narrow.open(f"/datensaetze/{dataset}")
    assert response.status == 200
    assert _overflow(narrow) == []
