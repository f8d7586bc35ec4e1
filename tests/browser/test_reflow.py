"""Reflow (WCAG 1.4.10): no page scrolls sideways at 320 CSS pixels.

Every page type and the page of every shipped dataset, in Debian's Chromium. Wide tables scroll
inside their own focusable region (``.scroll-x``); the page itself never does.
"""

from collections.abc import Iterator

import pytest

from tests.browser.conftest import Tab, _tab
from tests.browser.test_page_types import EXPECTED_STATUS, PAGES
from tests.conftest import DATAPACKAGES

NARROW = {"width": 320, "height": 640}
DATASETS = sorted(p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json"))


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


@pytest.mark.parametrize("name", list(PAGES))
def test_page_type_reflows_at_320(narrow: Tab, name: str) -> None:
    response = narrow.open(PAGES[name])
    assert response.status == EXPECTED_STATUS.get(name, 200)
    assert _overflow(narrow) == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_dataset_page_reflows_at_320(narrow: Tab, dataset: str) -> None:
    response = narrow.open(f"/datensaetze/{dataset}")
    assert response.status == 200
    assert _overflow(narrow) == []
