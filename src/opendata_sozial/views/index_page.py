"""Page model of ``/regionen/index``: the builder form, the index as map, ranking and method.

Every number comes from ``RegionIndexService.build`` (the same call as the API); the page
shows index, scores and dynamics with two decimals, figures with their own decimals. The map
colours the places by index (``views.choropleth`` through ``views.region_page.linked_map``),
the ranking table is its accessible alternative, each place links to its Steckbrief.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from opendata_sozial.formats.formatting import format_number
from opendata_sozial.formats.region_index import index_query, method_words
from opendata_sozial.formats.regions import indicator_rows_url
from opendata_sozial.services.index_method import DIRECTIONS, METHODS, TYPES
from opendata_sozial.services.index_scores import Available, IndexInput
from opendata_sozial.services.region_index import LABEL, MAX_INPUTS, IndexResult
from opendata_sozial.services.regions import Point
from opendata_sozial.urls import Urls
from opendata_sozial.views.choropleth import Indicator as MapIndicator
from opendata_sozial.views.choropleth import MapShapes
from opendata_sozial.views.region_page import (
    LEVEL_LABELS,
    LinkedMap,
    PlaceLink,
    figure_text,
    linked_map,
    period_text,
    place_link,
)

FORM_FIELDS: Final = ("ind", "richtung", "gewicht", "zeitraum")
"""The form's fields of one input row, each once per row, in row order."""
MIN_ROWS: Final = 3
DECIMALS: Final = 2


@dataclass(frozen=True)
class Option:
    """An ``<option>``: value, label, selected."""

    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class OptionGroup:
    """An ``<optgroup>``: the indicators of one dataset."""

    label: str
    options: list[Option]


@dataclass(frozen=True)
class FormRow:
    """One input row of the form."""

    number: int
    groups: list[OptionGroup]
    directions: list[Option]
    weight: str
    period: str


@dataclass(frozen=True)
class InputView:
    """An input of the result as the page lists it."""

    number: int
    id: str
    label: str
    dataset: str
    dataset_url: str
    rows_url: str
    unit: str
    period: str
    comparison: str
    direction: str
    weight: str
    share: str
    spread: str


@dataclass(frozen=True)
class PlaceRow:
    """A place of the ranking: rank, link, index, type, dynamics, value and score per input."""

    rank: int
    place: PlaceLink
    index: str
    type: str
    dynamics: str
    cells: list[tuple[str, str]]


@dataclass(frozen=True)
class IndexPageView:
    """``/regionen/index``: form, and with a result: label, method, inputs, map, ranking."""

    levels: list[Option]
    methods: list[Option]
    rows: list[FormRow]
    level: str
    error: str
    has_result: bool
    label: str = LABEL
    method_words: tuple[str, ...] = ()
    inputs: tuple[InputView, ...] = ()
    places: tuple[PlaceRow, ...] = ()
    excluded: tuple[tuple[PlaceLink, str], ...] = ()
    typology_reason: str | None = None
    types: tuple[tuple[str, int], ...] = ()
    median: str = ""
    map: LinkedMap | None = None
    csv_url: str = ""
    json_url: str = ""
    page_url: str = ""
    indicators_url: str = ""
    licences: tuple[tuple[str, str | None], ...] = ()
    """The licences of the input datasets: (title, URL of the text if any)."""


def form_inputs(
    ids: Sequence[str], directions: Sequence[str], weights: Sequence[str], periods: Sequence[str]
) -> list[str]:
    """The filled form rows as ``indikator`` texts (rows without an indicator are skipped)."""
    found = []
    for n, ident in enumerate(ids):
        if not ident.strip():
            continue
        parts = [ident.strip()] + [
            column[n].strip() if n < len(column) else ""
            for column in (directions, weights, periods)
        ]
        found.append(":".join(parts).rstrip(":"))
    return found


def number_text(value: float | None) -> str:
    """An index, score or dynamics as the page shows it: two decimals (``−0,37``)."""
    return "" if value is None else format_number(value, DECIMALS)


def _groups(available: Sequence[Available], chosen: str) -> list[OptionGroup]:
    groups: dict[str, OptionGroup] = {}
    for found in available:
        table = found.indicator.table
        group = groups.setdefault(table.dataset, OptionGroup(table.title, []))
        periods = [period_text(p) for p, _ in found.periods]
        unit = f"{found.indicator.unit}; " if found.indicator.unit else ""
        label = f"{found.indicator.label} ({unit}{', '.join(periods)})"
        group.options.append(Option(found.id, label, found.id == chosen))
    return list(groups.values())


def _form_rows(available: Sequence[Available], asked: Sequence[str]) -> list[FormRow]:
    count = max(MIN_ROWS, min(MAX_INPUTS, len(asked) + 1))
    rows = []
    for n in range(count):
        text = asked[n] if n < len(asked) else ""
        ident, direction, weight, period = [*text.split(":", 3), "", "", ""][:4]
        directions = [
            Option(code, text, code == (direction or "hoch-schlecht"))
            for code, text in DIRECTIONS.items()
        ]
        rows.append(FormRow(n + 1, _groups(available, ident), directions, weight or "1", period))
    return rows


def _input_view(number: int, item: IndexInput, total: float, urls: Urls) -> InputView:
    indicator = item.available.indicator
    table = indicator.table
    spread = (
        f"Mittelwert {format_number(item.mean, 4)}, Standardabweichung {format_number(item.spread, 4)}"
        if item.mean is not None and item.spread is not None
        else ""
    )
    return InputView(
        number=number,
        id=item.available.id,
        label=indicator.label,
        dataset=table.dataset,
        dataset_url=urls.page(table.dataset),
        rows_url=indicator_rows_url(indicator, None, urls),
        unit=indicator.unit or "",
        period=period_text(item.period),
        comparison=period_text(item.comparison) if item.comparison is not None else "–",
        direction=DIRECTIONS[item.direction],
        weight=f"{item.weight:g}".replace(".", ","),
        share=format_number(100 * item.weight / total, 1) + "\u00a0%",
        spread=spread,
    )


def _map(
    result: IndexResult, shapes: MapShapes | None, urls: Urls, attribution: str | None
) -> LinkedMap | None:
    if shapes is None:
        return None
    figures = {p.region.key: Point(None, round(p.index, DECIMALS), None) for p in result.places}
    title = f"Index, {LEVEL_LABELS.get(result.level, result.level)} ({LABEL})"
    note = "Jede Fläche führt zum Steckbrief ihres Gebiets; schraffiert: nicht im Index."
    indicator = MapIndicator(title, "", higher_is_better=False)
    return linked_map(shapes, urls, figures, indicator, note=note, attribution=attribution)


def _with_result(
    base: IndexPageView,
    result: IndexResult,
    shapes: MapShapes | None,
    urls: Urls,
    attribution: str | None,
) -> IndexPageView:
    total = sum(i.weight for i in result.inputs)
    query = index_query(result)
    places = tuple(
        PlaceRow(
            p.rank,
            place_link(p.region, urls),
            number_text(p.index),
            TYPES.get(p.type or "", ""),
            number_text(p.dynamics),
            [
                (figure_text(point), number_text(score))
                for point, score in zip(p.values, p.scores, strict=True)
            ],
        )
        for p in result.places
    )
    typology = result.typology
    return replace(
        base,
        has_result=True,
        method_words=tuple(method_words(result)),
        inputs=tuple(_input_view(n, i, total, urls) for n, i in enumerate(result.inputs, 1)),
        places=places,
        excluded=tuple((place_link(e.region, urls), e.reason) for e in result.excluded),
        typology_reason=typology.reason,
        types=tuple((label, typology.counts.get(c, 0)) for c, label in TYPES.items()),
        median=number_text(typology.median),
        map=_map(result, shapes, urls, attribution),
        csv_url=urls.region_index(".csv", query),
        json_url=urls.region_index("", query),
        page_url=urls.region_index_page(query),
        indicators_url=urls.region_index_indicators(result.level),
    )


@dataclass(frozen=True)
class FormState:
    """What the form was sent with: the levels offered, level, method, inputs, error."""

    levels: Sequence[str]
    level: str
    method: str
    asked: Sequence[str]
    error: str = ""


def build_index_page(
    available: Sequence[Available],
    urls: Urls,
    form: FormState,
    result: IndexResult | None,
    shapes: MapShapes | None,
    attribution: str | None = None,
    licences: Sequence[tuple[str, str | None]] = (),
) -> IndexPageView:
    """The builder page; with ``result``, the index as map, ranking, method and inputs.

    ``attribution``: whom the boundaries are credited to (``None``: the official geometry);
    ``licences``: those of the input datasets.
    """
    level, method = form.level, form.method
    base = IndexPageView(
        levels=[Option(v, LEVEL_LABELS.get(v, v), v == level) for v in form.levels],
        methods=[Option(code, text, code == method) for code, text in METHODS.items()],
        rows=_form_rows(available, [*form.asked][:MAX_INPUTS]),
        level=level,
        error=form.error,
        has_result=False,
    )
    if result is None:
        return base
    return replace(_with_result(base, result, shapes, urls, attribution), licences=tuple(licences))
