"""Spine charts: where a place stands among its peers, beside its parent and NRW.

One row per indicator, as in InstantAtlas area profiles and the PHE Fingertips profiles.

A row is a horizontal bar: the light band spans the peers' range (minimum to maximum), the
darker box their middle half (lower to upper quartile), a line marks their median, which is
always at the centre. The scale is symmetric around the median: half the bar stands for the
largest distance of any drawn value (peer minimum or maximum, place, parent, NRW) from the
median, so a place outside the peer range is still drawn, at the end of the bar. The place is
a filled circle, the parent an open diamond, NRW a vertical bar (shapes, not only colours).

Direction: with ``higher_is_better`` known, the favourable side is on the right (so for
„höher ist ungünstiger“ high values lie on the left); unknown, low values are on the left.

Quartiles: ``statistics.quantiles(method="inclusive")``, i.e. linear interpolation between the
order statistics (like Excel ``QUARTIL.INKL`` and numpy's default): peers 1, 2, 3, 4 give the
quartiles 1,75 / 2,5 / 3,25.

Text alternative: each row has a title and a description naming every value and where the
place lies (below the peer range, in the lower quarter, the middle half, the upper quarter,
above the range); the data table on the page remains the full alternative.
"""

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from opendata_sozial.formats.formatting import NBSP, decimals_of, format_count, format_number
from opendata_sozial.views.choropleth import Indicator

WIDTH: Final = 320
HEIGHT: Final = 28
PADDING: Final = 8
"""Room at each end for the markers drawn at the extremes."""


@dataclass(frozen=True)
class PeerStats:
    """Five-number summary of the peers' values."""

    count: int
    minimum: float
    lower_quartile: float
    median: float
    upper_quartile: float
    maximum: float


@dataclass(frozen=True)
class Marker:
    """A drawn value: who (``place``, ``parent``, ``land``), its name, position and text.

    Markers come in drawing order: NRW, parent, then the place on top.
    """

    kind: str
    name: str
    x: float
    value_label: str


@dataclass(frozen=True)
class SpineRow:
    """One indicator's spine chart row (bar geometry in pixels on ``width`` × ``height``)."""

    id: str
    title: str
    unit: str
    description: str
    width: int
    height: int
    range_x: float
    range_width: float
    box_x: float
    box_width: float
    median_x: float | None
    markers: list[Marker]
    value_label: str
    left_label: str
    right_label: str


@dataclass(frozen=True)
class Place:
    """A named value on the chart (the place, its parent or NRW); ``None``: no value."""

    name: str
    value: float | None


def peer_stats(values: Sequence[float | None]) -> PeerStats | None:
    """Minimum, quartiles, median and maximum of the values given (``None`` left out)."""
    numbers = sorted(float(v) for v in values if v is not None)
    if not numbers:
        return None
    if len(numbers) == 1:
        q1 = median = q3 = numbers[0]
    else:
        q1, median, q3 = statistics.quantiles(numbers, n=4, method="inclusive")
    return PeerStats(len(numbers), numbers[0], q1, median, q3, numbers[-1])


def spine_row(
    indicator: Indicator,
    place: Place,
    peers: Sequence[float | None],
    *,
    parent: Place | None = None,
    land: Place | None = None,
    row_id: str = "spine",
) -> SpineRow:
    """The spine chart row of ``place`` among ``peers`` (the values of its level)."""
    stats = peer_stats(peers)
    shown = [p for p in (land, parent, place) if p is not None and p.value is not None]
    drawn = [p.value for p in shown if p.value is not None]
    if stats is not None:
        drawn += [stats.minimum, stats.maximum]
    decimals = decimals_of([*(float(v) for v in peers if v is not None), *drawn])
    centre = stats.median if stats else (statistics.fmean(drawn) if drawn else 0.0)
    half = max((abs(v - centre) for v in drawn), default=0.0) or max(abs(centre), 1.0)
    sign = -1.0 if indicator.higher_is_better is False else 1.0

    def x_of(value: float) -> float:
        return round(WIDTH / 2 + sign * (value - centre) / half * (WIDTH / 2 - PADDING), 1)

    def text(value: float | None) -> str:
        return _value_text(value, decimals, indicator.unit)

    def stat_text(value: float | None) -> str:
        """A median or quartile: one decimal finer than the values where it needs it."""
        needed = decimals_of([round(value, decimals + 1)]) if value is not None else 0
        return _value_text(value, max(decimals, min(decimals + 1, needed)), indicator.unit)

    kinds = {id(place): "place", id(parent): "parent", id(land): "land"}
    markers = [
        Marker(kinds[id(p)], p.name, x_of(p.value), text(p.value))
        for p in shown
        if p.value is not None
    ]
    band = _band(stats, x_of)
    low_side, high_side = ("niedrig", "hoch") if sign > 0 else ("hoch", "niedrig")
    return SpineRow(
        id=row_id,
        title=indicator.title,
        unit=indicator.unit,
        description=_description(indicator, place, parent, land, stats, (text, stat_text)),
        width=WIDTH,
        height=HEIGHT,
        range_x=band[0],
        range_width=band[1],
        box_x=band[2],
        box_width=band[3],
        median_x=None if stats is None else x_of(stats.median),
        markers=markers,
        value_label=text(place.value),
        left_label=low_side,
        right_label=high_side,
    )


def _band(
    stats: PeerStats | None, x_of: Callable[[float], float]
) -> tuple[float, float, float, float]:
    """``x`` and width of the range band and of the quartile box (zeros without peers)."""
    if stats is None:
        return 0.0, 0.0, 0.0, 0.0
    ends = sorted((x_of(stats.minimum), x_of(stats.maximum)))
    box = sorted((x_of(stats.lower_quartile), x_of(stats.upper_quartile)))
    return ends[0], round(ends[1] - ends[0], 1), box[0], round(box[1] - box[0], 1)


def _value_text(value: float | None, decimals: int, unit: str) -> str:
    if value is None:
        return "keine Angabe"
    number = format_number(value, decimals)
    return f"{number}{NBSP}{unit}" if unit else number


def _position(value: float, stats: PeerStats) -> str:
    """Where ``value`` lies among the peers, in words."""
    if value < stats.minimum:
        return "unter dem niedrigsten Wert der Vergleichsgebiete"
    if value > stats.maximum:
        return "über dem höchsten Wert der Vergleichsgebiete"
    if value < stats.lower_quartile:
        return "im unteren Viertel der Vergleichsgebiete"
    if value > stats.upper_quartile:
        return "im oberen Viertel der Vergleichsgebiete"
    return "in der mittleren Hälfte der Vergleichsgebiete"


def _description(
    indicator: Indicator,
    place: Place,
    parent: Place | None,
    land: Place | None,
    stats: PeerStats | None,
    texts: tuple[Callable[[float | None], str], Callable[[float | None], str]],
) -> str:
    """The text alternative; ``texts`` spell values and (one decimal finer) quartiles."""
    text, stat_text = texts
    parts = [f"{place.name}: {text(place.value)}"]
    if stats is not None:
        if place.value is not None:
            parts[0] += f", {_position(place.value, stats)}"
        parts.append(
            f"Median der {format_count(stats.count, 'Vergleichsgebiet', 'Vergleichsgebiete')}: "
            f"{stat_text(stats.median)}, mittlere Hälfte {stat_text(stats.lower_quartile)} bis "
            f"{stat_text(stats.upper_quartile)}, Spanne {text(stats.minimum)} bis {text(stats.maximum)}"
        )
    parts.extend(f"{p.name}: {text(p.value)}" for p in (parent, land) if p is not None)
    if indicator.higher_is_better is not None:
        parts.append(
            f"höhere Werte sind {'günstig' if indicator.higher_is_better else 'ungünstig'}"
        )
    return f"{indicator.title}. " + "; ".join(parts) + "."
