"""Rows of a resource: JSON pages, distinct values and streamed exports."""

from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter
from litestar.response import Response, Stream

from opendata_sozial.formats.cross_table import cross_csv, read_cross_table
from opendata_sozial.formats.export import DEFAULT_PROFILE, render_rows
from opendata_sozial.formats.formatting import number_positions, plain_number, plain_rows
from opendata_sozial.services.rows import ReleaseRows, RowService, RowsPage
from opendata_sozial.urls import Urls
from opendata_sozial.web.downloads import Downloads, attachment, file_stream
from opendata_sozial.web.links import with_query
from opendata_sozial.web.params import (
    FILTER_HELP,
    Cursor,
    Profile,
    ResourceName,
    Select,
    Shape,
    Size,
    Sort,
    csv_profile,
)
from opendata_sozial.web.params import DatasetName as Name
from opendata_sozial.web.request_release import RequestRelease, provide_release
from opendata_sozial.web.responses import RowsPageBody, ValuesBody

MEDIA = {
    "csv": "text/csv",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _params(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """The query as name -> values, both in the order of the URL (never a set's order)."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


def _page_body(page: RowsPage, next_url: str | None) -> RowsPageBody:
    cells = plain_rows(page.rows, number_positions(page.resource.model, page.columns))
    rows: list[Any] = (
        cells
        if page.query.shape == "arrays"
        else [dict(zip(page.columns, r, strict=True)) for r in cells]
    )
    return {
        "dataset": page.resource.dataset.name,
        "resource": page.resource.name,
        "release": page.resource.dataset.release,
        "columns": page.columns,
        "total": page.total,
        "size": len(page.rows),
        "rows": rows,
        "next": next_url,
        "next_cursor": page.next_cursor,
    }


@dataclass(frozen=True, slots=True)
class RowRequest:
    """The ``row_request`` dependency of the row routes: the query, the rows and the URLs."""

    request: Request[Any, Any, Any]
    rows: RowService
    urls: Urls
    release: RequestRelease

    def params(self) -> dict[str, list[str]]:
        """The query as name -> values, in the order of the URL."""
        return _params(self.request)

    def held(self) -> ReleaseRows:
        """The rows of the request's release, looked up now (in the handler's thread)."""
        return self.rows.at(self.release.info())


def provide_row_request(
    request: Request[Any, Any, Any],
    rows: NamedDependency[RowService],
    urls: NamedDependency[Urls],
    release: NamedDependency[RequestRelease],
) -> RowRequest:
    """The ``row_request`` dependency; it does no I/O, so parameters are checked first as before."""
    return RowRequest(request, rows, urls, release)


@dataclass(frozen=True, slots=True)
class Exporter:
    """The ``exporter`` dependency of the export routes: what every download needs."""

    request: Request[Any, Any, Any]
    rows: RowService
    downloads: Downloads

    async def stream(
        self, path: tuple[str, str], fmt: str, suffix: str, profile: str = DEFAULT_PROFILE
    ) -> Stream:
        """Resolve the query, render the whole export into a temporary file, then stream that.

        A bad parameter is answered before queueing; the database is read only while rendering.
        """
        name, resource = path
        params = _params(self.request)
        release = await to_thread.run_sync(provide_release(self.request).info)
        stream = await to_thread.run_sync(self.rows.at(release).stream, name, resource, params)
        key = (
            stream.resource.dataset.release,
            name,
            resource,
            fmt,
            profile,
            sorted(params.items()),
        )
        try:
            rendered = await self.downloads.render(
                repr(key), lambda folder: render_rows(stream, fmt, folder, profile=profile)
            )
        finally:
            stream.close()
        headers = {**attachment(f"{name}-{resource}{suffix}"), "X-Row-Count": str(stream.total)}
        return file_stream(rendered, MEDIA[fmt], headers)


def _exporter(
    request: Request[Any, Any, Any],
    rows: NamedDependency[RowService],
    downloads: NamedDependency[Downloads],
) -> Exporter:
    return Exporter(request, rows, downloads)


_JSON_DOC = "The whole query result as a JSON array of objects, rendered first, then streamed."
_NDJSON_DOC = "The whole query result, one JSON object per line, rendered first, then streamed."
_XLSX_DOC = (
    "Typed cells, frozen header row and a metadata sheet (source, licence, footnotes, symbols)."
)


def _export_handler(fmt: str, operation_id: str, summary: str, doc: str) -> HTTPRouteHandler:
    """The ``/rows.<fmt>`` route: one export format without options of its own."""

    async def export(
        self: Controller, exporter: NamedDependency[Exporter], name: Name, resource: ResourceName
    ) -> Stream:
        return await exporter.stream((name, resource), fmt, f".{fmt}")

    export.__doc__ = doc
    export.__name__ = export.__qualname__ = f"export_{fmt}"
    return get(
        f"/rows.{fmt}",
        operation_id=operation_id,
        media_type=MEDIA[fmt],
        summary=summary,
        description=FILTER_HELP,
    )(export)


CROSS_TABLE_HELP = (
    "One row per combination of the other primary-key fields (and the unit), one column per "
    "period, ascending; a cell holds the value, the status symbol where it is withheld, or "
    "nothing. Rows in the order the query first returns them (`_sort`). At most 100 000 "
    "selected rows. `profile=excel-de`: semicolon, decimal comma, BOM.\n\n"
)


class RowsController(Controller):
    """Row queries and exports of one resource."""

    path = "/api/v1/datasets/{name:str}/resources/{resource:str}"
    tags = ["Zeilen"]  # noqa: RUF012  # Litestar declares it as an instance attribute
    dependencies = {  # noqa: RUF012  # as tags
        "exporter": Provide(_exporter, sync_to_thread=False),
        "row_request": Provide(provide_row_request, sync_to_thread=False),
    }

    @get(
        "/rows",
        operation_id="GetRows",
        summary="Zeilen abfragen (Filter, Sortierung, Seiten)",
        description=FILTER_HELP,
        sync_to_thread=True,
    )
    def get_rows(  # the documented query parameters
        self,
        *,
        row_request: NamedDependency[RowRequest],
        name: Name,
        resource: ResourceName,
        select: Select = None,
        sort: Sort = None,
        size: Size = None,
        cursor: Cursor = None,
        shape: Shape = None,
    ) -> Response[RowsPageBody]:  # documented query parameters, read from the raw query
        """A page of rows with the exact total for the filter and a ``next`` link."""
        page = row_request.held().page(name, resource, row_request.params())
        request, urls = row_request.request, row_request.urls
        next_url = with_query(request, urls, _cursor=page.next_cursor) if page.next_cursor else None
        next_link = f'<{next_url}>; rel="next"' if next_url else None
        headers = {
            "X-Total-Count": str(page.total),
            **urls.link_header(next_link, urls.alternate(name)),
        }
        return Response(_page_body(page, next_url), headers=headers)

    @get(
        "/rows.csv",
        operation_id="ExportCsv",
        media_type=MEDIA["csv"],
        summary="Zeilen als CSV (RFC 4180 oder excel-de)",
        description=FILTER_HELP,
    )
    async def export_csv(
        self,
        exporter: NamedDependency[Exporter],
        name: Name,
        resource: ResourceName,
        profile: Profile = None,
    ) -> Stream:
        """The whole query result as CSV, rendered first, then streamed."""
        chosen = csv_profile(profile)
        suffix = "-excel.csv" if chosen == "excel-de" else ".csv"
        return await exporter.stream((name, resource), "csv", suffix, chosen)

    @get(
        "/crosstab.csv",
        operation_id="ExportCrossTableCsv",
        media_type=MEDIA["csv"],
        summary="Kreuztabelle als CSV: Zeiträume als Spalten",
        description=CROSS_TABLE_HELP + FILTER_HELP,
        sync_to_thread=True,
    )
    def export_cross_table(
        self,
        row_request: NamedDependency[RowRequest],
        name: Name,
        resource: ResourceName,
        profile: Profile = None,
    ) -> Response[bytes]:
        """The selected rows with one column per period (``formats/cross_table.py``)."""
        chosen = csv_profile(profile)
        table = read_cross_table(row_request.held(), name, resource, row_request.params())
        suffix = "-zeitreihe-excel.csv" if chosen == "excel-de" else "-zeitreihe.csv"
        headers = {**attachment(f"{name}-{resource}{suffix}"), "X-Row-Count": str(len(table.rows))}
        return Response(cross_csv(table, chosen), media_type=MEDIA["csv"], headers=headers)

    export_json = _export_handler("json", "ExportJson", "Zeilen als JSON-Array", _JSON_DOC)
    export_ndjson = _export_handler("ndjson", "ExportNdjson", "Zeilen als NDJSON", _NDJSON_DOC)
    export_xlsx = _export_handler("xlsx", "ExportXlsx", "Zeilen als Excel-Arbeitsmappe", _XLSX_DOC)

    @get(
        "/values/{field:str}",
        operation_id="GetValues",
        summary="Ausprägungen eines Felds mit Häufigkeit",
        description=FILTER_HELP,
        sync_to_thread=True,
    )
    def get_values(
        self,
        row_request: NamedDependency[RowRequest],
        name: Name,
        resource: ResourceName,
        field: Annotated[str, PathParameter(description="Feldname")],
    ) -> Response[ValuesBody]:
        """Distinct values with counts (for filter menus), under the same filters as rows."""
        record, values = row_request.held().values(name, resource, field, row_request.params())
        body: ValuesBody = {
            "dataset": name,
            "resource": resource,
            "release": record.dataset.release,
            "field": field,
            "values": [
                {"value": plain_number(v) if isinstance(v, float) else v, "count": n}
                for v, n in values
            ],
        }
        urls = row_request.urls
        return Response(body, headers=urls.link_header(urls.alternate(name)))
