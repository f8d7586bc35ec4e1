"""Map geometry: project WGS84 polygons onto an SVG canvas and write compact path strings.

Projection: equirectangular with the longitude scaled by cos(mean latitude) of the drawn
areas (for NRW, about 51.5°), which keeps shapes true enough at the scale of one Land; north
is up. The bounding box of all features is fitted into ``width`` minus a margin; the height
follows from the aspect ratio.

Coordinates are rounded to 0.1 px (kept as integers in tenths, so relative path steps are
exact). Then every border is simplified in screen space (Douglas-Peucker, default 0.3 px)
*with topology kept*: rings are cut at junctions (points where the neighbours differ between
the rings that share them), and each piece between two junctions is simplified in one
canonical direction, so a border shared by two areas is simplified identically in both and
no gaps or overlaps appear. A ring that would fall below three points keeps its rounded
points. Paths are written with relative steps and no redundant separators
(``M12.3 4l1.2-.5.7 1z``).
"""

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[int, int]
"""A point on the canvas in tenths of a pixel."""

Ring = list[Point]

TENTHS = 10
DEFAULT_TOLERANCE = 0.3
"""Douglas-Peucker tolerance in pixels: below what a screen shows."""


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude to canvas pixels; ``width`` and ``height`` of the canvas."""

    west: float
    north: float
    x_factor: float
    scale: float
    margin: float
    width: float
    height: float

    def point(self, lon: float, lat: float) -> Point:
        """The canvas point of ``lon, lat`` in tenths of a pixel."""
        x = self.margin + (lon - self.west) * self.x_factor * self.scale
        y = self.margin + (self.north - lat) * self.scale
        return round(x * TENTHS), round(y * TENTHS)


def polygons(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    """The polygons (each a list of rings of ``[lon, lat]``) of a Polygon or MultiPolygon."""
    coordinates = geometry["coordinates"]
    return [coordinates] if geometry["type"] == "Polygon" else list(coordinates)


def _positions(features: Sequence[Mapping[str, Any]]) -> Iterator[Sequence[float]]:
    for feature in features:
        for polygon in polygons(feature["geometry"]):
            for ring in polygon:
                yield from ring


def fit(features: Sequence[Mapping[str, Any]], width: float, margin: float = 4) -> Projection:
    """The projection that fits every feature into ``width`` pixels (``margin`` on each side)."""
    lons, lats = zip(*((p[0], p[1]) for p in _positions(features)), strict=True)
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    x_factor = math.cos(math.radians((south + north) / 2))
    inner = width - 2 * margin
    scale = inner / ((east - west) * x_factor)
    height = math.ceil((north - south) * scale + 2 * margin)
    return Projection(west, north, x_factor, scale, margin, width, height)


def project(feature: Mapping[str, Any], projection: Projection) -> list[Ring]:
    """The rings of a feature on the canvas, without repeated points or closing point."""
    rings = []
    for polygon in polygons(feature["geometry"]):
        for positions in polygon:
            ring: Ring = []
            for position in positions:
                point = projection.point(position[0], position[1])
                if not ring or ring[-1] != point:
                    ring.append(point)
            if len(ring) > 1 and ring[0] == ring[-1]:
                ring.pop()
            if len(ring) >= 3:
                rings.append(ring)
    return rings


# Simplification with shared borders kept shared


def junctions(all_rings: Sequence[Sequence[Ring]]) -> set[Point]:
    """Points whose neighbours differ between (or within) the rings that pass through them."""
    neighbours: dict[Point, set[frozenset[Point]]] = defaultdict(set)
    for rings in all_rings:
        for ring in rings:
            for i, point in enumerate(ring):
                neighbours[point].add(frozenset((ring[i - 1], ring[(i + 1) % len(ring)])))
    return {point for point, pairs in neighbours.items() if len(pairs) > 1}


def _distance(point: Point, start: Point, end: Point) -> float:
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    if length == 0:
        return math.hypot(px - ax, py - ay)
    return abs(dy * px - dx * py + bx * ay - by * ax) / length


def douglas_peucker(line: Sequence[Point], tolerance: float) -> list[Point]:
    """The points of ``line`` Douglas-Peucker keeps at ``tolerance`` (first and last always)."""
    keep = [False] * len(line)
    keep[0] = keep[-1] = True
    stack = [(0, len(line) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            distance = _distance(line[i], line[first], line[last])
            if distance > farthest:
                farthest, index = distance, i
        if index > 0 and farthest > tolerance:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [point for point, kept in zip(line, keep, strict=True) if kept]


def _simplify_piece(piece: list[Point], tolerance: float) -> list[Point]:
    """Simplify one piece between junctions the same way whichever direction it is walked."""
    is_reversed = piece[-1] < piece[0] or (piece[-1] == piece[0] and piece[-2] < piece[1])
    canonical = piece[::-1] if is_reversed else piece
    simplified = douglas_peucker(canonical, tolerance)
    return simplified[::-1] if is_reversed else simplified


def simplify_ring(ring: Ring, cuts: set[Point], tolerance: float) -> Ring:
    """``ring`` simplified piece by piece between its junctions (``cuts``)."""
    starts = [i for i, point in enumerate(ring) if point in cuts]
    if not starts:
        first = ring.index(min(ring))
        rotated = ring[first:] + ring[:first]
        pieces = [[*rotated, rotated[0]]]
    else:
        rotated = ring[starts[0] :] + ring[: starts[0]]
        bounds = [i - starts[0] for i in starts] + [len(ring)]
        closed = [*rotated, rotated[0]]
        pieces = [closed[a : b + 1] for a, b in itertools.pairwise(bounds)]
    result: Ring = []
    for piece in pieces:
        result.extend(_simplify_piece(piece, tolerance)[:-1])
    return result if len(set(result)) >= 3 else ring


def path_data(rings: Sequence[Ring]) -> str:
    """SVG path data of the rings: an absolute start, relative steps, ``z`` per ring."""
    parts = []
    for ring in rings:
        numbers = [_tenths(ring[0][0]), _tenths(ring[0][1])]
        steps = [
            _tenths(value)
            for a, b in itertools.pairwise(ring)
            for value in (b[0] - a[0], b[1] - a[1])
        ]
        parts.append(f"M{_join(numbers)}l{_join(steps)}z" if steps else f"M{_join(numbers)}z")
    return "".join(parts)


def _tenths(value: int) -> str:
    """``123`` -> ``12.3``, ``-5`` -> ``-.5``, ``40`` -> ``4``."""
    sign = "-" if value < 0 else ""
    whole, tenth = divmod(abs(value), TENTHS)
    if not tenth:
        return f"{sign}{whole}"
    return f"{sign}{whole or ''}.{tenth}"


def _join(numbers: Sequence[str]) -> str:
    """Numbers with a space only where the next one could be read as part of the last."""
    text = ""
    last = ""
    for number in numbers:
        needs_space = (
            text and not number.startswith("-") and not (number.startswith(".") and "." in last)
        )
        text += f" {number}" if needs_space else number
        last = number
    return text


def svg_rings(
    features: Sequence[Mapping[str, Any]],
    projection: Projection,
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[list[Ring]]:
    """The projected, jointly simplified rings of every feature (in feature order)."""
    projected = [project(feature, projection) for feature in features]
    cuts = junctions(projected)
    steps = tolerance * TENTHS
    return [[simplify_ring(ring, cuts, steps) for ring in rings] for rings in projected]
