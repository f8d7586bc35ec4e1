"""Map shapes of the region pages, projected once per level and width and then kept.

``map_shapes`` takes about 0.6 s for the 396 Gemeinden, so a page must never call it per
request: the app holds one ``BoundaryShapes`` (``web/region_pages.py``) that reads a level's
boundary file on first use and keeps the projected shapes for the life of the process. The
boundaries do not change with a release (they are a file of the deployment, ``ODS_GEOGRAPHY_DIR``).
"""

import threading
from pathlib import Path
from typing import Final

from opendata_sozial.services.boundaries import load_features
from opendata_sozial.views.choropleth import DEFAULT_WIDTH, MapShapes, map_shapes

LEVEL_FILES: Final = {"kreis": "kreise.geojson", "gemeinde": "gemeinden.geojson"}
"""The levels with a boundary file, and its name in ``ODS_GEOGRAPHY_DIR``."""


class BoundaryShapes:
    """Projected boundaries per (level, width), computed on first use, then kept."""

    def __init__(self, directory: Path) -> None:
        """Read boundary files from ``directory`` (``kreise.geojson``, ``gemeinden.geojson``)."""
        self._directory = directory
        self._shapes: dict[tuple[str, int], MapShapes] = {}
        self._lock = threading.Lock()

    def has_level(self, level: str) -> bool:
        """Whether a map of ``level`` can be drawn (its boundary file exists)."""
        return level in LEVEL_FILES and (self._directory / LEVEL_FILES[level]).is_file()

    def shapes(self, level: str, width: int = DEFAULT_WIDTH) -> MapShapes | None:
        """The shapes of ``level`` on a canvas ``width`` wide; ``None`` without a boundary file."""
        if not self.has_level(level):
            return None
        key = (level, width)
        with self._lock:  # one projection per key, even when requests arrive together
            if key not in self._shapes:
                features = load_features(self._directory / LEVEL_FILES[level])
                self._shapes[key] = map_shapes(features, width)
            return self._shapes[key]
