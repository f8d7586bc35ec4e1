"""Render a rows stream as CSV (plain or Excel-German), JSON, NDJSON or XLSX, chunk by chunk.

A download is rendered whole into an anonymous temporary file (``render_rows``) and only then
sent: the database is read at the server's speed, the connection goes back to the pool before
the first byte leaves, and an error while reading becomes a proper problem response instead of a
cut-off ``200``.
"""

import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import msgspec

from opendata_sozial.domain import STATUS_CODES, is_formula_like
from opendata_sozial.formats.formatting import (
    number_positions,
    number_text,
    plain_column,
    plain_number,
    plain_rows,
)
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.services.rows import Batch, RowsStream

if TYPE_CHECKING:  # openpyxl is loaded with the first workbook (see write_xlsx)
    from _typeshed import SizedBuffer, StrPath
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

_ENCODER = msgspec.json.Encoder()


def _plain(value: Any) -> str:  # noqa: ANN401  # a cell of any field type
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (CSV for Excel).

    ``domain.is_formula_like`` decides, as ``validate`` does for its warning.
    """
    return "'" + text if is_formula_like(text) else text


def _excel_de(value: Any) -> str:  # noqa: ANN401
    if isinstance(value, float):
        return number_text(value).replace(".", ",")
    if isinstance(value, str):
        return neutralise(value)
    return _plain(value)


PROFILES: dict[str, tuple[str, str, bytes, Callable[[Any], str]]] = {
    "rfc4180": (",", "\r\n", b"", _plain),
    "excel-de": (";", "\r\n", b"\xef\xbb\xbf", _excel_de),
}
"""CSV profile -> (separator, line end, prefix bytes, cell renderer)."""
DEFAULT_PROFILE: Final = "rfc4180"
PROFILE_NOTES: Final = {
    "rfc4180": "Komma, Dezimalpunkt, CRLF",
    "excel-de": "Semikolon, Dezimalkomma, BOM, CRLF",
}
"""What each CSV profile means, for the API's descriptions (same keys as ``PROFILES``)."""
RENDERED_TYPES: dict[str, frozenset[str]] = {
    "rfc4180": frozenset({"boolean", "number"}),
    "excel-de": frozenset({"boolean", "number", "string", "yearmonth"}),
}
"""Field types whose cells need the profile's renderer. The C ``csv`` writer already writes
every other cell exactly as the renderer would: ``None`` as nothing, dates with
``isoformat`` (``str``), integers and text with ``str``. ``number`` cells are always rendered,
so that an integral value reads ``2016`` as in the canonical CSV, not ``2016.0``."""


def csv_chunks(stream: RowsStream, profile: str) -> Iterator[bytes]:
    """RFC 4180 CSV in UTF-8, or the Excel-German profile (``;``, decimal comma, BOM, CRLF).

    Each batch goes to the C ``csv`` writer in one call; only the columns of a type listed in
    ``RENDERED_TYPES`` are rendered cell by cell first.
    """
    yield csv_header(stream, profile)
    yield from _csv_rows(stream, profile)


def csv_header(stream: RowsStream, profile: str) -> bytes:
    """The profile's prefix (the BOM of ``excel-de``) and the header line."""
    separator, line_end, prefix, _ = PROFILES[profile]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator=line_end).writerow(stream.columns)
    return prefix + buffer.getvalue().encode("utf-8")


def _csv_rows(stream: RowsStream, profile: str) -> Iterator[bytes]:
    separator, line_end, _, render = PROFILES[profile]
    types = {f.name: f.type for f in stream.resource.model.fields}
    rendered = {
        i: COLUMN_RENDERERS.get((profile, types[c]), _cells(render))
        for i, c in enumerate(stream.columns)
        if types.get(c) in RENDERED_TYPES[profile]
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator=line_end)
    for batch in stream.batches:
        if not batch:
            continue
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_render_columns(batch, rendered) if rendered else batch)
        yield buffer.getvalue().encode("utf-8")


def write_csv(stream: RowsStream, target: BinaryIO, profile: str) -> None:
    """The whole CSV into ``target``: spelled by the database where it can, else batch-wise.

    The database writes the RFC 4180 profile (``RowsStream.database_csv``, byte for byte what
    ``csv_chunks`` writes); ``excel-de`` (formula guard, decimal comma) is rendered here.
    """
    target.write(csv_header(stream, profile))
    database = stream.database_csv if profile == DEFAULT_PROFILE else None
    if database is not None and database(target):
        return
    for chunk in _csv_rows(stream, profile):
        target.write(chunk)


ColumnRenderer = Callable[[Sequence[Any]], list[Any]]


def _cells(render: Callable[[Any], str]) -> ColumnRenderer:
    def column(values: Sequence[Any]) -> list[Any]:
        return [render(v) for v in values]

    return column


COLUMN_RENDERERS: dict[tuple[str, str], ColumnRenderer] = {("rfc4180", "number"): plain_column}
"""(profile, field type) -> a whole-column renderer whose cells the writer spells exactly as
the profile's cell renderer would (faster than a call per cell)."""


def _render_columns(batch: Batch, rendered: dict[int, ColumnRenderer]) -> Iterable[Sequence[Any]]:
    columns: list[Sequence[Any]] = list(zip(*batch, strict=True))
    for i, render in rendered.items():
        columns[i] = render(columns[i])
    return zip(*columns, strict=True)


def _objects(columns: list[str], batch: Batch, numbers: list[int]) -> list[dict[str, Any]]:
    rows = plain_rows(batch, numbers) if numbers else batch
    return [dict(zip(columns, row, strict=True)) for row in rows]


def json_chunks(stream: RowsStream) -> Iterator[bytes]:
    """A JSON array of row objects, streamed."""
    numbers = number_positions(stream.resource.model, stream.columns)
    yield b"["
    first = True
    for batch in stream.batches:
        if not batch:
            continue
        body = _ENCODER.encode(_objects(stream.columns, batch, numbers))[1:-1]
        yield body if first else b"," + body
        first = False
    yield b"]\n"


def ndjson_chunks(stream: RowsStream) -> Iterator[bytes]:
    """One JSON object per line."""
    numbers = number_positions(stream.resource.model, stream.columns)
    for batch in stream.batches:
        yield b"".join(
            _ENCODER.encode(obj) + b"\n" for obj in _objects(stream.columns, batch, numbers)
        )


def _sheet_value(sheet: "WriteOnlyWorksheet", value: Any) -> Any:  # noqa: ANN401
    """A cell value as the workbook gets it: numbers plain, formula-like text as a text cell.

    openpyxl writes text starting with ``=`` as a formula; a text cell (``t="inlineStr"``)
    with ``quotePrefix`` and the text format ``@`` is what Excel itself makes of a typed
    ``'=…``: the value shows as it is, without a visible apostrophe, and never runs.
    """
    if isinstance(value, float):
        return plain_number(value)
    if isinstance(value, str) and is_formula_like(value):
        return _text_cell(sheet, value)
    return value


def _text_cell(sheet: "WriteOnlyWorksheet", text: str) -> "Cell":
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    cell.number_format = "@"
    return cell


def dataset_metadata_rows(dataset: DatasetRecord) -> Iterator[list[str]]:
    """A dataset's title, sources, licences, attribution, footnotes and breaks, as sheet rows."""
    d = dataset.model
    yield ["Titel", d.title]
    yield ["Datensatz", dataset.name]
    yield ["Release", str(dataset.release)]
    for source in d.sources:
        yield ["Quelle", f"{source.title} – {source.path or ''}"]
    for lic in d.licences:
        yield ["Lizenz", f"{lic.title or ''} ({lic.path or ''})"]
    yield ["Namensnennung", d.attribution or ""]
    for note in d.footnotes:
        yield [f"Fußnote {note.marker}", note.text]
    for brk in d.breaks:
        yield [f"Zeitreihenbruch {brk.period}", brk.description]


def status_code_rows() -> Iterator[list[str]]:
    """What each status symbol of the data means, as sheet rows."""
    for symbol, label in STATUS_CODES.items():
        yield [f"Zeichen {symbol}", label]


def _bold_row(sheet: "WriteOnlyWorksheet", names: Sequence[str]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    header = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)


def write_xlsx(stream: RowsStream, target: BinaryIO) -> None:
    """Write a workbook (typed cells, frozen header, metadata sheet) into ``target``."""
    # openpyxl (and the numpy it loads) costs a server ~17 MB; load it on the first workbook.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Daten")
    sheet.freeze_panes = "A2"
    _bold_row(sheet, stream.columns)
    for batch in stream.batches:
        for row in batch:
            sheet.append([_sheet_value(sheet, v) for v in row])
    meta = workbook.create_sheet("Metadaten")
    for line in (*dataset_metadata_rows(stream.resource.dataset), *status_code_rows()):
        meta.append([_sheet_value(meta, v) for v in line])
    _save_stable(workbook, target, _stamp(stream.resource.dataset.modified))


EARLIEST_ZIP_TIME: Final = datetime(1980, 1, 1)  # noqa: DTZ001  # ZIP times are naive
"""The earliest time a ZIP entry can carry."""


def _stamp(modified: str) -> datetime:
    """The dataset's modification time as naive UTC: the one time written into its workbook."""
    try:
        moment = datetime.fromisoformat(modified)
    except ValueError:
        return EARLIEST_ZIP_TIME
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return max(moment, EARLIEST_ZIP_TIME)


def _save_stable(workbook: "Workbook", target: BinaryIO, stamp: datetime) -> None:
    """Save ``workbook`` so that the same rows give the same bytes (a strong ETag promises it).

    openpyxl's ``save`` writes the current time into the workbook's properties and into every
    ZIP entry; here both carry ``stamp`` (the dataset's modification time) instead.
    """
    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = workbook.properties.modified = stamp
    with _StableZip(target, stamp) as archive:
        ExcelWriter(workbook, archive).write_data()


class _StableZip(zipfile.ZipFile):
    """A ZIP archive whose entries all carry one time and the same file mode."""

    def __init__(self, target: BinaryIO, stamp: datetime) -> None:
        super().__init__(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._time = stamp.timetuple()[:6]

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: "SizedBuffer | str",
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        """Write ``data`` as an entry with the archive's time (always deflated)."""
        name = (
            zinfo_or_arcname.filename
            if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            else zinfo_or_arcname
        )
        super().writestr(self._info(name), data)

    def write(
        self,
        filename: "StrPath",
        arcname: "StrPath | None" = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        """Copy the file ``filename`` (a worksheet openpyxl wrote aside) as entry ``arcname``."""
        info = self._info(str(arcname or Path(filename).name))
        with Path(filename).open("rb") as source, self.open(info, "w", force_zip64=True) as dest:
            shutil.copyfileobj(source, dest, 1 << 20)


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet of a small workbook: its name, a bold frozen header (or none) and its rows."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def write_workbook(sheets: Sequence[Sheet], target: BinaryIO, *, stamp: datetime) -> None:
    """Write ``sheets`` as one workbook; the same sheets and ``stamp`` give the same bytes.

    ``stamp`` (naive UTC, e.g. when the release was published) is the workbook's created and
    modified time and the time of every zip member, instead of the time of writing.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.name)
        if spec.header:
            sheet.freeze_panes = "A2"
            _bold_row(sheet, spec.header)
        for row in spec.rows:
            sheet.append([_sheet_value(sheet, v) for v in row])
    _save_stable(workbook, target, stamp)


# Rendering a download before it is sent


@dataclass(frozen=True, slots=True)
class Rendered:
    """A whole download in an anonymous temporary file, positioned at its start.

    The file has no name (``O_TMPFILE`` where the system has it), so it disappears when it is
    closed or the process ends; nothing is left behind by an aborted download or a crash.
    """

    file: BinaryIO
    size: int


def _temporary_file(folder: Path) -> BinaryIO:
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryFile(dir=folder)  # handed over open; closed by its reader


def render(write: Callable[[BinaryIO], object], folder: Path) -> Rendered:
    """Run ``write`` into a new temporary file under ``folder``; the file, rewound, and its size.

    Any error of ``write`` (the database's included) propagates before a byte is sent.
    """
    handle = _temporary_file(folder)
    try:
        write(handle)
        size = handle.tell()
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return Rendered(handle, size)


def render_chunks(chunks: Iterable[bytes], folder: Path) -> Rendered:
    """Write ``chunks`` into a temporary file (at the speed of the server, not of a client)."""

    def write(target: BinaryIO) -> None:
        for chunk in chunks:
            target.write(chunk)

    try:
        return render(write, folder)
    finally:
        close = getattr(chunks, "close", None)  # a generator holding a database connection
        if close is not None:
            close()


def render_rows(
    stream: RowsStream, fmt: str, folder: Path, *, profile: str = "rfc4180"
) -> Rendered:
    """The whole export of ``stream`` as ``fmt`` in a temporary file.

    ``fmt`` is ``csv`` (in ``profile``), ``json``, ``ndjson`` or ``xlsx``. The stream's database
    connection is given back at the end, also when writing fails.
    """
    try:
        if fmt == "xlsx":
            return render(lambda target: write_xlsx(stream, target), folder)
        if fmt == "csv":
            return render(lambda target: write_csv(stream, target, profile), folder)
        chunks = {
            "json": lambda: json_chunks(stream),
            "ndjson": lambda: ndjson_chunks(stream),
        }[fmt]()
        return render_chunks(chunks, folder)
    finally:
        stream.close()
