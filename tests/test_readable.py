"""Pages readable by people who are not statisticians (issue 15, item 3), on both databases.

Footnote markers link to their text and back, footnotes without text are explained once, the
key facts separate the data's period from the publication date and count the areas by level,
pages speak plain German, keywords keep their case, chart legends name places, and the change
list names datasets by title.
"""

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest

from opendata_sozial.domain import LOST_FOOTNOTE_TEXT

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient

    Client = TestClient[Litestar]

JARGON = ("Release", "Paketversion", "Frictionless", "CSV (abgefragt)", "Kapitel 99")
NO_TEXT = "Die Quelle nennt zu diesen Markern keinen Text"


class _Anchors(HTMLParser):
    """Ids, in-page links (with their aria-label and text) and the visible text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[dict[str, str]] = []
        self.text: list[str] = []
        self._hidden = 0
        self._link: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "a":
            self._link = {**a, "text": ""}
            self.links.append(self._link)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1
        if tag == "a":
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.text.append(data)
        if self._link is not None:
            self._link["text"] += data

    def visible(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def _page(api: "Client", url: str) -> str:
    response = api.get(url)
    assert response.status_code == 200, response.text[:300]
    return response.text


def _section(html: str, heading_id: str) -> str:
    """The HTML of the ``<section aria-labelledby=heading_id>`` (up to the next section)."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.find("<section", start + 1)]


@pytest.mark.parametrize("dataset", ["jugend-alten-gesamtquotient", "lebensformen"])
def test_footnote_markers_link_to_their_text_and_back(api: "Client", dataset: str) -> None:
    html = _page(api, f"/datensaetze/{dataset}")
    page = _Anchors(html)
    refs = [a for a in page.links if a.get("class") == "fn-ref"]
    assert refs, "the table's footnote column shows no linked markers"
    for ref in refs:
        target = ref["href"].removeprefix("#")
        assert ref["href"].startswith("#fn-"), ref
        assert target in page.ids, ref
        assert ref["aria-label"] == f"Fußnote {ref['text']}"
    backs = [a for a in page.links if a.get("class") == "fn-back"]
    assert backs
    assert all(b["text"] == "↩" and b["aria-label"].startswith("Zurück") for b in backs)
    assert all(b["href"].removeprefix("#") in page.ids for b in backs)
    first = {r["href"]: r["id"] for r in reversed(refs) if r.get("id")}
    assert first, "no marker carries the id its footnote links back to"
    for href, ref_id in first.items():
        assert ref_id == href.removeprefix("#").replace("fn-", "fnref-")
        assert f'href="#{ref_id}"' in html  # the footnote's ↩ goes back to its first use


def test_footnotes_without_text_are_explained_once(api: "Client") -> None:
    html = _page(api, "/datensaetze/jugend-alten-gesamtquotient")
    text = _Anchors(html).visible()
    assert LOST_FOOTNOTE_TEXT not in text
    assert text.count(NO_TEXT) == 1
    explained = text.split(NO_TEXT, 1)[1].split(".", 1)[0]
    assert all(marker in explained for marker in ("*)", "**)", "***)"))
    with_text = _Anchors(_page(api, "/datensaetze/lebensformen")).visible()
    assert NO_TEXT not in with_text  # every footnote of lebensformen has its text
    assert "unverheiratet zusammenlebende" in with_text


def test_table_wide_footnote_is_linked_from_the_key_facts(api: "Client") -> None:
    html = _page(api, "/datensaetze/verbraucherinsolvenzen")
    facts = html.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    assert "<dt>Fußnoten zur ganzen Tabelle</dt>" in facts
    assert '<a href="#fn-1">*)</a>' in facts
    assert 'href="#eckdaten" aria-label="Zurück zu den Eckdaten (*))">↩</a>' in html


def test_facts_separate_the_period_from_the_publication_date(api: "Client") -> None:
    html = _page(api, "/datensaetze/lebensformen")
    facts = re.sub(r"\s+", " ", html.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0])
    assert "<dt>Berichtszeitraum</dt> <dd>2015–2019</dd>" in facts
    assert re.search(
        r"<dt>Veröffentlicht</dt> <dd>zuletzt aktualisiert am \d\d\.\d\d\.\d{4}", facts
    )
    assert re.search(r"<dt>Veröffentlichungsstand</dt> <dd>Nr\. \d+, Ausgabe 1\.0\.0</dd>", facts)
    assert "Zuletzt geändert" not in facts


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/suche",
        "/aenderungen",
        "/datensaetze/lebensformen",
        "/datensaetze/arbeitslose-kreise",
        "/datensaetze/lebensformen/versionen",
    ],
)
def test_pages_speak_plain_german(api: "Client", url: str) -> None:
    html = _page(api, url)
    if 'aria-labelledby="zitieren"' in html:  # a citation quotes the release as cited works do
        html = html.replace(_section(html, "zitieren"), "")
    text = _Anchors(html).visible()
    assert [word for word in JARGON if word in text] == []
    assert "sort-link__name" not in html  # no field names under the column headers


def test_field_names_stay_in_the_columns_section(api: "Client") -> None:
    html = _page(api, "/datensaetze/lebensformen")
    table = html.split('<table class="data-table', 1)[1].split("</thead>", 1)[0]
    assert "<code>" not in table
    assert ">jahr<" not in table
    columns = html.split('id="felder"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row"><code>jahr</code></th>' in columns
    downloads = _Anchors(_section(html, "downloads")).visible()
    assert "CSV der gewählten Zeilen" in downloads


def test_chapter_numbers_only_where_they_mean_something(api: "Client") -> None:
    text = _Anchors(_page(api, "/")).visible()
    assert "Kapitel 7 Einkommensarmut und Mindestsicherung" in text
    assert "Gebietsgliederung (Bezugsdaten)" in text
    assert "Kapitel 99" not in text


def test_keywords_keep_their_proper_case(api: "Client") -> None:
    html = _page(api, "/suche")
    labels = re.findall(
        r'name="keyword" value="([^"]*)"[^>]*>\s*<label[^>]*>([^<]*?) <span', html, flags=re.S
    )
    assert labels, "no keyword facet on the search page"
    assert ("mikrozensus", "Mikrozensus") in labels
    assert all(label[:1].isupper() or label.startswith("kreisfreie") for _, label in labels)
    chosen = _Anchors(_page(api, "/suche?keyword=sgb+ii")).visible()
    assert "Schlagwort: SGB II" in chosen


def test_chart_legend_names_places_not_codes(api: "Client") -> None:
    html = _page(api, "/datensaetze/arbeitslose-kreise")
    legend = html.split('aria-label="Legende"', 1)[1].split("</ul>", 1)[0]
    text = _Anchors(legend).visible()
    assert "Nordrhein-Westfalen · Arbeitslose insgesamt" in text
    assert "05 · " not in text
    assert "=" not in text


def test_areas_are_counted_by_level_and_listed_without_ambiguity(api: "Client") -> None:
    html = _page(api, "/datensaetze/arbeitslose-kreise")
    facts = html.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    area = re.search(r"<dt>Gebiet</dt>\s*<dd>([^<]*)</dd>", facts)
    assert area is not None
    assert "53 Kreise und kreisfreie Städte" in area.group(1)
    assert "Nordrhein-Westfalen; Reg.-Bez. Düsseldorf; Düsseldorf, Stadt; Duisburg, Stadt" in (
        area.group(1)
    )


def test_changes_name_datasets_by_title(api: "Client") -> None:
    html = _page(api, "/aenderungen")
    page = _Anchors(html)
    to_lebensformen = [a for a in page.links if a.get("href") == "/datensaetze/lebensformen"]
    assert [a["text"] for a in to_lebensformen] == ["Lebensformen in NRW 2015–2019"]
    secondary = '<span class="hint">(<code>lebensformen</code>)</span>'  # the technical name
    assert f">Lebensformen in NRW 2015–2019</a> {secondary}" in html
