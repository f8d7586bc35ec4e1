"""Row queries over a resource's data table: pages, full streams and distinct values."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, MetaData, Select, Table

from opendata_sozial.db.csv_export import database_csv_writer, spelled_columns
from opendata_sozial.db.data_tables import ROW_COLUMN, define_data_table, stored_values
from opendata_sozial.db.models import NO_TABLE
from opendata_sozial.errors import InvalidParameter, ResourceNotFound
from opendata_sozial.model.dataset import Resource
from opendata_sozial.query.builder import (
    Conditions,
    count_select,
    decode_cursor,
    encode_cursor,
    export_select,
    fingerprint,
    keyset_segments,
    rows_select,
    selected_columns,
    total_order,
    values_select,
    where_clause,
)
from opendata_sozial.query.filters import FieldSpec, RowQuery, parse_row_query
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo, ResourceRecord

STREAM_BATCH = 5_000
Row = tuple[Any, ...]
Batch = Sequence[Sequence[Any]]
"""Rows of a stream: tuples, or the database driver's row objects passed on as they come."""


@lru_cache(maxsize=512)
def _table(name: str, schema_json: str) -> Table:
    import json

    return define_data_table(name, json.loads(schema_json), MetaData())


def data_table(record: ResourceRecord) -> Table:
    """The SQLAlchemy table of a resource (cached per physical table)."""
    import json

    return _table(record.table_name, json.dumps(record.schema, sort_keys=True))


def field_specs(table: Resource) -> list[FieldSpec]:
    """The query layer's view of a resource's fields."""
    return [FieldSpec(name=f.name, type=f.type) for f in table.fields]


@dataclass(frozen=True, slots=True)
class RowsPage:
    """One page of a rows query."""

    resource: ResourceRecord
    columns: list[str]
    rows: list[Row]
    total: int
    next_cursor: str | None
    query: RowQuery


@dataclass(frozen=True, slots=True)
class RowsStream:
    """Every row of a query, streamed in batches, with the exact count up front.

    The batches hold a database connection from the first batch until the last one or
    ``close()``: consume them at server speed (``formats/export.py`` renders them into a
    temporary file), never at a client's pace.

    ``database_csv``, where there is one, writes the same rows as RFC 4180 CSV without a
    header, spelled by the database (``db/csv_export.py``) instead of cell by cell in Python;
    it returns ``False``, having written nothing, where the database cannot spell this export.
    """

    resource: ResourceRecord
    columns: list[str]
    total: int
    batches: Iterator[Batch]
    database_csv: Callable[[BinaryIO], bool] | None = None

    def close(self) -> None:
        """Give the connection back now, even if not every batch was read."""
        close = getattr(self.batches, "close", None)
        if close is not None:
            close()


class RowService:
    """Rows of a release the caller names (``at(release)`` binds one)."""

    def __init__(
        self, engine: Engine, catalog: CatalogService, *, default_size: int, max_size: int
    ) -> None:
        """Read through ``engine``; page sizes from the settings."""
        self._engine = engine
        self._catalog = catalog
        self._default_size = default_size
        self._max_size = max_size

    def at(self, release: ReleaseInfo) -> "ReleaseRows":
        """The rows of ``release``: ``page``, ``stream`` and ``values`` without naming it again."""
        return ReleaseRows(self, release)

    def _prepare(
        self, release: ReleaseInfo, name: str, resource: str, params: Mapping[str, Sequence[str]]
    ) -> tuple[ResourceRecord, Table, RowQuery]:
        record = self._catalog.get_resource(release, name, resource)
        if record.table_name == NO_TABLE:
            raise ResourceNotFound(
                f"Ressource {resource!r} von {name!r} ist eine Datei (GeoJSON/TopoJSON) ohne "
                "Zeilen; es gibt sie nur als Originaldatei, als Download der Ressource mit "
                "ihrer Endung (.geojson, .topojson)"
            )
        query = parse_row_query(params, field_specs(record.model), max_size=self._max_size)
        return record, data_table(record), query

    def page(
        self, release: ReleaseInfo, name: str, resource: str, params: Mapping[str, Sequence[str]]
    ) -> RowsPage:
        """One page (``_size`` rows after ``_cursor``) with the exact total for the filter."""
        record, table, query = self._prepare(release, name, resource, params)
        size = query.size or self._default_size
        columns = list(query.select or [f.name for f in record.model.fields])
        keys = total_order(query, record.model.primary_key)
        dialect = self._engine.dialect.name
        condition = where_clause(table, query.filters, dialect)
        print_ = fingerprint(record.table_name, query.filters, keys)
        segments: list[Conditions] = [condition]
        bound: dict[str, Any] = {}
        if query.cursor:
            types = {f.name: f.type for f in record.model.fields}
            after = decode_cursor(query.cursor, keys, types, print_)
            parts, bound = keyset_segments(table, keys, after, dialect)
            segments = [(*condition, part) for part in parts]
        with self._engine.connect() as conn:
            total = _total(conn, record, table, condition)
            fetched = _read_segments(
                conn, rows_select(table, columns, (), keys), segments, bound, size + 1
            )
        has_more = len(fetched) > size
        fetched = fetched[:size]
        width = len(columns)
        selected = selected_columns(columns, keys)
        key_index = [selected.index(k.field) for k in keys]
        next_cursor = (
            encode_cursor([fetched[-1][i] for i in key_index], print_)
            if has_more and fetched
            else None
        )
        return RowsPage(
            record, columns, [tuple(r[:width]) for r in fetched], total, next_cursor, query
        )

    def stream(
        self, release: ReleaseInfo, name: str, resource: str, params: Mapping[str, Sequence[str]]
    ) -> RowsStream:
        """All rows of the query (or one page when ``_size``/``_cursor`` are given)."""
        record, table, query = self._prepare(release, name, resource, params)
        if query.size is not None or query.cursor is not None:
            page = self.page(release, name, resource, params)
            return RowsStream(record, page.columns, len(page.rows), iter([page.rows]))
        columns = list(query.select or [f.name for f in record.model.fields])
        keys = total_order(query, record.model.primary_key)
        condition = where_clause(table, query.filters, self._engine.dialect.name)
        with self._engine.connect() as conn:
            total = _total(conn, record, table, condition)
        statement = export_select(table, columns, condition, keys)
        return RowsStream(
            record,
            columns,
            total,
            self._batches(statement),
            self._database_csv(record, table, columns, statement),
        )

    def _database_csv(
        self,
        record: ResourceRecord,
        table: Table,
        columns: list[str],
        statement: Select[Any],
    ) -> Callable[[BinaryIO], bool] | None:
        """The database's CSV writer for the export ``statement`` (its columns spelled)."""
        types = {f.name: f.type for f in record.model.fields}
        spelled = spelled_columns(table, columns, types, self._engine.dialect.name)
        if spelled is None:
            return None
        numbers = [c for c in dict.fromkeys(columns) if types.get(c) == "number"]
        text = statement.with_only_columns(*spelled).select_from(table)
        return database_csv_writer(self._engine, table, text, numbers)

    def _batches(self, statement: Any) -> Iterator[Batch]:  # noqa: ANN401  # Select
        """The result in lists of rows, read from a server-side cursor where there is one.

        The rows are SQLAlchemy's own row objects (sequences), passed on without copying. The
        connection is checked out at the first batch and returned after the last (or when the
        generator is closed).
        """
        with (
            self._engine.connect() as conn,
            conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(
                statement
            ) as result,  # a stream closed early closes its server-side cursor first
        ):
            yield from result.partitions(STREAM_BATCH)

    def values(
        self,
        release: ReleaseInfo,
        name: str,
        resource: str,
        field: str,
        params: Mapping[str, Sequence[str]],
    ) -> tuple[ResourceRecord, list[tuple[Any, int]]]:
        """Distinct values of ``field`` with counts, under the same filters as rows."""
        record, table, query = self._prepare(release, name, resource, params)
        names = [f.name for f in record.model.fields]
        if field not in names or field == ROW_COLUMN:
            raise InvalidParameter(
                f"Feld {field!r} gibt es in {name}/{resource} nicht; Felder: {', '.join(names)}"
            )
        statement = values_select(
            table, field, where_clause(table, query.filters, self._engine.dialect.name)
        )
        with self._engine.connect() as conn:
            if not query.filters:  # counted once at publish where the column is a dimension
                field_type = record.model.fields[names.index(field)].type
                stored = stored_values(conn, record.table_name, field, field_type)
                if stored is not None:
                    return record, stored
            return record, [(row[0], int(row[1])) for row in conn.execute(statement).all()]


def _read_segments(
    conn: Connection,
    base: Select[Any],
    segments: Sequence[Conditions],
    bound: dict[str, Any],
    wanted: int,
) -> list[Any]:
    """Up to ``wanted`` rows of ``base`` (ordered, unfiltered), segment after segment."""
    fetched: list[Any] = []
    for segment in segments:  # in the total order: a later segment only when this one ran out
        if len(fetched) >= wanted:
            break
        statement = base.where(*segment).limit(wanted - len(fetched))
        fetched += conn.execute(statement, bound).all()
    return fetched


def _total(conn: Connection, record: ResourceRecord, table: Table, condition: Conditions) -> int:
    """Rows matching ``condition``: the count kept at publish when there is no filter."""
    if not condition:
        return record.row_count
    return int(conn.execute(count_select(table, condition)).scalar_one())


@dataclass(frozen=True, slots=True)
class ReleaseRows:
    """The rows of one release (``RowService.at``): what a page or export of a request reads."""

    service: RowService
    release: ReleaseInfo

    def page(self, name: str, resource: str, params: Mapping[str, Sequence[str]]) -> RowsPage:
        """``RowService.page`` of this release."""
        return self.service.page(self.release, name, resource, params)

    def stream(self, name: str, resource: str, params: Mapping[str, Sequence[str]]) -> RowsStream:
        """``RowService.stream`` of this release."""
        return self.service.stream(self.release, name, resource, params)

    def values(
        self, name: str, resource: str, field: str, params: Mapping[str, Sequence[str]]
    ) -> tuple[ResourceRecord, list[tuple[Any, int]]]:
        """``RowService.values`` of this release."""
        return self.service.values(self.release, name, resource, field, params)
