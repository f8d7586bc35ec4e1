"""HTML pages on both databases: start, search, dataset page, error pages and their headers."""

import json
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.schema import upgrade_schema
from opendata_sozial.web.app import create_app
from opendata_sozial.web.http import PAGE_CSP

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient

    Client = TestClient[Litestar]

DATASET = "/datensaetze/lebensformen"


class _Page(HTMLParser):
    """The parts of a page the tests look at: links, select options, JSON-LD, head links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.head_links: list[dict[str, str]] = []
        self.options: dict[str, list[tuple[str, bool]]] = {}
        self.jsonld: list[str] = []
        self._select: str | None = None
        self._in_jsonld = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            self.links.append(a)
        elif tag == "link":
            self.head_links.append(a)
        elif tag == "select":
            self._select = a.get("name", "")
            self.options[self._select] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append((a.get("value", ""), "selected" in a))
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_jsonld = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "script":
            self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)


def _rows(html: str) -> list[list[str]]:
    """Cell texts of the preview table, row by row."""
    body = html.split('<table class="data-table', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(
        r"<tr[^>]*>(.*?)</tr>", re.split(r"<tbody[^>]*>", body, maxsplit=1)[1], flags=re.S
    )
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows]


def _get(api: "Client", url: str, status: int = 200) -> str:
    response = api.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# Start page


def test_start_page_shows_search_chapters_and_recent_datasets(api: "Client") -> None:
    html = _get(api, "/")
    page = _Page(html)
    assert '<html lang="de">' in html
    assert 'action="/suche"' in html
    assert "Themen des Sozialberichts" in html
    assert {"href": "/suche?theme=7", "class": "tile__link"} in page.links
    assert "13\u00a0Datensätze" in html  # chapter 7 holds 13 datasets
    recent = [a["href"] for a in page.links if a["href"].startswith("/datensaetze/")]
    assert len(recent) == 6


# Search


def test_search_lists_the_same_hits_as_the_api(api: "Client") -> None:
    query = "q=armut&theme=7&_sort=-title"
    html = _get(api, f"/suche?{query}")
    expected = [d["name"] for d in api.get(f"/api/v1/datasets?{query}").json()["datasets"]]
    hits = re.findall(r'<h3 class="hit__title"><a href="/datensaetze/([^"]+)"', html)
    assert hits == expected
    assert len(hits) >= 3


def test_search_marks_chosen_facets_and_offers_to_remove_them(api: "Client") -> None:
    html = _get(api, "/suche?theme=7&region_level=state")
    assert re.search(r'name="theme" value="7" form="suche" checked', html)
    assert re.search(r'name="region_level" value="state" form="suche" checked', html)
    chips = re.findall(r'<a class="chip" href="([^"]+)"', html)
    assert "/suche?region_level=state" in [c.replace("&amp;", "&") for c in chips]
    assert "Kapitel: Einkommensarmut und Mindestsicherung" in html


def test_search_pages_through_results_with_shareable_links(api: "Client") -> None:
    html = _get(api, "/suche?_size=5&page=2")
    assert "(zeige 6–10)" in html
    assert 'href="/suche?page=1&amp;_size=5"' not in html  # defaults are left out of links
    assert re.search(r'href="/suche\?_size=5&amp;page=3" rel="next"', html)
    assert re.search(r'href="/suche\?_size=5" rel="prev"', html)
    assert 'aria-current="page">2<' in html


def test_search_without_hits_says_so(api: "Client") -> None:
    html = _get(api, "/suche?q=zzzzunbekannt")
    assert "Keine Datensätze gefunden" in html


# Dataset page


def test_dataset_page_shows_facts_notes_and_legend(api: "Client") -> None:
    html = _get(api, DATASET)
    assert "<h1>Lebensformen in NRW 2015–2019</h1>" in html
    assert "2015–2019" in html
    assert "Land: Nordrhein-Westfalen" in html  # region names from nrw-regionen
    assert 'href="https://www.govdata.de/dl-de/by-2-0">Datenlizenz Deutschland' in html
    assert "Datenquelle: Information und Technik Nordrhein-Westfalen (IT.NRW)" in html
    assert "Zeitreihenbruch" in html
    assert "Unverheiratete Paare sind seit 2017 zur Auskunft verpflichtet" in html
    assert "mit jüngstem Kind im Alter von unter 18 Jahren" in html  # footnote 2)
    assert "Tabellenfach gesperrt" in html  # symbol legend
    assert "<code>lebensform_gruppe</code>" in html  # field list and description spans


def test_dataset_page_links_downloads_with_sizes(api: "Client") -> None:
    html = _get(api, DATASET)
    base = "http://testserver.local/api/v1/datasets/lebensformen"
    for url in [
        f"{base}/resources/lebensformen.csv",
        f"{base}/resources/lebensformen/rows.csv?profile=excel-de",
        f"{base}/resources/lebensformen/rows.xlsx",
        f"{base}/resources/lebensformen/rows.json",
        f"{base}/resources/lebensformen/rows.ndjson",
        f"{base}/datapackage.json",
        "http://testserver.local/datasets/lebensformen.ttl",
        "http://testserver.local/datasets/lebensformen.rdf",
        "http://testserver.local/datasets/lebensformen.jsonld",
    ]:
        assert f'href="{url.replace("&", "&amp;")}"' in html, url
    assert "5,7\u00a0kB" in html  # the original CSV: 5 713 bytes
    descriptor = api.get(f"{base}/datapackage.json".removeprefix("http://testserver.local"))
    size = re.search(r'datapackage\.json</a>\s*<span class="download__size">([^<]+)<', html)
    assert size is not None
    assert size.group(1).replace("\u00a0", " ") == (
        f"{len(descriptor.content) / 1000:.1f} kB".replace(".", ",")
    )


def test_dataset_page_names_alternate_formats(api: "Client") -> None:
    links = {
        link.get("type"): link["href"]
        for link in _Page(_get(api, DATASET)).head_links
        if link.get("rel") == "alternate"
    }
    assert links["application/json"] == "http://testserver.local/api/v1/datasets/lebensformen"
    assert links["text/turtle"] == "http://testserver.local/datasets/lebensformen.ttl"
    assert links["application/rdf+xml"] == "http://testserver.local/datasets/lebensformen.rdf"
    assert links["application/ld+json"] == "http://testserver.local/datasets/lebensformen.jsonld"


def test_dataset_page_json_ld_describes_the_dataset(api: "Client") -> None:
    blocks = _Page(_get(api, DATASET)).jsonld
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Dataset"
    assert data["name"] == "Lebensformen in NRW 2015–2019"
    assert data["url"] == "http://testserver.local/datensaetze/lebensformen"
    assert data["license"] == "https://www.govdata.de/dl-de/by-2-0"
    assert data["temporalCoverage"] == "2015/2019"
    assert data["publisher"]["name"].startswith("Ministerium für Arbeit")
    formats = {d["encodingFormat"] for d in data["distribution"]}
    assert {"text/csv", "application/json", "text/turtle"} <= formats


def test_dataset_page_snippets_and_citations(api: "Client") -> None:
    html = _get(api, DATASET)
    assert "curl -fL -o lebensformen.csv" in html
    assert "pd.read_csv(" in html
    assert "sep=&#34;,&#34;" in html or 'sep=",",' in html
    assert "dec = &#34;.&#34;" in html or 'dec = ".",' in html
    assert "read.csv2(url_excel" in html
    assert "@misc{lebensformen-r" in html
    assert "TY  - DATA" in html
    assert "Lebensformen in NRW 2015–2019. Datensatz, Veröffentlichung" in html
    assert "abgerufen am" in html


# Table preview


def test_preview_shows_the_first_page_with_filter_menus(api: "Client") -> None:
    html = _get(api, DATASET)
    page = _Page(html)
    assert [v for v, _ in page.options["jahr"]] == ["", "2015", "2016", "2017", "2018", "2019"]
    assert [v for v, _ in page.options["einheit"]] == ["", "1 000", "%"]
    assert "Zeilen 1–20 von 80" in html
    rows = _rows(html)
    assert len(rows) == 20
    assert rows[0][:4] == ["Lebensformen ohne Kind", "Ehepaare ohne Kind", "2015", "2\u00a0123"]


def test_preview_filters_and_sorts_like_the_rows_api(api: "Client") -> None:
    html = _get(api, f"{DATASET}?jahr=2019&einheit=%25&_sort=-wert")
    api_rows = api.get(
        "/api/v1/datasets/lebensformen/resources/lebensformen/rows",
        params={"jahr": "2019", "einheit": "%", "_sort": "-wert"},
    ).json()
    rows = _rows(html)
    assert len(rows) == api_rows["total"] == 8
    assert [r[3] for r in rows] == [f"{r['wert']:.1f}".replace(".", ",") for r in api_rows["rows"]]
    assert all(r[2] == "2019" for r in rows)
    assert ("2019", True) in _Page(html).options["jahr"]
    assert 'aria-sort="descending"' in html
    assert "gefiltert nach Jahr: 2019, Einheit: %" in html  # plain words, no "=" (issue 15)


def test_preview_sort_links_toggle_and_keep_filters(api: "Client") -> None:
    html = _get(api, f"{DATASET}?jahr=2019")
    sort_links = [a["href"] for a in _Page(html).links if a.get("class") == "sort-link"]
    wert = next(link for link in sort_links if "_sort=wert" in link)
    assert parse_qs(urlsplit(wert).query) == {"jahr": ["2019"], "_sort": ["wert"]}
    ascending = _get(api, wert)
    again = next(a["href"] for a in _Page(ascending).links if "_sort=-wert" in a.get("href", ""))
    assert parse_qs(urlsplit(again).query)["_sort"] == ["-wert"]


def test_preview_pages_with_keyset_cursor(api: "Client") -> None:
    html = _get(api, f"{DATASET}?_size=30")
    next_link = re.search(r'<a href="([^"]+)" rel="next">', html)
    assert next_link is not None
    url = next_link.group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert query["ab"] == ["31"]
    assert query["_cursor"]
    second = _get(api, url)
    assert "Zeilen 31–60 von 80" in second
    assert "Zur ersten Seite" in second
    third_link = re.search(r'<a href="([^"]+)" rel="next">', second)
    assert third_link is not None
    third = _get(api, third_link.group(1).replace("&amp;", "&"))
    assert "Zeilen 61–80 von 80" in third
    assert 'rel="next"' not in third


def test_preview_selection_downloads_carry_filters(api: "Client") -> None:
    html = _get(api, f"{DATASET}?jahr=2019&_sort=-wert")
    rows_csv = (
        "http://testserver.local/api/v1/datasets/lebensformen/resources/lebensformen/rows.csv"
    )
    assert f'href="{rows_csv}?jahr=2019&amp;_sort=-wert"' in html
    response = api.get(rows_csv.removeprefix("http://testserver.local"), params={"jahr": "2019"})
    assert response.headers["x-row-count"] == "16"


def test_dataset_with_two_tables_offers_both(api: "Client") -> None:
    html = _get(api, "/datensaetze/nrw-regionen")
    assert 'aria-current="page">regionen<' in html
    assert "ressource=namensvarianten" in html
    other = _get(api, "/datensaetze/nrw-regionen?ressource=namensvarianten")
    assert 'aria-current="page">namensvarianten<' in other
    assert 'name="ressource" value="namensvarianten"' in other
    assert 'id="diagramm"' not in other  # no numeric column, no chart


# Chart


def test_line_chart_for_year_tables_with_text_alternative(api: "Client") -> None:
    html = _get(api, DATASET)
    svg = html.split('<svg class="chart__svg chart__svg--line chart__svg-wide"', 1)[1].split(
        "</svg>", 1
    )[0]
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-title-wide chart-desc-wide"' in svg
    assert '<title id="chart-title-wide">Wert nach Jahr</title>' in svg
    assert "Liniendiagramm" in svg
    assert svg.count('class="series__line"') == 8
    assert "Zeitreihenbruch 2017" in svg
    assert "Daten des Diagramms als Tabelle" in html
    assert "weitere Einheiten: „%“" in html


def test_chart_follows_the_preview_filter(api: "Client") -> None:
    html = _get(api, f"{DATASET}?einheit=%25&lebensform=Insgesamt")
    svg = html.split('<svg class="chart__svg chart__svg--line chart__svg-wide"', 1)[1].split(
        "</svg>", 1
    )[0]
    assert svg.count('class="series__line"') == 1
    assert "Einheit: %" in html


def test_bar_chart_without_time_series(api: "Client") -> None:
    html = _get(api, "/datensaetze/sgb2-hilfequoten-kinder-kreise")
    assert '<svg class="chart__svg chart__svg--bar chart__svg-wide"' in html
    assert '<svg class="chart__svg chart__svg--bar chart__svg-narrow"' in html
    assert html.count('class="bar__rect"') == 2 * 20  # wide and narrow drawing
    assert "die ersten 20 von 105 Werten" in html


# Error pages and headers


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/datensaetze/gibtsnicht", 404, "Seite nicht gefunden"),
        (f"{DATASET}?ressource=gibtsnicht", 404, "Ressource"),
        (f"{DATASET}?jahr=abc", 400, "kein gültiger Wert für Feld &#39;jahr&#39;"),
        (f"{DATASET}?gibtsnicht=1", 400, "Unbekanntes Feld"),
        (f"{DATASET}?_unsinn=1", 400, "gibt es auf dieser Seite nicht"),
        (f"{DATASET}?_size=100000", 400, "_size"),
        ("/suche?_sort=unsinn", 400, "_sort"),
        ("/suche?page=x", 400, "keine ganze Zahl"),
        ("/suche?period_from=2010-13", 400, "period_from"),
    ],
)
def test_page_errors_are_html(api: "Client", url: str, status: int, text: str) -> None:
    html = _get(api, url, status)
    assert f"Fehler {status}" in html
    assert text in html
    assert 'href="/suche"' in html
    assert api.get(url).headers["cache-control"] == "no-store"


def test_error_page_leads_back_to_the_dataset(api: "Client") -> None:
    html = _get(api, f"{DATASET}?jahr=abc", 400)
    assert f'<a href="{DATASET}">Datensatz ohne Filter anzeigen</a>' in html
    missing = _get(api, "/datensaetze/gibtsnicht", 404)
    assert "Datensatz &#39;gibtsnicht&#39; gibt es nicht" in missing
    assert "vorhanden:" not in missing


def test_unpublished_catalog_answers_503_page(database_url: str) -> None:
    from litestar.testing import TestClient

    engine = create_db_engine(database_url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "5"
    assert "Noch nichts veröffentlicht" in response.text
    assert "noch kein Release veröffentlicht" in response.text


@pytest.mark.parametrize(
    "url", ["/", "/suche?q=armut", DATASET, "/datensaetze/gibtsnicht", f"{DATASET}?jahr=x"]
)
def test_pages_carry_security_headers(api: "Client", url: str) -> None:
    headers = api.get(url).headers
    assert headers["content-security-policy"] == PAGE_CSP
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_scripts_or_styles(api: "Client") -> None:
    for url in ["/", "/suche", DATASET, "/datensaetze/gibtsnicht"]:
        html = api.get(url).text
        scripts = re.findall(r"<script([^>]*)>", html)
        assert all('src="/static/' in s or 'type="application/ld+json"' in s for s in scripts)
        assert " style=" not in html
        assert "<style" not in html


def test_static_assets_are_versioned_and_cached(api: "Client") -> None:
    html = api.get("/").text
    css = re.search(r'href="(/static/site\.css\?v=[0-9a-f]{12})"', html)
    assert css is not None
    response = api.get(css.group(1))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_answer_head(api: "Client") -> None:
    response = api.head(DATASET)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"].startswith("text/html")
