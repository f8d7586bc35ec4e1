"""Catalog tables.

Create Date: 2026-11-27
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None

# The single-column indexes of each table (named ix_<table>_<column>), in creation order.
_INDEXED: dict[str, tuple[str, ...]] = {
    "release": ("number",),
    "dataset": ("name", "release_id"),
    "keyword": ("dataset_id", "normalized"),
    "resource": ("dataset_id",),
    "theme": ("code", "dataset_id"),
    "field": ("resource_id",),
}


def _columns(
    type_: sa.types.TypeEngine[Any], *names: str, nullable: bool = False
) -> list[sa.Column[Any]]:
    """One column of ``type_`` for each name, in order (NOT NULL unless ``nullable``)."""
    return [sa.Column(name, type_, nullable=nullable) for name in names]


def _create_table(table: str, *items: sa.schema.SchemaItem, unique_index: bool = False) -> None:
    """Create ``table`` and its single-column indexes from ``_INDEXED``."""
    op.create_table(table, *items)
    if table in _INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in _INDEXED[table]:
                name = batch_op.f(f"ix_{table}_{column}")
                batch_op.create_index(name, [column], unique=unique_index)


def _drop_table(table: str) -> None:
    """Drop the indexes of ``table`` (newest first), then the table."""
    if table in _INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(_INDEXED[table]):
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
    op.drop_table(table)


def _references(column: str, table: str) -> sa.ForeignKeyConstraint:
    """``column`` refers to the ``id`` of ``table``."""
    return sa.ForeignKeyConstraint([column], [f"{table}.id"])


def upgrade() -> None:
    """Apply this revision."""
    _create_table(
        "data_table",
        *_columns(sa.String(), "name", "content_hash", "status"),
        *_columns(sa.Integer(), "row_count"),
        *_columns(sa.DateTime(timezone=True), "created_at"),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("content_hash"),
    )
    _create_table(
        "file_chunk",
        *_columns(sa.String(), "file_hash"),
        *_columns(sa.Integer(), "seq"),
        *_columns(sa.LargeBinary(), "data"),
        sa.PrimaryKeyConstraint("file_hash", "seq"),
    )
    _create_table(
        "release",
        *_columns(sa.Integer(), "id", "number"),
        *_columns(sa.String(), "status"),
        *_columns(sa.DateTime(timezone=True), "created_at"),
        *_columns(sa.String(), "notes"),
        sa.PrimaryKeyConstraint("id"),
        unique_index=True,
    )
    _create_table(
        "catalog_state",
        *_columns(sa.Integer(), "id"),
        *_columns(sa.Integer(), "current_release_id", nullable=True),
        _references("current_release_id", "release"),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "dataset",
        *_columns(sa.Integer(), "id", "release_id"),
        *_columns(sa.String(), "name", "title", "description", "content_hash", "chapter"),
        *_columns(sa.String(), "publisher", "period_start", "period_end", "region_level"),
        *_columns(sa.String(), "search_text"),
        *_columns(sa.DateTime(timezone=True), "issued", "modified"),
        *_columns(sa.JSON(), "descriptor"),
        _references("release_id", "release"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("release_id", "name"),
    )
    _create_table(
        "publish_run",
        *_columns(sa.Integer(), "id"),
        *_columns(sa.DateTime(timezone=True), "started_at"),
        *_columns(sa.DateTime(timezone=True), "finished_at", nullable=True),
        *_columns(sa.String(), "status"),
        *_columns(sa.Integer(), "release_id", nullable=True),
        *_columns(sa.Integer(), "datasets", "rows"),
        *_columns(sa.String(), "message"),
        _references("release_id", "release"),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "keyword",
        *_columns(sa.Integer(), "id", "dataset_id"),
        *_columns(sa.String(), "keyword", "normalized"),
        _references("dataset_id", "dataset"),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "resource",
        *_columns(sa.Integer(), "id", "dataset_id"),
        *_columns(sa.String(), "name"),
        *_columns(sa.Integer(), "position"),
        *_columns(sa.String(), "table_name"),
        *_columns(sa.Integer(), "row_count", "bytes"),
        *_columns(sa.String(), "hash", "path"),
        *_columns(sa.JSON(), "schema"),
        _references("dataset_id", "dataset"),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "theme",
        *_columns(sa.Integer(), "id", "dataset_id"),
        *_columns(sa.String(), "code", "kind"),
        _references("dataset_id", "dataset"),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "field",
        *_columns(sa.Integer(), "id", "resource_id", "position"),
        *_columns(sa.String(), "name", "type", "title"),
        *_columns(sa.String(), "unit", nullable=True),
        *_columns(sa.Boolean(), "is_dimension"),
        _references("resource_id", "resource"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    tables: Sequence[str] = (
        "field",
        "theme",
        "resource",
        "keyword",
        "publish_run",
        "dataset",
        "catalog_state",
        "release",
        "file_chunk",
        "data_table",
    )
    for table in tables:
        _drop_table(table)
