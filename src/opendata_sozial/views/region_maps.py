"""Map shapes of the region pages, projected once per boundary file and width, then kept.

The boundaries are those of the request's release, read where the geometry API reads them
(``RegionMapService.geography``: the published geography package), so a page and
``/api/v1/regions/geometry/{level}.geojson`` always draw the same areas. ``map_shapes`` takes
about 0.6 s for the 396 Gemeinden, so a page must never call it per request: the app holds one
``BoundaryShapes`` (``web/region_pages.py``) that keeps the projected shapes per (stored file,
width). A stored file is content-addressed (its hash), and a release never changes, so a new
release with the same boundaries reuses the shapes of the one before.
"""

import threading
from collections import OrderedDict
from typing import Final

from opendata_sozial.errors import OpendataError
from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.views.choropleth import DEFAULT_WIDTH, MapShapes, map_shapes

KEPT_SHAPES: Final = 8
"""Projected (file, width) pairs a process keeps: two levels of a few releases or widths."""


class BoundaryShapes:
    """Projected boundaries per (level file, width) of a release, computed on first use."""

    def __init__(self, maps: RegionMapService) -> None:
        """Read each release's boundaries through ``maps`` (the geography package)."""
        self._maps = maps
        self._shapes: OrderedDict[tuple[str, int], MapShapes] = OrderedDict()
        self._lock = threading.Lock()

    def has_level(self, release: ReleaseInfo, level: str) -> bool:
        """Whether ``release`` publishes boundaries of ``level`` (nothing is projected)."""
        try:
            return level in self._maps.geography(release).levels
        except OpendataError:
            return False

    def shapes(
        self, release: ReleaseInfo, level: str, width: int = DEFAULT_WIDTH
    ) -> MapShapes | None:
        """The shapes of ``level`` in ``release`` on a canvas ``width`` wide.

        ``None`` when the release has no boundaries of that level (no geography package, or
        no region directory to tell the levels apart): the page then goes without its map.
        """
        try:
            geography = self._maps.geography(release)
        except OpendataError:
            return None
        found = geography.levels.get(level)
        if found is None:
            return None
        key = (found.file.hash, width)
        with self._lock:  # one projection per key, even when requests arrive together
            if key not in self._shapes:
                self._shapes[key] = map_shapes(list(found.features.values()), width)
                while len(self._shapes) > KEPT_SHAPES:
                    self._shapes.popitem(last=False)
            self._shapes.move_to_end(key)
            return self._shapes[key]
