"""Regions as places (``/api/v1/regions``): search, a region, its profile, comparisons."""

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import PathParameter, QueryParameter

from opendata_sozial.formats.region_maps import geometry_links
from opendata_sozial.formats.regions import (
    compare_body,
    profile_body,
    profile_csv,
    region_body,
    search_body,
)
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.services.regions import (
    COMPARE_MAX,
    DEFAULT_SIZE,
    MAX_SIZE,
    RegionQuery,
    RegionService,
)
from opendata_sozial.urls import Urls
from opendata_sozial.web.params import Page
from opendata_sozial.web.request_release import RequestRelease

KeyParam = Annotated[
    str,
    PathParameter(
        description="Amtlicher Regionalschlüssel (AGS) aus nrw-regionen, z. B. 05513, oder "
        "Schlüssel eines eigenen Gebiets einer Gemeinde, z. B. 05315000-609",
        examples=[Example(summary="Gelsenkirchen", value="05513")],
    ),
]


class RegionController(Controller):
    """Places of the official hierarchy and every figure the catalog holds for them."""

    path = "/api/v1/regions"
    tags = ["Regionen"]  # noqa: RUF012  # Litestar declares it as an instance attribute

    @get(
        "/",
        operation_id="ListRegions",
        summary="Regionen nach Name, Namensvariante oder Schlüssel suchen",
        sync_to_thread=True,
    )
    def list_regions(  # every query parameter is an argument, for OpenAPI
        self,
        *,
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        regions: NamedDependency[RegionService],
        q: Annotated[
            str | None,
            QueryParameter(
                description="Name, Namensvariante (Groß-/Kleinschreibung und Umlaute egal) "
                "oder Anfang des Schlüssels (Ziffern; eigene Gebiete: 05315000-6).",
                examples=[Example(summary="Name", value="Gelsenkirchen")],
            ),
        ] = None,
        ebene: Annotated[
            str | None,
            QueryParameter(
                description="Ebene: land, regierungsbezirk, kreis, gemeinde oder eine eigene "
                "Ebene einer Gemeinde (stadtbezirk, stadtteil, sozialraum, quartier)."
            ),
        ] = None,
        parent: Annotated[
            str | None,
            QueryParameter(description="Nur Regionen unterhalb dieses Schlüssels (jede Tiefe)."),
        ] = None,
        _size: Annotated[
            int, QueryParameter(description=f"Treffer je Seite, 1 bis {MAX_SIZE}.")
        ] = DEFAULT_SIZE,
        page: Page = 1,
    ) -> dict[str, Any]:
        """Search by name, name variant or key prefix; filter by level and region above."""
        query = RegionQuery(q or "", ebene, parent, _size, page)
        return search_body(regions.search(release.info(), query), urls)

    @get(
        "/compare",
        operation_id="CompareRegions",
        summary=f"2 bis {COMPARE_MAX} Regionen vergleichen: gemeinsame Indikatoren",
        sync_to_thread=True,
    )
    def compare_regions(
        self,
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        regions: NamedDependency[RegionService],
        keys: Annotated[
            str,
            QueryParameter(
                description=f"2 bis {COMPARE_MAX} Regionalschlüssel, kommagetrennt.",
                examples=[Example(summary="Drei Ruhrgebietsstädte", value="05513,05562,05913")],
            ),
        ],
    ) -> dict[str, Any]:
        """The indicators the places share, their latest common values side by side."""
        return compare_body(regions.compare(release.info(), keys.split(",")), urls)

    @get(
        "/{key:str}",
        operation_id="GetRegion",
        summary="Eine Region: Namen, übergeordnete und untergeordnete Regionen, Datensätze",
        sync_to_thread=True,
    )
    def get_region(
        self,
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        regions: NamedDependency[RegionService],
        maps: NamedDependency[RegionMapService],
        key: KeyParam,
    ) -> dict[str, Any]:
        """Names and variants, parents up to NRW, children, datasets with rows for the place.

        ``links.geometry`` leads to the boundary (``null`` for a level without boundaries).
        """
        held = release.info()
        detail = regions.region(held, key)
        body = region_body(detail, urls)
        levels = list(maps.geography(held).levels)
        body["links"]["geometry"] = geometry_links(detail.region, levels, urls)
        return body

    @get(
        "/{key:str}/profile",
        operation_id="GetRegionProfile",
        summary="Profil einer Region: jeder Indikator mit Zeitreihe, Vergleich und Rang",
        sync_to_thread=True,
    )
    def get_profile(
        self,
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        regions: NamedDependency[RegionService],
        key: KeyParam,
    ) -> dict[str, Any]:
        """Every indicator for the place: latest value, series, parents, peers."""
        return profile_body(regions.profile(release.info(), key), urls)

    @get(
        "/{key:str}/profile.csv",
        operation_id="GetRegionProfileCsv",
        summary="Profil einer Region als CSV",
        media_type="text/csv",
        sync_to_thread=True,
    )
    def get_profile_csv(
        self,
        release: NamedDependency[RequestRelease],
        regions: NamedDependency[RegionService],
        key: KeyParam,
    ) -> Response[str]:
        """The profile's figures as CSV (the same numbers as the JSON profile)."""
        headers = {"Content-Disposition": f'attachment; filename="profil-{key}.csv"'}
        return Response(
            profile_csv(regions.profile(release.info(), key)),
            media_type="text/csv",
            headers=headers,
        )
