"""The choropleth of a dataset page: one indicator of a region-keyed table at one period.

A table gets a map when it holds figures per place (``services/indicators.py``: a region column
into ``nrw-regionen``, or onto a municipality's own areas) and boundaries of a level it has
places of are deployed (``BoundaryShapes``). The level is the one with the most figures that
have a boundary: ``kreis``, ``gemeinde`` or an own level (Stadtbezirk, Stadtteil, Sozialraum,
Quartier); an own level is drawn for the Gemeinden whose areas the table holds.

The map's state is in the page URL, next to the table's: ``karte`` names the indicator by its
dimension values and unit as the menu shows them (``Arbeitslosenquote … (%)``), ``karte_zeitraum``
the period (default: the latest the indicator has at the level). The figures are the rows
API's answer for the indicator's filters, the period and the places of the level (the same
query as ``/api/v1/regions/map``), so map, API and table agree; the page links the table
filtered to the same rows and those rows as JSON. An unknown ``karte`` is a 400 naming the
valid ones; a period the indicator does not have is a 400 naming the periods it has.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.model.dataset import AREA_LEVELS
from opendata_sozial.query.filters import shown
from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.services.indicators import RegionTable
from opendata_sozial.services.region_directory import Region, gemeinde_of
from opendata_sozial.services.regions import Indicator, Point, RegionService, period_key
from opendata_sozial.services.rows import ReleaseRows
from opendata_sozial.urls import Urls
from opendata_sozial.views.area_maps import AREA_TITLES, level_title_list
from opendata_sozial.views.choropleth import Indicator as MapIndicator
from opendata_sozial.views.choropleth import MapArea, MapShapes
from opendata_sozial.views.preview import Option, PreviewRequest, param_value
from opendata_sozial.views.region_maps import BoundaryShapes
from opendata_sozial.views.region_page import TOTAL_UNITS, LinkedMap, linked_map, period_text

LEVELS: Final = ("kreis", "gemeinde")
LEVEL_NAMES: Final = {"kreis": "Kreise und kreisfreie Städte", "gemeinde": "Gemeinden"}
MAX_LISTED: Final = 12


@dataclass(frozen=True, slots=True)
class DatasetMap:
    """The map section of a dataset page."""

    map: LinkedMap
    level: str
    indicators: list[Option]
    periods: list[Option]
    areas: list[MapArea]
    """Every area in name order: the rows of the map's data table (links in ``map.links``)."""
    table_url: str
    api_url: str
    hidden: list[tuple[str, str]]


def indicator_label(indicator: Indicator) -> str:
    """The ``karte`` value of an indicator: its dimension values, then the unit in brackets."""
    return f"{indicator.label} ({indicator.unit})" if indicator.unit else indicator.label


def indicator_filters(indicator: Indicator) -> list[tuple[str, str]]:
    """The rows API filters of an indicator's rows (dimension values and unit)."""
    table = indicator.table
    pairs = [
        (name, param_value(value)) if value is not None else (f"{name}__isnull", "true")
        for name, value in indicator.dimensions
    ]
    if table.unit_field is not None:
        pairs.append(
            (table.unit_field, indicator.unit)
            if indicator.unit is not None
            else (f"{table.unit_field}__isnull", "true")
        )
    return pairs


def _region_table(
    regions: RegionService, release: ReleaseInfo, dataset: str, resource: str
) -> RegionTable | None:
    return next(
        (t for t in regions.tables(release) if (t.dataset, t.resource) == (dataset, resource)),
        None,
    )


@dataclass(frozen=True, slots=True)
class Found:
    """A table's map level: its name on the page, shapes, credit and the table's indicators."""

    level: str
    label: str
    shapes: MapShapes
    attribution: str | None
    indicators: list[Indicator]


def _level_label(regions: RegionService, release: ReleaseInfo, level: str, held: set[str]) -> str:
    """The level as the page names it: „Gemeinden“, „Stadtteile der Gemeinde Münster“."""
    if level in LEVEL_NAMES:
        return LEVEL_NAMES[level]
    places = regions.directory(release).regions
    names = sorted(places[g].name if g in places else g for g in held)
    where = f"der Gemeinde {names[0]}" if len(names) == 1 else f"der Gemeinden {', '.join(names)}"
    return f"{AREA_TITLES.get(level, level)} {where}"


def _indicators(
    regions: RegionService, release: ReleaseInfo, boundaries: BoundaryShapes, table: RegionTable
) -> Found | None:
    """The level with the most figures of the table at places with a boundary.

    With the table's indicators there; an own level is limited to the Gemeinden of those places.
    """
    best: tuple[int, str, list[Indicator], set[str]] = (0, "", [], set())
    for level in (*LEVELS, *AREA_LEVELS):
        geometry = boundaries.geometry(release, level)
        if geometry is None:
            continue
        found = regions.level_figures(release, level, table.dataset)
        own = [(i, f) for i, _, f in found if i.table.resource == table.resource]
        drawn = {k for _, f in own for k in f if k in geometry.features}
        count = sum(1 for _, f in own for k in f if k in drawn)
        if count > best[0]:
            best = (count, level, [i for i, _ in own], drawn)
    count, level, indicators, drawn = best
    if not count:
        return None
    held = None if level in LEVELS else {gemeinde_of(k) for k in drawn}
    geometry = boundaries.geometry(release, level, held)
    shapes = boundaries.shapes(release, level, gemeinden=held)
    if geometry is None or shapes is None:  # pragma: no cover  # found with boundaries above
        return None
    label = _level_label(regions, release, level, held or set())
    return Found(level, label, shapes, geometry.attribution, indicators)


def _chosen(indicators: Sequence[Indicator], karte: str | None) -> Indicator:
    labels = [indicator_label(i) for i in indicators]
    if karte is None:
        rates = [i for i in indicators if i.unit not in TOTAL_UNITS]
        return (rates or list(indicators))[0]
    if karte not in labels:
        listed = "; ".join(labels[:MAX_LISTED]) + (
            f" und {len(labels) - MAX_LISTED} weitere" if len(labels) > MAX_LISTED else ""
        )
        raise InvalidParameter(
            f"Parameter 'karte': {shown(karte)} ist keine Kennzahl dieser Tabelle; gültig: {listed}"
        )
    return indicators[labels.index(karte)]


def _periods(
    rows: ReleaseRows, table: RegionTable, filters: Sequence[tuple[str, str]], keys: Sequence[str]
) -> list[Any]:
    """The periods of the indicator's rows at the places of the level, oldest first."""
    if table.period is None:
        return []
    params: dict[str, list[str]] = {}
    for name, value in filters:
        params.setdefault(name, []).append(value)
    params[f"{table.key_field}__in"] = [",".join(keys)]
    _, values = rows.values(table.dataset, table.resource, table.period, params)
    return sorted((v for v, _ in values if v is not None), key=period_key)


def _period(periods: Sequence[Any], wanted: str | None) -> Any:  # noqa: ANN401  # a year, date or text
    if not periods:
        return None
    if wanted is None:
        return periods[-1]
    by_text = {param_value(p): p for p in periods}
    if wanted not in by_text:
        raise InvalidParameter(
            f"Parameter 'karte_zeitraum': {shown(wanted)} gibt es für diese Kennzahl nicht "
            f"(vorhanden: {', '.join(by_text)})"
        )
    return by_text[wanted]


def build_dataset_map(  # the page's services and state, all keyword-only
    *,
    regions: RegionService,
    boundaries: BoundaryShapes,
    rows: ReleaseRows,
    urls: Urls,
    dataset: str,
    request: PreviewRequest,
    resource: str,
) -> DatasetMap | None:
    """The map of the page's table, or ``None`` when it has no figures per place to draw."""
    release = rows.release
    table = _region_table(regions, release, dataset, resource)
    found = None if table is None else _indicators(regions, release, boundaries, table)
    if table is None or found is None or not found.indicators:
        return None
    shapes, indicators = found.shapes, found.indicators
    state = dict(request.state)
    indicator = _chosen(indicators, state.get("karte"))
    filters = indicator_filters(indicator)
    keys = [s.key for s in shapes.shapes]
    periods = _periods(rows, table, filters, keys)
    period = _period(periods, state.get("karte_zeitraum"))
    period_filter = [] if table.period is None else [(table.period, param_value(period))]
    query = [*filters, *period_filter, (f"{table.key_field}__in", ",".join(keys))]
    figures = _figures(rows, table, query, len(keys))
    unit = indicator.unit or ""
    title = indicator.label + (f", {period_text(period)}" if period is not None else "")
    model = linked_map(
        shapes, urls, figures, MapIndicator(title, unit), attribution=found.attribution
    )
    path = f"/datensaetze/{dataset}"
    return DatasetMap(
        map=model,
        level=found.label,
        indicators=[
            Option(indicator_label(i), indicator_label(i), i == indicator) for i in indicators
        ],
        periods=[Option(param_value(p), period_text(p), p == period) for p in reversed(periods)],
        areas=sorted(model.map.areas, key=lambda a: a.name),
        table_url=PreviewRequest(
            resource=request.resource,
            filters=(*filters, *period_filter, *_own_places(found, table, keys)),
            state=request.state,
        ).url(path),
        api_url=f"{urls.resource(dataset, resource)}/rows?{urlencode(query)}",
        hidden=_kept(request),
    )


def missing_map_note(  # the page's services and table, all keyword-only
    *,
    regions: RegionService,
    boundaries: BoundaryShapes,
    rows: ReleaseRows,
    dataset: str,
    resource: str,
) -> str:
    """Why the own areas of a table are not on a map (no published boundaries), else ``""``.

    Only own areas get words; an official level without boundaries simply has no geography
    deployed.
    """
    release = rows.release
    table = _region_table(regions, release, dataset, resource)
    if table is None:
        return ""
    places = regions.directory(release).regions
    own = [places[k] for k in regions.places(release, table) if k in places]
    missing = [
        r for r in own if r.level in AREA_LEVELS and not _has_boundary(boundaries, r, release)
    ]
    if not missing:
        return ""
    levels = [lv for lv in AREA_LEVELS if any(r.level == lv for r in missing)]
    gemeinden = sorted({gemeinde_of(r.key) for r in missing})
    names = ", ".join(places[g].name if g in places else g for g in gemeinden)
    return (
        f"Die Tabelle enthält Werte für {level_title_list(levels, names)}; für sie sind keine "
        "Grenzen veröffentlicht, eine Karte von ihnen gibt es deshalb nicht."
    )


def _has_boundary(boundaries: BoundaryShapes, region: Region, release: ReleaseInfo) -> bool:
    geometry = boundaries.geometry(release, region.level, [gemeinde_of(region.key)])
    return geometry is not None and region.key in geometry.features


def _own_places(found: Found, table: RegionTable, keys: Sequence[str]) -> list[tuple[str, str]]:
    """The filter naming the mapped places of an own level (its table holds every level)."""
    return [] if found.level in LEVELS else [(f"{table.key_field}__in", ",".join(keys))]


def _figures(
    rows: ReleaseRows, table: RegionTable, query: Sequence[tuple[str, str]], places: int
) -> dict[str, Point]:
    """Region key -> figure: the rows API's rows of the indicator at the period, one a place."""
    params: dict[str, list[str]] = {"_size": [str(places)]}
    for name, value in query:
        params.setdefault(name, []).append(value)
    page = rows.page(table.dataset, table.resource, params)
    index = {name: i for i, name in enumerate(page.columns)}
    figures: dict[str, Point] = {}
    for row in page.rows:
        status = row[index[table.status]] if table.status is not None else None
        period = row[index[table.period]] if table.period is not None else None
        figures.setdefault(
            str(row[index[table.key_field]]), Point(period, row[index[table.value]], status)
        )
    return figures


def _kept(request: PreviewRequest) -> list[tuple[str, str]]:
    """What the map's form carries along: table, filters, sort and view of the page."""
    table = [("ressource", request.resource)] if request.resource else []
    view = [(k, v) for k, v in request.state if k == "ansicht"]
    return [*table, *request.export_query(), *view]
