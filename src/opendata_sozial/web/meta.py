"""JSON-stat export of a rows query and the client configuration document."""

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide

from opendata_sozial.domain import LICENSE_PATH, LICENSE_TITLE, STATUS_CODES
from opendata_sozial.formats.citation import STYLES
from opendata_sozial.formats.jsonstat import MAX_CELLS, jsonstat_dataset
from opendata_sozial.media import RDF
from opendata_sozial.urls import PINNED_PREFIX, Urls
from opendata_sozial.web.params import CSV_PROFILES, OPERATORS, ResourceName
from opendata_sozial.web.params import DatasetName as Name
from opendata_sozial.web.rows import RowRequest, provide_row_request

EXPORTS = [
    "rows.csv",
    "rows.csv?profile=excel-de",
    "rows.json",
    "rows.ndjson",
    "rows.xlsx",
    "rows.jsonstat",
]


class MetaController(Controller):
    """Statistical formats and what a client should know before it starts."""

    path = "/api/v1"
    tags = ["Formate"]  # noqa: RUF012  # Litestar declares it as an instance attribute
    dependencies = {"row_request": Provide(provide_row_request, sync_to_thread=False)}  # noqa: RUF012  # as tags

    @get(
        "/datasets/{name:str}/resources/{resource:str}/rows.jsonstat",
        operation_id="ExportJsonStat",
        summary="Zeilen als JSON-stat 2.0",
        description="Gleiche Filter, _select und _sort wie rows; Dimensionen = Schlüsselfelder, Status = Zeichen der amtlichen Statistik.",
        sync_to_thread=True,
        media_type="application/json",
    )
    def export_jsonstat(
        self, row_request: NamedDependency[RowRequest], name: Name, resource: ResourceName
    ) -> dict[str, Any]:
        """A dense JSON-stat dataset of the query result."""
        stream = row_request.held().stream(name, resource, row_request.params())
        href = f"{row_request.urls.resource(name, resource)}/rows.jsonstat"
        all_rows = (row for batch in stream.batches for row in batch)
        try:
            return jsonstat_dataset(
                dataset=stream.resource.dataset.model,
                resource=stream.resource.model,
                columns=stream.columns,
                rows=all_rows,
                href=href,
                updated=stream.resource.dataset.modified,
            )
        finally:
            stream.close()  # the connection goes back also when the cube is too large

    @get(
        "/config",
        operation_id="GetConfig",
        summary="Grenzen, Formate, Lizenz und Rate-Limits",
        sync_to_thread=False,
    )
    def get_config(
        self, request: Request[Any, Any, Any], urls: NamedDependency[Urls]
    ) -> dict[str, Any]:
        """Limits, formats, licence and rate limits in one document."""
        settings = request.app.state.settings
        return {
            "api": urls.api_root(),
            "page_size": {"default": settings.default_page_size, "max": settings.max_page_size},
            "dcat_page_size": settings.dcat_page_size,
            "limits": {
                "max_filters": settings.max_filters,
                "max_url_length": settings.max_url_length,
                "query_timeout_seconds": settings.query_timeout_seconds,
                "jsonstat_max_cells": MAX_CELLS,
            },
            "rate_limit": {
                "requests": settings.rate_limit_requests,
                "window_seconds": settings.rate_limit_window_seconds,
                "enabled": settings.rate_limit_requests > 0,
            },
            "formats": {
                "rows": EXPORTS,
                "csv_profiles": list(CSV_PROFILES),
                "rdf": list(RDF),
                "citation": list(STYLES),
                "changes": ["application/feed+json", "application/atom+xml"],
            },
            "filter_operators": list(OPERATORS),
            "license": {"title": LICENSE_TITLE, "url": LICENSE_PATH},
            "status_codes": [
                {"value": code, "label": label} for code, label in STATUS_CODES.items()
            ],
            "releases": {
                "pinned_prefix": PINNED_PREFIX,
                "release_poll_seconds": settings.release_poll_seconds,
            },
        }
