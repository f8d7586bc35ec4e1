"""schema.org ``Place`` in JSON-LD for the Steckbrief of a region (search engines, harvesters).

A place carries its name, its official key (``identifier``, property ``AGS``), the page's URL,
its parents as nested ``containedInPlace`` (direct parent first, up to NRW) and, where its
boundary is published, the bounding box as a ``GeoShape`` (``box``: south-west corner, then
north-east corner, each as latitude and longitude, WGS84).
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opendata_sozial.services.region_directory import Region
from opendata_sozial.urls import Urls

BoundingBox = tuple[float, float, float, float]
"""West, south, east, north in degrees (GeoJSON order)."""


def _positions(coordinates: Any) -> Iterator[Sequence[float]]:  # noqa: ANN401  # nested lists
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
        return
    for part in coordinates:
        yield from _positions(part)


def bounding_box(geometry: Mapping[str, Any]) -> BoundingBox | None:
    """The bounding box of a GeoJSON geometry, or ``None`` if it has no positions."""
    positions = list(_positions(geometry.get("coordinates") or []))
    if not positions:
        return None
    xs = [p[0] for p in positions]
    ys = [p[1] for p in positions]
    return min(xs), min(ys), max(xs), max(ys)


def _place(region: Region, urls: Urls) -> dict[str, Any]:
    return {
        "@type": "Place",
        "name": region.name,
        "identifier": {"@type": "PropertyValue", "propertyID": "AGS", "value": region.key},
        "url": urls.region_page(region.key),
    }


def place_jsonld(
    region: Region, parents: Sequence[Region], urls: Urls, box: BoundingBox | None
) -> dict[str, Any]:
    """The place as schema.org JSON-LD; ``parents`` direct parent first."""
    place: dict[str, Any] = {"@context": "https://schema.org", **_place(region, urls)}
    inner = place
    for parent in parents:
        outer = _place(parent, urls)
        inner["containedInPlace"] = outer
        inner = outer
    if box is not None:
        west, south, east, north = box
        place["geo"] = {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"}
    return place
