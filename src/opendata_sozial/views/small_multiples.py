"""Time series small multiples of the Steckbrief: one small line chart per indicator.

Every chart has the same size and its own vertical scale (from the series' lowest to its
highest value, so a change is visible whatever the level), the periods evenly spaced in time
order. A missing value (``None``, e.g. status ``.``) breaks the line. Each chart is an SVG with
a title and a description naming every value; the data table stays the full alternative.
Drawn only for series with at least two values.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from opendata_sozial.views.chart_scale import svg_path

WIDTH: Final = 200
HEIGHT: Final = 72
PAD_X: Final = 8
PAD_TOP: Final = 10
PAD_BOTTOM: Final = 10


@dataclass(frozen=True)
class Step:
    """One period of a series: its label, value (``None``: missing) and value as text."""

    period: str
    value: float | None
    text: str


@dataclass(frozen=True)
class Dot:
    """A drawn value: position and its text (``2024: 15,4``)."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Trend:
    """A small line chart of one indicator's series at the place."""

    id: str
    title: str
    description: str
    path: str
    dots: list[Dot]
    first: str
    last: str
    low: str
    high: str
    width: int = WIDTH
    height: int = HEIGHT


def _y(value: float, low: float, high: float) -> float:
    span = high - low
    share = 0.5 if span == 0 else (value - low) / span
    return round(HEIGHT - PAD_BOTTOM - share * (HEIGHT - PAD_TOP - PAD_BOTTOM), 2)


def trend(chart_id: str, title: str, steps: Sequence[Step]) -> Trend | None:
    """The chart of ``steps`` (time order), or ``None`` with fewer than two values."""
    values = [s.value for s in steps if s.value is not None]
    if len(values) < 2:  # a line needs two values
        return None
    low, high = min(values), max(values)
    gap = (WIDTH - 2 * PAD_X) / max(len(steps) - 1, 1)
    placed: list[Dot | None] = [
        None
        if s.value is None
        else Dot(round(PAD_X + i * gap, 2), _y(s.value, low, high), f"{s.period}: {s.text}")
        for i, s in enumerate(steps)
    ]
    texts = {s.value: s.text for s in steps if s.value is not None}
    return Trend(
        id=chart_id,
        title=title,
        description="; ".join(f"{s.period}: {s.text}" for s in steps),
        path=svg_path([None if d is None else (d.x, d.y) for d in placed]),
        dots=[d for d in placed if d is not None],
        first=steps[0].period,
        last=steps[-1].period,
        low=texts[low],
        high=texts[high],
    )
