"""Downloads of a profile and of a comparison: CSV (plain or Excel-German) and XLSX.

The figures are the ones of the JSON answers (``formats/regions.py``), one row per figure. The
CSV profiles are those of the row downloads (``formats.export.PROFILES``); the workbook is
written by ``formats.export.write_workbook`` (the home of openpyxl) with a sheet of figures and
a sheet ``Metadaten`` naming every source dataset with its sources, licences and attribution,
the release and the address the file was retrieved from. Its timestamps are those of the
release, so the same release and URL give the same bytes.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO, Final

from opendata_sozial.formats.export import (
    PROFILES,
    Sheet,
    dataset_metadata_rows,
    neutralise,
    status_code_rows,
    write_workbook,
)
from opendata_sozial.formats.formatting import number_text
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.services.regions import Comparison, RegionProfile

_FIGURE_COLUMNS: Final = (
    "datensatz",
    "ressource",
    "indikator",
    "dimensionen",
    "einheit",
    "zeitraum",
    "wert",
    "wert_status",
)
PROFILE_COLUMNS: Final = (
    "ags",
    "region",
    "ebene",
    "bezug",
    *_FIGURE_COLUMNS,
    "rang",
    "anzahl",
    "minimum",
    "median",
    "maximum",
)
COMPARE_COLUMNS: Final = ("ags", "region", "ebene", *_FIGURE_COLUMNS)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a download comes from: title, release, its publication time and its own URL."""

    title: str
    release: int
    published: datetime
    url: str
    datasets: Sequence[DatasetRecord]


def plain_cell(value: Any) -> str:  # noqa: ANN401  # a cell of any type
    """A plain CSV cell of a region download (the index CSV's too).

    Nothing is empty, numbers are spelled as in the API, dates in ISO, formula-like text neutralised.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value) if isinstance(value, str) else str(value)


def _dimensions(dimensions: Sequence[tuple[str, Any]]) -> str:
    return "; ".join(f"{k}={v}" for k, v in dimensions)


def profile_rows(profile: RegionProfile) -> list[list[Any]]:
    """The profile's figures in the columns ``PROFILE_COLUMNS``, values as stored.

    One row per indicator and period of the place (``bezug`` = ``Ort``; the latest period
    carries rank, count, minimum, median and maximum among its peers), and one per parent at
    the latest period (``bezug`` = ``übergeordnet``).
    """
    place = profile.region
    rows: list[list[Any]] = []
    for item in profile.indicators:
        ind = item.indicator
        what = [
            ind.table.dataset,
            ind.table.resource,
            ind.label,
            _dimensions(ind.dimensions),
            ind.unit,
        ]
        stats = item.peers
        for point in item.series:
            peer = (
                [stats.rank, stats.count, stats.minimum, stats.median, stats.maximum]
                if stats is not None and point is item.latest
                else [None] * 5
            )
            head = [place.key, place.name, place.level, "Ort"]
            rows.append([*head, *what, point.period, point.value, point.status, *peer])
        for region, point in item.parents:
            head = [region.key, region.name, region.level, "übergeordnet"]
            rows.append([*head, *what, point.period, point.value, point.status, *[None] * 5])
    return rows


def compare_rows(comparison: Comparison) -> list[list[Any]]:
    """The comparison in the columns ``COMPARE_COLUMNS``: one row per indicator and place."""
    rows: list[list[Any]] = []
    for indicator, _, points in comparison.indicators:
        table = indicator.table
        what = [
            table.dataset,
            table.resource,
            indicator.label,
            _dimensions(indicator.dimensions),
            indicator.unit,
        ]
        for region, point in zip(comparison.regions, points, strict=True):
            head = [region.key, region.name, region.level]
            rows.append([*head, *what, point.period, point.value, point.status])
    return rows


def table_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]], profile: str) -> bytes:
    """``rows`` as CSV in a profile of ``PROFILES`` (``rfc4180``: UTF-8 without BOM).

    Text a spreadsheet would run as a formula gets a leading apostrophe in both profiles.
    """
    separator, line_end, prefix, render = PROFILES[profile]
    cell = plain_cell if profile == "rfc4180" else render
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator=line_end)
    writer.writerow(columns)
    writer.writerows([cell(c) for c in row] for row in rows)
    return prefix + buffer.getvalue().encode("utf-8")


def _sheet_rows(rows: Sequence[Sequence[Any]]) -> Iterator[list[Any]]:
    """Dates as ISO text (as in the JSON answer); every other value as stored."""
    for row in rows:
        yield [v.isoformat() if isinstance(v, date) else v for v in row]


def _provenance_rows(source: Provenance) -> Iterator[list[Any]]:
    yield ["Titel", source.title]
    yield ["Release", str(source.release)]
    yield ["Veröffentlicht", source.published.isoformat(timespec="seconds") + "Z"]
    yield ["Abgerufen von", source.url]
    yield ["Hinweis", "Werte wie veröffentlicht; Rang und Spanne aus den Werten der Ebene."]
    for dataset in source.datasets:
        yield []
        yield from dataset_metadata_rows(dataset)
    yield []
    yield from status_code_rows()


def table_xlsx(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    source: Provenance,
    target: BinaryIO,
) -> None:
    """``rows`` on the sheet ``Daten``, ``source`` on ``Metadaten``; byte-stable per release."""
    sheets = [
        Sheet("Daten", columns, _sheet_rows(rows)),
        Sheet("Metadaten", (), _provenance_rows(source)),
    ]
    write_workbook(sheets, target, stamp=source.published)
