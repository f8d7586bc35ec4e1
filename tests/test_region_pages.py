"""Region pages (/regionen, Steckbrief, Vergleich) over HTTP, on SQLite and PostgreSQL.

The figures on a Steckbrief and a comparison are read back from the HTML and compared with the
region API's answer for the same place; the maps' areas are compared with the geometry API's
boundaries of the same release; every link of the pages is followed.
"""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.services.regions import RegionService
from opendata_sozial.views.choropleth import map_shapes
from opendata_sozial.views.region_maps import BoundaryShapes
from tests.conftest import DATAPACKAGES, GEOGRAPHY
from tests.publishing import publish_into

BASE = "http://testserver.local"
GELSENKIRCHEN = "05513"
MUENSTER = "055"
NRW = "05"
RUHR = ["05513", "05562", "05913"]
NBSP = "\u00a0"
MAP_AREA = re.compile(r'<a class="map__link" href="([^"]+)"[^>]*><path class="[^"]*" d="([^"]+)"')


@pytest.fixture(scope="module")
def api(geo: TestClient[Litestar]) -> TestClient[Litestar]:
    """The packages with the boundaries published beside them, as ``make serve`` does: the
    pages draw their maps from the published geography package."""
    return geo


class _Page(HTMLParser):
    """Links, the region tables' rows (cell texts) and map links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.rows: list[list[str]] = []
        self.options: list[str] = []
        self.map_links: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._table = 0
        self._title_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in {"a", "link"} and found.get("href"):
            self.links.append(str(found["href"]))
            if tag == "a" and found.get("class") == "map__link":
                self.map_links.append(str(found["href"]))
        if tag == "option" and found.get("value"):
            self.options.append(str(found["value"]))
        if tag == "table":
            self._table += 1 if "region-table" in (found.get("class") or "") else 0
        if tag == "title":
            self._title_depth += 1
        if self._table and tag == "tr" and found.get("id"):
            self._row = []
        if self._row is not None and tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._title_depth -= 1
        if self._cell is not None and tag in {"td", "th"} and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if tag == "table" and self._table:
            self._table -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._title_depth:
            self._cell.append(data)


def _page(api: TestClient[Litestar], path: str, status: int = 200) -> tuple[str, _Page]:
    response = api.get(path)
    assert response.status_code == status, (path, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    parsed = _Page()
    parsed.feed(response.text)
    return response.text, parsed


def _number(text: str) -> float:
    """``20 770`` / ``15,4`` / ``−3,2`` as on the page, back to a number."""
    plain = text.replace(NBSP, "").replace(" ", "").replace("\u2212", "-").replace(",", ".")
    return float(plain)


def _expected(point: dict[str, Any]) -> str | float:
    if point["value"] is None:
        return f"keine Angabe ({point['status']})" if point["status"] else "keine Angabe"
    return float(point["value"])


def _period(period: Any) -> str:  # year, ISO date or text
    """A period as the page spells it: ``2024-12-31`` is ``31.12.2024``, others as they are."""
    text = str(period)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        year, month, day = text.split("-")
        return f"{day}.{month}.{year}"
    return text


def _shown(text: str) -> str | float:
    return text if text.startswith("keine Angabe") else _number(text)


# Pages answer


@pytest.mark.parametrize(
    "path",
    [
        "/regionen",
        "/regionen?ebene=gemeinde",
        "/regionen?q=Gelsenkirchen",
        f"/regionen/{GELSENKIRCHEN}",
        f"/regionen/{MUENSTER}",
        f"/regionen/{NRW}",
        "/regionen/05513000",
        "/regionen/vergleich",
        f"/regionen/vergleich?keys={','.join(RUHR)}",
    ],
)
def test_region_pages_answer_in_german(api: TestClient[Litestar], path: str) -> None:
    text, _ = _page(api, path)
    assert '<html lang="de">' in text
    assert 'href="/regionen" aria-current="page">Regionen</a>' in text


# The Steckbrief shows the API's numbers


@pytest.mark.parametrize("key", [GELSENKIRCHEN, MUENSTER, NRW])
def test_steckbrief_figures_equal_the_profile_api(api: TestClient[Litestar], key: str) -> None:
    profile = api.get(f"/api/v1/regions/{key}/profile").json()
    _, page = _page(api, f"/regionen/{key}")
    indicators = profile["indicators"]
    assert len(page.rows) == len(indicators) > 0
    parents = [p["key"] for p in profile["parents"]]
    for row, indicator in zip(page.rows, indicators, strict=True):
        label, value, period, rank = row[:4]
        assert label.startswith(indicator["label"]), (label, indicator["label"])
        assert _shown(value) == _expected(indicator["latest"]), (label, value)
        assert period == _period(indicator["latest"]["period"]), label
        peers = indicator["peers"]
        if peers is None or peers["rank"] is None:
            assert rank == "–"
        else:
            assert rank == f"Platz {peers['rank']} von {peers['count']}"
        by_key = {p["key"]: p for p in indicator["parents"]}
        # the last columns: direct parent (if it is not NRW), then NRW
        shown_parents = [parents[0]] if len(parents) > 1 else []
        shown_parents += [NRW] if parents else []
        shown = row[-len(shown_parents) :] if shown_parents else []
        for cell, parent in zip(shown, shown_parents, strict=True):
            expected = _expected(by_key[parent]) if parent in by_key else "keine Angabe"
            assert _shown(cell) == expected, (label, parent, cell)


def test_steckbrief_hierarchy_downloads_and_citation(api: TestClient[Litestar]) -> None:
    text, page = _page(api, f"/regionen/{GELSENKIRCHEN}")
    assert "Gelsenkirchen, Stadt</h1>" in text
    breadcrumb = text.split('aria-label="Brotkrumen"', 1)[1].split("</nav>", 1)[0]
    assert breadcrumb.index(f"{BASE}/regionen/{NRW}") < breadcrumb.index(
        f"{BASE}/regionen/{MUENSTER}"
    )
    assert f"{BASE}/regionen/05513000" in page.links
    assert f"{BASE}/api/v1/regions/{GELSENKIRCHEN}/profile.csv" in page.links
    assert f"{BASE}/api/v1/regions/{GELSENKIRCHEN}/profile" in page.links
    assert "https://www.govdata.de/dl-de/by-2-0" in page.links
    assert "© GeoBasis-DE / BKG" in text
    profile = api.get(f"/api/v1/regions/{GELSENKIRCHEN}/profile").json()
    for dataset in {i["dataset"] for i in profile["indicators"]}:
        assert f"{BASE}/datensaetze/{dataset}" in page.links


def _jsonld(text: str) -> dict[str, Any]:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, flags=re.S)
    found: dict[str, Any] = json.loads(block)
    return found


def test_steckbrief_carries_schema_org_place_with_its_parents(api: TestClient[Litestar]) -> None:
    text, _ = _page(api, f"/regionen/{GELSENKIRCHEN}")
    place = _jsonld(text)
    region = api.get(f"/api/v1/regions/{GELSENKIRCHEN}").json()
    assert place["@context"] == "https://schema.org"
    assert (place["@type"], place["name"], place["url"]) == (
        "Place",
        region["name"],
        f"{BASE}/regionen/{GELSENKIRCHEN}",
    )
    assert place["identifier"] == {
        "@type": "PropertyValue",
        "propertyID": "AGS",
        "value": GELSENKIRCHEN,
    }
    chain, outer = [], place.get("containedInPlace")
    while outer is not None:
        assert outer["@type"] == "Place"
        assert outer["url"] == f"{BASE}/regionen/{outer['identifier']['value']}"
        chain.append((outer["identifier"]["value"], outer["name"]))
        outer = outer.get("containedInPlace")
    assert chain == [(p["key"], p["name"]) for p in region["parents"]]
    assert [key for key, _ in chain] == [MUENSTER, NRW]
    assert place["geo"]["@type"] == "GeoShape"  # the boundaries are published beside the data


def test_steckbrief_small_multiples_show_every_series_value(api: TestClient[Litestar]) -> None:
    text, _ = _page(api, f"/regionen/{GELSENKIRCHEN}")
    profile = api.get(f"/api/v1/regions/{GELSENKIRCHEN}/profile").json()
    drawn = [
        i for i in profile["indicators"] if sum(p["value"] is not None for p in i["series"]) > 1
    ]
    assert drawn  # the Kreis tables have several years
    descriptions = re.findall(r'<desc id="trend-\d+-desc">([^<]*)</desc>', text)
    assert len(descriptions) == len(drawn)
    for description, indicator in zip(descriptions, drawn, strict=True):
        parts = [part.rsplit(": ", 1) for part in description.split("; ")]
        assert [period for period, _ in parts] == [
            _period(p["period"]) for p in indicator["series"]
        ]
        unit = f"{NBSP}{indicator['unit']}" if indicator["unit"] else ""
        shown = [_shown(value.removesuffix(unit)) for _, value in parts]
        assert shown == [_expected(p) for p in indicator["series"]]


def test_steckbrief_offers_every_download_and_cites_each_source(api: TestClient[Litestar]) -> None:
    text, page = _page(api, f"/regionen/{GELSENKIRCHEN}")
    base = f"{BASE}/api/v1/regions/{GELSENKIRCHEN}/profile"
    for url in (f"{base}.csv", f"{base}.csv?profile=excel-de", f"{base}.xlsx"):
        assert url in page.links
    profile = api.get(base.removeprefix(BASE)).json()
    citations = re.findall(r'<p class="citation">([^<]*abgerufen am[^<]*)</p>', text)
    datasets = list(dict.fromkeys(i["dataset"] for i in profile["indicators"]))
    assert len(citations) == len(datasets) > 0
    for cited, dataset in zip(citations, datasets, strict=True):
        assert f"{BASE}/datensaetze/{dataset}" in cited
        assert f"Veröffentlichung {profile['release']}" in cited
    _, compared = _page(api, f"/regionen/vergleich?keys={','.join(RUHR)}")
    keys = ",".join(RUHR)
    for suffix in (".csv", ".csv?profile=excel-de", ".xlsx"):
        query = f"?keys={keys}" if "?" not in suffix else f"?keys={keys}&{suffix.split('?')[1]}"
        assert f"{BASE}/api/v1/regions/compare{suffix.split('?')[0]}{query}" in compared.links


def test_steckbrief_map_highlights_the_place_and_follows_indikator(
    api: TestClient[Litestar],
) -> None:
    text, page = _page(api, f"/regionen/{GELSENKIRCHEN}")
    assert len(page.map_links) == 53
    assert f'href="{BASE}/regionen/{GELSENKIRCHEN}" aria-label="Gelsenkirchen, Stadt: ' in text
    assert 'class="map__highlight"' in text
    assert "Umrandet: Gelsenkirchen, Stadt." in text
    profile = api.get(f"/api/v1/regions/{GELSENKIRCHEN}/profile").json()
    assert len(page.options) == sum(1 for i in profile["indicators"] if i["peers"])
    chosen = page.options[-1]
    other, _ = _page(api, f"/regionen/{GELSENKIRCHEN}?indikator={chosen}")
    assert f'<option value="{chosen}" selected>' in other
    assert other.split('class="map__title">', 1)[1] != text.split('class="map__title">', 1)[1]
    unknown, _ = _page(api, f"/regionen/{GELSENKIRCHEN}?indikator=gibt-es-nicht")
    assert unknown.count(" selected>") == 1


def test_overview_lists_levels_and_links_every_kreis_on_the_map(
    api: TestClient[Litestar],
) -> None:
    text, page = _page(api, "/regionen")
    kreise = api.get("/api/v1/regions", params={"ebene": "kreis", "_size": 100}).json()
    current = {f"{BASE}/regionen/{r['key']}" for r in kreise["regions"] if not r["valid_to"]}
    assert set(page.map_links) == current
    assert {f"{BASE}/regionen/{r['key']}" for r in kreise["regions"]} <= set(page.links)
    assert 'Aachen, Kreis</a> <span class="muted">(bis ' in text
    assert "Arbeitslosenquote bez. auf alle zivilen Erwerbspersonen, 2025" in text
    assert f"{BASE}/regionen?ebene=gemeinde#karte" in page.links
    _, gemeinden = _page(api, "/regionen?ebene=gemeinde")
    assert len(gemeinden.map_links) == 396


def test_overview_search_by_name_variant_and_key(api: TestClient[Litestar]) -> None:
    for q, key in [("Gelsenkirchen", "05513"), ("05513", "05513"), ("Koeln", "05315")]:
        _, page = _page(api, f"/regionen?q={q}")
        assert f"{BASE}/regionen/{key}" in page.links[: page.links.index(f"{BASE}/regionen/{NRW}")]
    text, _ = _page(api, "/regionen?q=Atlantis")
    assert "Kein Ort gefunden für „Atlantis“" in text


# Comparison


def test_comparison_equals_the_compare_api(api: TestClient[Litestar]) -> None:
    keys = ",".join(RUHR)
    body = api.get(f"/api/v1/regions/compare?keys={keys}").json()
    text, _ = _page(api, f"/regionen/vergleich?keys={keys}")
    head = text.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert [f"{BASE}/regionen/{k}" for k in RUHR] == re.findall(r'href="([^"]+)"', head)
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", text, flags=re.S)
    assert len(rows) == len(body["indicators"]) > 0
    for row, indicator in zip(rows, body["indicators"], strict=True):
        cells = re.findall(r'<td class="num">([^<]*)</td>', row)
        assert [_shown(c) for c in cells] == [_expected(v) for v in indicator["values"]]


def test_comparison_adds_a_place_by_name_without_javascript(api: TestClient[Litestar]) -> None:
    response = api.get(
        "/regionen/vergleich", params={"keys": "05513", "ort": "Bochum"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{BASE}/regionen/vergleich?keys=05513,05911"
    text, page = _page(api, "/regionen/vergleich?ort=Bochum")
    assert "Mehrere Orte passen zu „Bochum“" in text
    assert f"{BASE}/regionen/vergleich?keys=05911" in page.links
    text, _ = _page(api, "/regionen/vergleich?keys=05513&ort=Atlantis")
    assert "Kein weiterer Ort passt zu „Atlantis“" in text


# Links, errors, escaping


def test_every_link_of_the_region_pages_answers(api: TestClient[Litestar]) -> None:
    seen: set[str] = set()
    for path in [
        "/regionen",
        f"/regionen/{GELSENKIRCHEN}",
        f"/regionen/{MUENSTER}",
        "/regionen/05513000",
        f"/regionen/vergleich?keys={','.join(RUHR)}",
    ]:
        _, page = _page(api, path)
        for link in page.links:
            target = link.split("#", 1)[0].removeprefix(BASE)
            if not target.startswith("/") or target in seen:
                continue
            seen.add(target)
            response = api.get(target, follow_redirects=False)
            assert response.status_code == 200, (path, link, response.text[:300])
    assert len(seen) > 100


@pytest.mark.parametrize(
    "path",
    ["/regionen/99999", "/regionen/vergleich?keys=05513,99999", "/regionen/%3Cb%3Ex"],
)
def test_unknown_key_is_a_german_404_with_region_search(
    api: TestClient[Litestar], path: str
) -> None:
    text, page = _page(api, path, status=404)
    assert "Region nicht gefunden" in text
    assert 'action="/regionen"' in text
    assert f"{BASE}/regionen" in page.links
    assert "<b>x" not in text


def test_search_terms_are_escaped(api: TestClient[Litestar]) -> None:
    attack = '"><script>alert(1)</script>'
    for path, params in [
        ("/regionen", {"q": attack}),
        ("/regionen/vergleich", {"keys": "05513", "ort": attack}),
        ("/suche", {"q": "Gelsenkirchen " + attack}),
    ]:
        response = api.get(path, params=params)
        assert response.status_code == 200, path
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_dataset_search_names_matching_places(api: TestClient[Litestar]) -> None:
    for q in ["Gelsenkirchen", "05513"]:
        _, page = _page(api, f"/suche?q={q}")
        assert f"{BASE}/regionen/{GELSENKIRCHEN}" in page.links
    places = api.get("/api/v1/regions", params={"q": "Chorweiler"}).json()["regions"]
    _, page = _page(api, "/suche?q=Chorweiler")
    shown = {link for link in page.links if link.startswith(f"{BASE}/regionen/")}
    assert shown == {f"{BASE}/regionen/{p['key']}" for p in places[:5]}
    _, start = _page(api, "/")
    assert "/regionen" in start.links


def _drawn(html: str) -> dict[str, str]:
    """Steckbrief URL -> SVG path of every linked area of a page's map."""
    return dict(MAP_AREA.findall(html))


def _projected(geojson: bytes) -> dict[str, str]:
    """Steckbrief URL -> SVG path of every feature of a boundary file, as the pages project."""
    shapes = map_shapes(json.loads(geojson)["features"]).shapes
    return {f"{BASE}/regionen/{shape.key}": shape.d for shape in shapes}


@pytest.mark.parametrize(
    ("page", "level"), [("/regionen", "kreis"), ("/regionen?ebene=gemeinde", "gemeinde")]
)
def test_page_maps_draw_the_geometry_api_boundaries(
    api: TestClient[Litestar], page: str, level: str
) -> None:
    geometry = api.get(f"/api/v1/regions/geometry/{level}.geojson")
    assert geometry.status_code == 200
    text, _ = _page(api, page)
    assert _drawn(text) == _projected(geometry.content)


def test_without_published_geography_pages_have_no_map(published_url: str, tmp_path: Path) -> None:
    from opendata_sozial.config import Settings
    from opendata_sozial.web.app import create_app

    settings = Settings(database_url=published_url, base_url=BASE, cache_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        text, page = _page(client, f"/regionen/{GELSENKIRCHEN}")
        assert page.map_links == []
        assert "Gelsenkirchen" in text
        assert client.get("/api/v1/regions/geometry/kreis.geojson").status_code == 404


def _moved_copy(target: Path, key: str) -> Path:
    """nrw-geometrie with the Kreis ``key`` moved 0.05° east: a valid, visibly new version."""
    folder = target / "nrw-geometrie"
    shutil.copytree(GEOGRAPHY / "nrw-geometrie", folder)
    path = folder / "data" / "kreise.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    feature = next(f for f in data["features"] if f["properties"]["ags"] == key)
    polygons = feature["geometry"]["coordinates"]
    if feature["geometry"]["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:
        for ring in polygon:
            for position in ring:
                position[0] = round(position[0] + 0.05, 5)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "kreise")
    resource["hash"], resource["bytes"] = file_digest(path)
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return folder


def test_pages_and_api_draw_the_boundaries_of_the_same_release(
    database_url: str, tmp_path: Path
) -> None:
    """Release 2 moves Gelsenkirchen: the page follows the current release, the kept shapes
    of pinned release 1 stay those of release 1's file, as its pinned download serves it."""
    from opendata_sozial.config import Settings
    from opendata_sozial.web.app import create_app

    publish_into(database_url, [DATAPACKAGES, GEOGRAPHY])
    publish_into(database_url, [_moved_copy(tmp_path, GELSENKIRCHEN)])
    settings = Settings(database_url=database_url, base_url=BASE, cache_dir=tmp_path / "cache")
    pinned = "/api/v1/releases/{}/datasets/nrw-geometrie/resources/kreise.geojson"
    with TestClient(create_app(settings)) as client:
        current = client.get("/api/v1/regions/geometry/kreis.geojson").content
        assert client.get(pinned.format(2)).content == current
        first = client.get(pinned.format(1)).content
        assert first == (GEOGRAPHY / "nrw-geometrie" / "data" / "kreise.geojson").read_bytes()
        text, _ = _page(client, f"/regionen/{GELSENKIRCHEN}")
        assert _drawn(text) == _projected(current)
    engine = create_db_engine(database_url, read_only=True)
    try:
        catalog = CatalogService(engine)
        boundaries = BoundaryShapes(
            RegionMapService(engine, catalog, RegionService(engine, catalog))
        )
        old, new = catalog.release_info(1), catalog.release_info(2)
        kept = boundaries.shapes(old, "kreis")
        assert kept is not None
        assert {f"{BASE}/regionen/{s.key}": s.d for s in kept.shapes} == _projected(first)
        assert boundaries.shapes(old, "kreis") is kept  # projected once, then kept
        assert boundaries.shapes(old, "kreis", 300) is not kept
        assert boundaries.shapes(new, "kreis") is not kept
        assert boundaries.shapes(new, "gemeinde") is boundaries.shapes(old, "gemeinde")  # same file
        assert boundaries.shapes(new, "regierungsbezirk") is None
    finally:
        engine.dispose()
