"""Region pages: ``/regionen`` (search, list, map), the Steckbrief of a place, the comparison.

The pages call the same ``RegionService`` use cases as ``/api/v1/regions`` (search, profile,
compare); ``views.region_page`` lays the results out. The maps draw the boundaries of the
request's release from its geography package, as ``/api/v1/regions/geometry/…`` serves them;
the shapes are projected once per boundary file and width and kept in ``BoundaryShapes`` (never
per request). Everything works as plain
links and GET forms, without JavaScript.
"""

import logging
import threading
from datetime import datetime
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.config.app import AppConfig
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.plugins import InitPlugin
from litestar.response import Redirect, Template

from opendata_sozial.errors import OpendataError, RegionNotFound
from opendata_sozial.formats.citation import citation
from opendata_sozial.formats.place_data import BoundingBox, bounding_box
from opendata_sozial.model.dataset import AREA_LEVELS, REGION_PACKAGE
from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.services.region_directory import Match, Region
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.services.regions import (
    COMPARE_MAX,
    COMPARE_MIN,
    RegionProfile,
    RegionQuery,
    RegionService,
)
from opendata_sozial.urls import Urls
from opendata_sozial.views.area_maps import area_place_map, gemeinde_area_maps
from opendata_sozial.views.choropleth import Indicator as MapIndicator
from opendata_sozial.views.choropleth import MapShapes
from opendata_sozial.views.region_maps import BoundaryShapes
from opendata_sozial.views.region_page import (
    DEFAULT_MAP_DATASET,
    LinkedMap,
    PlaceLink,
    PlaceMaps,
    build_compare_page,
    build_index,
    build_region_page,
    candidate_url,
    chosen_figures,
    default_map_figures,
    linked_map,
    map_choices,
    place_links,
)
from opendata_sozial.web.page_errors import PAGE_EXCEPTION_HANDLERS
from opendata_sozial.web.page_template import render
from opendata_sozial.web.regions import KeyParam, Places, provide_places

logger = logging.getLogger(__name__)

SEARCH_HITS: Final = 50
"""Hits shown on ``/regionen``."""
SEARCH_PAGE_PLACES: Final = 5
"""Places shown above the dataset search results."""
PLACE_QUERY_MIN: Final = 3
"""Shorter search terms name no place there (one letter would list any name holding it)."""
MAP_LEVELS: Final = ("kreis", "gemeinde")
LEVEL_TITLES: Final = {
    "kreis": "Kreise und kreisfreie Städte in Nordrhein-Westfalen",
    "gemeinde": "Gemeinden in Nordrhein-Westfalen",
}
CITATION_ZONE: Final = ZoneInfo("Europe/Berlin")
"""Citations name the access date in the publisher's time zone (as the dataset pages do)."""
AREA_NOTE: Final = "Jede Fläche führt zum Steckbrief ihres Gebiets."


def _missing(request: Request[Any, Any, Any], urls: Urls, error: RegionNotFound) -> Template:
    """The German 404 page of an unknown region key, with the region search."""
    detail = str(error).split(";", 1)[0]
    return render(
        request, "region_missing.html.j2", 404, detail=detail, search_url=urls.regions_page()
    )


def places_matching(
    regions: RegionService, release: ReleaseInfo, urls: Urls, q: str
) -> list[PlaceLink]:
    """The first places whose name, name variant or key matches ``q`` (for the dataset search).

    A missing region directory (``nrw-regionen`` not published) gives no places, not an error:
    the dataset search must work without it.
    """
    if len(q.strip()) < PLACE_QUERY_MIN:
        return []
    try:
        page = regions.search(release, RegionQuery(q=q, size=SEARCH_PAGE_PLACES))
    except OpendataError:
        return []
    return place_links(page.hits, urls)


def _level_map(
    shapes: MapShapes | None,
    urls: Urls,
    level: str,
    values: tuple[MapIndicator, Any] | None,
    highlight: str | None = None,
) -> LinkedMap | None:
    if shapes is None:
        return None
    if values is None:
        return linked_map(
            shapes,
            urls,
            None,
            MapIndicator(LEVEL_TITLES[level]),
            highlight=highlight,
            note=AREA_NOTE,
        )
    indicator, figures = values
    return linked_map(shapes, urls, figures, indicator, highlight=highlight, note=AREA_NOTE)


def _candidates(
    regions: RegionService, release: ReleaseInfo, ort: str, chosen: list[Region]
) -> list[Match]:
    """The places ``ort`` names, not chosen yet; those of the first place's level if any.

    „Bochum“ names the kreisfreie Stadt and its Gemeinde; beside Kreise the Kreis is meant.
    """
    keys = {r.key for r in chosen}
    found = [
        m
        for m in regions.search(release, RegionQuery(q=ort, size=20)).hits
        if m.region.key not in keys
    ]
    same = [m for m in found if chosen and m.region.level == chosen[0].level]
    return same or found


class RegionPageController(Controller):
    """The region pages in German; every state is a URL."""

    path = "/regionen"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS  # Litestar's class attribute
    dependencies = {"places": Provide(provide_places, sync_to_thread=False)}  # noqa: RUF012

    @get("/", name="page-regions", sync_to_thread=True)
    def regions_index(
        self,
        request: Request[Any, Any, Any],
        places: NamedDependency[Places],
        boundaries: NamedDependency[BoundaryShapes],
        q: Annotated[str, QueryParameter(required=False, max_length=200)] = "",
        ebene: Annotated[str, QueryParameter(required=False)] = "kreis",
    ) -> Template:
        """Search box with hits, Regierungsbezirke with their Kreise, the map of a level."""
        urls, regions, info = places.urls, places.regions, places.info()
        level = ebene if ebene in MAP_LEVELS else "kreis"
        hits, total = None, 0
        if q.strip():
            page = regions.search(info, RegionQuery(q=q, size=SEARCH_HITS))
            hits, total = page.hits, page.total
        values = None
        if level == "kreis":
            values = default_map_figures(regions.level_figures(info, "kreis", DEFAULT_MAP_DATASET))
        view = build_index(
            regions.directory(info),
            urls,
            q=q,
            hits=hits,
            total=total,
            level=level,
            level_map=_level_map(boundaries.shapes(info, level), urls, level, values),
        )
        return render(request, "regions.html.j2", view=view)

    @get("/vergleich", name="page-region-compare", sync_to_thread=True)
    def compare(
        self,
        request: Request[Any, Any, Any],
        places: NamedDependency[Places],
        keys: Annotated[str, QueryParameter(required=False, max_length=200)] = "",
        ort: Annotated[str, QueryParameter(required=False, max_length=200)] = "",
    ) -> Template | Redirect:
        """2 to 10 places side by side; ``ort`` adds a place found by name or key."""
        urls, regions, info = places.urls, places.regions, places.info()
        chosen = list(dict.fromkeys(k.strip() for k in keys.split(",") if k.strip()))
        directory = regions.directory(info)
        unknown = next((k for k in chosen if k not in directory.regions), None)
        if unknown is not None:
            return _missing(
                request,
                urls,
                RegionNotFound(f"Region {unknown!r} gibt es im Regionalverzeichnis nicht"),
            )
        candidates, message = [], ""
        if ort.strip():
            fresh = _candidates(regions, info, ort, [directory.regions[k] for k in chosen])
            if len(chosen) >= COMPARE_MAX:
                message = f"Es lassen sich höchstens {COMPARE_MAX} Orte vergleichen."
            elif len(fresh) == 1:
                return Redirect(candidate_url(chosen, fresh[0].region.key, urls), status_code=303)
            elif not fresh:
                message = f"Kein weiterer Ort passt zu „{ort}“."
            else:
                candidates = fresh
                message = f"Mehrere Orte passen zu „{ort}“; bitte wählen Sie einen aus."
        comparison = regions.compare(info, chosen) if len(chosen) >= COMPARE_MIN else None
        view = build_compare_page(
            comparison,
            [directory.regions[k] for k in chosen],
            urls,
            max_places=COMPARE_MAX,
            candidates=candidates,
            message=message,
            ort=ort,
        )
        return render(request, "region_compare.html.j2", view=view)

    @get("/{key:str}", name="page-region", sync_to_thread=True)
    def region(
        self,
        request: Request[Any, Any, Any],
        places: NamedDependency[Places],
        boundaries: NamedDependency[BoundaryShapes],
        key: KeyParam,
        indikator: Annotated[str | None, QueryParameter(required=False, max_length=200)] = None,
        gebiete: Annotated[str | None, QueryParameter(required=False, max_length=40)] = None,
    ) -> Template:
        """The Steckbrief: facts, indicators with charts and table, map, neighbours, sources.

        ``gebiete``: the own level (Stadtteile …) whose map a Gemeinde's page shows.
        """
        urls, regions, info = places.urls, places.regions, places.info()
        try:
            profile = regions.profile(info, key)
        except RegionNotFound as error:
            return _missing(request, urls, error)
        choices = map_choices(profile, indikator)
        level = profile.region.level
        values = chosen_figures(profile, choices)
        level_map, map_note = None, ""
        if level in MAP_LEVELS:
            shapes = boundaries.shapes(info, level)
            level_map = _level_map(shapes, urls, level, values, highlight=key)
        elif level in AREA_LEVELS:
            level_map, map_note = area_place_map(boundaries, info, urls, profile, values)
        directory = regions.directory(info)
        area_maps = (
            gemeinde_area_maps(boundaries, info, urls, directory, profile.region, gebiete)
            if level == "gemeinde"
            else None
        )
        view = build_region_page(
            profile,
            directory.children.get(key, []),
            urls,
            maps=PlaceMaps(level_map, choices, map_note, area_maps),
            neighbours=places.neighbours.of(info, profile.region),
            box=_box(places, info, key),
            citations=_citations(places, info, profile),
            licences=_licences(places, info, profile),
        )
        return render(request, "region.html.j2", view=view)


def _box(places: Places, release: ReleaseInfo, key: str) -> BoundingBox | None:
    """The place's bounding box, if its level has published boundaries."""
    try:
        _, feature = places.maps.region_feature(release, key)
    except (OpendataError, KeyError):  # no geography, none for this level or this unit
        return None
    return bounding_box(feature["geometry"])


def _citations(places: Places, release: ReleaseInfo, profile: RegionProfile) -> list[str]:
    """How to cite each dataset the profile draws on (plain text, accessed today in Berlin)."""
    names = dict.fromkeys(i.indicator.table.dataset for i in profile.indicators)
    today = datetime.now(CITATION_ZONE).date()
    return [
        citation(
            places.catalog.get_dataset(release, name), release.number, places.urls, today, "text"
        )
        for name in names
    ]


def _licences(
    places: Places, release: ReleaseInfo, profile: RegionProfile
) -> list[tuple[str, str | None]]:
    """The licences of the profile's datasets (else the region directory's)."""
    names = list(dict.fromkeys(i.indicator.table.dataset for i in profile.indicators))
    return places.catalog.licences(release, names or [REGION_PACKAGE[0]])


WARM_UP_GRACE_SECONDS: Final = 30.0
"""How long a shutdown waits for the start's warm-up to finish."""


class RegionPagesPlugin(InitPlugin):
    """Adds the region pages and the kept map shapes to the app."""

    def __init__(self, maps: RegionMapService) -> None:
        """Boundaries are read through ``maps`` (each release's geography package) on first use."""
        self._maps = maps
        self._boundaries = BoundaryShapes(maps)
        self._warmed = threading.Event()

    def _warm_up(self) -> None:
        """The current release's first-request work (tables, places, map shapes), done now.

        ``app.state.regions_warmed`` is set when it has finished (or given up), for whoever
        must know that no background query is still running (tests that count queries).
        """
        try:
            release = self._maps.prepare_current()
            for level in MAP_LEVELS:
                self._boundaries.shapes(release, level)
        except OpendataError as reason:  # nothing (or no regions) published yet: expected
            logger.info("regions.warm-up-skipped", extra={"reason": str(reason)})
        except Exception:  # best effort: a request does the same work and reports
            logger.warning("regions.warm-up-failed", exc_info=True)
        else:
            logger.info("regions.warm-up-done", extra={"release": release.number})
        finally:
            self._warmed.set()

    def _start_warm_up(self) -> None:
        threading.Thread(target=self._warm_up, name="regions-warm-up", daemon=True).start()

    def _finish_warm_up(self) -> None:
        """Let a running warm-up end before the engine is disposed of.

        Its connection then goes back to the pool instead of being dropped open; a stuck
        warm-up is not waited for long.
        """
        self._warmed.wait(WARM_UP_GRACE_SECONDS)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Register the controller and the ``boundaries`` dependency."""
        boundaries = self._boundaries

        def provide_boundaries() -> BoundaryShapes:
            return boundaries

        app_config.route_handlers.append(RegionPageController)
        app_config.dependencies["boundaries"] = Provide(provide_boundaries, sync_to_thread=False)
        app_config.on_startup.append(self._start_warm_up)  # in the background: starts at once
        app_config.on_shutdown.insert(0, self._finish_warm_up)  # before the engine goes
        app_config.state["regions_warmed"] = self._warmed
        return app_config
