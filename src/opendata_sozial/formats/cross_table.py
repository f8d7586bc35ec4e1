"""Rows with periods as columns (a cross table), for the dataset page and as CSV.

Which columns (``cross_plan``), from the table's schema:

* **Period**: the first primary-key field typed ``year``, ``date`` or ``yearmonth``, else the
  first primary-key field named like a period (``services/indicators.py``: ``period_field``).
* **Value**: the first ``number``/``integer`` field outside the primary key; its status symbol
  from ``<value>_status``.
* **Row labels**: the other primary-key fields, then the value's unit field (``x_unit_field``)
  where it is not part of the key.

A table without a primary key, a period in it or a value field has no cross table. Each row of
the cross table is one combination of the row labels, in the order the long rows first show it
(so the table's filters and ``_sort`` decide the order); the period columns ascend. A cell is
the value, or the status symbol where the value is withheld (``/``, ``.``), or empty where the
long rows have no row for that period.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.export import PROFILES
from opendata_sozial.model.dataset import Resource
from opendata_sozial.services.indicators import NUMBER_TYPES, period_field
from opendata_sozial.services.rows import ReleaseRows

MAX_CROSS_ROWS: Final = 100_000
"""Long rows one cross table reads at most (the export says so and asks for filters)."""


@dataclass(frozen=True, slots=True)
class CrossPlan:
    """The roles of a table's columns in its cross table."""

    period: str
    value: str
    status: str | None
    labels: tuple[str, ...]

    def columns(self) -> list[str]:
        """The long columns the cross table reads: labels, period, value, status."""
        extra = [self.status] if self.status else []
        return [*self.labels, self.period, self.value, *extra]


@dataclass(frozen=True, slots=True)
class CrossTable:
    """Row labels and one cell per period: ``rows`` are (label values, cells)."""

    plan: CrossPlan
    periods: list[Any]
    rows: list[tuple[tuple[Any, ...], list[Any]]]

    @property
    def header(self) -> list[str]:
        """The CSV header: label column names, then each period as text."""
        return [*self.plan.labels, *(period_text(p) for p in self.periods)]


def period_text(period: Any) -> str:  # noqa: ANN401  # a year, date or text
    """A period as a column name: ``2023``, ``2024-12-31``."""
    return period.isoformat() if hasattr(period, "isoformat") else str(period)


def cross_plan(table: Resource) -> CrossPlan | None:
    """The cross table's columns of ``table``, or ``None`` (see the module docstring)."""
    fields = {f.name: f for f in table.fields}
    key = [k for k in table.primary_key if k in fields]
    period = period_field(fields, key)
    value = next(
        (n for n, f in fields.items() if f.type in NUMBER_TYPES and n not in key),
        None,
    )
    if period is None or value is None:
        return None
    unit = fields[value].unit_field
    labels = [k for k in key if k != period]
    if unit in fields and unit not in labels:
        labels.append(unit)
    status = f"{value}_status" if f"{value}_status" in fields else None
    return CrossPlan(period, value, status, tuple(labels))


def cross_table(
    plan: CrossPlan, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> CrossTable:
    """Pivot long ``rows`` (in ``columns`` order) to one row per label combination."""
    index = {name: i for i, name in enumerate(columns)}
    label_at = [index[n] for n in plan.labels]
    period_at, value_at = index[plan.period], index[plan.value]
    status_at = index[plan.status] if plan.status else None
    cells: dict[tuple[Any, ...], dict[Any, Any]] = {}
    periods: set[Any] = set()
    for row in rows:
        labels = tuple(row[i] for i in label_at)
        period = row[period_at]
        value = row[value_at]
        if value is None and status_at is not None:
            value = row[status_at]
        cells.setdefault(labels, {})[period] = value
        periods.add(period)
    ordered = sorted((p for p in periods if p is not None), key=lambda p: (str(type(p)), p))
    return CrossTable(
        plan,
        ordered,
        [(labels, [by_period.get(p) for p in ordered]) for labels, by_period in cells.items()],
    )


def cross_csv(table: CrossTable, profile: str) -> bytes:
    """The cross table as CSV in a profile of ``formats/export.py`` (``excel-de``: ``;``, ``,``)."""
    separator, line_end, prefix, render = PROFILES[profile]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator=line_end)
    writer.writerow(table.header)
    for labels, cells in table.rows:
        writer.writerow([render(v) for v in (*labels, *cells)])
    return prefix + buffer.getvalue().encode("utf-8")


def read_cross_table(
    rows: ReleaseRows, name: str, resource: str, params: Mapping[str, Sequence[str]]
) -> CrossTable:
    """The cross table of the rows a rows query selects (filters and ``_sort``; all columns).

    ``InvalidParameter`` for a table without one (no period or value field) and for more than
    ``MAX_CROSS_ROWS`` long rows.
    """
    query = {k: v for k, v in params.items() if k not in {"_select", "_size", "_cursor"}}
    stream = rows.stream(name, resource, query)
    try:
        plan = cross_plan(stream.resource.model)
        if plan is None:
            raise InvalidParameter(
                f"{name}/{resource} hat keine Kreuztabelle: es fehlt ein Zeitraum im "
                "Primärschlüssel (Jahr, Datum) oder eine Zahlenspalte außerhalb davon"
            )
        if stream.total > MAX_CROSS_ROWS:
            raise InvalidParameter(
                f"Die Filter wählen {stream.total} Zeilen; eine Kreuztabelle liest höchstens "
                f"{MAX_CROSS_ROWS}. Bitte mit Filtern (Feld=Wert) eingrenzen"
            )
        return cross_table(plan, stream.columns, (r for batch in stream.batches for r in batch))
    finally:
        stream.close()
