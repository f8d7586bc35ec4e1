"""Scales, ticks and SVG path helpers of the chart (pure arithmetic, no data rules)."""

import math
from collections.abc import Sequence
from datetime import date

from opendata_sozial.formats.formatting import decimals_of, format_date


def nice_scale(low: float, high: float, count: int = 5) -> tuple[float, float, float]:
    """Round bounds and step (1, 2, 2.5 or 5 times a power of ten) covering ``[low, high]``."""
    if low == high:
        low, high = (low - 1, high + 1) if low == 0 else (min(0.0, low), max(0.0, high))
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def ticks(low: float, high: float, step: float) -> list[float]:
    """Tick values from ``low`` to ``high`` (inclusive) every ``step``."""
    count = round((high - low) / step)
    return [low + i * step for i in range(count + 1)]


def step_decimals(step: float) -> int:
    """Decimals the tick labels need for ``step``."""
    return decimals_of([step]) if step < 1 else 0


def scale(value: float, low: float, high: float, start: float, end: float) -> float:
    """Map ``value`` from ``[low, high]`` linearly onto ``[start, end]``."""
    return start + (value - low) / (high - low) * (end - start)


def time_number(value: object) -> float:
    """A point in time as a number on the x axis (a year, or the day number of a date)."""
    if isinstance(value, date):
        return float(value.toordinal())
    return float(value)  # type: ignore[arg-type]  # a year is an int


def time_label(value: object) -> str:
    """A point in time as an axis label (``2015``, ``31.12.2023``)."""
    return format_date(value) if isinstance(value, date) else str(value)


def symbol(shape: int, x: float, y: float) -> str:
    """A point symbol as a path: circle, square, triangle, diamond (by ``shape`` mod 4)."""
    if shape % 4 == 0:
        return f"M{x - 4:.1f},{y:.1f}a4,4 0 1,0 8,0a4,4 0 1,0 -8,0z"
    if shape % 4 == 1:
        return f"M{x - 4:.1f},{y - 4:.1f}h8v8h-8z"
    if shape % 4 == 2:
        return f"M{x:.1f},{y - 5:.1f}l5,9h-10z"
    return f"M{x:.1f},{y - 5:.1f}l5,5l-5,5l-5,-5z"


def svg_path(points: Sequence[tuple[float, float] | None]) -> str:
    """SVG path through the points; ``None`` (a withheld value) interrupts the line."""
    parts: list[str] = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point[0]:.1f},{point[1]:.1f}")
        pen_down = True
    return "".join(parts)


def iso(moment: object) -> str:
    """A point in time as an ISO text, comparable with ISO periods (``2017``, ``2017-06``)."""
    return moment.isoformat() if isinstance(moment, date) else str(moment)
