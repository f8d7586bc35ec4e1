"""Application factory: the only place that wires settings, engine and routes."""

import time
from collections.abc import Callable
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from opendata_sozial import __version__
from opendata_sozial.catalog import load_catalog
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.timeouts import apply_time_limits
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.region_index import RegionIndexService
from opendata_sozial.services.region_maps import RegionMapService
from opendata_sozial.services.region_neighbours import RegionNeighbours
from opendata_sozial.services.regions import RegionService
from opendata_sozial.services.releases import ReleaseService
from opendata_sozial.services.rows import RowService
from opendata_sozial.services.search_concepts import load_search_concepts
from opendata_sozial.web.api import DatasetController, live, ready
from opendata_sozial.web.cache import ResponseCachePlugin
from opendata_sozial.web.ckan import CkanController
from opendata_sozial.web.dcat import DcatController
from opendata_sozial.web.docs_page import RENDER_PLUGINS
from opendata_sozial.web.downloads import Downloads
from opendata_sozial.web.failures import exception_handlers
from opendata_sozial.web.http import HttpPlugin
from opendata_sozial.web.limits import LimitsPlugin
from opendata_sozial.web.links import provide_urls
from opendata_sozial.web.meta import MetaController
from opendata_sozial.web.pages import PagesPlugin
from opendata_sozial.web.problem_docs import ProblemDocsPlugin
from opendata_sozial.web.problems import api_error
from opendata_sozial.web.region_index import RegionIndexController, RegionIndexPageController
from opendata_sozial.web.region_maps import RegionMapController
from opendata_sozial.web.region_pages import RegionPagesPlugin
from opendata_sozial.web.regions import RegionController
from opendata_sozial.web.releases import ReleaseController, ReleasePinningLitestar
from opendata_sozial.web.request_release import provide_release
from opendata_sozial.web.rows import RowsController


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], float] = time.monotonic
) -> Litestar:
    """Build the app from ``settings`` (default: environment variables ``ODS_*``).

    ``clock`` (monotonic seconds) drives the rate limiter; tests pass their own.
    """
    settings = settings or Settings()
    engine = create_db_engine(
        settings.database_url,
        pool_size=settings.pool_size,
        pool_timeout=settings.pool_timeout_seconds,
        read_only=True,
        pooler=settings.database_pooler,
    )
    apply_time_limits(
        engine,
        connect_timeout=settings.connect_timeout_seconds,
        query_timeout=settings.query_timeout_seconds,
        per_transaction=settings.database_pooler == "transaction",
    )
    catalog = CatalogService(
        engine,
        release_poll_seconds=settings.release_poll_seconds,
        concepts=load_search_concepts(settings.search_concepts_file),
    )

    rows = RowService(
        engine, catalog, default_size=settings.default_page_size, max_size=settings.max_page_size
    )

    def provide_catalog() -> CatalogService:
        return catalog

    releases = ReleaseService(engine, catalog)

    def provide_rows() -> RowService:
        return rows

    def provide_releases() -> ReleaseService:
        return releases

    regions = RegionService(engine, catalog)

    def provide_regions() -> RegionService:
        return regions

    maps = RegionMapService(engine, catalog, regions)

    def provide_maps() -> RegionMapService:
        return maps

    neighbours = RegionNeighbours(maps, regions)

    def provide_neighbours() -> RegionNeighbours:
        return neighbours

    indices = RegionIndexService(engine, catalog, regions)

    def provide_indices() -> RegionIndexService:
        return indices

    downloads = Downloads(
        Path(settings.cache_dir) / "spool",
        concurrency=settings.export_concurrency,
        queue_seconds=settings.export_queue_seconds,
    )

    def provide_downloads() -> Downloads:
        return downloads

    return ReleasePinningLitestar(  # answers HEAD for GET and serves pinned release URLs
        catalog=catalog,
        route_handlers=[
            DatasetController,
            RowsController,
            DcatController,
            CkanController,
            ReleaseController,
            RegionMapController,
            RegionIndexController,
            RegionIndexPageController,
            RegionController,
            MetaController,
            live,
            ready,
        ],
        dependencies={
            "catalog": Provide(provide_catalog, sync_to_thread=False),
            "rows": Provide(provide_rows, sync_to_thread=False),
            "releases": Provide(provide_releases, sync_to_thread=False),
            "regions": Provide(provide_regions, sync_to_thread=False),
            "maps": Provide(provide_maps, sync_to_thread=False),
            "neighbours": Provide(provide_neighbours, sync_to_thread=False),
            "indices": Provide(provide_indices, sync_to_thread=False),
            "downloads": Provide(provide_downloads, sync_to_thread=False),
            "urls": Provide(provide_urls, sync_to_thread=False),
            "release": Provide(provide_release, sync_to_thread=False),
        },
        exception_handlers=exception_handlers(api_error),
        state=State({"settings": settings, "catalog_info": load_catalog(settings.catalog_file)}),
        openapi_config=OpenAPIConfig(
            title="opendata-sozial",
            version=__version__,
            description="Offene Daten der Sozialberichterstattung NRW",
            render_plugins=RENDER_PLUGINS,
        ),
        plugins=[
            HttpPlugin(),
            PagesPlugin(),
            RegionPagesPlugin(maps),
            LimitsPlugin(settings, clock),
            ProblemDocsPlugin(),
            ResponseCachePlugin(settings),
        ],
        on_shutdown=[engine.dispose],
    )
