"""Neighbours of a place (``/api/v1/regions/{key}``), on both backends, checked with shapely.

The service finds neighbours by shared boundary segments of the published geometry; here the
same relation is computed independently from the committed GeoJSON with shapely (two areas are
neighbours when their intersection has a length, not only points) and must agree for every
Kreis. The Steckbrief lists the neighbours and its comparison link answers.
"""

import json
from itertools import combinations
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from shapely.geometry import shape

from opendata_sozial.services.region_neighbours import shared_boundaries
from tests.json_links import BASE, follow_every_link, get_json
from tests.test_geometry_api import PACKAGE

KOELN = "05315"
KOELN_NEIGHBOURS = {  # verified below with shapely from the committed boundaries
    "05158": "Mettmann",
    "05162": "Rhein-Kreis Neuss",
    "05316": "Leverkusen, Stadt",
    "05362": "Rhein-Erft-Kreis",
    "05378": "Rheinisch-Bergischer Kreis",
    "05382": "Rhein-Sieg-Kreis",
}


def _features(file_name: str) -> dict[str, dict[str, Any]]:
    collection = json.loads((PACKAGE / "data" / file_name).read_text(encoding="utf-8"))
    return {f["properties"]["ags"]: f for f in collection["features"]}


def _shapely_neighbours(features: dict[str, dict[str, Any]]) -> tuple[dict[str, set[str]], int]:
    """Key -> keys whose area meets it along a line; and how many pairs meet only in points."""
    shapes = {key: shape(f["geometry"]) for key, f in features.items()}
    found: dict[str, set[str]] = {key: set() for key in shapes}
    points = 0
    for a, b in combinations(shapes, 2):
        if not shapes[a].intersects(shapes[b]):
            continue
        if shapes[a].intersection(shapes[b]).length > 0:
            found[a].add(b)
            found[b].add(a)
        else:
            points += 1
    return found, points


@pytest.mark.parametrize("file_name", ["kreise.geojson", "gemeinden.geojson"])
def test_shared_segments_agree_with_polygon_intersections(file_name: str) -> None:
    features = _features(file_name)
    expected, _ = _shapely_neighbours(features)
    assert {k: set(v) for k, v in shared_boundaries(features).items()} == expected


def test_places_meeting_in_a_point_only_are_no_neighbours() -> None:
    features = _features("gemeinden.geojson")
    _, points = _shapely_neighbours(features)
    assert points > 0  # such pairs exist in the data; the test above keeps them apart


def test_every_kreis_lists_the_kreise_it_borders(geo: TestClient[Litestar]) -> None:
    expected, _ = _shapely_neighbours(_features("kreise.geojson"))
    assert expected[KOELN] == set(KOELN_NEIGHBOURS)
    listed: dict[str, set[str]] = {}
    for key in expected:
        body = get_json(geo, f"/api/v1/regions/{key}")
        names = [n["name"] for n in body["neighbours"]]
        assert names == sorted(names)
        assert {n["level"] for n in body["neighbours"]} <= {"kreis"}
        listed[key] = {n["key"] for n in body["neighbours"]}
    assert listed == expected
    assert all(a in listed[b] for a in listed for b in listed[a])  # symmetric


def test_compare_with_neighbours_link_answers(geo: TestClient[Litestar]) -> None:
    body = get_json(geo, f"/api/v1/regions/{KOELN}")
    assert {n["key"]: n["name"] for n in body["neighbours"]} == KOELN_NEIGHBOURS
    link = body["links"]["compare_neighbours"]
    comparison = get_json(geo, link)
    assert [r["key"] for r in comparison["regions"]] == [
        KOELN,
        *sorted(KOELN_NEIGHBOURS, key=lambda k: KOELN_NEIGHBOURS[k]),
    ]
    assert comparison["indicators"]
    follow_every_link(geo, body)


def test_a_gemeinde_has_gemeinde_neighbours_and_at_most_ten_are_compared(
    geo: TestClient[Litestar],
) -> None:
    expected, _ = _shapely_neighbours(_features("gemeinden.geojson"))
    most = max(expected, key=lambda k: len(expected[k]))
    body = get_json(geo, f"/api/v1/regions/{most}")
    assert {n["key"] for n in body["neighbours"]} == expected[most]
    compared = get_json(geo, body["links"]["compare_neighbours"])
    assert len(compared["regions"]) == min(10, 1 + len(expected[most]))


def test_steckbrief_lists_neighbours_and_compares_with_them(geo: TestClient[Litestar]) -> None:
    response = geo.get(f"/regionen/{KOELN}")
    assert response.status_code == 200
    text = response.text
    section = text.split('id="nachbarn"', 1)[1].split("</section>", 1)[0]
    for key in KOELN_NEIGHBOURS:
        assert f'href="{BASE}/regionen/{key}"' in section
    keys = ",".join([KOELN, *sorted(KOELN_NEIGHBOURS, key=lambda k: KOELN_NEIGHBOURS[k])])
    link = f"{BASE}/regionen/vergleich?keys={keys}"
    assert f'href="{link}"' in section
    page = geo.get(link.removeprefix(BASE))
    assert page.status_code == 200
    for name in KOELN_NEIGHBOURS.values():
        assert name in page.text


def test_steckbrief_place_markup_has_the_bounding_box_of_the_boundary(
    geo: TestClient[Litestar],
) -> None:
    text = geo.get(f"/regionen/{KOELN}").text
    block = text.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    place = json.loads(block)
    west, south, east, north = shape(_features("kreise.geojson")[KOELN]["geometry"]).bounds
    assert place["geo"] == {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"}
    assert place["containedInPlace"]["identifier"]["value"] == "053"


@pytest.mark.parametrize("key", ["055", "05313"])  # a Regierungsbezirk; Aachen, ended 2009
def test_a_place_without_boundary_has_no_neighbours(geo: TestClient[Litestar], key: str) -> None:
    body = get_json(geo, f"/api/v1/regions/{key}")
    assert body["neighbours"] == []
    assert body["links"]["compare_neighbours"] is None
    page = geo.get(f"/regionen/{key}")
    assert page.status_code == 200
    assert 'id="nachbarn"' not in page.text


def test_without_geography_the_region_answers_without_neighbours(
    api: TestClient[Litestar],
) -> None:
    body = get_json(api, f"/api/v1/regions/{KOELN}")
    assert body["neighbours"] == []
