"""GET /api/v1/datasets: full text, filters, facets, sorting and paging, on SQLite and PostgreSQL.

Every expectation is computed from the descriptors in datapackages/, not from lists written here.
"""

import calendar
import json
import math
import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
from litestar.testing import TestClient

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.domain import EU_THEMES, GEOCODING_LEVELS
from tests.conftest import DATAPACKAGES

BASE = "http://testserver.local"
LIST = "/api/v1/datasets"
Descriptors = dict[str, dict[str, Any]]


@pytest.fixture
def client(api: TestClient[Any]) -> TestClient[Any]:
    """datapackages/ published once per backend (session fixture ``api``)."""
    return api


@pytest.fixture(scope="module")
def descriptors() -> Descriptors:
    found = (json.loads(p.read_text("utf-8")) for p in DATAPACKAGES.glob("*/datapackage.json"))
    return {d["name"]: d for d in found}


def _search(client: TestClient[Any], **params: Any) -> dict[str, Any]:
    response = client.get(LIST, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _names(client: TestClient[Any], **params: Any) -> set[str]:
    body = _search(client, _size=500, **params)
    assert body["total"] == len(body["datasets"])
    return {item["name"] for item in body["datasets"]}


def _text(descriptor: dict[str, Any]) -> str:
    return " ".join([descriptor["title"], descriptor["description"], *descriptor["keywords"]])


def _with_word(descriptors: Descriptors, pattern: str) -> set[str]:
    """Datasets with a word starting with ``pattern`` (a regex) in title, description, keywords."""
    word = re.compile(rf"(?<![0-9a-zäöüß]){pattern}")
    return {name for name, d in descriptors.items() if word.search(_text(d).lower())}


def _publisher(descriptor: dict[str, Any]) -> str:
    return next(c["title"] for c in descriptor["contributors"] if "publisher" in c.get("roles", []))


# Full text


def test_search_armut_finds_the_poverty_tables(
    client: TestClient[Any], descriptors: Descriptors
) -> None:
    found = _names(client, q="Armut")
    assert found == _with_word(descriptors, "armut")
    assert {n for n, d in descriptors.items() if "armut" in d["keywords"]} <= found
    assert "bevoelkerungsstand" not in found
    assert not any("bevölkerungsstand" in descriptors[n]["keywords"] for n in found)


@pytest.mark.parametrize(
    "spelling", ["armutsgefahrdung", "Armutsgefährdung", "ARMUTSGEFÄHRDUNG", "armutsgefaehrdung"]
)
def test_search_ignores_case_and_umlauts(
    client: TestClient[Any], descriptors: Descriptors, spelling: str
) -> None:
    # The stem "armutsgefahrd" also covers "armutsgefährdet"; the concept list (Armutsrisiko …)
    # adds more datasets, the same for every spelling.
    expected = _with_word(descriptors, "armutsgef(?:ä|ae)hrd")
    assert expected
    found = _names(client, q=spelling)
    assert expected <= found
    assert found == _names(client, q="Armutsgefährdung")


def test_search_matches_word_stems(client: TestClient[Any], descriptors: Descriptors) -> None:
    plural, singular = _names(client, q="Quoten"), _names(client, q="Quote")
    assert plural == singular
    assert _with_word(descriptors, r"quote\b") | _with_word(descriptors, r"quoten\b") <= plural
    assert _with_word(descriptors, r"quote\b") - _with_word(descriptors, r"quoten\b")


def test_search_needs_every_term(client: TestClient[Any]) -> None:
    both = _names(client, q="Armut Mikrozensus")
    assert both
    assert both == _names(client, q="Armut") & _names(client, q="mikrozensus")


def test_search_sorts_by_relevance_title_hits_first(
    client: TestClient[Any], descriptors: Descriptors
) -> None:
    body = _search(client, q="armut", _size=500)
    assert "_sort=relevance" in body["links"]["self"]
    titles = _with_word(
        {n: {**d, "description": "", "keywords": []} for n, d in descriptors.items()}, "armut"
    )
    in_title = [item["name"] in titles for item in body["datasets"]]
    assert any(in_title)
    assert not all(in_title)
    assert in_title == sorted(in_title, reverse=True)


# Filters


@pytest.mark.parametrize("themes", [["SOCI"], ["ECON"], ["soci"], ["7"], ["2"], ["8", "REGI"]])
def test_filter_theme_matches_eu_theme_or_chapter(
    client: TestClient[Any], descriptors: Descriptors, themes: list[str]
) -> None:
    wanted = {t.upper() for t in themes}
    expected = {
        name for name, d in descriptors.items() if wanted & {*d["x_themes"], d["x_chapter"]}
    }
    assert expected
    assert _names(client, theme=themes) == expected


@pytest.mark.parametrize("keywords", [["armut"], ["Mikrozensus"], ["EVS", "sgb ii"]])
def test_filter_keyword_is_exact_and_case_insensitive(
    client: TestClient[Any], descriptors: Descriptors, keywords: list[str]
) -> None:
    wanted = {k.casefold() for k in keywords}
    expected = {n for n, d in descriptors.items() if wanted & {k.casefold() for k in d["keywords"]}}
    assert expected
    assert _names(client, keyword=keywords) == expected


def test_filter_publisher_per_publisher(client: TestClient[Any], descriptors: Descriptors) -> None:
    publishers = {_publisher(d) for d in descriptors.values()}
    assert len(publishers) > 3
    for publisher in publishers:
        expected = {n for n, d in descriptors.items() if _publisher(d) == publisher}
        assert _names(client, publisher=publisher) == expected, publisher


@pytest.mark.parametrize("level", list(GEOCODING_LEVELS))
def test_filter_region_level(client: TestClient[Any], descriptors: Descriptors, level: str) -> None:
    expected = {n for n, d in descriptors.items() if d["x_spatial"]["level"] == level}
    assert _names(client, region_level=level) == expected


def _first_day(period: str) -> date:
    parts = [int(p) for p in period.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def _last_day(period: str) -> date:
    parts = [int(p) for p in period.split("-")]
    year, month = parts[0], parts[1] if len(parts) > 1 else 12
    return date(year, month, parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1])


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        ("2019", None),
        (None, "2005"),
        ("2010", "2012"),
        ("2021-05", "2021-12"),
        ("2021-12", "2021-12"),
        ("2023-12-31", None),
        ("2021-01-26", None),
    ],
)
def test_filter_period_overlaps(
    client: TestClient[Any],
    descriptors: Descriptors,
    period_from: str | None,
    period_to: str | None,
) -> None:
    low = _first_day(period_from or "0001")
    high = _last_day(period_to or "9999")
    expected = {
        n
        for n, d in descriptors.items()
        if _first_day(d["x_temporal"]["start"]) <= high and _last_day(d["x_temporal"]["end"]) >= low
    }
    params = {k: v for k, v in {"period_from": period_from, "period_to": period_to}.items() if v}
    assert _names(client, **params) == expected


def test_filters_combine_with_and(client: TestClient[Any], descriptors: Descriptors) -> None:
    expected = {
        n
        for n, d in descriptors.items()
        if d["x_chapter"] == "7" and d["x_spatial"]["level"] == "administrativeDistrict"
    }
    assert expected
    assert _names(client, theme="7", region_level="administrativeDistrict", q="") == expected


# Facets


def _counts(facet: list[dict[str, Any]]) -> dict[str, int]:
    return {entry["value"]: entry["count"] for entry in facet}


def test_facets_count_the_result_set(
    client: TestClient[Any], descriptors: Descriptors, catalog: CatalogInfo
) -> None:
    body = _search(client)
    facets = body["facets"]
    assert body["total"] == len(descriptors)
    for single in ("chapter", "publisher", "region_level"):
        assert sum(_counts(facets[single]).values()) == body["total"], single
    assert _counts(facets["theme"]) == Counter(
        t for d in descriptors.values() for t in d["x_themes"]
    )
    assert _counts(facets["keyword"]) == Counter(
        k.casefold() for d in descriptors.values() for k in d["keywords"]
    )
    chapters = {c.id: c.label for c in catalog.chapters}
    assert all(e["label"] == chapters[e["value"]] for e in facets["chapter"])
    assert all(e["label"] == EU_THEMES[e["value"]] for e in facets["theme"])
    assert all(e["label"] == GEOCODING_LEVELS[e["value"]] for e in facets["region_level"])


def test_facets_follow_the_query(client: TestClient[Any], descriptors: Descriptors) -> None:
    body = _search(client, q="Armut")
    found = {item["name"] for item in body["datasets"]}
    for single in ("chapter", "publisher", "region_level"):
        assert sum(_counts(body["facets"][single]).values()) == body["total"], single
    assert _counts(body["facets"]["chapter"]) == Counter(descriptors[n]["x_chapter"] for n in found)


def test_facet_ignores_only_its_own_filter(client: TestClient[Any]) -> None:
    unfiltered = _search(client)["facets"]
    body = _search(client, region_level="state")
    assert body["facets"]["region_level"] == unfiltered["region_level"]
    assert _counts(body["facets"]["region_level"])["state"] == body["total"]
    assert sum(_counts(body["facets"]["chapter"]).values()) == body["total"]
    assert sum(_counts(body["facets"]["publisher"]).values()) == body["total"]


# Sorting and paging


def _collated(title: str) -> str:
    return title.casefold().translate(str.maketrans({"ä": "a", "ö": "o", "ü": "u"}))


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("name", lambda d: d["name"]),
        ("title", lambda d: _collated(d["title"])),
        ("modified", lambda d: d["modified"]),
        ("period_end", lambda d: _last_day(d["period_end"])),
    ],
)
def test_sort_orders(client: TestClient[Any], sort: str, key: Any) -> None:
    ascending = _search(client, _sort=sort, _size=500)["datasets"]
    descending = _search(client, _sort=f"-{sort}", _size=500)["datasets"]
    assert [key(d) for d in ascending] == sorted(key(d) for d in ascending)
    assert [key(d) for d in descending] == sorted((key(d) for d in descending), reverse=True)
    assert len(ascending) == len(descending) > 1


def test_default_sort_without_query_is_name(client: TestClient[Any]) -> None:
    body = _search(client, _size=500)
    names = [item["name"] for item in body["datasets"]]
    assert names == sorted(names)
    assert "_sort=name" in body["links"]["self"]


@pytest.mark.parametrize("size", [1, 4, 20, 500])
def test_paging_visits_every_dataset_once(
    client: TestClient[Any], descriptors: Descriptors, size: int
) -> None:
    seen: list[str] = []
    url: str | None = f"{LIST}?_size={size}"
    pages = 0
    while url is not None:
        body = client.get(url.removeprefix(BASE)).json()
        pages += 1
        assert body["page"] == pages
        assert (body["links"]["prev"] is None) == (pages == 1)
        seen += [item["name"] for item in body["datasets"]]
        url = body["links"]["next"]
    assert sorted(seen) == sorted(descriptors)
    assert pages == body["pages"] == math.ceil(len(descriptors) / size)


def test_page_after_the_last_is_empty(client: TestClient[Any]) -> None:
    body = _search(client, _size=20, page=9)
    assert body["datasets"] == []
    assert body["links"]["next"] is None
    assert body["links"]["prev"].endswith("page=2")


# Shape and errors


def test_item_shape_and_link(client: TestClient[Any], descriptors: Descriptors) -> None:
    body = _search(client, q="Lebensformen")
    assert set(body) == {
        "release",
        "total",
        "page",
        "size",
        "pages",
        "datasets",
        "facets",
        "links",
        "interpretation",
        "hint",
    }
    assert body["hint"] is None
    assert body["release"] == 1
    assert set(body["facets"]) == {"theme", "chapter", "keyword", "publisher", "region_level"}
    item = next(i for i in body["datasets"] if i["name"] == "lebensformen")
    source = descriptors["lebensformen"]
    assert item["title"] == source["title"]
    assert item["keywords"] == source["keywords"]
    assert item["themes"] == source["x_themes"]
    assert (item["period_start"], item["period_end"]) == (
        source["x_temporal"]["start"],
        source["x_temporal"]["end"],
    )
    assert item["url"] == f"{BASE}{LIST}/lebensformen"
    assert client.get(item["url"].removeprefix(BASE)).status_code == 200
    longest = max(body["datasets"], key=lambda i: len(i["description"]))
    assert len(longest["description"]) <= 302


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"_sort": "newest"}, "_sort"),
        ({"q": " ".join(f"wort{i}" for i in range(40))}, "q"),
        ({"_size": 0}, "_size"),
        ({"_size": 501}, "_size"),
        ({"_size": "viele"}, "_size"),
        ({"page": 0}, "page"),
        ({"page": "zwei"}, "page"),
        ({"region_level": "land"}, "region_level"),
        ({"theme": "XYZ"}, "theme"),
        ({"period_from": "2010-13"}, "period_from"),
        ({"period_to": "20100"}, "period_to"),
        ({"period_from": "2010-02-30"}, "period_from"),
        ({"period_from": "2020", "period_to": "2010"}, "period_from"),
    ],
)
def test_bad_parameter_is_a_problem_naming_it(
    client: TestClient[Any], params: dict[str, Any], parameter: str
) -> None:
    response = client.get(LIST, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert f"'{parameter}'" in problem["detail"]


def test_unknown_keyword_or_publisher_is_an_empty_result(client: TestClient[Any]) -> None:
    assert _names(client, keyword="gibtsnicht") == set()
    assert _names(client, publisher="Niemand") == set()
    assert _names(client, q="Zzzyx") == set()
