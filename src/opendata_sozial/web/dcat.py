"""DCAT-AP.de RDF for harvesters: ``/catalog[.ttl|.rdf|.jsonld]`` and ``/datasets/{name}[…]``.

Harvesters fetch without an ``Accept`` header and choose their parser by ``Content-Type``, so
the negotiated URLs answer Turtle by default. ``docs/dcat.md`` describes the mapping.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect
from litestar.types import Method

from opendata_sozial.formats.dcat.graph import catalog_graph, dataset_graph
from opendata_sozial.formats.dcat.paging import CatalogQuery, paginate, parse_modified_since
from opendata_sozial.formats.dcat.serialize import (
    CONTENT_TYPES,
    EXTENSIONS,
    negotiate,
    serialize,
)
from opendata_sozial.media import TURTLE
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.urls import Urls
from opendata_sozial.web.params import Page
from opendata_sozial.web.request_release import RequestRelease

HTML = "text/html"
PAGE_OR_RDF = (HTML, *CONTENT_TYPES)  # HTML first: no Accept and */* get the page
CATALOG_PATHS = ["/catalog", *(f"/catalog.{extension}" for extension in EXTENSIONS)]


def _split_extension(segment: str) -> tuple[str, str | None]:
    """``lebensformen.ttl`` -> (``lebensformen``, ``text/turtle``); no known suffix -> None."""
    stem, dot, extension = segment.rpartition(".")
    if dot and extension in EXTENSIONS:
        return stem, EXTENSIONS[extension]
    return segment, None


def _catalog_operation_id(_handler: HTTPRouteHandler, _method: Method, path: list[Any]) -> str:
    """One OpenAPI operation per catalog URL (GetCatalog, GetCatalogTtl and so on)."""
    return "GetCatalog" + str(path[-1]).partition(".")[2].capitalize()


def _rdf_response(body: bytes, media_type: str, *, is_negotiated: bool) -> Response[bytes]:
    headers = {"Vary": "Accept"} if is_negotiated else None
    return Response(body, media_type=CONTENT_TYPES[media_type], headers=headers)


@dataclass(frozen=True, slots=True)
class RdfRequest:
    """The ``rdf`` dependency: what both RDF routes read (injected fields)."""

    request: Request[Any, Any, Any]
    catalog: NamedDependency[CatalogService]
    maps: NamedDependency[RegionMapService]
    urls: NamedDependency[Urls]
    release: NamedDependency[RequestRelease]


def _catalog_response(rdf: RdfRequest, page: int, modified_since: str | None) -> Response[bytes]:
    request, urls, release = rdf.request, rdf.urls, rdf.release.info()
    _, fixed = _split_extension(request.scope["path"])
    media = fixed or negotiate(request.headers.get("accept")) or TURTLE
    query = CatalogQuery(
        url=urls.current_path(request.scope["path"]),
        size=request.app.state.settings.dcat_page_size,
        number=page,
        modified_since=parse_modified_since(modified_since),
        kept=(("modified_since", modified_since),) if modified_since else (),
    )
    view = paginate(rdf.catalog.list_datasets(release), query)
    info = request.app.state.catalog_info
    places = rdf.maps.place_names(release)
    graph = catalog_graph(view, catalog=info, urls=urls, modified=release.created_at, places=places)
    return _rdf_response(serialize(graph, media), media, is_negotiated=fixed is None)


class DcatController(Controller):
    """The catalog as DCAT-AP.de RDF (Turtle, RDF/XML, JSON-LD), paged with Hydra."""

    tags = ["DCAT"]  # noqa: RUF012  # Litestar declares it as an instance attribute
    dependencies = {"rdf": Provide(RdfRequest, sync_to_thread=False)}  # noqa: RUF012  # as tags

    @get(
        CATALOG_PATHS,
        operation_id=_catalog_operation_id,
        summary="Katalog als DCAT-AP.de (Turtle, RDF/XML, JSON-LD), seitenweise",
        description="`/catalog` wählt das Format nach `Accept` (ohne Accept: Turtle); "
        "`/catalog.ttl`, `.rdf`, `.jsonld` liefern es fest. Seiten verweisen mit "
        "`hydra:next` aufeinander; ohne Filter enthalten alle Seiten zusammen jeden Datensatz.",
    )
    async def get_catalog(
        self,
        rdf: NamedDependency[RdfRequest],
        page: Page = 1,
        modified_since: Annotated[
            str | None,
            QueryParameter(
                description="Nur Datensätze, die seit diesem Zeitpunkt geändert wurden "
                "(ISO 8601: 2025-01-31 oder 2025-01-31T10:00:00Z).",
            ),
        ] = None,
    ) -> Response[bytes]:
        """One page of the catalog with its datasets, distributions and agents.

        Async with an explicit worker thread: Litestar 2.25 breaks ``sync_to_thread`` handlers
        that serve several paths and return a ``Response``.
        """
        return await to_thread.run_sync(_catalog_response, rdf, page, modified_since)

    @get(
        "/datasets/{name:str}",
        operation_id="GetDatasetRdf",
        summary="Ein Datensatz als DCAT-AP.de (Turtle, RDF/XML, JSON-LD)",
        description="Mit Endung `.ttl`, `.rdf` oder `.jsonld` fest dieses Format; ohne Endung "
        "nach `Accept` (RDF-Medientypen), sonst `303` auf die HTML-Seite `/datensaetze/{name}`.",
        sync_to_thread=True,
    )
    def get_dataset_rdf(
        self,
        rdf: NamedDependency[RdfRequest],
        name: Annotated[
            str,
            PathParameter(
                description="Name des Datensatzes, optional mit Endung .ttl, .rdf oder .jsonld"
            ),
        ],
    ) -> Response[Any]:
        """The dataset's IRI: RDF for RDF clients, the HTML page for everyone else."""
        stem, fixed = _split_extension(name)
        held, urls = rdf.release.info(), rdf.urls
        record = rdf.catalog.get_dataset(held, stem)
        media = fixed or negotiate(rdf.request.headers.get("accept"), PAGE_OR_RDF)
        if media in (None, HTML):
            return Redirect(urls.page(record.name), status_code=303, headers={"Vary": "Accept"})
        info = rdf.request.app.state.catalog_info
        graph = dataset_graph(record, catalog=info, urls=urls, places=rdf.maps.place_names(held))
        return _rdf_response(serialize(graph, media), media, is_negotiated=fixed is None)
