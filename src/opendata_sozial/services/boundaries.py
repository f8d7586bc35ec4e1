"""Boundary features read from a GeoJSON file (a geography package's resource), for maps.

Only reading and a light shape check; the house rules on boundary files are
``ingest.geometry_rules``. No web framework here, so page models and the CLI can use it.
"""

import json
from pathlib import Path
from typing import Any

AREA_TYPES = frozenset({"Polygon", "MultiPolygon"})


def load_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection of polygons, in file order.

    Raises ``ValueError`` (German message naming the file and the feature) when the file is
    not a FeatureCollection or a feature is not a Polygon or MultiPolygon.
    """
    collection = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ValueError(f"{path.name}: keine GeoJSON-FeatureCollection")
    features: list[dict[str, Any]] = collection.get("features", [])
    for number, feature in enumerate(features, start=1):
        kind = (feature.get("geometry") or {}).get("type")
        if kind not in AREA_TYPES:
            raise ValueError(
                f"{path.name}, Feature {number}: Geometrie {kind!r} ist keine Fläche "
                "(erlaubt: Polygon, MultiPolygon)"
            )
    return features
