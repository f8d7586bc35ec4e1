"""House rules on a municipality's own areas (a geography package with ``x_areas``).

A geography package of own areas holds the table ``gebiete`` (``schluessel``, ``name``,
``ebene``, ``uebergeordnet``, ``gueltig_ab``, ``gueltig_bis``) and, optionally, a GeoJSON
resource (named in ``x_areas.geometry``) whose features carry ``properties.schluessel``.
The rules (docs/areas.md):

- a key is ``<AGS of the Gemeinde>-<code>``, the code of lower-case letters, digits and
  hyphens, at most ``MAX_KEY`` characters in all (``05315000-609``); it is unique in the table;
- the level is one of ``AREA_LEVELS``; the parent is an area of the table on a higher level
  or the Gemeinde itself (an 8-digit AGS of ``nrw-regionen``), and the key starts with the AGS
  of the Gemeinde its parents lead to;
- every geometry is valid (self-intersections are named, never repaired) and lies inside its
  parent's geometry within ``OWN_TOLERANCE_M`` (a parent of the package) or
  ``OFFICIAL_TOLERANCE_M`` (the Gemeinde's simplified boundary from a published geography such
  as ``nrw-geometrie``); a parent without geometry is not compared. Duplicate and unknown keys
  of the features are ``geometry_rules``' findings (the foreign key onto ``gebiete``).
"""

import csv
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from opendata_sozial.domain import Issue
from opendata_sozial.ingest.package import PackageSource, descriptor_issue
from opendata_sozial.ingest.resource_rules import resource_file, resource_issue
from opendata_sozial.model.dataset import AREA_KEY, AREA_LEVELS, AREA_RESOURCE

AREA_FIELDS: Final = (AREA_KEY, "name", "ebene", "uebergeordnet", "gueltig_ab", "gueltig_bis")
MAX_KEY: Final = 40
KEY_PATTERN: Final = re.compile(r"(\d{8})-[0-9a-z]+(?:-[0-9a-z]+)*")
OWN_TOLERANCE_M: Final = 5.0
"""How far an area may reach beyond a parent of the same package (rounding of shared borders)."""
OFFICIAL_TOLERANCE_M: Final = 100.0
"""How far an area may reach beyond its Gemeinde's boundary (simplified with 80 m tolerance)."""
OFFICIAL_PACKAGE: Final = "nrw-regionen"
_METRES_PER_DEGREE: Final = 111_320.0
_REASONS: Final = {
    "Self-intersection": "Selbstüberschneidung",
    "Ring Self-intersection": "Ring überschneidet sich selbst",
    "Too few points in geometry component": "zu wenige Punkte",
    "Hole lies outside shell": "Loch liegt außerhalb der Außengrenze",
    "Nested shells": "verschachtelte Außengrenzen",
    "Interior is disconnected": "Innenfläche ist zerteilt",
    "Duplicate Rings": "doppelte Ringe",
}
KEY_HINT: Final = (
    f"gültig: <AGS der Gemeinde>-<Kennung> aus Kleinbuchstaben, Ziffern und Bindestrichen, "
    f"höchstens {MAX_KEY} Zeichen, z. B. 05315000-609"
)


@dataclass(frozen=True, slots=True)
class Area:
    """One row of ``gebiete``."""

    row: int
    key: str
    name: str
    level: str
    parent: str


def is_area_package(pkg: PackageSource) -> bool:
    """Whether the package declares own areas (``x_areas``)."""
    return isinstance(pkg.descriptor.get("x_areas"), dict)


def check_areas(pkg: PackageSource, known: Mapping[str, PackageSource]) -> list[Issue]:
    """Every fault of the area table and of the area boundaries of ``pkg`` (none: no areas)."""
    if not is_area_package(pkg):
        return []
    table = next((r for r in pkg.resources() if r.get("name") == AREA_RESOURCE), None)
    file = resource_file(pkg, table) if table is not None else None
    fields = _field_names(table)
    if table is None or file is None or not set(AREA_FIELDS) <= fields:
        message = f"x_areas verlangt die Tabelle {AREA_RESOURCE!r} mit den Feldern {', '.join(AREA_FIELDS)}"
        return [descriptor_issue(pkg, "x_areas", message, "Tabelle ergänzen", "areas-table")]
    areas, issues = _read_areas(pkg, table, file)
    official = _official(known)
    issues += list(_check_rows(pkg, table, areas, official))
    geometry = pkg.descriptor["x_areas"].get("geometry")
    if geometry is not None:
        issues += _check_boundaries(pkg, str(geometry), areas, known)
    return issues


def _field_names(table: dict[str, Any] | None) -> set[str]:
    schema = table.get("schema") if table else None
    fields = schema.get("fields") if isinstance(schema, dict) else None
    return {str(f.get("name")) for f in fields if isinstance(f, dict)} if fields else set()


def _read_areas(
    pkg: PackageSource, table: dict[str, Any], file: Path
) -> tuple[dict[str, Area], list[Issue]]:
    areas: dict[str, Area] = {}
    issues: list[Issue] = []
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return areas, issues  # unreadable files are the file rules' finding
    for number, row in enumerate(rows, start=2):
        area = Area(
            number,
            row.get(AREA_KEY) or "",
            row.get("name") or "",
            row.get("ebene") or "",
            row.get("uebergeordnet") or "",
        )
        if area.key in areas:
            message = (
                f"Schlüssel {area.key!r} kommt mehrfach vor (zuerst in Zeile {areas[area.key].row})"
            )
            hint = "jedem Gebiet einen eigenen Schlüssel geben, über alle Ebenen hinweg"
            issues.append(
                _row_issue(pkg, table, area, AREA_KEY, message, hint, "area-key-duplicate")
            )
            continue
        areas[area.key] = area
    return areas, issues


def _row_issue(  # where and what: one parameter per fact
    pkg: PackageSource,
    table: dict[str, Any],
    area: Area,
    field: str,
    message: str,
    hint: str,
    code: str,
) -> Issue:
    value = area.key if field == AREA_KEY else getattr(area, _ATTRIBUTES[field])
    return resource_issue(pkg, table, message, hint, code, field, row=area.row, value=value)


_ATTRIBUTES: Final = {"ebene": "level", "uebergeordnet": "parent"}


def _official(known: Mapping[str, PackageSource]) -> dict[str, str]:
    """Official key -> level, from ``nrw-regionen`` (empty when it is not at hand)."""
    reference = known.get(OFFICIAL_PACKAGE)
    if reference is None:
        return {}
    try:
        with (reference.folder / "data" / "regionen.csv").open(encoding="utf-8") as handle:
            return {row["ags"]: row["ebene"] for row in csv.DictReader(handle)}
    except (OSError, KeyError, csv.Error):
        return {}


def _rank(level: str) -> int:
    return AREA_LEVELS.index(level) if level in AREA_LEVELS else len(AREA_LEVELS)


def _check_rows(
    pkg: PackageSource, table: dict[str, Any], areas: dict[str, Area], official: dict[str, str]
) -> Iterator[Issue]:
    for area in areas.values():
        if not KEY_PATTERN.fullmatch(area.key) or len(area.key) > MAX_KEY:
            message = f"Schlüssel {area.key!r} ist ungültig"
            yield _row_issue(pkg, table, area, AREA_KEY, message, KEY_HINT, "area-key-invalid")
        if area.level not in AREA_LEVELS:
            message = f"Ebene {area.level!r} ist unbekannt"
            hint = f"gültig: {', '.join(AREA_LEVELS)} (von oben nach unten)"
            yield _row_issue(pkg, table, area, "ebene", message, hint, "area-level-unknown")
        problem = _parent_problem(area, areas, official)
        if problem is not None:
            message, hint = problem
            yield _row_issue(pkg, table, area, "uebergeordnet", message, hint, "area-parent")
            continue
        gemeinde = _gemeinde(area, areas)
        if official.get(gemeinde or "") == "gemeinde" and not area.key.startswith(f"{gemeinde}-"):
            message = f"Schlüssel {area.key!r} beginnt nicht mit dem AGS seiner Gemeinde {gemeinde}"
            yield _row_issue(pkg, table, area, AREA_KEY, message, KEY_HINT, "area-key-prefix")


def _parent_problem(
    area: Area, areas: dict[str, Area], official: dict[str, str]
) -> tuple[str, str] | None:
    parent = areas.get(area.parent)
    if parent is not None:
        if _rank(parent.level) >= _rank(area.level) and area.level in AREA_LEVELS:
            return (
                f"übergeordnetes Gebiet {area.parent!r} hat die Ebene {parent.level!r}, "
                f"die nicht über {area.level!r} liegt",
                f"Reihenfolge der Ebenen: {' > '.join(AREA_LEVELS)}",
            )
        return None
    level = official.get(area.parent)
    if level == "gemeinde":
        return None
    if level is not None:
        return (
            f"übergeordnetes Gebiet {area.parent!r} ist eine Einheit der Ebene {level!r}",
            "die oberste eigene Ebene liegt direkt unter der Gemeinde (8-stelliger AGS)",
        )
    return (
        f"übergeordnetes Gebiet {area.parent!r} gibt es weder in {AREA_RESOURCE} "
        f"noch als amtlichen Schlüssel in {OFFICIAL_PACKAGE}",
        "Schlüssel eines Gebiets dieser Tabelle oder den AGS der Gemeinde angeben",
    )


def _gemeinde(area: Area, areas: dict[str, Area]) -> str | None:
    """The Gemeinde the parents of ``area`` lead to (``None``: a parent is missing)."""
    seen = {area.key}
    parent = area.parent
    while parent in areas and parent not in seen:
        seen.add(parent)
        parent = areas[parent].parent
    return None if parent in areas else parent


# Boundaries


def _check_boundaries(
    pkg: PackageSource, resource: str, areas: dict[str, Area], known: Mapping[str, PackageSource]
) -> list[Issue]:
    res = next((r for r in pkg.resources() if r.get("name") == resource), None)
    file = resource_file(pkg, res) if res is not None else None
    if res is None or file is None or not file.is_file():
        message = f"x_areas.geometry nennt {resource!r}, aber keine solche GeoJSON-Ressource"
        return [
            descriptor_issue(
                pkg,
                "x_areas.geometry",
                message,
                "Ressource ergänzen oder Angabe streichen",
                "areas-geometry",
            )
        ]
    shapes = _shapes(file)
    if shapes is None:
        return []  # not a FeatureCollection: geometry_rules names that
    valid, issues = _valid_shapes(pkg, res, shapes)
    gemeinden = {_gemeinde(a, areas) for a in areas.values()}
    official = _official_shapes(known, {g for g in gemeinden if g})
    for number, key, geometry in shapes:
        area = areas.get(key)
        if area is None or geometry is None or valid.get(key) is not geometry:
            continue
        outer, tolerance = valid.get(area.parent), OWN_TOLERANCE_M
        if outer is None and area.parent in official:
            outer, tolerance = official[area.parent], OFFICIAL_TOLERANCE_M
        share = 0.0 if outer is None else _outside_share(geometry, outer, tolerance)
        if share > 0:
            message = (
                f"Feature {number} ({AREA_KEY} {key}): {_percent(share)} der Fläche liegen "
                f"außerhalb des übergeordneten Gebiets {area.parent} (Toleranz {tolerance:g} m)"
            )
            hint = "Grenze berichtigen oder das richtige übergeordnete Gebiet angeben"
            code = "area-outside-parent"
            issues.append(resource_issue(pkg, res, message, hint, code, AREA_KEY, value=key))
    return issues


Shapes = list[tuple[int, str, BaseGeometry | None]]
"""(feature number, key, polygon or ``None``) of each feature with a key."""


def _valid_shapes(
    pkg: PackageSource, res: dict[str, Any], shapes: Shapes
) -> tuple[dict[str, BaseGeometry], list[Issue]]:
    """The valid polygons by key (the first of a key) and an issue for each invalid one."""
    issues: list[Issue] = []
    valid: dict[str, BaseGeometry] = {}
    for number, key, geometry in shapes:
        if geometry is None or key in valid:
            continue  # no polygon or a second geometry: geometry_rules names it
        reason = explain_validity(geometry)
        if reason == "Valid Geometry":
            valid[key] = geometry
            continue
        message = f"Feature {number} ({AREA_KEY} {key}): Geometrie ungültig: {_german(reason)}"
        hint = "Geometrie in der Quelle berichtigen; sie wird nicht repariert"
        code = "area-geometry-invalid"
        issues.append(resource_issue(pkg, res, message, hint, code, AREA_KEY, value=key))
    return valid, issues


def _german(reason: str) -> str:
    """``Self-intersection[6.9 50.9]`` -> ``Selbstüberschneidung bei (6.9, 50.9)``."""
    match = re.fullmatch(r"(.*?)\[([-\d.e]+) ([-\d.e]+)\]", reason)
    if match is None:
        return _REASONS.get(reason, reason)
    text, x, y = match.groups()
    return f"{_REASONS.get(text, text)} bei ({float(x):.6g}, {float(y):.6g})"


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".", ",") if share >= 0.001 else "weniger als 0,1 %"


def _shapes(file: Path) -> Shapes | None:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        return None
    found: Shapes = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        key = props.get(AREA_KEY) if isinstance(props, dict) else None
        if isinstance(key, str):
            found.append((number, key, _polygon(feature.get("geometry"))))
    return found


def _polygon(geometry: object) -> BaseGeometry | None:
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    try:
        return shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError):
        return None  # malformed coordinates: geometry_rules names them


def _official_shapes(
    known: Mapping[str, PackageSource], gemeinden: set[str]
) -> dict[str, BaseGeometry]:
    """The boundaries of ``gemeinden`` from any known GeoJSON resource keyed by ``ags``."""
    found: dict[str, BaseGeometry] = {}
    for pkg in known.values():
        if is_area_package(pkg):
            continue
        for res in pkg.resources():
            file = resource_file(pkg, res) if res.get("format") == "geojson" else None
            if file is None or not file.is_file():
                continue
            for feature in _ags_features(file):
                key = feature["properties"].get("ags")
                if key in gemeinden and key not in found:
                    polygon = _polygon(feature.get("geometry"))
                    if polygon is not None:
                        found[key] = shapely.make_valid(polygon)
    return found


def _ags_features(file: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return []
    features = data.get("features") if isinstance(data, dict) else None
    return [
        f for f in features or [] if isinstance(f, dict) and isinstance(f.get("properties"), dict)
    ]


def _outside_share(inner: BaseGeometry, outer: BaseGeometry, tolerance: float) -> float:
    """The share of ``inner``'s area beyond ``outer`` grown by ``tolerance`` metres.

    Both are projected to metres around ``outer``'s centre (equirectangular; enough for the
    few kilometres of a municipality).
    """
    scale = [_METRES_PER_DEGREE * math.cos(math.radians(outer.centroid.y)), _METRES_PER_DEGREE]
    inner_m = shapely.transform(inner, lambda xy: xy * scale)
    outer_m = shapely.transform(outer, lambda xy: xy * scale)
    if inner_m.area <= 0:
        return 0.0
    outside = inner_m.difference(outer_m.buffer(tolerance)).area
    return float(outside / inner_m.area) if outside > 1.0 else 0.0


__all__ = [
    "AREA_FIELDS",
    "AREA_LEVELS",
    "OFFICIAL_TOLERANCE_M",
    "OWN_TOLERANCE_M",
    "check_areas",
    "is_area_package",
]
