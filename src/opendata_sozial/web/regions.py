"""Regions as places (``/api/v1/regions``): search, a region, its profile, comparisons."""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Example
from litestar.params import PathParameter, QueryParameter

from opendata_sozial.formats.region_exports import (
    COMPARE_COLUMNS,
    PROFILE_COLUMNS,
    Provenance,
    compare_rows,
    profile_rows,
    table_csv,
    table_xlsx,
)
from opendata_sozial.formats.region_maps import geometry_links
from opendata_sozial.formats.regions import (
    compare_body,
    profile_body,
    region_body,
    search_body,
)
from opendata_sozial.media import CSV, XLSX
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.services.region_neighbours import RegionNeighbours
from opendata_sozial.services.regions import (
    COMPARE_MAX,
    DEFAULT_SIZE,
    MAX_SIZE,
    RegionQuery,
    RegionService,
)
from opendata_sozial.urls import Urls
from opendata_sozial.web.downloads import attachment
from opendata_sozial.web.params import Page, Profile, csv_profile
from opendata_sozial.web.request_release import RequestRelease

KeysParam = Annotated[
    str,
    QueryParameter(
        description=f"2 bis {COMPARE_MAX} Regionalschlüssel, kommagetrennt.",
        examples=[Example(summary="Drei Ruhrgebietsstädte", value="05513,05562,05913")],
    ),
]
KeyParam = Annotated[
    str,
    PathParameter(
        description="Amtlicher Regionalschlüssel (AGS) aus nrw-regionen, z. B. 05513, oder "
        "Schlüssel eines eigenen Gebiets einer Gemeinde, z. B. 05315000-609",
        examples=[Example(summary="Gelsenkirchen", value="05513")],
    ),
]


@dataclass(frozen=True, slots=True)
class Titled:
    """What a workbook's metadata sheet names: title, own address, source datasets."""

    title: str
    url: str
    datasets: Sequence[str]


@dataclass(frozen=True, slots=True)
class Places:
    """The ``places`` dependency of the region routes and pages: the services of a place.

    The release is looked up when ``info()`` is called (in the handler's thread).
    """

    urls: Urls
    release: RequestRelease
    regions: RegionService
    neighbours: RegionNeighbours
    maps: RegionMapService
    catalog: CatalogService

    def info(self) -> ReleaseInfo:
        """The release the request reads."""
        return self.release.info()

    def xlsx(self, columns: Sequence[str], rows: list[list[Any]], about: Titled) -> bytes:
        """``rows`` and the metadata of their datasets as a workbook, byte-stable per release."""
        held = self.info()
        datasets = [self.catalog.get_dataset(held, n) for n in dict.fromkeys(about.datasets)]
        source = Provenance(about.title, held.number, held.created_at, about.url, datasets)
        target = io.BytesIO()
        table_xlsx(columns, rows, source, target)
        return target.getvalue()


def provide_places(
    urls: NamedDependency[Urls],
    release: NamedDependency[RequestRelease],
    regions: NamedDependency[RegionService],
    neighbours: NamedDependency[RegionNeighbours],
    maps: NamedDependency[RegionMapService],
    catalog: NamedDependency[CatalogService],
) -> Places:
    """The ``places`` dependency; it does no I/O."""
    return Places(urls, release, regions, neighbours, maps, catalog)


class RegionController(Controller):
    """Places of the official hierarchy and every figure the catalog holds for them."""

    path = "/api/v1/regions"
    tags = ["Regionen"]  # noqa: RUF012  # Litestar declares it as an instance attribute
    dependencies = {"places": Provide(provide_places, sync_to_thread=False)}  # noqa: RUF012

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
        keys: KeysParam,
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
        neighbours: NamedDependency[RegionNeighbours],
        key: KeyParam,
    ) -> dict[str, Any]:
        """Names and variants, parents up to NRW, children, neighbours, datasets for the place.

        ``links.geometry`` leads to the boundary (``null`` for a place without one: a level
        without boundaries, or a key that no longer exists);
        ``neighbours`` are the places of the level sharing a stretch of boundary with it.
        """
        held = release.info()
        detail = regions.region(held, key)
        body = region_body(detail, urls, neighbours.of(held, detail.region))
        body["links"]["geometry"] = geometry_links(detail.region, maps.geography(held), urls)
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
        summary="Profil einer Region als CSV (RFC 4180 oder excel-de)",
        media_type=CSV,
        sync_to_thread=True,
    )
    def get_profile_csv(
        self, places: NamedDependency[Places], key: KeyParam, profile: Profile = None
    ) -> Response[bytes]:
        """The profile's figures as CSV (the same numbers as the JSON profile)."""
        chosen = csv_profile(profile)
        rows = profile_rows(places.regions.profile(places.info(), key))
        return _csv_file(PROFILE_COLUMNS, rows, chosen, f"profil-{key}")

    @get(
        "/{key:str}/profile.xlsx",
        operation_id="GetRegionProfileXlsx",
        summary="Profil einer Region als Excel-Arbeitsmappe (Werte und Metadaten)",
        media_type=XLSX,
        sync_to_thread=True,
    )
    def get_profile_xlsx(self, places: NamedDependency[Places], key: KeyParam) -> Response[bytes]:
        """The profile's figures on one sheet, sources and licences on ``Metadaten``."""
        profile = places.regions.profile(places.info(), key)
        names = [i.indicator.table.dataset for i in profile.indicators]
        title = f"Profil {profile.region.name} ({key})"
        url = places.urls.region_profile(key, ".xlsx")
        body = places.xlsx(PROFILE_COLUMNS, profile_rows(profile), Titled(title, url, names))
        return _file(body, XLSX, f"profil-{key}.xlsx")

    @get(
        "/compare.csv",
        operation_id="CompareRegionsCsv",
        summary="Vergleich von Regionen als CSV (RFC 4180 oder excel-de)",
        media_type=CSV,
        sync_to_thread=True,
    )
    def compare_csv(
        self, places: NamedDependency[Places], keys: KeysParam, profile: Profile = None
    ) -> Response[bytes]:
        """The comparison's figures, one row per indicator and place."""
        chosen = csv_profile(profile)
        comparison = places.regions.compare(places.info(), keys.split(","))
        return _csv_file(COMPARE_COLUMNS, compare_rows(comparison), chosen, "vergleich")

    @get(
        "/compare.xlsx",
        operation_id="CompareRegionsXlsx",
        summary="Vergleich von Regionen als Excel-Arbeitsmappe (Werte und Metadaten)",
        media_type=XLSX,
        sync_to_thread=True,
    )
    def compare_xlsx(self, places: NamedDependency[Places], keys: KeysParam) -> Response[bytes]:
        """The comparison's figures on one sheet, sources and licences on ``Metadaten``."""
        comparison = places.regions.compare(places.info(), keys.split(","))
        chosen = [r.key for r in comparison.regions]
        names = [i.table.dataset for i, _, _ in comparison.indicators]
        title = "Vergleich " + ", ".join(f"{r.name} ({r.key})" for r in comparison.regions)
        url = places.urls.region_compare(chosen, ".xlsx")
        body = places.xlsx(COMPARE_COLUMNS, compare_rows(comparison), Titled(title, url, names))
        return _file(body, XLSX, "vergleich.xlsx")


def _csv_file(
    columns: Sequence[str], rows: list[list[Any]], profile: str, stem: str
) -> Response[bytes]:
    """``rows`` as a CSV attachment (``stem-excel.csv`` in the ``excel-de`` profile)."""
    name = f"{stem}-excel.csv" if profile == "excel-de" else f"{stem}.csv"
    return _file(table_csv(columns, rows, profile), CSV, name)


def _file(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(body, media_type=media_type, headers=attachment(filename))
