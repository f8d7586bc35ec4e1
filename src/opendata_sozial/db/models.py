"""Catalog tables. Every dataset row belongs to one immutable release."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utc() -> Any:  # noqa: ANN401  # sqlmodel.Field is typed Any
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Release(SQLModel, table=True):
    """A numbered, immutable state of the catalog."""

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    status: str = Field(default="loading", description="loading | complete | failed")
    created_at: datetime = _utc()
    notes: str = ""


class CatalogState(SQLModel, table=True):
    """Single row pointing at the release that is served."""

    __tablename__ = "catalog_state"
    id: int = Field(default=1, primary_key=True)
    current_release_id: int | None = Field(default=None, foreign_key="release.id")


class Dataset(SQLModel, table=True):
    """One package as published in one release."""

    __table_args__ = (UniqueConstraint("release_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    name: str = Field(index=True)
    title: str
    description: str
    content_hash: str
    chapter: str
    publisher: str
    period_start: str
    period_end: str
    region_level: str
    search_text: str
    issued: datetime = _utc()
    modified: datetime = _utc()
    descriptor: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


NO_TABLE = ""
"""``resource.table_name`` of a file resource (GeoJSON, TopoJSON): served as its file only."""


class Resource(SQLModel, table=True):
    """A resource of a dataset and the physical table holding its rows.

    A file resource (``media.file_format``) has no table: ``table_name`` is ``NO_TABLE``,
    ``row_count`` 0 and its schema has no fields; its file is in ``file_chunk`` like every
    original file.
    """

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    name: str
    position: int
    table_name: str
    row_count: int
    bytes: int
    hash: str
    path: str
    table_schema: dict[str, Any] = Field(sa_column=Column("schema", JSON, nullable=False))


class DatasetField(SQLModel, table=True):
    """A column of a resource, for search and filter menus."""

    __tablename__ = "field"
    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id", index=True)
    position: int
    name: str
    type: str
    title: str
    unit: str | None = None
    is_dimension: bool = False


class Keyword(SQLModel, table=True):
    """A keyword of a dataset (as written and normalised for search)."""

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    keyword: str
    normalized: str = Field(index=True)


class Theme(SQLModel, table=True):
    """An EU data theme or report chapter of a dataset."""

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    code: str = Field(index=True)
    kind: str = Field(description="eu | chapter")


class DataTable(SQLModel, table=True):
    """A physical data table, shared by every release whose resource has the same content."""

    __tablename__ = "data_table"
    name: str = Field(primary_key=True)
    content_hash: str = Field(unique=True)
    status: str = Field(default="loading", description="loading | ready")
    row_count: int = 0
    created_at: datetime = _utc()


class FileChunk(SQLModel, table=True):
    """Original resource files, content-addressed by sha256, stored in 1 MiB chunks."""

    __tablename__ = "file_chunk"
    file_hash: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class PublishRun(SQLModel, table=True):
    """One invocation of ``publish``: what it did and how it ended."""

    __tablename__ = "publish_run"
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = _utc()
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    status: str = Field(default="running", description="running | succeeded | unchanged | failed")
    release_id: int | None = Field(default=None, foreign_key="release.id")
    datasets: int = 0
    rows: int = 0
    message: str = ""
    plan: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSON),
        description="added, changed, unchanged and withdrawn datasets (services.publish_plan)",
    )


class TableDiff(SQLModel, table=True):
    """Row changes from one data table to another, counted once at publish (services.row_diff)."""

    __tablename__ = "table_diff"
    old_table: str = Field(primary_key=True)
    new_table: str = Field(primary_key=True)
    added: int
    changed: int
    removed: int
    stored: int = Field(description="changed rows kept in table_diff_row (a limit applies)")
    is_comparable: bool = Field(description="false when the key differs: counts are totals")


class TableDiffRow(SQLModel, table=True):
    """One added, removed or changed row of a ``table_diff``, in key order (``seq``)."""

    __tablename__ = "table_diff_row"
    old_table: str = Field(primary_key=True)
    new_table: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    kind: str = Field(description="added | removed | changed")
    key: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    old: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    new: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class TableValues(SQLModel, table=True):
    """Distinct values of one column of a data table with their counts, counted once at publish.

    A data table never changes, so neither do these: the unfiltered ``values/{field}`` and the
    dataset page's filter menus read them instead of grouping the whole table per request.
    """

    __tablename__ = "table_values"
    table_name: str = Field(primary_key=True)
    field: str = Field(primary_key=True)
    entries: list[Any] = Field(
        sa_column=Column(JSON, nullable=False),
        description="[[value, count], ...] most frequent first, as values/{field} answers",
    )


class TablePlaces(SQLModel, table=True):
    """Facts about a data table with a region column, found once at publish.

    The fields that only name the place (one value per place, several in all) and, per
    combination of ``groups`` (dimensions, unit, period), how many rows the table holds. The
    places themselves with their row counts are ``table_values`` of the key field. A data table
    never changes, so a region profile and the index builder read these instead of scanning it.
    """

    __tablename__ = "table_places"
    table_name: str = Field(primary_key=True)
    key_field: str = Field(primary_key=True)
    place_fields: list[str] = Field(sa_column=Column(JSON, nullable=False))
    groups: list[str] = Field(
        sa_column=Column(JSON, nullable=False), description="the grouped columns, in order"
    )
    entries: list[Any] = Field(
        sa_column=Column(JSON, nullable=False),
        description="[[group value, ..., count], ...] over every row of the table",
    )


# Core views of the same tables, for typed SQLAlchemy Core statements.
RELEASE = SQLModel.metadata.tables["release"]
CATALOG_STATE = SQLModel.metadata.tables["catalog_state"]
DATASET = SQLModel.metadata.tables["dataset"]
RESOURCE = SQLModel.metadata.tables["resource"]
FIELD = SQLModel.metadata.tables["field"]
KEYWORD = SQLModel.metadata.tables["keyword"]
THEME = SQLModel.metadata.tables["theme"]
DATA_TABLE = SQLModel.metadata.tables["data_table"]
FILE_CHUNK = SQLModel.metadata.tables["file_chunk"]
PUBLISH_RUN = SQLModel.metadata.tables["publish_run"]
TABLE_DIFF = SQLModel.metadata.tables["table_diff"]
TABLE_DIFF_ROW = SQLModel.metadata.tables["table_diff_row"]
TABLE_VALUES = SQLModel.metadata.tables["table_values"]
TABLE_PLACES = SQLModel.metadata.tables["table_places"]
