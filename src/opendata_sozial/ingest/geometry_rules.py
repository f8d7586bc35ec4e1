"""House rules on boundary files (GeoJSON and TopoJSON resources): a light, exact check.

A GeoJSON resource is a FeatureCollection of Polygon or MultiPolygon features whose key
property (the field of the package's foreign key on that resource, else ``ags``) is a text,
unique, and found in the referenced column (usually ``nrw-regionen``'s keys). Rings are closed,
have at least four positions and hold longitude/latitude numbers. Whether rings cross is not
checked here (``scripts/build_geography.py`` and ``tests/test_geography.py`` check that with
shapely). A TopoJSON resource is a Topology whose geometries name existing arcs, with ids
unique per object.
"""

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from opendata_sozial.domain import Issue
from opendata_sozial.ingest.package import PackageSource
from opendata_sozial.ingest.resource_rules import resource_issue

MAX_GEOMETRY_BYTES = 64 << 20
"""Largest boundary file read; the shipped ones have under 1 MB."""
MAX_FAULTS = 20
"""Faults named per file; the rest are counted."""
KeySets = Mapping[tuple[str, str, str], frozenset[str]]


def check_geometry(
    pkg: PackageSource, res: dict[str, Any], file: Path, key_sets: KeySets
) -> list[Issue]:
    """Every fault of one boundary file (the first ``MAX_FAULTS`` named, the rest counted)."""
    if file.stat().st_size > MAX_GEOMETRY_BYTES:
        return [
            resource_issue(
                pkg,
                res,
                f"die Datei hat {file.stat().st_size} Byte, höchstens {MAX_GEOMETRY_BYTES} werden gelesen",
                "Geometrie vereinfachen oder auf mehrere Ressourcen verteilen",
                "geometry-invalid",
            )
        ]
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return [
            resource_issue(
                pkg,
                res,
                f"kein lesbares JSON: {exc}",
                "als UTF-8-JSON speichern",
                "geometry-invalid",
            )
        ]
    if res.get("format") == "topojson":
        faults = list(_topology_faults(data))
    else:
        faults = list(_collection_faults(data, _key_field(pkg, res)))
        faults += _unknown_keys(pkg, res, data, key_sets)
    issues = [
        resource_issue(pkg, res, message, hint, code) for code, message, hint in faults[:MAX_FAULTS]
    ]
    if len(faults) > MAX_FAULTS:
        issues.append(
            resource_issue(
                pkg,
                res,
                f"{len(faults) - MAX_FAULTS} weitere Fehler in dieser Datei",
                "die genannten zuerst beheben",
                "geometry-invalid",
            )
        )
    return issues


Fault = tuple[str, str, str]
"""(code, message, hint)."""


def _key_field(pkg: PackageSource, res: dict[str, Any]) -> str:
    return next(
        (str(fk["fields"][0]) for fk in pkg.foreign_keys() if fk["resource"] == res.get("name")),
        "ags",
    )


def _features(data: object) -> list[Any] | None:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        return features if isinstance(features, list) else None
    return None


def _collection_faults(data: object, key: str) -> Iterator[Fault]:
    features = _features(data)
    if features is None:
        yield (
            "geometry-invalid",
            "keine GeoJSON-FeatureCollection",
            "{'type': 'FeatureCollection', 'features': […]} angeben",
        )
        return
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        value = props.get(key) if isinstance(props, dict) else None
        where = f"Feature {number}" + (f" ({key} {value})" if isinstance(value, str) else "")
        if not isinstance(value, str) or not value:
            yield (
                "geometry-key-missing",
                f"{where}: Eigenschaft {key!r} fehlt oder ist kein Text",
                f"jedem Feature properties.{key} geben",
            )
        elif value in seen:
            yield (
                "geometry-key-duplicate",
                f"{where}: Schlüssel kommt mehrfach vor",
                "jede Fläche genau einmal liefern",
            )
        else:
            seen.add(value)
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        problem = _polygon_problem(geometry)
        if problem is not None:
            yield (
                "geometry-invalid",
                f"{where}: {problem}",
                "Polygon oder MultiPolygon mit geschlossenen Ringen aus [Länge, Breite] angeben",
            )


def _polygon_problem(geometry: object) -> str | None:
    """What is wrong with a (Multi)Polygon, or ``None``."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return "Geometrie ist kein Polygon oder MultiPolygon"
    coords = geometry.get("coordinates")
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return "Koordinaten fehlen"
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "ein Polygon ohne Ringe"
        for ring in polygon:
            problem = _ring_problem(ring)
            if problem is not None:
                return problem
    return None


def _ring_problem(ring: object) -> str | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return "ein Ring hat weniger als vier Positionen"
    for position in ring:
        if not (
            isinstance(position, list)
            and len(position) >= 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in position[:2])
            and math.isfinite(position[0])
            and math.isfinite(position[1])
            and -180 <= position[0] <= 180
            and -90 <= position[1] <= 90
        ):
            return f"Position {json.dumps(position)[:60]} ist kein [Länge, Breite] in Grad"
    if ring[0][:2] != ring[-1][:2]:
        return "ein Ring ist nicht geschlossen (erste und letzte Position verschieden)"
    return None


def _unknown_keys(
    pkg: PackageSource, res: dict[str, Any], data: object, key_sets: KeySets
) -> list[Fault]:
    """Keys the foreign keys of this resource do not find in their reference."""
    faults: list[Fault] = []
    features = _features(data) or []
    for fk in pkg.foreign_keys():
        if fk["resource"] != res.get("name") or len(fk["fields"]) != 1:
            continue
        ref = fk["reference"]
        known = key_sets.get((str(ref["package"]), str(ref["resource"]), str(ref["fields"][0])))
        if known is None:
            continue  # the reference itself is missing: reported as foreign-package-missing
        field = str(fk["fields"][0])
        for feature in features:
            props = feature.get("properties") if isinstance(feature, dict) else None
            value = props.get(field) if isinstance(props, dict) else None
            if isinstance(value, str) and value not in known:
                faults.append(
                    (
                        "geometry-key-unknown",
                        f"Schlüssel {value!r} fehlt in {ref['package']}/{ref['resource']}",
                        "Schlüssel korrigieren oder in der Referenztabelle ergänzen",
                    )
                )
    return faults


def _topology_faults(data: object) -> Iterator[Fault]:
    if not isinstance(data, dict) or data.get("type") != "Topology":
        yield (
            "geometry-invalid",
            "keine TopoJSON-Topology",
            "{'type': 'Topology', 'objects': …, 'arcs': […]} angeben",
        )
        return
    arcs, objects = data.get("arcs"), data.get("objects")
    if not isinstance(arcs, list) or not isinstance(objects, dict) or not objects:
        yield ("geometry-invalid", "'arcs' oder 'objects' fehlt", "beide angeben")
        return
    for name, collection in objects.items():
        geometries = collection.get("geometries") if isinstance(collection, dict) else None
        if not isinstance(geometries, list):
            yield (
                "geometry-invalid",
                f"Objekt {name!r} ist keine GeometryCollection",
                "'geometries' angeben",
            )
            continue
        ids = [g.get("id") for g in geometries if isinstance(g, dict)]
        for duplicate in sorted({str(i) for i in ids if ids.count(i) > 1}):
            yield (
                "geometry-key-duplicate",
                f"Objekt {name!r}: id {duplicate} mehrfach",
                "jede Fläche genau einmal liefern",
            )
        for geometry in geometries:
            indices = list(
                _arc_indices(geometry.get("arcs") if isinstance(geometry, dict) else None)
            )
            if not indices or any(i < -len(arcs) or i >= len(arcs) for i in indices):
                gid = geometry.get("id") if isinstance(geometry, dict) else None
                yield (
                    "geometry-invalid",
                    f"Objekt {name!r}, id {gid}: Bögen fehlen oder verweisen ins Leere",
                    f"Indizes zwischen {-len(arcs)} und {len(arcs) - 1}",
                )


def _arc_indices(value: object) -> Iterator[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _arc_indices(item)
    else:
        yield -(1 << 62)  # not an index: out of every range
