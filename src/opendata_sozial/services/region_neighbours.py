"""Neighbours of a place: the regions of its level that share a stretch of boundary with it.

Read from the published boundaries (``services/region_geometry.py``, through
``RegionMapService.geography``). The boundary files keep their topology: a border two places
share was simplified once and has the same vertices in both (``scripts/build_geography.py``). So
two places are neighbours exactly when some boundary segment (two consecutive vertices) belongs
to both; places whose boundaries only meet in a point are not. That needs no geometry library and
answers as a polygon intersection would (``tests/test_region_neighbours.py`` compares it with
shapely for every Kreis).

The relation is computed once per release and level, on the first request that needs it, and
kept until another release is served (measured as CPU time of ``shared_boundaries``: 53 Kreise
about 20 ms, 396 Gemeinden 50 to 100 ms; small enough that publish need not store it).
"""

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from opendata_sozial.errors import OpendataError
from opendata_sozial.services.catalog import ReleaseInfo
from opendata_sozial.services.region_directory import Region
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.services.regions import COMPARE_MAX, RegionService

Vertex = tuple[float, float]
Segment = tuple[Vertex, Vertex]
COMPARE_NEIGHBOURS: Final = COMPARE_MAX - 1
"""Neighbours a comparison „mit Nachbarn“ takes beside the place itself."""


def _rings(geometry: Mapping[str, Any]) -> Iterator[Sequence[Sequence[float]]]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    for polygon in polygons:
        yield from polygon


def boundary_segments(geometry: Mapping[str, Any]) -> set[Segment]:
    """The segments of a Polygon's or MultiPolygon's rings, each with its ends in sorted order."""
    segments: set[Segment] = set()
    for ring in _rings(geometry):
        vertices: list[Vertex] = [(p[0], p[1]) for p in ring]
        segments.update(
            (start, end) if start < end else (end, start)
            for start, end in itertools.pairwise(vertices)
            if start != end
        )
    return segments


def shared_boundaries(features: Mapping[str, Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Region key -> the keys whose boundary shares at least one segment with its own."""
    owners: dict[Segment, set[str]] = {}
    for key, feature in features.items():
        for segment in boundary_segments(feature["geometry"]):
            owners.setdefault(segment, set()).add(key)
    found: dict[str, set[str]] = {key: set() for key in features}
    for keys in owners.values():
        if len(keys) > 1:
            for key in keys:
                found[key] |= keys - {key}
    return {key: frozenset(others) for key, others in found.items()}


class RegionNeighbours:
    """The neighbours of places of the release a request reads (kept per release and level)."""

    def __init__(self, maps: RegionMapService, regions: RegionService) -> None:
        """Boundaries come from ``maps``, the places' names and levels from ``regions``."""
        self._maps = maps
        self._regions = regions
        self._kept: dict[tuple[int, str], dict[str, frozenset[str]]] = {}

    def _relation(self, release: ReleaseInfo, level: str) -> dict[str, frozenset[str]]:
        kept = self._kept
        if (release.id, level) in kept:
            return kept[(release.id, level)]
        try:
            features = self._maps.geography(release).level(level).features
        except OpendataError:  # no geography published, or none for this level
            features = {}
        relation = shared_boundaries(features)
        same = {k: v for k, v in kept.items() if k[0] == release.id}
        self._kept = {**same, (release.id, level): relation}  # another release's are dropped
        return relation

    def of(self, release: ReleaseInfo, region: Region) -> list[Region]:
        """The current places of ``region``'s level bordering it, by name; none without bounds."""
        keys = self._relation(release, region.level).get(region.key, frozenset())
        places = self._regions.directory(release).regions
        found = [places[k] for k in keys if k in places and places[k].valid_to is None]
        return sorted(found, key=lambda r: (r.name, r.key))


def compare_keys(region: Region, neighbours: Sequence[Region]) -> list[str]:
    """The keys of a comparison of ``region`` with its first neighbours (at most 10 places)."""
    return [region.key, *(n.key for n in neighbours[:COMPARE_NEIGHBOURS])]
