"""Spine chart rows: peer statistics, scale, markers, text alternative and the template."""

import xml.etree.ElementTree as ET

import pytest
from jinja2 import Environment

from opendata_sozial.views.choropleth import Indicator
from opendata_sozial.views.spine_chart import (
    PADDING,
    WIDTH,
    PeerStats,
    Place,
    peer_stats,
    spine_row,
)
from opendata_sozial.web.rendering import template_config

SVG = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def environment() -> Environment:
    engine = template_config().instance
    assert engine is not None
    return engine.engine


@pytest.mark.parametrize(
    ("values", "stats"),
    [
        ([1, 2, 3, 4, 5], PeerStats(5, 1, 2, 3, 4, 5)),
        ([4, 1, 3, 2], PeerStats(4, 1, 1.75, 2.5, 3.25, 4)),
        ([7, None, 7, 7], PeerStats(3, 7, 7, 7, 7, 7)),
        ([2.5], PeerStats(1, 2.5, 2.5, 2.5, 2.5, 2.5)),
        ([10, 20, 30, 40, 50, 60, 70, 80, 90], PeerStats(9, 10, 30, 50, 70, 90)),
    ],
)
def test_quartiles_interpolate_between_order_statistics(
    values: list[float | None], stats: PeerStats
) -> None:
    assert peer_stats(values) == stats


def test_no_peers_no_stats() -> None:
    assert peer_stats([None, None]) is None
    assert peer_stats([]) is None


def test_median_is_centred_and_the_range_fits_the_bar() -> None:
    row = spine_row(Indicator("Quote", "%"), Place("A", 3.0), [1, 2, 3, 4, 9])
    assert row.median_x == WIDTH / 2
    assert row.range_x + row.range_width == WIDTH - PADDING
    assert row.range_x > PADDING
    assert row.box_x < WIDTH / 2 < row.box_x + row.box_width
    (place,) = row.markers
    assert (place.kind, place.x, place.value_label) == ("place", WIDTH / 2, f"3{NBSP}%")


def test_place_outside_the_peer_range_is_drawn_at_the_end() -> None:
    row = spine_row(
        Indicator("Quote", "%"),
        Place("Gelsenkirchen", 15.0),
        [4.0, 5.0, 6.0, 7.0, 8.0],
        parent=Place("Regierungsbezirk Münster", 7.5),
        land=Place("NRW", 6.5),
    )
    markers = {m.kind: m for m in row.markers}
    assert [m.kind for m in row.markers] == ["land", "parent", "place"]
    assert markers["place"].x == WIDTH - PADDING
    assert row.range_x + row.range_width < markers["place"].x
    assert row.range_x >= PADDING
    assert "über dem höchsten Wert der Vergleichsgebiete" in row.description
    assert f"Regierungsbezirk Münster: 7,5{NBSP}%" in row.description


def test_favourable_side_is_right() -> None:
    peers = [1.0, 2.0, 3.0, 4.0, 5.0]
    worse = spine_row(Indicator("Quote", higher_is_better=False), Place("A", 5.0), peers)
    better = spine_row(Indicator("Quote", higher_is_better=True), Place("A", 5.0), peers)
    assert worse.markers[0].x == PADDING
    assert better.markers[0].x == WIDTH - PADDING
    assert (worse.left_label, better.left_label) == ("hoch", "niedrig")
    assert "höhere Werte sind ungünstig" in worse.description


def test_missing_parent_and_missing_value() -> None:
    row = spine_row(
        Indicator("Anteil", "%"), Place("Chorweiler", None), [1, 2, 3, 4], land=Place("NRW", 2.0)
    )
    assert [m.kind for m in row.markers] == ["land"]
    assert row.value_label == "keine Angabe"
    assert row.description == (
        f"Anteil. Chorweiler: keine Angabe; Median der 4{NBSP}Vergleichsgebiete: 2,5{NBSP}%, "
        f"mittlere Hälfte 1,8{NBSP}% bis 3,2{NBSP}%, Spanne 1{NBSP}% bis 4{NBSP}%; NRW: 2{NBSP}%."
    )


def test_no_peers_still_draws_the_values() -> None:
    row = spine_row(Indicator("Wert"), Place("A", 2.0), [], land=Place("NRW", 4.0))
    assert row.median_x is None
    assert row.range_width == 0
    assert sorted(m.x for m in row.markers) == [PADDING, WIDTH - PADDING]


def test_rendered_rows_are_svg_with_title_and_description(environment: Environment) -> None:
    rows = [
        spine_row(
            Indicator("Arbeitslosenquote", "%", higher_is_better=False),
            Place("Gelsenkirchen", 12.9),
            [5.1, 6.2, 7.0, 8.8, 12.9],
            parent=Place("Regierungsbezirk Münster", 7.1),
            land=Place("NRW", 7.4),
            row_id="s-1",
        ),
        spine_row(Indicator("Einwohner"), Place("Gelsenkirchen", None), [], row_id="s-2"),
    ]
    html = environment.from_string(
        '{% from "_spine.html.j2" import spine_figure %}{{ spine_figure(rows, "Kennzahlen") }}'
    ).render(rows=rows)
    root = ET.fromstring(html)  # noqa: S314  # our own template
    svgs = root.findall(f".//{SVG}svg[@role='img']")
    assert [s.get("aria-labelledby") for s in svgs] == ["s-1-title s-1-desc", "s-2-title s-2-desc"]
    assert svgs[0].findtext(f"{SVG}title") == "Arbeitslosenquote"
    assert "Gelsenkirchen: 12,9" in (svgs[0].findtext(f"{SVG}desc") or "")
    assert svgs[0].find(f"{SVG}circle[@class='spine__place']") is not None
    assert svgs[0].find(f"{SVG}path[@class='spine__parent']") is not None
    assert svgs[1].find(f"{SVG}rect") is None
    assert "<table" not in html


def test_quartiles_are_shown_one_decimal_finer_only_where_needed() -> None:
    peers = [4.2, 5.1, 6.0, 6.5, 7.3, 8.1, 8.8, 9.9, 12.0, 15.0]
    row = spine_row(Indicator("Quote", "%"), Place("A", 8.8), peers)
    assert f"Median der 10{NBSP}Vergleichsgebiete: 7,7{NBSP}%" in row.description
    assert f"mittlere Hälfte 6,12{NBSP}% bis 9,62{NBSP}%" in row.description
