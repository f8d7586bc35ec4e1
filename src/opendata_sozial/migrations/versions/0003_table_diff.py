"""Row changes between data tables, computed at publish.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "table_diff",
        sa.Column("old_table", sa.String(), nullable=False),
        sa.Column("new_table", sa.String(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("is_comparable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("old_table", "new_table"),
    )
    op.create_table(
        "table_diff_row",
        sa.Column("old_table", sa.String(), nullable=False),
        sa.Column("new_table", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.JSON(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("old_table", "new_table", "seq"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("table_diff_row")
    op.drop_table("table_diff")
