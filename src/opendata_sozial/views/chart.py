"""Chart of a table as SVG geometry: what to plot, and where. The template only draws it.

How a chart is chosen (deterministic, documented in ``docs/web.md``):

* **Value**: the first ``number``/``integer`` field that is not part of the primary key.
* **Unit**: the value field's ``x_unit``; with ``x_unit_field`` the rows of the first unit that
  occurs (categories order) are charted, and a note names the others.
* **Time**: the first ``year``/``date`` field. With at least two distinct points in time the
  chart is a line chart, one line per series; otherwise a horizontal bar chart, one bar per row.
* **Series**: the primary-key fields other than time and unit whose value varies in the charted
  rows; a series is one combination of their values, ordered by the fields' ``categories``
  (values without a category last, in file order). At most
  ``MAX_SERIES`` lines (``MAX_BARS`` bars) are drawn; a note says how many are left out and how
  to choose others. With a sort chosen on the table (``ordered``), series and bars follow the
  table's order instead of the categories.
* **Aggregates**: rows of Deutschland or NRW (a dimension value in ``AGGREGATES``, or the Land's
  key ``05`` in the region column) are always among the drawn lines or bars; the others fill the
  remaining places in order.
* Withheld cells (no value, only a symbol) leave a gap; breaks in the time series are drawn as
  dashed vertical lines.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Final, TypeVar

from opendata_sozial.formats.formatting import (
    decimals_of,
    format_cell,
    format_count,
    format_number,
)
from opendata_sozial.model.dataset import Break, Field, Resource
from opendata_sozial.views.chart_scale import (
    iso,
    nice_scale,
    scale,
    step_decimals,
    svg_path,
    symbol,
    ticks,
    time_label,
    time_number,
)

MAX_SERIES: Final = 8
MAX_BARS: Final = 20
WIDTH: Final = 880
NARROW_WIDTH: Final = 400
LABEL_CHAR_WIDTH: Final = 7.4
LINE_HEIGHT: Final = 380
BAR_ROW: Final = 46
CHAR_WIDTH: Final = 8.0
AGGREGATES: Final = frozenset({"Deutschland", "Nordrhein-Westfalen", "NRW", "05"})
"""Dimension values of rows that sum up the others (Bund, Land): always charted."""
TIME_TYPES: Final = frozenset({"year", "date"})
T = TypeVar("T")
VALUE_TYPES: Final = frozenset({"number", "integer"})


@dataclass(frozen=True, slots=True)
class Tick:
    """An axis tick: position in SVG units and its label."""

    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Marker:
    """A data point of a line: its symbol as an SVG path and a label for the tooltip."""

    d: str
    label: str


@dataclass(frozen=True, slots=True)
class Series:
    """One line: style number (colour, dash, symbol), path and point markers."""

    label: str
    style: int
    path: str
    markers: list[Marker]
    swatch: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One horizontal bar with its category label above it and its value beside it."""

    label: str
    value_label: str
    x: float
    y: float
    width: float
    height: float
    label_y: float
    value_x: float
    value_anchor: str


@dataclass(frozen=True, slots=True)
class BreakLine:
    """A break in the time series, drawn as a dashed vertical line."""

    x: float
    label: str
    label_x: float
    label_anchor: str


@dataclass(frozen=True, slots=True)
class ChartTable:
    """The chart's data as a table (the text alternative)."""

    headers: list[str]
    rows: list[tuple[str, list[str]]]


@dataclass(frozen=True, slots=True)
class Frame:
    """Size of the drawing and of the plot area inside it."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template needs to draw an accessible SVG chart."""

    kind: str
    title: str
    description: str
    unit: str
    frame: Frame
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[Series]
    bars: list[Bar]
    breaks: list[BreakLine]
    notes: list[str]
    table: ChartTable


@dataclass(frozen=True, slots=True)
class _Plan:
    value: Field
    time: Field | None
    unit: str
    dimensions: list[str]
    fields: dict[str, Field]
    rows: list[dict[str, Any]]
    notes: list[str]
    ordered: bool = False
    names: dict[str, str] = dataclass_field(default_factory=dict)
    """Code dimension to the column that names its values (see ``_name_fields``)."""


# Choosing what to chart


def build_chart(
    *,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    table: Resource,
    breaks: Sequence[Break] = (),
    total: int | None = None,
    width: int = WIDTH,
    ordered: bool = False,
) -> Chart | None:
    """The chart of ``rows`` (objects in ``columns`` order), or ``None`` when nothing is numeric.

    ``width`` is the drawing's width in SVG units; pages draw a wide and a narrow variant and
    show one of them by screen width (``build_charts``), so that the text stays legible on a
    phone.
    """
    charts = build_charts(
        columns=columns,
        rows=rows,
        table=table,
        breaks=breaks,
        total=total,
        widths=(width,),
        ordered=ordered,
    )
    return charts[0]


def build_charts(
    *,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    table: Resource,
    breaks: Sequence[Break] = (),
    total: int | None = None,
    widths: Sequence[int],
    ordered: bool = False,
) -> list[Chart | None]:
    """The chart of ``rows`` drawn once per width, from one plan (what to show is width-free)."""
    plan = _plan(columns, rows, table, ordered=ordered)
    if plan is None:
        return [None for _ in widths]
    if total is not None and total > len(rows):
        plan.notes.append(
            f"Das Diagramm zeigt die ersten {format_count(len(rows), 'Zeile', 'Zeilen')} "
            f"von {format_number(total)}; {_left_out(total - len(rows), 'Zeile', 'Zeilen')}."
        )
    times = {r[plan.time.name] for r in plan.rows} if plan.time else set()
    if plan.time and len(times - {None}) >= 2:
        groups = _line_groups(plan)
        return [_line_chart(plan, groups, breaks, width) for width in widths]
    records = _bar_records(plan)
    return [_bar_chart(plan, records, width) for width in widths]


def _plan(
    columns: Sequence[str], rows: Sequence[Sequence[object]], table: Resource, *, ordered: bool
) -> _Plan | None:
    fields = [f for f in table.fields if f.name in columns]
    key = list(table.primary_key)
    value = next((f for f in fields if f.type in VALUE_TYPES and f.name not in key), None)
    if value is None or not rows:
        return None
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    time = next((f for f in fields if f.type in TIME_TYPES), None)
    unit, records, notes = _one_unit(value, fields, records)
    excluded = {value.name, value.unit_field, time.name if time else None}
    candidates = [f.name for f in fields if f.name in key and f.name not in excluded]
    dimensions = [n for n in candidates if len({r[n] for r in records}) > 1]
    by_name = {f.name: f for f in fields}
    names = _name_fields(dimensions, [f.name for f in fields if f.name not in key], records)
    return _Plan(value, time, unit, dimensions, by_name, records, notes, ordered, names)


def _name_fields(
    dimensions: Sequence[str], others: Sequence[str], records: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """The column naming each code dimension one to one: legends show names, not codes.

    ``ags`` ``05`` is named by ``region`` ``Nordrhein-Westfalen``.
    """
    found: dict[str, str] = {}
    for dimension in dimensions:
        codes = {r[dimension] for r in records}
        for other in others:
            named = {(r[dimension], r[other]) for r in records}
            if len(named) == len(codes) == len({n for _, n in named}) and all(
                isinstance(n, str) and n for _, n in named
            ):
                found[dimension] = other
                break
    return found


def _left_out(count: int, one: str, many: str) -> str:
    """``85 Werte sind nicht dargestellt`` (``1 Wert ist …``)."""
    verb = "ist" if count == 1 else "sind"
    return f"{format_count(count, one, many)} {verb} nicht dargestellt"


def _is_aggregate(record: Mapping[str, Any], plan: _Plan) -> bool:
    """Whether a row is one of Deutschland or NRW (see ``AGGREGATES``)."""
    return any(str(record[d]) in AGGREGATES for d in plan.dimensions)


def _first_with_aggregates(
    items: Sequence[T], limit: int, is_aggregate: Callable[[T], bool]
) -> list[T]:
    """The first ``limit`` items in order, aggregates always among them (still in order)."""
    if len(items) <= limit:
        return list(items)
    aggregates = [i for i, item in enumerate(items) if is_aggregate(item)][:limit]
    others = [i for i, item in enumerate(items) if not is_aggregate(item)]
    kept = {*aggregates, *others[: limit - len(aggregates)]}
    return [item for i, item in enumerate(items) if i in kept]


def _one_unit(
    value: Field, fields: Sequence[Field], records: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]], list[str]]:
    unit_field = next((f for f in fields if f.name == value.unit_field), None)
    if unit_field is None:
        return value.unit or "", records, []
    present = list(dict.fromkeys(r[unit_field.name] for r in records))
    order = list(unit_field.categories or ())
    present.sort(key=lambda u: order.index(u) if u in order else len(order))
    chosen = present[0]
    notes = []
    if len(present) > 1:
        others = ", ".join(f"„{u}“" for u in present[1:])
        notes.append(
            f"Gezeigt werden nur Werte in der Einheit „{chosen}“; weitere Einheiten: {others}. "
            f"Mit dem Filter „{unit_field.name if unit_field.title is None else unit_field.title}“ lässt sich die "
            "Einheit wählen."
        )
    return str(chosen), [r for r in records if r[unit_field.name] == chosen], notes


def _label(record: Mapping[str, Any], plan: _Plan) -> str:
    parts = [
        str(record[plan.names[d]])
        if d in plan.names
        else format_cell(record[d], field_type=plan.fields[d].type)
        for d in plan.dimensions
    ]
    if not plan.dimensions:
        return _title(plan.value)
    return " · ".join(part for part in parts if part) or "(ohne Angabe)"


def _title(field: Field) -> str:
    return field.label


def _value_text(record: Mapping[str, Any], plan: _Plan, decimals: int) -> str:
    name = plan.value.name
    return format_cell(record[name], record.get(f"{name}_status"), decimals) or "–"


def _unit_text(unit: str) -> str:
    return f"Einheit: {unit}" if unit else ""


def _unit_suffix(unit: str) -> str:
    """`` (Prozent)`` after a title or a value range; nothing without a unit."""
    return f" ({unit})" if unit else ""


# Line chart


def _category_ranks(plan: _Plan) -> list[tuple[str, dict[Any, int], int]]:
    """Per dimension: its name, each category's position, and the position of any other value.

    Built once per chart: looking values up in the category list row by row cost 0.2 s for
    2 000 rows of 396 Gemeinden (issue 17).
    """
    ranks = []
    for name in plan.dimensions:
        order = list(plan.fields[name].categories or ())
        first = {value: len(order) - 1 - i for i, value in enumerate(reversed(order))}
        ranks.append((name, first, len(order)))
    return ranks


def _category_rank(
    ranks: Sequence[tuple[str, dict[Any, int], int]], record: Mapping[str, Any]
) -> tuple[int, ...]:
    """Position of the record's dimension values in their fields' ``categories``."""
    return tuple(first.get(record[name], other) for name, first, other in ranks)


def _line_groups(plan: _Plan) -> dict[str, list[dict[str, Any]]]:
    """Records per series, series ordered by their values' categories (then first appearance)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    ranks = _category_ranks(plan)
    records = (
        plan.rows if plan.ordered else sorted(plan.rows, key=lambda r: _category_rank(ranks, r))
    )
    labels: dict[tuple[Any, ...], str] = {}  # one label per combination, not per row
    for record in records:
        combination = tuple(record[name] for name in plan.dimensions)
        label = labels.get(combination)
        if label is None:
            label = labels[combination] = _label(record, plan)
        groups.setdefault(label, []).append(record)
    if len(groups) > MAX_SERIES:
        plan.notes.append(
            f"Das Diagramm zeigt die ersten {MAX_SERIES} von {len(groups)} Reihen "
            "(Deutschland und NRW immer, wo vorhanden); "
            f"{_left_out(len(groups) - MAX_SERIES, 'Reihe', 'Reihen')}. Mit den "
            "Filtern über der Tabelle lassen sich andere Reihen auswählen."
        )
    kept = _first_with_aggregates(
        list(groups.items()), MAX_SERIES, lambda item: _is_aggregate(item[1][0], plan)
    )
    return dict(kept)


def _line_frame(y_labels: Sequence[str], width: int) -> Frame:
    left = 16 + CHAR_WIDTH * max((len(label) for label in y_labels), default=1)
    height = min(LINE_HEIGHT, round(width * 0.75))
    return Frame(width, height, left, 36, width - 24, height - 44)


def _x_ticks(times: Sequence[object], frame: Frame, low: float, high: float) -> list[Tick]:
    labels = [time_label(t) for t in times]
    room = (frame.right - frame.left) / (max(len(label) for label in labels) * CHAR_WIDTH + 16)
    every = max(1, math.ceil(len(times) / max(room, 1)))
    return [
        Tick(scale(time_number(t), low, high, frame.left + 16, frame.right - 16), label)
        for i, (t, label) in enumerate(zip(times, labels, strict=True))
        if (len(times) - 1 - i) % every == 0
    ]


def _line_chart(
    plan: _Plan, groups: Mapping[str, list[dict[str, Any]]], breaks: Sequence[Break], width: int
) -> Chart:
    assert plan.time is not None  # noqa: S101  # _line_chart is only chosen with a time field
    time_name, value_name = plan.time.name, plan.value.name
    charted = [r for records in groups.values() for r in records]
    times = sorted({r[time_name] for r in charted if r[time_name] is not None})
    values = [float(r[value_name]) for r in charted if r[value_name] is not None]
    decimals = decimals_of(values)
    floor = min(values, default=0.0)
    ceiling = max(values, default=1.0)
    starts_at_zero = floor <= 0 or floor <= ceiling / 2
    y_low, y_high, step = nice_scale(min(floor, 0.0) if starts_at_zero else floor, ceiling)
    y_values = ticks(y_low, y_high, step)
    y_labels = [format_number(v, step_decimals(step)) for v in y_values]
    frame = _line_frame(y_labels, width)
    t_low, t_high = time_number(times[0]), time_number(times[-1])

    def x_of(t: object) -> float:
        return scale(time_number(t), t_low, t_high, frame.left + 16, frame.right - 16)

    def y_of(v: float) -> float:
        return scale(v, y_low, y_high, frame.bottom, frame.top)

    series = []
    for style, (label, records) in enumerate(groups.items()):
        by_time = {r[time_name]: r for r in reversed(records)}
        points = [
            (x_of(t), y_of(float(by_time[t][value_name])))
            if t in by_time and by_time[t][value_name] is not None
            else None
            for t in times
        ]
        markers = [
            Marker(
                symbol(style, *point),
                f"{label}, {time_label(t)}: {_value_text(by_time[t], plan, decimals)}",
            )
            for t, point in zip(times, points, strict=True)
            if point is not None
        ]
        series.append(Series(label, style, svg_path(points), markers, symbol(style, 14, 8)))
    headers = [_title(plan.time), *groups]
    table_rows = [
        (
            time_label(t),
            [
                _value_text(next(r for r in records if r[time_name] == t), plan, decimals)
                if any(r[time_name] == t for r in records)
                else "–"
                for records in groups.values()
            ],
        )
        for t in times
    ]
    break_lines = _break_lines(breaks, times, x_of, frame.width)
    title = f"{_title(plan.value)} nach {_title(plan.time)}"
    description = (
        f"Liniendiagramm „{title}“ mit {format_count(len(series), 'Reihe', 'Reihen')} von "
        f"{time_label(times[0])} bis {time_label(times[-1])}: {'; '.join(groups)}. "
        f"Werte von {format_number(min(values, default=0), decimals)} bis "
        f"{format_number(max(values, default=0), decimals)}"
        f"{_unit_suffix(plan.unit)}." + "".join(f" {b.label}." for b in break_lines)
    )
    return Chart(
        kind="line",
        title=title,
        description=description,
        unit=_unit_text(plan.unit),
        frame=frame,
        x_ticks=_x_ticks(times, frame, t_low, t_high),
        y_ticks=[Tick(y_of(v), label) for v, label in zip(y_values, y_labels, strict=True)],
        series=series,
        bars=[],
        breaks=break_lines,
        notes=plan.notes,
        table=ChartTable(headers, table_rows),
    )


def _break_lines(
    breaks: Sequence[Break],
    times: Sequence[object],
    x_of: Callable[[object], float],
    right: float,
) -> list[BreakLine]:
    """Breaks inside the charted period: a line between the last point before and the first from it.

    A break at period ``P`` (``2017``, ``2017-06``) applies from ``P`` on; points are compared
    with ``P`` at the coarser of the two granularities.
    """
    lines = []
    for brk in breaks:
        period = brk.period

        def is_after(moment: object, period: str = period) -> bool:
            text = iso(moment)
            size = min(len(text), len(period))
            return text[:size] >= period[:size]

        after = [t for t in times if is_after(t)]
        before = [t for t in times if not is_after(t)]
        if after and before:
            x = (x_of(before[-1]) + x_of(after[0])) / 2
            label = f"Zeitreihenbruch {period}"
            is_left = x + 6 + len(label) * LABEL_CHAR_WIDTH > right
            lines.append(
                BreakLine(x, label, x - 6 if is_left else x + 6, "end" if is_left else "start")
            )
    return lines


# Bar chart


def _bar_records(plan: _Plan) -> list[dict[str, Any]]:
    """The rows with a bar: the first ``MAX_BARS`` (aggregates always), noted when cut."""
    records = plan.rows
    if len(records) <= MAX_BARS:
        return records
    plan.notes.append(
        f"Das Diagramm zeigt die ersten {MAX_BARS} von {len(records)} Werten in der "
        "Reihenfolge der Tabelle (Deutschland und NRW immer, wo vorhanden); "
        f"{_left_out(len(records) - MAX_BARS, 'Wert', 'Werte')}. Mit den "
        "Filtern über der Tabelle lassen sich andere Werte auswählen."
    )
    return _first_with_aggregates(records, MAX_BARS, lambda r: _is_aggregate(r, plan))


def _bar_chart(plan: _Plan, records: Sequence[dict[str, Any]], width: int) -> Chart:
    value_name = plan.value.name
    values = [float(r[value_name]) for r in records if r[value_name] is not None]
    decimals = decimals_of(values)
    low, high, step = nice_scale(min([0.0, *values]), max([0.0, *values]))
    frame = Frame(
        width, 16 + BAR_ROW * len(records) + 32, 16, 8, width - 72, 8 + BAR_ROW * len(records)
    )

    def x_of(v: float) -> float:
        return scale(v, low, high, frame.left, frame.right)

    max_label = int((width - 32) / LABEL_CHAR_WIDTH)
    bars = []
    for index, record in enumerate(records):
        label = _label(record, plan)
        short = label if len(label) <= max_label else label[: max_label - 1] + "…"
        top = frame.top + index * BAR_ROW
        value = record[value_name]
        end = x_of(float(value)) if value is not None else x_of(0)
        start = min(end, x_of(0))
        is_negative = value is not None and value < 0
        bars.append(
            Bar(
                label=short,
                value_label=_value_text(record, plan, decimals),
                x=start,
                y=top + 22,
                width=abs(end - x_of(0)),
                height=18,
                label_y=top + 16,
                value_x=end - 6 if is_negative else end + 6,
                value_anchor="end" if is_negative else "start",
            )
        )
    tick_decimals = step_decimals(step)
    header = ", ".join(_title(plan.fields[d]) for d in plan.dimensions) or "Reihe"
    rows = [(_label(r, plan), [_value_text(r, plan, decimals)]) for r in records]
    title = _title(plan.value)
    description = (
        f"Balkendiagramm „{title}“ mit {format_count(len(bars), 'Balken', 'Balken')}"
        f"{_unit_suffix(plan.unit)}: "
        + "; ".join(f"{label}: {values[0]}" for label, values in rows)
        + "."
    )
    return Chart(
        kind="bar",
        title=title,
        description=description,
        unit=_unit_text(plan.unit),
        frame=frame,
        x_ticks=[Tick(x_of(v), format_number(v, tick_decimals)) for v in ticks(low, high, step)],
        y_ticks=[],
        series=[],
        bars=bars,
        breaks=[],
        notes=plan.notes,
        table=ChartTable([header, f"{title}{_unit_suffix(plan.unit)}"], rows),
    )
