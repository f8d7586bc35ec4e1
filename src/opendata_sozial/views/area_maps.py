"""Maps of a municipality's own areas on the Steckbriefe (docs/areas.md).

An own area (Stadtbezirk, Stadtteil, Sozialraum, Quartier) is drawn among the areas of its
level *in its own Gemeinde* (each city cuts its areas itself; its peers are ranked there too),
itself outlined. A Gemeinde with own areas offers the map of each own level with boundaries,
one at a time (``gebiete=stadtteil``). Where a level has no published boundaries (Köln: keys and
names only), the page says so in words instead of drawing a map.
"""

from collections.abc import Mapping, Sequence
from typing import Final

from opendata_sozial.model.dataset import AREA_LEVELS
from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.services.region_directory import Directory, Region, gemeinde_of
from opendata_sozial.services.regions import Point, RegionProfile
from opendata_sozial.urls import Urls
from opendata_sozial.views.choropleth import Indicator as MapIndicator
from opendata_sozial.views.region_maps import BoundaryShapes
from opendata_sozial.views.region_page import (
    AreaMapChoice,
    AreaMaps,
    LinkedMap,
    linked_map,
)

AREA_TITLES: Final = {
    "stadtbezirk": "Stadtbezirke",
    "stadtteil": "Stadtteile",
    "sozialraum": "Sozialräume",
    "quartier": "Quartiere",
}
AREA_NOTE: Final = "Jede Fläche führt zum Steckbrief ihres Gebiets."
AREA_ANCHOR: Final = "gebiete-karte"
"""The id of the Gemeinde page's section with the map of its own areas."""


def level_title(level: str, gemeinde: str) -> str:
    """„Stadtteile der Gemeinde Münster“."""
    return f"{AREA_TITLES.get(level, level)} der Gemeinde {gemeinde}"


def _listed(levels: Sequence[str]) -> str:
    titles = [AREA_TITLES.get(level, level) for level in levels]
    return titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} und {titles[-1]}"


def level_title_list(levels: Sequence[str], gemeinde: str) -> str:
    """„Stadtbezirke und Stadtteile der Gemeinde Köln“."""
    return f"{_listed(levels)} der Gemeinde {gemeinde}"


def _no_boundaries(title: str) -> str:
    return f"Für die {title} sind keine Grenzen veröffentlicht; eine Karte gibt es deshalb nicht."


def area_place_map(
    boundaries: BoundaryShapes,
    release: ReleaseInfo,
    urls: Urls,
    profile: RegionProfile,
    values: tuple[MapIndicator, Mapping[str, Point]] | None,
) -> tuple[LinkedMap | None, str]:
    """An own area's map (its level in its Gemeinde, outlined), or why there is none."""
    region = profile.region
    gemeinde = gemeinde_of(region.key)
    name = next((p.name for p in profile.parents if p.key == gemeinde), gemeinde)
    title = level_title(region.level, name)
    geometry = boundaries.geometry(release, region.level, [gemeinde])
    shapes = boundaries.shapes(release, region.level, gemeinden=[gemeinde])
    if geometry is None or shapes is None:
        return None, _no_boundaries(title)
    indicator, figures = values if values is not None else (MapIndicator(title), None)
    drawn = linked_map(
        shapes,
        urls,
        figures,
        indicator,
        highlight=region.key,
        note=f"{title}. {AREA_NOTE}" if values is not None else AREA_NOTE,
        attribution=geometry.attribution,
    )
    return drawn, ""


def own_levels(directory: Directory, gemeinde: str) -> list[str]:
    """The own levels a Gemeinde has areas on, top down."""
    held = {
        r.level
        for r in directory.regions.values()
        if r.level in AREA_LEVELS and gemeinde_of(r.key) == gemeinde and r.key != gemeinde
    }
    return [level for level in AREA_LEVELS if level in held]


def gemeinde_area_maps(  # the page's services, the Gemeinde and the level asked for
    boundaries: BoundaryShapes,
    release: ReleaseInfo,
    urls: Urls,
    directory: Directory,
    gemeinde: Region,
    chosen: str | None,
) -> AreaMaps | None:
    """The map of a Gemeinde's own areas at ``chosen``, with links to its other levels.

    Default: the top own level with boundaries; ``None`` for a Gemeinde without own areas.
    """
    levels = own_levels(directory, gemeinde.key)
    if not levels:
        return None
    drawn = [lv for lv in levels if boundaries.geometry(release, lv, [gemeinde.key]) is not None]
    missing = [lv for lv in levels if lv not in drawn]
    if not drawn:
        return AreaMaps(None, [], _no_boundaries(level_title_list(levels, gemeinde.name)))
    level = chosen if chosen in drawn else drawn[0]
    geometry = boundaries.geometry(release, level, [gemeinde.key])
    shapes = boundaries.shapes(release, level, gemeinden=[gemeinde.key])
    if geometry is None or shapes is None:  # pragma: no cover  # checked just above
        return None
    drawn_map = linked_map(
        shapes,
        urls,
        None,
        MapIndicator(level_title(level, gemeinde.name)),
        note=AREA_NOTE,
        id_prefix="gebiete",
        attribution=geometry.attribution,
    )
    choices = [
        AreaMapChoice(
            AREA_TITLES.get(lv, lv),
            f"{urls.region_page(gemeinde.key, gebiete=lv)}#{AREA_ANCHOR}",
            lv == level,
        )
        for lv in drawn
    ]
    note = f"Ohne veröffentlichte Grenzen: {_listed(missing)}." if missing else ""
    return AreaMaps(drawn_map, choices, note)
