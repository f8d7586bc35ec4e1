"""Distinct values with counts per column of a data table, counted once at publish.

Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    """Apply this revision: one row per (data table, column) with its values and counts."""
    op.create_table(
        "table_values",
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "field"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("table_values")
