"""Choropleth page model and its template on the real NRW boundaries (geography/nrw-geometrie)."""

import itertools
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

from opendata_sozial.views.choropleth import (
    NO_VALUE,
    NO_VALUE_CLASS,
    PALETTE,
    Choropleth,
    Indicator,
    MapShapes,
    choropleth,
    class_groups,
    map_shapes,
    palette_steps,
)
from opendata_sozial.views.map_geometry import douglas_peucker, junctions
from opendata_sozial.web.rendering import STATIC_DIR, template_config
from tests.conftest import ROOT

GEOMETRY = ROOT / "geography" / "nrw-geometrie" / "data"
SVG = "{http://www.w3.org/2000/svg}"


def load_features(path: Path) -> list[dict[str, Any]]:
    """The features of a shipped boundary file.

    The server reads them from the published package (``services/region_geometry.py``);
    ``validate`` rejects a feature that is no area (``tests/test_geography.py``).
    """
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


MAX_GEMEINDEN_SVG = 200_000
"""Bytes; the 396 Gemeinden render to about 149 kB (views/choropleth.py)."""


@pytest.fixture(scope="module")
def kreise() -> MapShapes:
    return map_shapes(load_features(GEOMETRY / "kreise.geojson"))


@pytest.fixture(scope="module")
def gemeinden() -> MapShapes:
    return map_shapes(load_features(GEOMETRY / "gemeinden.geojson"))


@pytest.fixture(scope="module")
def environment() -> Environment:
    engine = template_config().instance
    assert engine is not None
    return engine.engine


def _render(environment: Environment, model: Choropleth, macro: str = "map_figure") -> str:
    template = environment.from_string(
        f'{{% from "_map.html.j2" import {macro} %}}{{{{ {macro}(m) }}}}'
    )
    return template.render(m=model)


def _points(d: str) -> list[tuple[float, float]]:
    """Absolute points of a path written as ``M x y l dx dy … z`` (as map_geometry writes)."""
    points = []
    for command, body in re.findall(r"([Mlz])([^Mlz]*)", d):
        numbers = [float(n) for n in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", body)]
        if command == "M":
            points.append((numbers[0], numbers[1]))
        elif command == "l":
            x, y = points[-1]
            for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
                x, y = round(x + dx, 1), round(y + dy, 1)
                points.append((x, y))
    return points


@pytest.mark.parametrize(("level", "count"), [("kreise", 53), ("gemeinden", 396)])
def test_every_area_has_a_path_inside_the_canvas(level: str, count: int) -> None:
    shapes = map_shapes(load_features(GEOMETRY / f"{level}.geojson"))
    assert len(shapes.shapes) == count
    assert len({s.key for s in shapes.shapes}) == count
    for shape in shapes.shapes:
        points = _points(shape.d)
        assert len(points) >= 3, shape.name
        assert all(0 <= x <= shapes.width and 0 <= y <= shapes.height for x, y in points)
    assert shapes.width == 600
    assert 500 < shapes.height < 700


def test_a_shared_border_is_drawn_identically_by_both_areas(kreise: MapShapes) -> None:
    """Simplification keeps topology: most points of one Kreis are points of its neighbours."""
    points = {s.key: set(_points(s.d)) for s in kreise.shapes}
    duesseldorf, mettmann = points["05111"], points["05158"]
    shared = duesseldorf & mettmann
    assert len(shared) > 10
    others = set().union(*(p for key, p in points.items() if key != "05111"))
    assert len(duesseldorf - others) / len(duesseldorf) < 0.05


def test_douglas_peucker_keeps_the_ends_and_drops_straight_points() -> None:
    assert douglas_peucker([(0, 0), (5, 0), (10, 0)], 1) == [(0, 0), (10, 0)]
    assert douglas_peucker([(0, 0), (5, 9), (10, 0)], 1) == [(0, 0), (5, 9), (10, 0)]


def test_junctions_are_where_three_borders_meet() -> None:
    left = [(0, 0), (10, 0), (10, 10), (0, 10)]
    right = [(10, 0), (20, 0), (20, 10), (10, 10)]
    assert junctions([[left], [right]]) == {(10, 0), (10, 10)}


@pytest.mark.parametrize(
    ("values", "groups"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]),
        ([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], [[1], [2], [3], [4], [5]]),
        ([1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 5, 5], [[1], [2], [3], [4], [5]]),
        ([7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 9, 10], [[7], [8], [9], [10]]),
        ([3.5, 1.5, 2.5], [[1.5], [2.5], [3.5]]),
        ([4, 4, 4, 4], [[4]]),
        ([], []),
        ([2, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3], [[1], [2], [3]]),
        (
            list(range(1, 21)),
            [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16], [17, 18, 19, 20]],
        ),
    ],
)
def test_classes_have_equal_counts_ties_together(
    values: list[float], groups: list[list[float]]
) -> None:
    assert class_groups(values) == groups


def test_classes_cut_at_the_cumulative_count() -> None:
    values = [1.0] * 5 + [2.0] * 3 + [3.0] * 2 + [4.0] * 10 + [5.0, 6.0]
    assert class_groups(values, 3) == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_palette_gets_darker_step_by_step_with_visible_contrast() -> None:
    lightness = [_luminance(c) for c in PALETTE]
    assert lightness == sorted(lightness, reverse=True)
    assert all(_contrast(a, b) >= 1.5 for a, b in itertools.pairwise(PALETTE))
    assert _contrast(PALETTE[0], PALETTE[-1]) >= 10
    assert _contrast(PALETTE[-1], "#ffffff") >= 4.5


def test_stylesheet_fills_the_classes_with_the_palette() -> None:
    css = (STATIC_DIR / "site.css").read_text(encoding="utf-8")
    for step, colour in enumerate(PALETTE, start=1):
        assert f".map__class--{step} {{ fill: {colour}; }}" in css


def test_palette_steps_spread_over_the_five_colours() -> None:
    assert [palette_steps(n) for n in range(1, 6)] == [
        [3],
        [1, 5],
        [1, 3, 5],
        [1, 2, 4, 5],
        [1, 2, 3, 4, 5],
    ]


def _legend_ranges(model: Choropleth) -> list[tuple[float, float]]:
    ranges = []
    for entry in model.legend:
        if entry.css_class == NO_VALUE_CLASS:
            continue
        numbers = [float(n.replace(",", ".")) for n in re.findall(r"\d+(?:,\d+)?", entry.label)]
        ranges.append((numbers[0], numbers[-1]))
    return ranges


def test_legend_ranges_hold_every_value_once_and_missing_values_are_hatched(
    kreise: MapShapes,
) -> None:
    keys = [s.key for s in kreise.shapes]
    values: dict[str, float | str | None] = {
        key: round(math.sin(i) * 10 + 12, 1) for i, key in enumerate(keys)
    }
    values[keys[0]] = None
    values[keys[1]] = "/"
    del values[keys[2]]
    model = choropleth(kreise, values, Indicator("Quote", "%", higher_is_better=False))
    ranges = _legend_ranges(model)
    assert len(ranges) == 5
    numbers = [v for v in values.values() if isinstance(v, float)]
    for value in numbers:
        assert sum(low <= value <= high for low, high in ranges) == 1, value
    assert model.legend[-1].label == NO_VALUE
    assert model.legend[-1].count == 3
    assert sum(e.count for e in model.legend) == 53
    by_key = {a.key: a for a in model.areas}
    assert by_key[keys[0]].css_class == by_key[keys[2]].css_class == NO_VALUE_CLASS
    assert by_key[keys[1]].title == f"{by_key[keys[1]].name}: keine Angabe (/)"
    assert "ungünstig" in model.direction_note
    favourable = choropleth(kreise, values, Indicator("Quote", "%", higher_is_better=True))
    assert [a.css_class for a in favourable.areas] == [a.css_class for a in model.areas]
    assert "günstig" in favourable.direction_note


def test_all_equal_values_make_one_class(kreise: MapShapes) -> None:
    model = choropleth(kreise, {s.key: 4.0 for s in kreise.shapes}, Indicator("Gleich"))
    assert [(e.css_class, e.label, e.count) for e in model.legend] == [("map__class--3", "4", 53)]


def test_rendered_map_is_svg_with_one_titled_path_per_area(
    gemeinden: MapShapes, environment: Environment, tmp_path: Path
) -> None:
    values = {s.key: float(i % 17) for i, s in enumerate(gemeinden.shapes) if i % 50}
    model = choropleth(
        gemeinden, values, Indicator("Anteil", "%"), highlight_key="05513000", id_prefix="karte"
    )
    svg = _render(environment, model, "map_svg")
    assert len(svg.encode()) < MAX_GEMEINDEN_SVG
    root = ET.fromstring(svg)  # noqa: S314  # our own template
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "karte-title karte-desc"
    assert root.find(f"{SVG}title").text == "Anteil"  # type: ignore[union-attr]
    assert "396\u00a0Gebieten" in (root.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    areas = root.findall(f"{SVG}g/{SVG}path")
    assert len(areas) == 396
    titles = [a.findtext(f"{SVG}title") for a in areas]
    assert titles[0] == "Düsseldorf: keine Angabe"
    assert "Gelsenkirchen: " in " ".join(t or "" for t in titles)
    assert all(a.get("d") for a in areas)
    hatched = [a for a in areas if a.get("fill") == "url(#karte-hatch)"]
    assert len(hatched) == 8
    assert root.find(f"{SVG}path[@class='map__highlight']") is not None


def test_figure_has_legend_attribution_and_a_slot_for_the_table(
    kreise: MapShapes, environment: Environment
) -> None:
    model = choropleth(
        kreise, {s.key: float(len(s.name)) for s in kreise.shapes}, Indicator("Länge")
    )
    html = _render(environment, model)
    root = ET.fromstring(html.replace("&nbsp;", "\u00a0"))  # noqa: S314  # our own template
    assert root.tag == "figure"
    assert len(root.findall(".//ul[@class='map__classes']/li")) == 5
    assert "© GeoBasis-DE / BKG" in html
    assert "<table" not in html
    slotted = environment.from_string(
        '{% from "_map.html.j2" import map_figure %}'
        "{% call map_figure(m) %}<table><caption>Daten</caption></table>{% endcall %}"
    ).render(m=model)
    assert "<table><caption>Daten</caption></table>" in slotted
