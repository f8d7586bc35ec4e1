"""The dataset page's cross-table view (``ansicht=zeitreihe``): periods as columns.

The same filters and sort as the table (``formats/cross_table.py`` pivots the rows API's
rows); at most ``CROSS_PAGE_ROWS`` long rows are shown, and the page says so when there are
more. The whole cross table is the CSV export ``…/crosstab.csv`` with the same query.
"""

from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import urlencode

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.cross_table import CrossPlan, cross_plan, cross_table
from opendata_sozial.formats.formatting import decimals_of, format_cell, format_number
from opendata_sozial.model.dataset import Resource
from opendata_sozial.query.filters import shown
from opendata_sozial.services.rows import ReleaseRows
from opendata_sozial.views.preview import NUMERIC_TYPES, Cell, PreviewRequest

CROSS_VIEW: Final = "zeitreihe"
"""The value of ``ansicht`` that shows the cross table."""
CROSS_PAGE_ROWS: Final = 2000


@dataclass(frozen=True, slots=True)
class CrossView:
    """The cross table as the page shows it: header, rows (labels first), what it leaves out."""

    headers: list[str]
    label_count: int
    rows: list[list[Cell]]
    note: str


@dataclass(frozen=True, slots=True)
class ViewLinks:
    """The table's two views: long rows and periods as columns (``cross_url`` ``None``: none)."""

    rows_url: str
    cross_url: str | None
    is_cross: bool
    cross_csv: str
    """The query of the cross-table export (filters, sort) without the path."""


def view_links(table: Resource, request: PreviewRequest, path: str) -> ViewLinks:
    """The links between the views; a 400 for an ``ansicht`` the table does not have."""
    wanted = dict(request.state).get("ansicht")
    has_cross = cross_plan(table) is not None
    if wanted not in (None, CROSS_VIEW):
        raise InvalidParameter(
            f"Parameter 'ansicht': {shown(str(wanted))} ist ungültig; gültig: {CROSS_VIEW}"
        )
    if wanted and not has_cross:
        raise InvalidParameter(
            f"Parameter 'ansicht': Tabelle {table.name} hat keinen Zeitraum im Schlüssel und "
            "keine Zahlenspalte daneben, also keine Ansicht mit Zeiträumen als Spalten"
        )
    others = tuple((k, v) for k, v in request.state if k != "ansicht")
    long = replace(request, state=others, cursor=None, start=1)
    cross = replace(long, state=(*others, ("ansicht", CROSS_VIEW)))
    return ViewLinks(
        long.url(path),
        cross.url(path) if has_cross else None,
        wanted == CROSS_VIEW,
        urlencode(request.export_query()),
    )


def _label_cells(plan: CrossPlan, table: Resource, labels: tuple[Any, ...]) -> list[Cell]:
    types = {f.name: f.type for f in table.fields}
    return [
        Cell(format_cell(v, field_type=types[n]), False)
        for n, v in zip(plan.labels, labels, strict=True)
    ]


def build_cross_view(
    rows: ReleaseRows, name: str, table: Resource, request: PreviewRequest
) -> CrossView:
    """The cross table of the table's filtered, sorted rows (at most ``CROSS_PAGE_ROWS``)."""
    plan = cross_plan(table)
    assert plan is not None  # noqa: S101  # view_links refused the view without one
    params = {**request.rows_params(), "_size": [str(CROSS_PAGE_ROWS)]}
    params.pop("_cursor", None)
    page = rows.page(name, table.name, params)
    cross = cross_table(plan, page.columns, page.rows)
    titles = {f.name: f.label for f in table.fields}
    value_type = _type(table, plan.value)
    body = [
        [*_label_cells(plan, table, labels), *_value_cells(cells, value_type)]
        for labels, cells in cross.rows
    ]
    note = ""
    if page.total > len(page.rows):
        note = (
            f"Die Ansicht liest die ersten {format_number(len(page.rows))} von "
            f"{format_number(page.total)} Zeilen; die ganze Kreuztabelle steht in der CSV-Datei."
        )
    periods = [format_cell(p, field_type=_type(table, plan.period)) for p in cross.periods]
    headers = [*(titles[n] for n in plan.labels), *periods]
    return CrossView(headers, len(plan.labels), body, note)


def _value_cells(cells: list[Any], value_type: str) -> list[Cell]:
    """One row's cells with the row's own decimals (a count and a rate differ); ``–``: no row."""
    decimals = decimals_of([v for v in cells if isinstance(v, int | float)])
    return [
        Cell(
            format_cell(v, decimals=decimals, field_type=value_type)
            if isinstance(v, int | float)
            else (v or "–"),
            value_type in NUMERIC_TYPES,
        )
        for v in cells
    ]


def _type(table: Resource, name: str) -> str:
    return next(f.type for f in table.fields if f.name == name)
