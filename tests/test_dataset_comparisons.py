"""Dataset pages as a place for comparisons, over HTTP on SQLite and PostgreSQL.

The map of a Kreis table shows the rows API's figures for the chosen indicator and period, in
classes its legend states; filters with several values give the API's ``__in`` rows and carry
over to the downloads; the chart draws the table's rows in the table's order or says what it
leaves out; the cross table (page and ``crosstab.csv``) holds exactly the long rows' numbers;
bad parameters are German 400s.
"""

import csv
import io
import itertools
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient

    Client = TestClient[Litestar]

KREISE = "/datensaetze/arbeitslose-kreise"


@pytest.fixture(scope="module")
def api(geo: "Client") -> "Client":
    """The packages and the boundaries published together, as ``make serve`` does: the maps
    draw the boundaries of the release."""
    return geo


ROWS = "/api/v1/datasets/arbeitslose-kreise/resources/arbeitslose-kreise/rows"
CROSS = "/api/v1/datasets/arbeitslose-kreise/resources/arbeitslose-kreise/crosstab.csv"
QUOTE = "Arbeitslosenquote bez. auf alle zivilen Erwerbspersonen"
NBSP = "\u00a0"


class _Tables(HTMLParser):
    """The cells (and first link) of every table with a class, by that class."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: dict[str, list[str]] = {}
        self.hrefs: list[str] = []
        self._class: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
            if self._row is not None and self._class:
                self.links.setdefault(self._class[-1], []).append(str(found["href"]))
        if tag == "table":
            self._class.append(str(found.get("class") or ""))
        if tag == "tr" and self._class:
            self._row = []
        if tag in {"td", "th"} and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None and self._class:
            self.tables.setdefault(self._class[-1], []).append(self._row)
            self._row = None
        if tag == "table" and self._class:
            self._class.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page(api: "Client", path: str, params: Any = None, status: int = 200) -> tuple[str, _Tables]:
    response = api.get(path, params=params)
    assert response.status_code == status, response.text[:800]
    assert response.headers["content-type"].startswith("text/html")
    parsed = _Tables()
    parsed.feed(response.text)
    return response.text, parsed


def _number(text: str) -> float:
    """``783 416``, ``7,2 Prozent``, ``−3,2`` as the page writes them, back to a number."""
    found = re.match(r"[\u2212-]?[\d\u00a0\u202f ]*\d(?:,\d+)?", text)
    assert found is not None, text
    plain = re.sub(r"[\u00a0\u202f ]", "", found.group(0))
    return float(plain.replace(",", ".").replace("\u2212", "-"))


def _text(html: str) -> str:
    """The page with no-break spaces as plain spaces (for phrases)."""
    return html.replace(NBSP, " ")


def _table(parsed: _Tables, css: str) -> list[list[str]]:
    key = next(k for k in parsed.tables if css in k.split())
    return [row for row in parsed.tables[key] if not all(c == "" for c in row)][1:]


# The map


def _map_params(period: str = "2023") -> dict[str, str]:
    return {"karte": f"{QUOTE} (Prozent)", "karte_zeitraum": period}


@pytest.mark.parametrize("period", ["2023", "2025"])
def test_map_values_equal_the_rows_api_for_the_period(api: "Client", period: str) -> None:
    html, parsed = _page(api, KREISE, _map_params(period))
    links = parsed.links["data-table data-table--compact map-table"]
    keys = [link.rsplit("/", 1)[1] for link in links]
    assert len(keys) == 53
    shown = {k: row[1] for k, row in zip(keys, _table(parsed, "map-table"), strict=True)}
    body = api.get(
        ROWS,
        params={
            "indikator": QUOTE,
            "einheit": "Prozent",
            "jahr": period,
            "ags__in": ",".join(keys),
            "_size": "100",
        },
    ).json()
    expected = {r["ags"]: r["wert"] for r in body["rows"]}
    assert expected, "the API has rows for the period"
    for key, text in shown.items():
        if key in expected and expected[key] is not None:
            assert _number(text) == pytest.approx(expected[key]), key
        else:
            assert text.startswith("keine Angabe"), key
    assert f"{QUOTE}, {period}" in html
    assert 'class="map__link"' in html
    assert any(link.endswith("/regionen/05513") for link in links)


def test_legend_states_class_breaks_and_unit(api: "Client") -> None:
    html, parsed = _page(api, KREISE, _map_params())
    values = [_number(row[1]) for row in _table(parsed, "map-table") if row[1][0].isdigit()]
    legend = re.findall(r'<li>\s*<svg class="map__swatch".*?<span>([^<]+)</span>', html, re.S)
    assert 2 <= len(legend) <= 5
    ranges = []
    for label in legend:
        assert label.endswith(f"{NBSP}Prozent")
        bounds = label.removesuffix(f"{NBSP}Prozent").split(f"{NBSP}–{NBSP}")
        low, high = _number(bounds[0]), _number(bounds[-1])
        ranges.append((low, high))
    assert ranges == sorted(ranges)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    for value in values:
        assert sum(low <= value <= high for low, high in ranges) == 1, value
    counts = [int(n) for n in re.findall(r'class="map__count">\((\d+) Gebiet', _text(html))]
    assert sum(counts[: len(ranges)]) == len(values)


def test_places_without_a_value_are_keine_angabe(api: "Client") -> None:
    html, parsed = _page(api, "/datensaetze/altersstruktur-kreisfreie-staedte")
    rows = _table(parsed, "map-table")
    missing = [r for r in rows if r[1].startswith("keine Angabe")]
    assert len(rows) == 53
    assert 0 < len(missing) < 53
    assert "map__class--none" in html
    assert f'keine Angabe</span> <span class="map__count">({len(missing)} Gebiete)' in _text(html)


def test_the_map_links_the_filtered_table_and_the_api(api: "Client") -> None:
    _, parsed = _page(api, KREISE, _map_params())
    table = next(h for h in parsed.hrefs if "#vorschau" in h and "karte=" in h and "jahr=2023" in h)
    query = parse_qs(urlsplit(table).query)
    assert query["indikator"] == [QUOTE]
    assert query["einheit"] == ["Prozent"]
    rows_link = next(h for h in parsed.hrefs if "/rows?" in h and "ags__in" in h)
    body = api.get(rows_link.removeprefix("http://testserver.local")).json()
    assert body["total"] == 53


# Several values per filter


def test_several_values_give_the_api_rows_and_the_downloads_carry_them(api: "Client") -> None:
    html, parsed = _page(
        api,
        f"{KREISE}?ags=05&ags=05513&indikator=Arbeitslose+insgesamt&_sort=-wert",
    )
    shown = _table(parsed, "data-table")
    body = api.get(
        ROWS,
        params={"ags__in": "05,05513", "indikator": "Arbeitslose insgesamt", "_sort": "-wert"},
    ).json()
    assert len(shown) == body["total"] == 4
    assert [r[0] for r in shown] == [r["ags"] for r in body["rows"]]
    assert [_number(r[6]) for r in shown] == [r["wert"] for r in body["rows"]]
    assert "Amtlicher Regionalschlüssel: 05 oder 05513" in html
    downloads = [h for h in parsed.hrefs if "/rows." in h or "/crosstab.csv" in h]
    assert len(downloads) == 11  # the selection's 6, then the Downloads section's 5
    for link in downloads:
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert query["ags__in"] == ["05,05513"], link
        assert query["_sort"] == ["-wert"], link
    csv_link = next(h for h in downloads if "/rows.csv?" in h and "profile" not in h)
    response = api.get(csv_link.removeprefix("http://testserver.local"))
    assert response.headers["x-row-count"] == "4"


def test_selected_values_stay_selected_and_links_keep_them(api: "Client") -> None:
    html, _ = _page(api, f"{KREISE}?ags__in=05,05513&jahr=2023")
    assert '<option value="05" selected>' in html
    assert '<option value="05513" selected>' in html
    assert 'name="ags" multiple' in html
    sort_links = re.findall(r'<a class="sort-link" href="([^"]+)"', html)
    assert sort_links
    for link in sort_links:
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert query["ags__in"] == ["05,05513"]
        assert query["jahr"] == ["2023"]


def test_a_value_with_a_comma_becomes_a_json_list(api: "Client") -> None:
    sgb = "/datensaetze/sgb2-hilfequoten-kinder-kreise"
    names = ["Aachen, Städteregion", "Gelsenkirchen, Stadt"]
    _, parsed = _page(api, sgb, {"kreis_kreisfreie_stadt": names})
    rows = _table(parsed, "data-table")
    assert {r[0] for r in rows} == set(names)
    link = next(h for h in parsed.hrefs if "/rows.csv?" in h)
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query["kreis_kreisfreie_stadt__in"] == [
        '["Aachen, Städteregion","Gelsenkirchen, Stadt"]'
    ]
    response = api.get(link.replace("&amp;", "&").removeprefix("http://testserver.local"))
    assert response.status_code == 200
    assert response.headers["x-row-count"] == str(len(rows))


# The chart


def _chart_rows(parsed: _Tables) -> list[list[str]]:
    return _table(parsed, "data-table--compact")


def test_chart_draws_the_table_rows_in_the_table_order(api: "Client") -> None:
    query = "ags__in=05,05513,05562,05913&indikator=Arbeitslose+insgesamt&jahr=2023&_sort=-wert"
    _, parsed = _page(api, f"{KREISE}?{query}")
    table = _table(parsed, "data-table")
    chart = _chart_rows(parsed)
    # the chart names each place (the table's name column) instead of its key (issue 15.3)
    assert [r[0] for r in chart] == [r[1] for r in table]
    assert [_number(r[1]) for r in chart] == [_number(r[6]) for r in table]
    _, ascending = _page(api, f"{KREISE}?{query.replace('-wert', 'wert')}")
    assert [r[0] for r in _chart_rows(ascending)] == [r[1] for r in reversed(table)]


def test_chart_says_how_many_bars_it_leaves_out(api: "Client") -> None:
    html, parsed = _page(api, "/datensaetze/sgb2-hilfequoten-kinder-kreise")
    total = int(re.search(r"von (\d+)</p>|von (\d+)\s*·|Zeilen 1–20 von (\d+)", html).group(3))  # type: ignore[union-attr]
    assert len(_chart_rows(parsed)) == 20
    assert f"{total - 20} Werte sind nicht dargestellt" in _text(html)


def test_chart_keeps_deutschland_and_nrw_among_its_lines(api: "Client") -> None:
    html, _ = _page(api, "/datensaetze/armutsgefaehrdungsquoten-laender")
    svg = html.split('chart__svg-wide"', 1)[1].split("</svg>", 1)[0]
    assert svg.count('class="series__line"') == 8
    assert ">Deutschland, " in svg or "Deutschland," in svg
    assert "Nordrhein-Westfalen," in svg
    assert "11 Reihen sind nicht dargestellt" in _text(html)


# The cross table


def _long(api: "Client", params: dict[str, str]) -> dict[tuple[str, str, str, str], Any]:
    body = api.get(ROWS, params={**params, "_size": "1000"}).json()
    return {
        (r["ags"], r["indikator"], r["einheit"], str(r["jahr"])): r["wert"]
        if r["wert"] is not None
        else r["wert_status"]
        for r in body["rows"]
    }


@pytest.mark.parametrize("profile", ["rfc4180", "excel-de"])
def test_cross_table_csv_equals_the_long_rows(api: "Client", profile: str) -> None:
    params = {"ags__in": "05,05513,05562"}
    response = api.get(CROSS, params={**params, "profile": profile})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text), delimiter=";" if profile == "excel-de" else ",")
    header, *rows = list(reader)
    assert header == ["ags", "indikator", "einheit", "2023", "2025"]
    long = _long(api, params)
    cells = 0
    for row in rows:
        for period, cell in zip(header[3:], row[3:], strict=True):
            key = (row[0], row[1], row[2], period)
            if cell == "":
                assert key not in long
                continue
            expected = long[key]
            number = float(cell.replace(",", ".")) if profile == "excel-de" else float(cell)
            assert number == pytest.approx(expected), key
            cells += 1
    assert cells == len(long)
    assert response.headers["x-row-count"] == str(len(rows))


def test_cross_table_view_on_the_page_equals_the_long_rows(api: "Client") -> None:
    html, parsed = _page(api, f"{KREISE}?ags__in=05,05513&ansicht=zeitreihe&_sort=ags")
    rows = _table(parsed, "cross-table")
    long = _long(api, {"ags__in": "05,05513"})
    assert len(rows) == len({k[:3] for k in long})
    for row in rows:
        for period, cell in zip(("2023", "2025"), row[3:], strict=True):
            assert _number(cell) == pytest.approx(long[(row[0], row[1], row[2], period)])
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert 'aria-current="page">Zeiträume als Spalten' in html
    assert "crosstab.csv?ags__in=05%2C05513&amp;_sort=ags" in html


# Bad parameters


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (f"{KREISE}?karte=gibtsnicht", "keine Kennzahl dieser Tabelle"),
        (f"{KREISE}?karte_zeitraum=1999", "gibt es für diese Kennzahl nicht"),
        (f"{KREISE}?ansicht=quer", "Parameter &#39;ansicht&#39;"),
        ("/datensaetze/nrw-regionen?ansicht=zeitreihe", "keinen Zeitraum"),
        (f"{KREISE}?jahr__in=2023,abc", "kein gültiger Wert"),
        (f"{KREISE}?ags__in=[05", "keine JSON-Liste"),
    ],
)
def test_bad_page_parameters_are_german_400_pages(api: "Client", path: str, text: str) -> None:
    html, _ = _page(api, path, status=400)
    assert "Fehler 400" in html
    assert text in html


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (f"{CROSS}?profile=quer", "profile"),
        (f"{CROSS}?jahr=abc", "jahr"),
        ("/api/v1/datasets/nrw-regionen/resources/regionen/crosstab.csv", "keine Kreuztabelle"),
        ("/api/v1/datasets/arbeitslose-kreise/resources/gibtsnicht/crosstab.csv", "gibtsnicht"),
    ],
)
def test_bad_cross_table_parameters_are_problem_json(api: "Client", path: str, text: str) -> None:
    response = api.get(path)
    assert response.status_code in {400, 404}
    assert response.headers["content-type"].startswith("application/problem+json")
    assert text in response.json()["detail"]
