"""Boundaries and map data of the region API (``/api/v1/regions/geometry…``, ``…/map``)."""

from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Example
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Stream

from opendata_sozial.errors import GeometryNotFound, InvalidParameter
from opendata_sozial.formats.export import render_chunks
from opendata_sozial.formats.region_maps import (
    level_collection,
    map_geojson,
    map_values,
    region_feature,
)
from opendata_sozial.media import GEOJSON, JSON
from opendata_sozial.services.catalog import CatalogService, FileRecord
from opendata_sozial.services.region_geometry import Geography, LevelGeometry
from opendata_sozial.services.region_maps import MAP_PARAMETERS, MapRequest, RegionMapService
from opendata_sozial.urls import Urls
from opendata_sozial.web.downloads import Downloads, attachment, file_stream
from opendata_sozial.web.request_release import RequestRelease

DatasetParam = Annotated[
    str | None,
    QueryParameter(
        description="Datensatz mit Regionalschlüssel (Pflicht).",
        examples=[Example(summary="Arbeitslosigkeit", value="arbeitslosigkeit-kreise")],
    ),
]
ResourceParam = Annotated[
    str | None, QueryParameter(description="Tabelle, wenn der Datensatz mehrere hat.")
]
LevelParam = Annotated[
    str | None,
    QueryParameter(
        description=(
            "Ebene: kreis, gemeinde oder eine eigene Ebene mit Grenzen (stadtteil …); ohne: die "
            "mit den meisten Zeilen."
        )
    ),
]
GemeindeParam = Annotated[
    str | None,
    QueryParameter(
        description=(
            "Nur für eigene Ebenen (stadtbezirk, stadtteil, sozialraum, quartier): die Gebiete "
            "einer Gemeinde (AGS); ohne: die Gebiete aller Gemeinden der Ebene."
        ),
        examples=[Example(summary="Münster", value="05515000")],
    ),
]
PeriodParam = Annotated[
    str | None, QueryParameter(description="Zeitraum (z. B. 2023); ohne: der neueste.")
]
GEOMETRY_SUFFIX = ".geojson"


def _params(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """The query as name -> values, in the order of the URL."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


@dataclass(frozen=True, slots=True)
class RegionMapRequest:
    """What a boundary or map handler needs: services, the request's URLs and release."""

    maps: RegionMapService
    urls: Urls
    release: RequestRelease
    catalog: CatalogService
    downloads: Downloads


def _region_map(
    maps: NamedDependency[RegionMapService],
    urls: NamedDependency[Urls],
    release: NamedDependency[RequestRelease],
    catalog: NamedDependency[CatalogService],
    downloads: NamedDependency[Downloads],
) -> RegionMapRequest:
    return RegionMapRequest(maps, urls, release, catalog, downloads)


def _map_request(
    request: Request[Any, Any, Any],
    dataset: DatasetParam = None,
    resource: ResourceParam = None,
    ebene: LevelParam = None,
    period: PeriodParam = None,
) -> MapRequest:
    """The map parameters of ``/map`` and ``/map.json``, declared once; the rest filter rows."""
    params = _params(request)
    filters = {k: v for k, v in params.items() if k not in MAP_PARAMETERS}
    level, period = params.get("ebene", [ebene])[-1], params.get("period", [period])[-1]
    return MapRequest(dataset, resource, level, period, filters)


async def _geography(region_map: RegionMapRequest) -> Geography:
    """The boundaries of the request's release (read in a worker thread)."""
    held = await to_thread.run_sync(region_map.release.info)
    return await to_thread.run_sync(region_map.maps.geography, held)


async def _file(region_map: RegionMapRequest, record: FileRecord, media_type: str) -> Stream:
    """A stored file byte for byte, like an original file download."""
    catalog = region_map.catalog
    rendered = await region_map.downloads.render(
        ("original", record.hash),
        lambda folder: render_chunks(catalog.file_chunks(record.hash), folder),
    )
    headers = {
        **attachment(record.file_name),
        "Content-Type": media_type,  # the route's media type (OpenAPI) would win otherwise
    }
    return file_stream(rendered, media_type, headers)


def _own_level(level: LevelGeometry, gemeinde: str | None) -> Response[bytes]:
    """An own level's boundaries (of one Gemeinde, if asked) as a built FeatureCollection."""
    name = level.level
    if gemeinde is not None:
        held = level.municipalities()
        if gemeinde not in held:
            raise GeometryNotFound(
                f"Die Gemeinde {gemeinde!r} hat auf der Ebene {name!r} keine Grenzen; Gemeinden "
                f"mit Grenzen dieser Ebene: {', '.join(held)}"
            )
        level, name = level.within([gemeinde]), f"{name}-{gemeinde}"
    headers = attachment(f"{name}{GEOMETRY_SUFFIX}")
    return Response(level_collection(level), media_type=GEOJSON, headers=headers)


class RegionMapController(Controller):
    """Boundaries per level and region, and one indicator's figures joined to them."""

    path = "/api/v1/regions"
    tags = ["Regionen"]  # noqa: RUF012  # Litestar declares it as an instance attribute
    dependencies = {  # noqa: RUF012  # Litestar's class attribute
        "region_map": Provide(_region_map, sync_to_thread=False),
        "map_request": Provide(_map_request, sync_to_thread=False),
    }

    @get(
        "/geometry/{filename:str}",
        operation_id="GetLevelGeometry",
        summary="Grenzen aller Regionen einer Ebene als GeoJSON (kreis.geojson, gemeinde.geojson)",
        media_type=GEOJSON,
    )
    async def level_geometry(
        self,
        region_map: NamedDependency[RegionMapRequest],
        filename: Annotated[
            str, PathParameter(description="Ebene mit Endung .geojson, z. B. kreis.geojson")
        ],
        gemeinde: GemeindeParam = None,
    ) -> Stream | Response[bytes]:
        """The geography package's GeoJSON file of an official level, byte for byte.

        An own level (Stadtteile …) has no file of its own: its features, built from every
        municipality's boundaries, in key order (``gemeinde``: one municipality's).
        """
        geography = await _geography(region_map)
        if not filename.endswith(GEOMETRY_SUFFIX):
            valid = ", ".join(f"{level}{GEOMETRY_SUFFIX}" for level in geography.levels)
            raise GeometryNotFound(f"{filename!r}: Endung .geojson erwartet; vorhanden: {valid}")
        level = geography.level(filename.removesuffix(GEOMETRY_SUFFIX))
        if level.file is None:
            return _own_level(level, gemeinde)
        if gemeinde is not None:
            own = ", ".join(lv for lv, g in geography.levels.items() if g.is_own) or "keine"
            raise InvalidParameter(
                f"Parameter 'gemeinde' gilt nur für eigene Ebenen der Gemeinden (vorhanden: "
                f"{own}); {level.level!r} ist eine amtliche Ebene"
            )
        return await _file(region_map, level.file, GEOJSON)

    @get(
        "/geometry.topojson",
        operation_id="GetTopology",
        summary="Grenzen aller Ebenen als eine TopoJSON-Datei",
        media_type=JSON,
    )
    async def topology(self, region_map: NamedDependency[RegionMapRequest]) -> Stream:
        """The geography package's TopoJSON file, byte for byte."""
        geography = await _geography(region_map)
        if geography.topology is None:
            geography.level("")  # names what is missing
            raise GeometryNotFound("Die veröffentlichte Geografie hat keine TopoJSON-Datei")
        return await _file(region_map, geography.topology, JSON)

    @get(
        "/{key:str}/geometry.geojson",
        operation_id="GetRegionGeometry",
        summary="Grenze einer Region als GeoJSON-Feature",
        media_type=GEOJSON,
        sync_to_thread=True,
    )
    def region_geometry(
        self, region_map: NamedDependency[RegionMapRequest], key: FromPath[str]
    ) -> Response[dict[str, Any]]:
        """The one feature of the region's level file with the region's key."""
        held = region_map.release.info()
        region, feature = region_map.maps.region_feature(held, key)
        own = region_map.maps.geography(held).level(region.level).is_own
        body = region_feature(region, feature, region_map.urls, own=own)
        return Response(body, media_type=GEOJSON)

    @get(
        "/map",
        operation_id="GetMapData",
        summary="Kartendaten: Grenzen einer Ebene mit den Werten eines Indikators (GeoJSON)",
        media_type=GEOJSON,
        sync_to_thread=True,
    )
    def map_data(
        self,
        region_map: NamedDependency[RegionMapRequest],
        map_request: NamedDependency[MapRequest],
    ) -> Response[dict[str, Any]]:
        """Every place of the level with value, status, unit and period.

        Other parameters filter the rows exactly as in the rows API (an open dimension: 400).
        """
        data = region_map.maps.map_data(region_map.release.info(), map_request)
        return Response(map_geojson(data, region_map.urls), media_type=GEOJSON)

    @get(
        "/map.json",
        operation_id="GetMapValues",
        summary="Kartendaten als Werte je Regionalschlüssel (JSON)",
        sync_to_thread=True,
    )
    def map_values(
        self,
        region_map: NamedDependency[RegionMapRequest],
        map_request: NamedDependency[MapRequest],
    ) -> dict[str, Any]:
        """The same figures as ``/map``, by region key, without the boundaries."""
        data = region_map.maps.map_data(region_map.release.info(), map_request)
        return map_values(data, region_map.urls)
