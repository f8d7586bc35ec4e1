"""Page models of the region pages: the overview, the Steckbrief of a place, the comparison.

Every figure comes from ``RegionService`` (the same calls as ``/api/v1/regions``) and is shown
with exactly the decimals it is stored with; nothing is computed here but ranks' wording, chart
geometry (``views.spine_chart``, ``views.choropleth``) and links (``Urls``).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from opendata_sozial.formats.formatting import (
    NBSP,
    decimals_of,
    format_date,
    format_number,
    format_period,
)
from opendata_sozial.formats.place_data import BoundingBox, place_jsonld
from opendata_sozial.formats.regions import indicator_rows_url
from opendata_sozial.services.region_directory import Directory, Match, Region
from opendata_sozial.services.region_neighbours import compare_keys
from opendata_sozial.services.regions import (
    Comparison,
    Indicator,
    IndicatorProfile,
    Point,
    RegionProfile,
    indicator_id,
)
from opendata_sozial.urls import Urls
from opendata_sozial.views.choropleth import ATTRIBUTION, Choropleth, MapShapes, choropleth
from opendata_sozial.views.choropleth import Indicator as MapIndicator
from opendata_sozial.views.preview import Option
from opendata_sozial.views.small_multiples import Step, Trend, trend
from opendata_sozial.views.spine_chart import Place, SpineRow, spine_row

LEVEL_LABELS: Final = {
    "land": "Land",
    "regierungsbezirk": "Regierungsbezirk",
    "kreis": "Kreis oder kreisfreie Stadt",
    "gemeinde": "Gemeinde",
    "stadtbezirk": "Stadtbezirk",
    "stadtteil": "Stadtteil",
    "sozialraum": "Sozialraum",
    "quartier": "Quartier",
}
PEERS: Final = {
    "land": "Ländern",
    "regierungsbezirk": "Regierungsbezirken",
    "kreis": "Kreisen und kreisfreien Städten",
    "gemeinde": "Gemeinden",
    "stadtbezirk": "Stadtbezirken",
    "stadtteil": "Stadtteilen",
    "sozialraum": "Sozialräumen",
    "quartier": "Quartieren",
}
"""The peers of a level in the dative plural: „Platz 5 von 53 Kreisen …“."""
DEFAULT_MAP_DATASET: Final = "arbeitslose-kreise"
DEFAULT_MAP_LABEL: Final = "Arbeitslosenquote bez. auf alle zivilen Erwerbspersonen"
"""The figure of the overview map: the unemployment rate of all civilian labour, latest year."""
NO_FIGURE: Final = "keine Angabe"
TOTAL_UNITS: Final = frozenset({"Anzahl", "Personen", "Tsd. EUR"})
"""Units of sums: a larger area's sum is no yardstick for a place, so the spine chart leaves
the parent and NRW out (the table still lists them)."""


@dataclass(frozen=True)
class PlaceLink:
    """A place as a link: name, key, level in words, Steckbrief URL, matching name variant."""

    key: str
    name: str
    level: str
    url: str
    matched: str | None = None
    ended: str = ""
    """``bis 20.10.2009`` for a unit that no longer exists (merged or dissolved)."""


@dataclass(frozen=True)
class LinkedMap:
    """A map whose areas link to their Steckbrief; ``has_values``: coloured by a figure."""

    map: Choropleth
    links: dict[str, str]
    has_values: bool
    note: str


@dataclass(frozen=True)
class LevelGroup:
    """A Regierungsbezirk with its Kreise and kreisfreie Städte."""

    place: PlaceLink
    members: list[PlaceLink]


@dataclass(frozen=True)
class RegionsIndex:
    """``/regionen``: search, the places by level, the map of one level."""

    q: str
    hits: list[PlaceLink] | None
    total: int
    land: PlaceLink | None
    groups: list[LevelGroup]
    level: str
    map: LinkedMap | None
    other_level_url: str
    other_level_label: str


@dataclass(frozen=True)
class FigureRow:
    """One indicator of the Steckbrief as a row of the data table."""

    id: str
    label: str
    value: str
    period: str
    unit: str
    rank: str
    parent: str
    land: str
    rows_url: str


@dataclass(frozen=True)
class DatasetGroup:
    """The indicators of one dataset: source link, table rows and spine chart rows."""

    dataset: str
    title: str
    url: str
    rows: list[FigureRow]
    spines: list[SpineRow]
    trends: list[Trend] = field(default_factory=list)


@dataclass(frozen=True)
class RegionPageView:
    """The Steckbrief of a place."""

    place: PlaceLink
    kind: str
    breadcrumb: list[PlaceLink]
    children: list[PlaceLink]
    facts: list[tuple[str, str]]
    groups: list[DatasetGroup]
    parent_name: str
    peers_label: str
    map: LinkedMap | None
    map_choices: list[Option]
    csv_url: str
    json_url: str
    api_url: str
    compare_url: str
    sources: list[tuple[str, str]]
    licences: list[tuple[str, str | None]] = field(default_factory=list)
    """The licences of the source datasets: (title, URL of its text if any), each once."""
    excel_url: str = ""
    xlsx_url: str = ""
    neighbours: list[PlaceLink] = field(default_factory=list)
    neighbours_url: str | None = None
    """The comparison of the place with its neighbours (10 places at most)."""
    jsonld: dict[str, Any] = field(default_factory=dict)
    citations: list[str] = field(default_factory=list)
    map_note: str = ""
    """Why the place has no map (its own level has no published boundaries), else empty."""
    area_maps: "AreaMaps | None" = None
    """A Gemeinde's own areas (Stadtbezirke …) on a map, or why there is none."""

    @property
    def map_credits(self) -> list[str]:
        """Whom the boundaries of the page's maps are credited to, each once."""
        maps = [self.map, self.area_maps.map if self.area_maps else None]
        return list(dict.fromkeys(m.map.attribution for m in maps if m is not None))


@dataclass(frozen=True)
class AreaMapChoice:
    """A level of a Gemeinde's own areas as a link to its map."""

    label: str
    url: str
    is_current: bool


@dataclass(frozen=True)
class AreaMaps:
    """A Gemeinde's own areas on a map, one level at a time (``views/area_maps.py``)."""

    map: LinkedMap | None
    choices: list[AreaMapChoice]
    note: str
    """What is missing: levels without boundaries (or every level: then ``map`` is ``None``)."""


@dataclass(frozen=True)
class PlaceMaps:
    """The maps of a Steckbrief and what goes with them.

    The place among its level, the menu of its indicators, a note why there is no map (own
    areas without boundaries) and a Gemeinde's own areas.
    """

    level_map: LinkedMap | None
    choices: list[Option]
    note: str = ""
    areas: AreaMaps | None = None


@dataclass(frozen=True)
class CompareColumn:
    """A place of the comparison: its link and the URL of the comparison without it."""

    place: PlaceLink
    remove_url: str


@dataclass(frozen=True)
class CompareRow:
    """One shared indicator: label, unit, period and one figure per place."""

    label: str
    unit: str
    period: str
    values: list[str]


@dataclass(frozen=True)
class CompareGroup:
    """The shared indicators of one dataset."""

    title: str
    url: str
    rows: list[CompareRow]


@dataclass(frozen=True)
class ComparePageView:
    """``/regionen/vergleich``: places side by side and the form adding one."""

    columns: list[CompareColumn]
    keys: list[str]
    groups: list[CompareGroup]
    candidates: list[PlaceLink] = field(default_factory=list)
    message: str = ""
    ort: str = ""
    api_url: str | None = None
    can_add: bool = True
    downloads: list[tuple[str, str]] = field(default_factory=list)
    """(label, URL) of the comparison's files, when there is a comparison."""


def figure_text(point: Point | None, unit: str | None = None) -> str:
    """A stored figure with exactly its own decimals (``15,4``, ``8 354``), or why none."""
    if point is None:
        return NO_FIGURE
    if point.value is None:
        return f"{NO_FIGURE} ({point.status})" if point.status else NO_FIGURE
    text = format_number(point.value, decimals_of([point.value]))
    return f"{text}{NBSP}{unit}" if unit else text


def period_text(period: Any) -> str:  # noqa: ANN401  # a year, date or text
    """A period as people read it (``2025``, ``31.12.2024``)."""
    return "" if period is None else format_period(str(period))


def place_link(region: Region, urls: Urls, matched: str | None = None) -> PlaceLink:
    """A region as a link to its Steckbrief."""
    return PlaceLink(
        region.key,
        region.name,
        LEVEL_LABELS.get(region.level, region.level),
        urls.region_page(region.key),
        matched,
        f"bis {format_date(region.valid_to)}" if region.valid_to else "",
    )


def place_links(matches: Sequence[Match], urls: Urls) -> list[PlaceLink]:
    """Search hits as links (the matching name variant kept)."""
    return [place_link(m.region, urls, m.matched) for m in matches]


# The overview


def linked_map(
    shapes: MapShapes,
    urls: Urls,
    figures: Mapping[str, Point] | None,
    indicator: MapIndicator,
    *,
    highlight: str | None = None,
    note: str = "",
    id_prefix: str = "karte",
    attribution: str | None = None,
) -> LinkedMap:
    """A map of ``shapes`` linking each area to its Steckbrief, coloured by ``figures`` if any.

    ``attribution``: whom the boundaries are credited to (``None``: the official BKG geometry).
    """
    values = {k: p.value if p.value is not None else p.status for k, p in (figures or {}).items()}
    model = choropleth(
        shapes,
        values,
        indicator,
        highlight_key=highlight,
        id_prefix=id_prefix,
        attribution=attribution or ATTRIBUTION,
    )
    links = {s.key: urls.region_page(s.key) for s in shapes.shapes}
    return LinkedMap(model, links, figures is not None, note)


def build_index(
    directory: Directory,
    urls: Urls,
    *,
    q: str,
    hits: Sequence[Match] | None,
    total: int,
    level: str,
    level_map: LinkedMap | None,
) -> RegionsIndex:
    """The overview: search hits, Regierungsbezirke with their Kreise, the map of ``level``."""
    land = next((r for r in directory.regions.values() if r.level == "land"), None)
    groups = [
        LevelGroup(
            place_link(district, urls),
            [
                place_link(r, urls)
                for r in sorted(
                    directory.children.get(district.key, []), key=lambda r: r.valid_to is not None
                )
            ],
        )
        for district in sorted(
            (r for r in directory.regions.values() if r.level == "regierungsbezirk"),
            key=lambda r: r.key,
        )
    ]
    other = "kreis" if level == "gemeinde" else "gemeinde"
    other_label = "Karte der Kreise" if other == "kreis" else "Karte der Gemeinden"
    return RegionsIndex(
        q=q,
        hits=None if hits is None else place_links(hits, urls),
        total=total,
        land=place_link(land, urls) if land else None,
        groups=groups,
        level=level,
        map=level_map,
        other_level_url=urls.regions_page(ebene=other) + "#karte",
        other_level_label=other_label,
    )


def default_map_figures(
    found: Sequence[tuple[Indicator, Any, dict[str, Point]]],
) -> tuple[MapIndicator, dict[str, Point]] | None:
    """The overview map's figure among a dataset's indicators (``DEFAULT_MAP_LABEL``)."""
    for indicator, period, figures in found:
        if indicator.label == DEFAULT_MAP_LABEL:
            title = f"{indicator.label}, {period_text(period)}"
            return MapIndicator(title, indicator.unit or "", higher_is_better=False), figures
    return None


# The Steckbrief


def _place(name: str, point: Point | None) -> Place:
    value = None if point is None or point.value is None else float(point.value)
    return Place(name, value)


def _rank(item: IndicatorProfile) -> str:
    stats = item.peers
    if stats is None or stats.rank is None:
        return "–"
    return f"Platz {stats.rank} von {stats.count}"


def _figure_row(item: IndicatorProfile, parent: Region | None, urls: Urls, key: str) -> FigureRow:
    above = {r.key: p for r, p in item.parents}
    land = next((p for r, p in item.parents if r.level == "land"), None)
    return FigureRow(
        id=indicator_id(item.indicator),
        label=item.indicator.label,
        value=figure_text(item.latest),
        period=period_text(item.latest.period),
        unit=item.indicator.unit or "",
        rank=_rank(item),
        parent=figure_text(above.get(parent.key)) if parent else "",
        land=figure_text(land),
        rows_url=indicator_rows_url(item.indicator, key, urls),
    )


def _spine(item: IndicatorProfile, region: Region, parent: Region | None, index: int) -> SpineRow:
    above = {r.key: (r, p) for r, p in item.parents}
    land = next(((r, p) for r, p in item.parents if r.level == "land"), None)
    direct = above.get(parent.key) if parent else None
    if item.indicator.unit in TOTAL_UNITS:
        direct = land = None
    return spine_row(
        MapIndicator(item.indicator.label, item.indicator.unit or ""),
        _place(region.name, item.latest),
        [None if p.value is None else float(p.value) for p in item.peer_figures.values()],
        parent=_place(direct[0].name, direct[1]) if direct and direct is not land else None,
        land=_place(land[0].name, land[1]) if land and region.level != "land" else None,
        row_id=f"spine-{index}",
    )


def _trend(item: IndicatorProfile, index: int) -> Trend | None:
    unit = item.indicator.unit
    steps = [
        Step(
            period_text(p.period),
            None if p.value is None else float(p.value),
            figure_text(p, unit),
        )
        for p in item.series
    ]
    return trend(f"trend-{index}", item.indicator.label, steps)


def _groups(profile: RegionProfile, urls: Urls) -> list[DatasetGroup]:
    region = profile.region
    parent = profile.parents[0] if profile.parents else None
    groups: dict[str, DatasetGroup] = {}
    for index, item in enumerate(profile.indicators):
        table = item.indicator.table
        group = groups.setdefault(
            table.dataset,
            DatasetGroup(table.dataset, table.title, urls.page(table.dataset), [], []),
        )
        group.rows.append(_figure_row(item, parent, urls, region.key))
        group.spines.append(_spine(item, region, parent, index))
        if chart := _trend(item, index):
            group.trends.append(chart)
    return list(groups.values())


def map_choices(profile: RegionProfile, chosen: str | None) -> list[Option]:
    """The indicators with figures of the level, the chosen one marked.

    Default: the first that is no sum (a rate, a figure per inhabitant), else the first.
    """
    mapped = [i for i in profile.indicators if i.peer_figures]
    ids = [indicator_id(i.indicator) for i in mapped]
    rates = [indicator_id(i.indicator) for i in mapped if i.indicator.unit not in TOTAL_UNITS]
    selected = chosen if chosen in ids else next(iter(rates or ids), None)
    return [
        Option(
            indicator_id(i.indicator),
            f"{i.indicator.label} ({i.indicator.table.dataset})",
            indicator_id(i.indicator) == selected,
        )
        for i in profile.indicators
        if i.peer_figures
    ]


def chosen_figures(
    profile: RegionProfile, choices: Sequence[Option]
) -> tuple[MapIndicator, dict[str, Point]] | None:
    """The map's indicator and the level's figures of the chosen choice."""
    chosen = next((c.value for c in choices if c.is_selected), None)
    for item in profile.indicators:
        if indicator_id(item.indicator) == chosen:
            title = f"{item.indicator.label}, {period_text(item.latest.period)}"
            return MapIndicator(title, item.indicator.unit or ""), item.peer_figures
    return None


def _facts(profile: RegionProfile, groups: Sequence[DatasetGroup]) -> list[tuple[str, str]]:
    region = profile.region
    level = LEVEL_LABELS.get(region.level, region.level)
    kind = LEVEL_LABELS.get(region.kind, region.kind)  # an own area's kind is its level
    facts = [
        ("Amtlicher Regionalschlüssel" if "-" not in region.key else "Schlüssel", region.key),
        ("Ebene", level),
    ]
    if kind != level:
        facts.append(("Art", kind))
    if region.valid_from is not None:
        facts.append(("Gültig seit", period_text(region.valid_from.isoformat())))
    if region.valid_to is not None:
        facts.append(("Gültig bis", period_text(region.valid_to.isoformat())))
    facts.append(("Kennzahlen", f"{len(profile.indicators)} aus {len(groups)} Datensätzen"))
    return facts


def _peers_label(profile: RegionProfile) -> str:
    """„Kreisen … Nordrhein-Westfalens“; own areas rank within their Gemeinde."""
    level = profile.region.level
    gemeinde = next((p for p in profile.parents if p.level == "gemeinde"), None)
    if "-" in profile.region.key and gemeinde is not None:
        return f"{PEERS.get(level, level)} der Gemeinde {gemeinde.name}"
    return f"{PEERS.get(level, level)} Nordrhein-Westfalens"


def build_region_page(
    profile: RegionProfile,
    children: Sequence[Region],
    urls: Urls,
    *,
    maps: PlaceMaps,
    neighbours: Sequence[Region] = (),
    box: BoundingBox | None = None,
    citations: Sequence[str] = (),
    licences: Sequence[tuple[str, str | None]] = (),
) -> RegionPageView:
    """The Steckbrief: facts, every indicator by dataset with charts and table, map, sources.

    ``maps``: the place's maps; ``neighbours``: the places of the level bordering it; ``box``:
    its bounding box (JSON-LD); ``citations``: how to cite each source dataset; ``licences``:
    theirs.
    """
    region = profile.region
    groups = _groups(profile, urls)
    parent = profile.parents[0] if profile.parents else None
    return RegionPageView(
        place=place_link(region, urls),
        kind=region.kind,
        breadcrumb=[place_link(p, urls) for p in reversed(profile.parents)],
        children=[place_link(c, urls) for c in sorted(children, key=lambda c: c.name)],
        facts=_facts(profile, groups),
        groups=groups,
        parent_name=parent.name if parent else "",
        peers_label=_peers_label(profile),
        map=maps.level_map,
        map_choices=maps.choices,
        csv_url=urls.region_profile(region.key, ".csv"),
        json_url=urls.region_profile(region.key),
        api_url=urls.region(region.key),
        compare_url=urls.region_compare_page([region.key]),
        sources=[(g.title, g.url) for g in groups],
        excel_url=urls.region_profile(region.key, ".csv", profile="excel-de"),
        xlsx_url=urls.region_profile(region.key, ".xlsx"),
        neighbours=[place_link(n, urls) for n in neighbours],
        neighbours_url=(
            urls.region_compare_page(compare_keys(region, neighbours)) if neighbours else None
        ),
        jsonld=place_jsonld(region, profile.parents, urls, box),
        citations=list(citations),
        licences=list(licences),
        map_note=maps.note,
        area_maps=maps.areas,
    )


# The comparison


def build_compare_page(
    comparison: Comparison | None,
    places: Sequence[Region],
    urls: Urls,
    *,
    max_places: int,
    candidates: Sequence[Match] = (),
    message: str = "",
    ort: str = "",
) -> ComparePageView:
    """Places side by side (``comparison`` is ``None`` with fewer than two places)."""
    keys = [p.key for p in places]
    columns = [
        CompareColumn(
            place_link(p, urls), urls.region_compare_page([k for k in keys if k != p.key])
        )
        for p in places
    ]
    groups: dict[str, CompareGroup] = {}
    for indicator, period, points in comparison.indicators if comparison else []:
        table = indicator.table
        group = groups.setdefault(
            table.dataset, CompareGroup(table.title, urls.page(table.dataset), [])
        )
        shown = period_text(period) if period is not None else "je Ort der letzte Zeitraum"
        values = [
            figure_text(p) + ("" if period is not None else f" ({period_text(p.period)})")
            for p in points
        ]
        group.rows.append(CompareRow(indicator.label, indicator.unit or "", shown, values))
    return ComparePageView(
        columns=columns,
        keys=keys,
        groups=list(groups.values()),
        candidates=[
            PlaceLink(
                m.region.key,
                m.region.name,
                LEVEL_LABELS.get(m.region.level, m.region.level),
                candidate_url(keys, m.region.key, urls),
                m.matched,
            )
            for m in candidates
            if m.region.key not in keys
        ],
        message=message,
        ort=ort,
        api_url=urls.region_compare(keys) if comparison else None,
        can_add=len(keys) < max_places,
        downloads=_compare_downloads(keys, urls) if comparison else [],
    )


def _compare_downloads(keys: Sequence[str], urls: Urls) -> list[tuple[str, str]]:
    return [
        ("Vergleich als CSV", urls.region_compare(keys, ".csv")),
        (
            "Vergleich als CSV für deutsches Excel",
            urls.region_compare(keys, ".csv", profile="excel-de"),
        ),
        ("Vergleich als Excel-Arbeitsmappe (XLSX)", urls.region_compare(keys, ".xlsx")),
    ]


def candidate_url(keys: Sequence[str], key: str, urls: Urls) -> str:
    """The comparison with ``key`` added at the end."""
    return urls.region_compare_page([*keys, key])
