"""Answers of the region API's boundaries and maps: GeoJSON with values, values by key.

Numbers are spelled as in the rows API (``formats/formatting.py``); every link is built by
``Urls``. The GeoJSON carries the indicator and its links as foreign members (RFC 7946, 6.1).
"""

import json
from typing import Any

from opendata_sozial.formats.formatting import plain_number
from opendata_sozial.formats.regions import table_names
from opendata_sozial.services.region_directory import Region, gemeinde_of
from opendata_sozial.services.region_geometry import Geography, LevelGeometry
from opendata_sozial.services.region_maps import MapData
from opendata_sozial.services.regions import Point
from opendata_sozial.urls import Urls


def _number(value: float | int | None) -> float | int | None:
    return plain_number(value) if isinstance(value, float) else value


def _level_url(region: Region, own: bool, urls: Urls) -> str:
    """The level's boundaries; for an own area those of its Gemeinde."""
    return urls.level_geometry(region.level, gemeinde_of(region.key) if own else None)


def region_feature(
    region: Region, feature: dict[str, Any], urls: Urls, *, own: bool = False
) -> dict[str, Any]:
    """The boundary of one region as a Feature, with links to the region and its level."""
    return {
        **feature,
        "id": region.key,
        "links": {
            "self": urls.region_geometry(region.key),
            "region": urls.region(region.key),
            "level": _level_url(region, own, urls),
        },
    }


def geometry_links(region: Region, geography: Geography, urls: Urls) -> dict[str, str] | None:
    """Links to a region's boundary and its level's; ``None`` for a place without a boundary.

    An own area's level link names its Gemeinde; it has no TopoJSON (that file holds the official
    levels only).
    """
    level = geography.levels.get(region.level)
    if level is None or region.key not in level.features:
        return None
    links = {
        "feature": urls.region_geometry(region.key),
        "level": _level_url(region, level.is_own, urls),
    }
    if not level.is_own:
        links["topojson"] = urls.topology()
    return links


def level_collection(level: LevelGeometry) -> bytes:
    """An own level's boundaries as one GeoJSON FeatureCollection (UTF-8, compact, by key).

    The features in key order, each as ``own_feature`` writes it; no whitespace: the same
    boundaries always give the same bytes.
    """
    collection = {
        "type": "FeatureCollection",
        "name": level.level,
        "features": list(level.features.values()),
    }
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def _indicator(data: MapData, urls: Urls) -> dict[str, Any]:
    table = data.table
    return {
        **table_names(table),
        "field": table.value,
        "level": data.geometry.level,
        "period": data.period,
        "units": data.units,
        "filters": [{"parameter": k, "value": v} for k, v in data.filters],
        "places": len(data.geometry.features),
        "places_with_value": sum(1 for p, _ in data.figures.values() if p.value is not None),
    }


def _links(data: MapData, urls: Urls) -> dict[str, str]:
    query = [
        ("dataset", data.table.dataset),
        ("resource", data.table.resource),
        ("ebene", data.geometry.level),
        *(("period" if k == data.table.period else k, v) for k, v in data.filters),
    ]
    return {
        "geojson": urls.region_map("", query),
        "values": urls.region_map(".json", query),
        "rows": urls.rows(data.table.dataset, data.table.resource, _row_filters(data)),
        "dataset": urls.dataset(data.table.dataset),
        "geometry": urls.level_geometry(data.geometry.level, _one(data.geometry.gemeinden)),
    }


def _row_filters(data: MapData) -> list[tuple[str, str]]:
    """The rows API filters of the mapped rows.

    An own level's table holds every level, so the places of the mapped level are named
    (``schluessel__in``).
    """
    if not data.geometry.is_own:
        return data.filters
    return [*data.filters, (f"{data.table.key_field}__in", ",".join(data.geometry.features))]


def _one(gemeinden: tuple[str, ...] | None) -> str | None:
    """The Gemeinde a map of an own level is limited to, if it is one (several: the whole level)."""
    return gemeinden[0] if gemeinden is not None and len(gemeinden) == 1 else None


def _properties(point: Point | None, unit: str | None) -> dict[str, Any]:
    if point is None:
        return {"value": None, "status": None, "unit": None, "period": None}
    return {
        "value": _number(point.value),
        "status": point.status,
        "unit": unit,
        "period": point.period,
    }


def map_geojson(data: MapData, urls: Urls) -> dict[str, Any]:
    """Every place of the level as a Feature with its figure (``null`` where none)."""
    features = []
    for key, feature in data.geometry.features.items():
        point, unit = data.figures.get(key, (None, None))
        properties = {**(feature.get("properties") or {}), **_properties(point, unit)}
        features.append({**feature, "id": key, "properties": properties})
    return {
        "type": "FeatureCollection",
        "release": data.release,
        "indicator": _indicator(data, urls),
        "links": _links(data, urls),
        "features": features,
    }


def map_values(data: MapData, urls: Urls) -> dict[str, Any]:
    """The figures by region key: value, status symbol and unit (places without a row: absent)."""
    return {
        "release": data.release,
        "indicator": _indicator(data, urls),
        "links": _links(data, urls),
        "values": {
            key: {"value": _number(p.value), "status": p.status, "unit": unit}
            for key, (p, unit) in data.figures.items()
        },
    }
