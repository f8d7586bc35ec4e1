"""Application factory: the only place that wires settings, engine and routes."""

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from sqlalchemy.exc import OperationalError

from opendata_sozial import __version__
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.errors import OpendataError
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.web.api import DatasetController, live, ready
from opendata_sozial.web.problems import database_unavailable, http_error, opendata_error


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app from ``settings`` (default: environment variables ``ODS_*``)."""
    settings = settings or Settings()
    engine = create_db_engine(settings.database_url)
    catalog = CatalogService(engine)

    def provide_catalog() -> CatalogService:
        return catalog

    return Litestar(
        route_handlers=[DatasetController, live, ready],
        dependencies={"catalog": Provide(provide_catalog, sync_to_thread=False)},
        exception_handlers={
            OpendataError: opendata_error,
            HTTPException: http_error,
            OperationalError: database_unavailable,
        },
        state=State({"settings": settings}),
        openapi_config=OpenAPIConfig(
            title="opendata-sozial",
            version=__version__,
            description="Offene Daten der Sozialberichterstattung NRW",
        ),
        on_shutdown=[engine.dispose],
    )
