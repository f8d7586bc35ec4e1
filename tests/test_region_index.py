"""The index builder (/api/v1/regions/index, .csv, /regionen/index) on SQLite and PostgreSQL.

Every number is recomputed here, independently, from the published rows (rows API): the
z-scores with the population standard deviation, the flipped direction, the weighted mean, the
ranks, the excluded places, the typology. API, CSV and page must give the same numbers.
"""

import csv
import io
import re
import statistics
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import DATAPACKAGES
from tests.json_links import BASE, follow_every_link, get_json


@pytest.fixture(scope="module")
def api(geo: TestClient[Litestar]) -> TestClient[Litestar]:
    """The packages and the boundaries published together, as ``make serve`` does: the maps
    draw the boundaries of the release."""
    return geo


LABEL = "berechnet aus den veröffentlichten Zahlen, keine amtliche Kennzahl"
QUOTE = ("arbeitslose-kreise", "Arbeitslosenquote bez. auf alle zivilen Erwerbspersonen")
FOREIGN = (
    "arbeitslose-kreise",
    "Arbeitslosenquote bez. auf alle zivilen Erwerbspersonen, ausländisch",
)
INCOME = (
    "verfuegbares-einkommen-kreise",
    "Verfügbares Einkommen der privaten Haushalte je Einwohner",
)
SGB2 = ("sgb2-hilfequoten-kinder-kreise", "SGB II-Quote Insgesamt")
PERIOD_FIELDS = {
    "arbeitslose-kreise": "jahr",
    "verfuegbares-einkommen-kreise": "jahr",
    "sgb2-hilfequoten-kinder-kreise": "stand",
}
NBSP = "\u00a0"


def _kreise() -> list[str]:
    path = DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            r["ags"]
            for r in csv.DictReader(handle)
            if r["ebene"] == "kreis" and not r["gueltig_bis"]
        ]


def _indicator(api: TestClient[Litestar], wanted: tuple[str, str]) -> dict[str, Any]:
    body = get_json(api, "/api/v1/regions/index/indicators", ebene="kreis")
    found = [i for i in body["indicators"] if i["dataset"] == wanted[0] and i["label"] == wanted[1]]
    assert len(found) == 1, (wanted, [i["label"] for i in found])
    return found[0]


def _figures(api: TestClient[Litestar], indicator: dict[str, Any], period: Any) -> dict[str, Any]:
    """Region key -> value of the indicator at ``period``, read from the rows API."""
    dataset = indicator["dataset"]
    rows = get_json(
        api, f"/api/v1/datasets/{dataset}/resources/{indicator['resource']}/rows", _size=10000
    )["rows"]
    field = PERIOD_FIELDS[dataset]
    return {
        r["ags"]: r["wert"]
        for r in rows
        if all(r[k] == v for k, v in indicator["dimensions"].items())
        and r["einheit"] == indicator["unit"]
        and str(r[field]) == str(period)
    }


def _z(values: list[float]) -> list[float]:
    mean = sum(values) / len(values)
    sd = statistics.pstdev(values)
    return [(v - mean) / sd for v in values]


def _expected(
    api: TestClient[Litestar], chosen: list[tuple[dict[str, Any], str, float]], comparison: bool
) -> dict[str, tuple[float, list[float]]]:
    """Key -> (index, oriented z-scores) over the Kreise with every value."""
    columns = []
    for indicator, _, _ in chosen:
        periods = [p["period"] for p in indicator["periods"]]
        columns.append(_figures(api, indicator, periods[-2] if comparison else periods[-1]))
    keys = [k for k in _kreise() if all(c.get(k) is not None for c in columns)]
    scores = []
    for column, (_, direction, _) in zip(columns, chosen, strict=True):
        z = _z([float(column[k]) for k in keys])
        scores.append([-s for s in z] if direction == "hoch-gut" else z)
    weights = [w for _, _, w in chosen]
    return {
        k: (
            sum(w * s[n] for w, s in zip(weights, scores, strict=True)) / sum(weights),
            [s[n] for s in scores],
        )
        for n, k in enumerate(keys)
    }


def _query(chosen: list[tuple[dict[str, Any], str, float]], **extra: str) -> str:
    parts = [f"indikator={i['id']}:{d}:{w:g}" for i, d, w in chosen]
    extras = [f"{k}={v}" for k, v in extra.items()]
    return "&".join(["ebene=kreis", *parts, *extras])


@pytest.fixture
def three(api: TestClient[Litestar]) -> list[tuple[dict[str, Any], str, float]]:
    """Unemployment rate (worse when higher, weight 2), income (better when higher), SGB II."""
    return [
        (_indicator(api, QUOTE), "hoch-schlecht", 2.0),
        (_indicator(api, INCOME), "hoch-gut", 1.0),
        (_indicator(api, SGB2), "hoch-schlecht", 1.0),
    ]


@pytest.fixture
def body(api: TestClient[Litestar], three: list[tuple[dict[str, Any], str, float]]) -> Any:  # JSON
    """The index of ``three`` (z-scores, latest periods)."""
    return get_json(api, f"/api/v1/regions/index?{_query(three)}")


def _fetch(api: TestClient[Litestar], link: str, media: str) -> Any:  # httpx Response
    response = api.get(link.removeprefix(BASE))
    assert response.status_code == 200, (link, response.text[:300])
    assert response.headers["content-type"].startswith(media)
    return response


# Numbers


def test_z_score_index_equals_an_independent_computation(
    api: TestClient[Litestar], three: list[tuple[dict[str, Any], str, float]]
) -> None:
    body = get_json(api, f"/api/v1/regions/index?{_query(three)}")
    expected = _expected(api, three, comparison=False)
    assert body["hinweis"] == LABEL
    assert body["method"]["code"] == "z"
    assert {p["key"] for p in body["places"]} == set(expected)
    for place in body["places"]:
        index, scores = expected[place["key"]]
        assert place["index"] == pytest.approx(index, abs=1e-12)
        assert [v["score"] for v in place["values"]] == pytest.approx(scores, abs=1e-12)
        assert place["rank"] == 1 + sum(1 for i, _ in expected.values() if i > index + 1e-12)
        assert place["page"] == f"{BASE}/regionen/{place['key']}"
    ranks = [p["rank"] for p in body["places"]]
    assert ranks == sorted(ranks)
    inputs = body["inputs"]
    assert [(i["id"], i["direction"], i["weight"]) for i in inputs] == [
        (i["id"], d, w) for i, d, w in three
    ]
    assert [i["weight_share"] for i in inputs] == [0.5, 0.25, 0.25]
    assert {(i["column"], i["places"]) for i in inputs} == {("wert", len(expected))}
    assert all(
        i["period"] == i_["periods"][-1]["period"]
        for i, (i_, _, _) in zip(inputs, three, strict=True)
    )
    follow_every_link(api, body)


def test_places_missing_a_value_are_excluded_with_the_reason(
    api: TestClient[Litestar], three: list[tuple[dict[str, Any], str, float]]
) -> None:
    body = get_json(api, f"/api/v1/regions/index?{_query(three)}")
    included = {p["key"] for p in body["places"]}
    excluded = {e["key"]: e["reason"] for e in body["excluded"]}
    assert included | set(excluded) == set(_kreise())
    assert not included & set(excluded)
    assert excluded  # the SGB II table covers 21 of the 53 Kreise
    sgb2 = _figures(api, three[2][0], three[2][0]["periods"][-1]["period"])
    for key, reason in excluded.items():
        assert key not in sgb2 or sgb2[key] is None
        assert "kein Wert für „SGB II-Quote Insgesamt“" in reason


def test_hoch_gut_flips_the_sign_and_weights_scale_freely(
    api: TestClient[Litestar], three: list[tuple[dict[str, Any], str, float]]
) -> None:
    base = get_json(api, f"/api/v1/regions/index?{_query(three)}")
    flipped = [(three[0][0], "hoch-gut", 2.0), *three[1:]]
    other = get_json(api, f"/api/v1/regions/index?{_query(flipped)}")
    first = {p["key"]: p["values"][0]["score"] for p in base["places"]}
    assert {p["key"]: -p["values"][0]["score"] for p in other["places"]} == first
    doubled = [(i, d, 2 * w) for i, d, w in three]
    same = get_json(api, f"/api/v1/regions/index?{_query(doubled)}")
    assert [(p["key"], p["rank"]) for p in same["places"]] == [
        (p["key"], p["rank"]) for p in base["places"]
    ]
    for a, b in zip(base["places"], same["places"], strict=True):
        assert a["index"] == pytest.approx(b["index"], abs=1e-12)
    equal = [(i, d, 1.0) for i, d, _ in three]
    plain = get_json(api, f"/api/v1/regions/index?{_query(equal)}")
    for place in plain["places"]:
        scores = [v["score"] for v in place["values"]]
        assert place["index"] == pytest.approx(sum(scores) / 3, abs=1e-12)


def test_rank_method_scales_positions_from_0_to_1(
    api: TestClient[Litestar], three: list[tuple[dict[str, Any], str, float]]
) -> None:
    body = get_json(api, f"/api/v1/regions/index?{_query(three, methode='rang')}")
    keys = [p["key"] for p in body["places"]]
    for n, (indicator, direction, _) in enumerate(three):
        column = _figures(api, indicator, indicator["periods"][-1]["period"])
        values = {k: float(column[k]) * (-1 if direction == "hoch-gut" else 1) for k in keys}
        for place in body["places"]:
            own = values[place["key"]]
            below = sum(1 for v in values.values() if v < own)
            ties = sum(1 for v in values.values() if v == own)
            position = below + (ties + 1) / 2
            assert place["values"][n]["score"] == pytest.approx((position - 1) / (len(keys) - 1))
    assert body["inputs"][0]["mean"] is None


def test_typology_from_status_and_dynamics(api: TestClient[Litestar]) -> None:
    chosen = [
        (_indicator(api, QUOTE), "hoch-schlecht", 1.0),
        (_indicator(api, FOREIGN), "hoch-schlecht", 3.0),
    ]
    body = get_json(api, f"/api/v1/regions/index?{_query(chosen)}")
    now = _expected(api, chosen, comparison=False)
    then = _expected(api, chosen, comparison=True)
    typed = [k for k in now if k in then]
    median = statistics.median(now[k][0] for k in typed)
    assert body["typology"]["available"] is True
    assert body["typology"]["median"] == pytest.approx(median, abs=1e-12)
    assert [i["comparison_period"] for i in body["inputs"]] == [2023, 2023]
    counts = dict.fromkeys(
        ("hoch-gestiegen", "hoch-gesunken", "niedrig-gestiegen", "niedrig-gesunken"), 0
    )
    for place in body["places"]:
        key = place["key"]
        dynamics = now[key][0] - then[key][0]
        assert place["comparison_index"] == pytest.approx(then[key][0], abs=1e-12)
        assert place["dynamics"] == pytest.approx(dynamics, abs=1e-12)
        code = ("hoch" if now[key][0] > median else "niedrig") + (
            "-gestiegen" if dynamics > 0 else "-gesunken"
        )
        assert place["type"] == code
        counts[code] += 1
    assert {t["code"]: t["count"] for t in body["typology"]["types"]} == counts


def test_no_typology_without_a_second_period(
    api: TestClient[Litestar], three: list[tuple[dict[str, Any], str, float]]
) -> None:
    body = get_json(api, f"/api/v1/regions/index?{_query(three)}")
    typology = body["typology"]
    assert typology["available"] is False
    assert "nur einen Zeitraum" in typology["reason"]
    assert typology["types"] == []
    assert {p["type"] for p in body["places"]} == {None}


# CSV and page give the API's numbers


def test_csv_has_the_api_numbers(api: TestClient[Litestar], body: Any) -> None:
    response = _fetch(api, body["links"]["csv"], "text/csv")
    assert "index-kreis.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["hinweis"] for r in rows} == {LABEL}
    placed = [r for r in rows if r["rang"]]
    assert [r["ags"] for r in placed] == [p["key"] for p in body["places"]]
    for row, place in zip(placed, body["places"], strict=True):
        assert float(row["index"]) == place["index"]
        assert int(row["rang"]) == place["rank"]
        for value in place["values"]:
            assert float(row[f"standardisiert_{value['id']}"]) == value["score"]
            assert float(row[f"wert_{value['id']}"]) == value["value"]
    gone = {r["ags"]: r["ausgeschlossen_weil"] for r in rows if not r["rang"]}
    assert gone == {e["key"]: e["reason"] for e in body["excluded"]}


class _Ranking(HTMLParser):
    """The ranking table's rows (``tr id="ort-…"``): cell texts; and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.links: list[str] = []
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in {"a", "link"} and found.get("href"):
            self.links.append(str(found["href"]))
        if tag == "tr" and (found.get("id") or "").startswith("ort-"):
            self._key = str(found["id"])[4:]
            self.rows[self._key] = []
        if self._key and tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._key and self._cell is not None and tag in {"td", "th"}:
            self.rows[self._key].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _shown(value: float) -> str:
    text = f"{value:,.2f}".replace(",", NBSP).replace(".", ",").replace("-", "\u2212")
    return text.replace("\u22120,00", "0,00")


def test_page_shows_the_api_numbers_and_links_each_steckbrief(
    api: TestClient[Litestar], body: Any
) -> None:
    html = _fetch(api, body["links"]["page"], "text/html").text
    assert LABEL in html
    page = _Ranking()
    page.feed(html)
    assert list(page.rows) == [p["key"] for p in body["places"]]
    for place in body["places"]:
        cells = page.rows[place["key"]]
        assert cells[0] == str(place["rank"])
        assert cells[1].startswith(place["name"])
        assert cells[2] == _shown(place["index"])
        assert cells[4::2] == [_shown(v["score"]) for v in place["values"]]
        assert place["page"] in page.links
    for excluded in body["excluded"]:
        assert excluded["reason"] in html
    assert body["links"]["csv"].replace("&", "&amp;") in html
    assert re.search(r'class="map__link" href="[^"]*/regionen/05513"', html)
    licence = '<a href="https://www.govdata.de/dl-de/by-2-0">Datenlizenz Deutschland'
    assert f"Lizenz der Zahlen: {licence}" in html  # the licence of the input datasets


def test_form_without_javascript_builds_the_same_index(
    api: TestClient[Litestar], three: list[tuple[dict[str, Any], str, float]]
) -> None:
    form = "&".join(f"ind={i['id']}&richtung={d}&gewicht={w:g}&zeitraum=" for i, d, w in three)
    response = api.get(
        f"/regionen/index?ebene=kreis&methode=z&{form}&ind=&richtung=hoch-schlecht&gewicht=1&zeitraum="
    )
    assert response.status_code == 200
    page = _Ranking()
    page.feed(response.text)
    body = get_json(api, f"/api/v1/regions/index?{_query(three)}")
    assert list(page.rows) == [p["key"] for p in body["places"]]
    for option in (f'value="{i["id"]}" selected' for i, _, _ in three):
        assert option in response.text


def test_the_builder_is_linked_from_the_region_pages(api: TestClient[Litestar]) -> None:
    for path in ("/regionen", "/regionen/05513"):
        response = api.get(path)
        assert 'href="/regionen/index' in response.text, path
    empty = api.get("/regionen/index")
    assert empty.status_code == 200
    assert 'name="ind"' in empty.text
    assert '<label for="ind-1">' in empty.text


# Bad parameters


def _problem(api: TestClient[Litestar], path: str) -> str:
    response = api.get(path)
    assert response.status_code == 400, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    return detail


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("indikator={a}&indikator={b}", ["'ebene' fehlt", "kreis"]),
        ("ebene=bezirk&indikator={a}&indikator={b}", ["'ebene'", "gültig", "gemeinde"]),
        ("ebene=kreis", ["'indikator'", "2 bis 8"]),
        ("ebene=kreis&indikator={a}", ["'indikator'", "2 bis 8"]),
        ("ebene=kreis&indikator={a},{a}", ["'indikator'", "mehrfach"]),
        (
            "ebene=kreis&indikator={a}&indikator=gibt-es-nicht.0123456789",
            [
                "'indikator'",
                "gibt es auf der Ebene",
                "/api/v1/regions/index/indicators?ebene=kreis",
            ],
        ),
        (
            "ebene=kreis&indikator={a}:runter&indikator={b}",
            ["'indikator'", "Richtung", "hoch-schlecht, hoch-gut"],
        ),
        (
            "ebene=kreis&indikator={a}:hoch-gut:0&indikator={b}",
            ["'indikator'", "Gewicht", "größer 0"],
        ),
        ("ebene=kreis&indikator={a}:hoch-gut:-1&indikator={b}", ["'indikator'", "Gewicht"]),
        ("ebene=kreis&indikator={a}:hoch-gut:viel&indikator={b}", ["'indikator'", "Gewicht"]),
        ("ebene=kreis&indikator={a}:hoch-gut:101&indikator={b}", ["'indikator'", "bis 100"]),
        (
            "ebene=kreis&indikator={a}:hoch-gut:1:1999&indikator={b}",
            ["'indikator'", "Zeitraum", "2023, 2025"],
        ),
        ("ebene=kreis&indikator=:hoch-gut&indikator={b}", ["'indikator'", "keinen Indikator"]),
        ("ebene=kreis&methode=median&indikator={a}&indikator={b}", ["'methode'", "z, rang"]),
        ("ebene=gemeinde&indikator={a}&indikator={b}", ["'indikator' und 'ebene'", "mindestens 3"]),
    ],
)
def test_bad_parameters_are_german_400(
    api: TestClient[Litestar], query: str, names: list[str]
) -> None:
    a = _indicator(api, QUOTE)["id"]
    b = _indicator(api, INCOME)["id"]
    filled = query.format(a=a, b=b)
    for suffix in ("", ".csv"):
        detail = _problem(api, f"/api/v1/regions/index{suffix}?{filled}")
        for name in names:
            assert name in detail, (filled, detail)


def test_more_than_eight_inputs_and_bad_levels_of_the_list_are_400(
    api: TestClient[Litestar],
) -> None:
    ids = [
        i["id"]
        for i in get_json(api, "/api/v1/regions/index/indicators", ebene="kreis")["indicators"]
    ]
    detail = _problem(api, f"/api/v1/regions/index?ebene=kreis&indikator={','.join(ids[:9])}")
    assert "9 Indikatoren" in detail
    assert "2 bis 8" in detail
    assert "'ebene'" in _problem(api, "/api/v1/regions/index/indicators?ebene=kontinent")
    assert "'ebene' fehlt" in _problem(api, "/api/v1/regions/index/indicators")


def test_a_bad_parameter_on_the_page_is_a_german_400_page(api: TestClient[Litestar]) -> None:
    response = api.get("/regionen/index?ebene=kreis&indikator=gibt-es-nicht.0123456789&indikator=x")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Der Index lässt sich so nicht berechnen" in response.text
    assert "gibt es auf der Ebene" in response.text
    unknown_level = api.get("/regionen/index?ebene=bezirk")
    assert unknown_level.status_code == 400
    assert "gültig" in unknown_level.text


def test_profile_api_names_the_indicator_ids(api: TestClient[Litestar]) -> None:
    profile = get_json(api, "/api/v1/regions/05513/profile")
    ids = {i["id"] for i in profile["indicators"]}
    assert _indicator(api, QUOTE)["id"] in ids
    assert all(re.fullmatch(r"[a-z0-9-]+\.[0-9a-f]{10}", i) for i in ids)
