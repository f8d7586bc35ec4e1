"""Regions as places (/api/v1/regions): search, hierarchy, profile, comparison, on both backends.

Every figure of a profile is checked against the rows API of the same table, and the peer
statistics are recomputed here from the rows; every link of the answers is followed.
"""

import csv
import io
import statistics
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import DATAPACKAGES
from tests.json_links import BASE, follow_every_link, get_json

GELSENKIRCHEN = "05513"


def _directory() -> dict[str, dict[str, str]]:
    path = DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["ags"]: row for row in csv.DictReader(handle)}


# Search


@pytest.mark.parametrize(
    ("q", "first", "matched"),
    [
        ("Gelsenkirchen", "05513", None),
        ("gelsenkirchen", "05513", None),
        ("Köln", "05315", None),
        ("Koeln", "05315", None),
        ("05513", "05513", None),
        ("Aachen, Städteregion", "05334", "Aachen, Städteregion"),
        ("Mülheim a. d. Ruhr", "05117", "Mülheim a. d. Ruhr"),
    ],
)
def test_search_by_name_variant_and_key(
    api: TestClient[Litestar], q: str, first: str, matched: str | None
) -> None:
    body = get_json(api, "/api/v1/regions", q=q)
    hit = body["regions"][0]
    assert (hit["key"], hit["matched"]) == (first, matched)
    assert hit["url"] == f"{BASE}/api/v1/regions/{first}"
    assert body["total"] == len(body["regions"])


def test_search_by_key_prefix_level_and_parent(api: TestClient[Litestar]) -> None:
    directory = _directory()
    body = get_json(api, "/api/v1/regions", q="055")
    assert body["total"] == sum(1 for key in directory if key.startswith("055"))
    assert all(r["key"].startswith("055") for r in body["regions"])
    assert body["regions"][0]["key"] == "055"

    kreise = get_json(api, "/api/v1/regions", ebene="kreis", parent="055", _size=100)
    expected = sorted(
        k for k, r in directory.items() if r["ebene"] == "kreis" and r["parent_ags"] == "055"
    )
    assert sorted(r["key"] for r in kreise["regions"]) == expected
    assert {(r["level"], r["parent"]) for r in kreise["regions"]} == {("kreis", "055")}

    gemeinden = get_json(api, "/api/v1/regions", ebene="gemeinde", parent="05", _size=7, page=2)
    assert gemeinden["total"] == sum(1 for r in directory.values() if r["ebene"] == "gemeinde")
    assert len(gemeinden["regions"]) == 7
    follow_every_link(api, gemeinden)


def test_search_pages_through_every_region_once(api: TestClient[Litestar]) -> None:
    seen: list[str] = []
    url: str | None = f"{BASE}/api/v1/regions?_size=100"
    while url:
        body = get_json(api, url)
        seen += [r["key"] for r in body["regions"]]
        url = body["links"]["next"]
    assert sorted(seen) == sorted(_directory())


# Hierarchy


def test_region_names_parents_children_and_datasets(api: TestClient[Litestar]) -> None:
    body = get_json(api, "/api/v1/regions/05513000")
    assert [p["key"] for p in body["parents"]] == ["05513", "055", "05"]
    assert body["level"] == "gemeinde"

    kreis = get_json(api, f"/api/v1/regions/{GELSENKIRCHEN}")
    assert kreis["name"] == "Gelsenkirchen, Stadt"
    assert [c["key"] for c in kreis["children"]] == ["05513000"]
    assert kreis["links"]["profile"] == f"{BASE}/api/v1/regions/{GELSENKIRCHEN}/profile"
    held = {d["dataset"]: d for d in kreis["datasets"]}
    assert {"arbeitslose-kreise", "bevoelkerung-altersgruppen-kreise"} <= held.keys()
    rows = get_json(api, held["arbeitslose-kreise"]["rows_url"], _size=1)
    assert rows["total"] == held["arbeitslose-kreise"]["rows"]
    follow_every_link(api, kreis)

    variants = get_json(api, "/api/v1/regions/05117")
    assert "Mülheim a. d. Ruhr" in {n["name"] for n in variants["names"]}
    ended = get_json(api, "/api/v1/regions/05313")
    assert ended["valid_to"] == "2009-10-20"
    assert ended["successor"]["key"] == "05334"
    rb = get_json(api, "/api/v1/regions/055")
    assert GELSENKIRCHEN in {c["key"] for c in rb["children"]}


# Profile


def _table_rows(api: TestClient[Litestar], dataset: str, resource: str) -> list[dict[str, Any]]:
    body = get_json(api, f"/api/v1/datasets/{dataset}/resources/{resource}/rows", _size=10000)
    assert body["next"] is None
    rows: list[dict[str, Any]] = body["rows"]
    return rows


def _matches(row: dict[str, Any], indicator: dict[str, Any]) -> bool:
    return (
        all(row[k] == v for k, v in indicator["dimensions"].items())
        and row.get("einheit", indicator["unit"]) == indicator["unit"]
    )


def test_kreis_profile_equals_the_rows_api(api: TestClient[Litestar]) -> None:
    profile = get_json(api, f"/api/v1/regions/{GELSENKIRCHEN}/profile")
    directory = _directory()
    kreise = {k for k, r in directory.items() if r["ebene"] == "kreis"}
    indicators = profile["indicators"]
    assert {i["dataset"] for i in indicators} >= {
        "arbeitslose-kreise",
        "bevoelkerung-altersgruppen-kreise",
        "sgb2-hilfequoten-kinder-kreise",
        "verfuegbares-einkommen-kreise",
    }
    tables: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for indicator in indicators:
        period = indicator["period_field"]
        # the series is exactly what the rows API gives for the same filters
        rows = get_json(api, indicator["links"]["rows"], _size=10000)["rows"]
        assert [(p["period"], p["value"], p["status"]) for p in indicator["series"]] == sorted(
            ((r[period], r["wert"], r["wert_status"]) for r in rows), key=lambda t: t[0]
        )
        latest = indicator["latest"]
        assert latest == indicator["series"][-1]
        # parents and peers, recomputed from the whole table
        key = (indicator["dataset"], indicator["resource"])
        table = tables.setdefault(key, _table_rows(api, *key))
        same = [r for r in table if _matches(r, indicator) and r[period] == latest["period"]]
        for parent in indicator["parents"]:
            (row,) = [r for r in same if r["ags"] == parent["key"]]
            assert (parent["value"], parent["status"]) == (row["wert"], row["wert_status"])
        assert {p["key"] for p in indicator["parents"]} == (
            {r["ags"] for r in same} & {"055", "05"}
        )
        values = [r["wert"] for r in same if r["ags"] in kreise and r["wert"] is not None]
        peers = indicator["peers"]
        assert peers["count"] == len(values)
        assert (peers["min"], peers["max"]) == (min(values), max(values))
        assert peers["median"] == statistics.median(values)
        assert peers["rank"] == 1 + sum(1 for v in values if v > latest["value"])
        assert peers["level"] == "kreis"


def test_profile_keeps_status_symbols_and_missing_values(api: TestClient[Litestar]) -> None:
    profile = get_json(api, "/api/v1/regions/051/profile")
    points = [
        p
        for i in profile["indicators"]
        if i["dataset"] == "arbeitslose-kreise"
        and i["dimensions"]["indikator"]
        == "Arbeitslosenquote bez. auf abhängige zivile Erwerbspersonen"
        for p in i["series"]
    ]
    assert {"period": 2023, "value": None, "status": "."} in points


def test_profile_csv_has_the_same_numbers(api: TestClient[Litestar]) -> None:
    profile = get_json(api, f"/api/v1/regions/{GELSENKIRCHEN}/profile")
    response = api.get(f"/api/v1/regions/{GELSENKIRCHEN}/profile.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    own = [r for r in rows if r["bezug"] == "Ort"]
    assert len(own) == sum(len(i["series"]) for i in profile["indicators"])
    expected = [
        (i["label"], str(p["period"]), "" if p["value"] is None else str(p["value"]))
        for i in profile["indicators"]
        for p in i["series"]
    ]
    assert [(r["indikator"], r["zeitraum"], r["wert"]) for r in own] == expected
    ranked = [r for r in own if r["rang"]]
    assert [int(r["rang"]) for r in ranked] == [
        i["peers"]["rank"] for i in profile["indicators"] if i["peers"]
    ]
    follow_every_link(api, profile)


# Comparison


def test_compare_puts_shared_indicators_side_by_side(api: TestClient[Litestar]) -> None:
    keys = ["05513", "05562", "05913"]
    body = get_json(api, "/api/v1/regions/compare", keys=",".join(keys))
    assert [r["key"] for r in body["regions"]] == keys
    assert body["indicators"]
    profiles = {k: get_json(api, f"/api/v1/regions/{k}/profile") for k in keys}
    for indicator in body["indicators"]:
        assert [v["key"] for v in indicator["values"]] == keys
        for value in indicator["values"]:
            (same,) = [
                i
                for i in profiles[value["key"]]["indicators"]
                if (i["dataset"], i["resource"], i["dimensions"], i["unit"])
                == (
                    indicator["dataset"],
                    indicator["resource"],
                    indicator["dimensions"],
                    indicator["unit"],
                )
            ]
            point = {k: value[k] for k in ("period", "value", "status")}
            assert point in same["series"]
            assert value["period"] == indicator["period"]
    follow_every_link(api, body)


# Errors


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/v1/regions/05999", 404, ["'05999'", "/api/v1/regions?q=05999"]),
        ("/api/v1/regions/05999/profile", 404, ["'05999'", "/api/v1/regions?q="]),
        ("/api/v1/regions/x'y/profile.csv", 404, ["Region", "gibt es"]),
        ("/api/v1/regions/compare?keys=05513", 400, ["'keys'", "2 bis 10"]),
        (
            "/api/v1/regions/compare?keys=" + ",".join(f"0551{i}" for i in range(11)),
            400,
            ["2 bis 10"],
        ),
        ("/api/v1/regions/compare?keys=05513,05999", 404, ["'05999'"]),
        ("/api/v1/regions/compare", 400, ["keys"]),
        ("/api/v1/regions?ebene=bundesland", 400, ["'ebene'", "kreis"]),
        ("/api/v1/regions?parent=0599", 400, ["'parent'"]),
        ("/api/v1/regions?_size=0", 400, ["'_size'", "1 bis 500"]),
        ("/api/v1/regions?_size=abc", 400, ["_size"]),
        ("/api/v1/regions?page=0", 400, ["'page'"]),
    ],
)
def test_bad_keys_and_parameters_are_german_problems(
    api: TestClient[Litestar], path: str, status: int, words: list[str]
) -> None:
    response = api.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["cache-control"] == "no-store"
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, detail


def test_answers_are_cached_like_the_rest_of_the_api(api: TestClient[Litestar]) -> None:
    response = api.get(f"/api/v1/regions/{GELSENKIRCHEN}/profile")
    assert response.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=300"
    etag = response.headers["etag"]
    again = api.get(f"/api/v1/regions/{GELSENKIRCHEN}/profile", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_openapi_documents_the_region_routes(api: TestClient[Litestar]) -> None:
    paths = api.get("/schema/openapi.json").json()["paths"]
    for route in [
        "/api/v1/regions",
        "/api/v1/regions/{key}",
        "/api/v1/regions/{key}/profile",
        "/api/v1/regions/{key}/profile.csv",
        "/api/v1/regions/compare",
    ]:
        assert route in paths, route
