"""Map shapes of the region pages, projected once per boundary file and width, then kept.

The boundaries are those of the request's release, read where the geometry API reads them
(``RegionMapService.geography``: the published geography package), so a page and
``/api/v1/regions/geometry/{level}.geojson`` always draw the same areas. ``map_shapes`` takes
about 0.6 s for the 396 Gemeinden, so a page must never call it per request: the app holds one
``BoundaryShapes`` (``web/region_pages.py``) that keeps the projected shapes per (stored file,
width). A stored file is content-addressed (its hash), and a release never changes, so a new
release with the same boundaries reuses the shapes of the one before. An own level
(Stadtteile …) is drawn for the Gemeinden asked for (its source digest and those Gemeinden are
the key), so a Stadtteil's map shows the Stadtteile of its own city only.
"""

import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Final

from opendata_sozial.errors import OpendataError
from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.services.region_geometry import LevelGeometry
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.views.choropleth import DEFAULT_WIDTH, MapShapes, map_shapes

KEPT_SHAPES: Final = 8
"""Projected (file, width) pairs a process keeps: two levels of a few releases or widths."""


class BoundaryShapes:
    """Projected boundaries per (level file, width) of a release, computed on first use."""

    def __init__(self, maps: RegionMapService) -> None:
        """Read each release's boundaries through ``maps`` (the geography package)."""
        self._maps = maps
        self._shapes: OrderedDict[tuple[str, tuple[str, ...] | None, int], MapShapes] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def has_level(self, release: ReleaseInfo, level: str) -> bool:
        """Whether ``release`` publishes boundaries of ``level`` (nothing is projected)."""
        try:
            return level in self._maps.geography(release).levels
        except OpendataError:
            return False

    def geometry(
        self, release: ReleaseInfo, level: str, gemeinden: Collection[str] | None = None
    ) -> LevelGeometry | None:
        """The boundaries of ``level`` (of ``gemeinden`` only, for an own level), if any."""
        try:
            found = self._maps.geography(release).levels.get(level)
        except OpendataError:
            return None
        if found is not None and gemeinden is not None:
            found = found.within(gemeinden)
        return found if found is not None and found.features else None

    def shapes(
        self,
        release: ReleaseInfo,
        level: str,
        width: int = DEFAULT_WIDTH,
        *,
        gemeinden: Collection[str] | None = None,
    ) -> MapShapes | None:
        """The shapes of ``level`` in ``release`` on a canvas ``width`` wide.

        ``gemeinden`` limits an own level to the areas of those Gemeinden. ``None`` when the
        release has no boundaries of that level there (no geography package, or no region
        directory to tell the levels apart): the page then goes without its map.
        """
        found = self.geometry(release, level, gemeinden)
        if found is None:
            return None
        key = (found.source, found.gemeinden, width)
        with self._lock:  # one projection per key, even when requests arrive together
            if key not in self._shapes:
                features = list(found.features.values())
                self._shapes[key] = map_shapes(features, width, key_field=found.key_field)
                while len(self._shapes) > KEPT_SHAPES:
                    self._shapes.popitem(last=False)
            self._shapes.move_to_end(key)
            return self._shapes[key]
