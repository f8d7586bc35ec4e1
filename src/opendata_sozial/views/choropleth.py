"""Choropleth maps as page models: areas coloured by class, legend, text alternatives.

Two steps, so the expensive one can be kept: ``map_shapes(features, width)`` projects and
simplifies the boundaries once per geography level and width (``views.map_geometry``; about
0.6 s for the 396 Gemeinden, so a caller caches the result), ``choropleth(shapes, values, …)``
classifies the values and builds the model the template ``_map.html.j2`` draws.

Size: the rendered SVG (template ``_map.html.j2``, width 600 px, tolerance 0.5 px, titles
included) of the 396 Gemeinden is about 149 kB (path data 119 kB; the source GeoJSON has
796 kB), of the 53 Kreise about 51 kB; ``tests/test_choropleth.py`` keeps the Gemeinden below
200 kB.

Classes (``class_groups``): *equal counts* (quantiles) over the areas with a value, five
classes by default. Walking the distinct values in ascending order, a class ends at the first
value where the cumulative count of areas reaches ``i·n/k`` (class ``i`` of ``k``, ``n``
values), or earlier when only as many distinct values are left as classes still to fill.
Tied values always share a class, no class is empty, and with fewer distinct values than
classes each distinct value is a class of its own. The legend names each class by the
smallest and largest value in it, so every value lies in exactly one legend range.

Palette: ColorBrewer *YlGnBu*, 5 classes (Cynthia A. Brewer, Mark Harrower and The
Pennsylvania State University, https://colorbrewer2.org, Apache-2.0 licence), marked there as
colour-blind safe and print friendly; its lightness falls monotonically, neighbouring classes
differ in luminance by a contrast ratio of at least 1.5. With fewer classes, steps spread
over the five (three classes: steps 1, 3, 5). Colours are CSS classes
(``map__class--1`` … ``--5`` in ``site.css``), so print and forced-colours styles can replace
them. Areas without a value (no row, ``None``, or a status symbol such as ``/`` or ``.``) are
hatched grey, labelled „keine Angabe“. Higher values are always darker; the direction flag
only words the legend.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from opendata_sozial.formats.formatting import NBSP, decimals_of, format_count, format_number
from opendata_sozial.views.map_geometry import fit, path_data, svg_rings

PALETTE: Final = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
"""ColorBrewer YlGnBu, 5 classes, light to dark (the fills of ``map__class--1`` … ``--5``)."""

NO_VALUE: Final = "keine Angabe"
NO_VALUE_CLASS: Final = "map__class--none"
ATTRIBUTION: Final = "© GeoBasis-DE / BKG 2016"
"""Short attribution of the BKG boundaries (``geography/nrw-geometrie``)."""

DEFAULT_WIDTH: Final = 600
DEFAULT_TOLERANCE: Final = 0.5

Value = float | str | None
"""A value of an area: a number, a status symbol (``/``, ``.``, ``-``) or ``None``."""


@dataclass(frozen=True)
class Indicator:
    """What a map or spine chart shows: title, unit and, if known, the better direction.

    ``higher_is_better`` only changes wording (and the side of a spine chart), never colours.
    """

    title: str
    unit: str = ""
    higher_is_better: bool | None = None


@dataclass(frozen=True)
class MapArea:
    """An area as drawn: key, name, SVG path data, CSS class of its colour and value as text.

    ``map_shapes`` makes them plain (``map__plain``, no value); ``choropleth`` colours them.
    """

    key: str
    name: str
    d: str
    css_class: str = "map__plain"
    value_label: str = ""

    @property
    def title(self) -> str:
        """The tooltip and accessible name of the area: ``Name: 12,3 %``."""
        return f"{self.name}: {self.value_label}"


@dataclass(frozen=True)
class MapShapes:
    """The projected areas of one geography level on a canvas of ``width`` × ``height``."""

    width: float
    height: float
    shapes: tuple[MapArea, ...]
    """The areas uncoloured and without values (``choropleth`` classifies them)."""


@dataclass(frozen=True)
class LegendEntry:
    """One class of the legend: its CSS class, value range and number of areas."""

    css_class: str
    label: str
    count: int


@dataclass(frozen=True)
class Choropleth:
    """A choropleth map, ready for ``_map.html.j2`` (``id_prefix`` makes its ids unique)."""

    id_prefix: str
    title: str
    description: str
    unit: str
    width: float
    height: float
    areas: list[MapArea]
    highlight: MapArea | None
    legend: list[LegendEntry]
    direction_note: str
    attribution: str


def map_shapes(
    features: Sequence[Mapping[str, Any]],
    width: float = DEFAULT_WIDTH,
    *,
    key_field: str = "ags",
    name_field: str = "name",
    tolerance: float = DEFAULT_TOLERANCE,
) -> MapShapes:
    """Project and simplify GeoJSON features (parsed dicts) onto a canvas ``width`` wide."""
    projection = fit(features, width)
    rings = svg_rings(features, projection, tolerance)
    shapes = tuple(
        MapArea(str(f["properties"][key_field]), str(f["properties"][name_field]), path_data(r))
        for f, r in zip(features, rings, strict=True)
    )
    return MapShapes(projection.width, projection.height, shapes)


def class_groups(values: Sequence[float], count: int = 5) -> list[list[float]]:
    """The distinct values of each class, ascending (equal counts, see the module docstring)."""
    counts = sorted(Counter(values).items())
    classes = min(count, len(counts))
    groups: list[list[float]] = []
    current: list[float] = []
    cumulative = 0
    for index, (value, number) in enumerate(counts):
        current.append(value)
        cumulative += number
        left = len(counts) - index - 1
        to_fill = classes - len(groups) - 1
        if to_fill > 0 and (
            cumulative >= (len(groups) + 1) * len(values) / classes or left == to_fill
        ):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def palette_steps(classes: int) -> list[int]:
    """Palette steps (1–5) of ``classes`` classes, spread over the five colours."""
    if classes == 1:
        return [3]
    return [1 + round(i * (len(PALETTE) - 1) / (classes - 1)) for i in range(classes)]


def choropleth(
    shapes: MapShapes,
    values: Mapping[str, Value],
    indicator: Indicator,
    *,
    highlight_key: str | None = None,
    classes: int = 5,
    id_prefix: str = "map",
    attribution: str = ATTRIBUTION,
) -> Choropleth:
    """The map model of ``values`` (by area key) on ``shapes``."""
    title, unit = indicator.title, indicator.unit
    numbers = {k: float(v) for k, v in values.items() if isinstance(v, int | float)}
    groups = class_groups(list(numbers.values()), classes)
    decimals = decimals_of(list(numbers.values()))
    steps = palette_steps(len(groups))
    class_of = {v: f"map__class--{steps[i]}" for i, group in enumerate(groups) for v in group}
    areas = [
        replace(
            shape,
            css_class=class_of[numbers[shape.key]] if shape.key in numbers else NO_VALUE_CLASS,
            value_label=_value_text(values.get(shape.key), decimals, unit),
        )
        for shape in shapes.shapes
    ]
    legend = _legend(groups, steps, areas, decimals, unit)
    highlight = next((a for a in areas if a.key == highlight_key), None)
    return Choropleth(
        id_prefix=id_prefix,
        title=title,
        description=_description(title, areas, legend, highlight),
        unit=unit,
        width=shapes.width,
        height=shapes.height,
        areas=areas,
        highlight=highlight,
        legend=legend,
        direction_note=_direction_note(indicator.higher_is_better),
        attribution=attribution,
    )


def _value_text(value: Value, decimals: int, unit: str) -> str:
    """``12,3 %``; ``keine Angabe`` or ``keine Angabe (/)`` without a number."""
    if isinstance(value, int | float):
        return (
            f"{format_number(float(value), decimals)}{NBSP}{unit}"
            if unit
            else format_number(float(value), decimals)
        )
    return f"{NO_VALUE} ({value})" if value else NO_VALUE


def _range_text(group: Sequence[float], decimals: int, unit: str) -> str:
    low, high = format_number(group[0], decimals), format_number(group[-1], decimals)
    text = low if low == high else f"{low}{NBSP}–{NBSP}{high}"
    return f"{text}{NBSP}{unit}" if unit else text


def _legend(
    groups: Sequence[Sequence[float]],
    steps: Sequence[int],
    areas: Sequence[MapArea],
    decimals: int,
    unit: str,
) -> list[LegendEntry]:
    per_class = Counter(a.css_class for a in areas)
    entries = [
        LegendEntry(
            f"map__class--{step}",
            _range_text(group, decimals, unit),
            per_class[f"map__class--{step}"],
        )
        for step, group in zip(steps, groups, strict=True)
    ]
    if per_class[NO_VALUE_CLASS]:
        entries.append(LegendEntry(NO_VALUE_CLASS, NO_VALUE, per_class[NO_VALUE_CLASS]))
    return entries


def _direction_note(higher_is_better: bool | None) -> str:
    base = "Je dunkler die Fläche, desto höher der Wert"
    if higher_is_better is None:
        return f"{base}."
    return f"{base}; hohe Werte sind {'günstig' if higher_is_better else 'ungünstig'}."


def _description(
    title: str,
    areas: Sequence[MapArea],
    legend: Sequence[LegendEntry],
    highlight: MapArea | None,
) -> str:
    classes = [e for e in legend if e.css_class != NO_VALUE_CLASS]
    text = f"Karte „{title}“ mit {format_count(len(areas), 'Gebiet', 'Gebieten')}"
    if classes:
        text += f" in {format_count(len(classes), 'Klasse', 'Klassen')}: " + "; ".join(
            f"{e.label} ({format_count(e.count, 'Gebiet', 'Gebiete')})" for e in classes
        )
    missing = len(areas) - sum(e.count for e in classes)
    if missing:
        text += f"; {NO_VALUE}: {format_count(missing, 'Gebiet', 'Gebiete')}"
    text += "."
    if highlight is not None:
        text += f" Hervorgehoben: {highlight.name} ({highlight.value_label})."
    return text
