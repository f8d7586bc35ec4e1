"""Per data table with a region column: its place-naming fields and its row counts per group.

Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    """Apply this revision: one row per (data table, region column), found at publish."""
    op.create_table(
        "table_places",
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("key_field", sa.String(), nullable=False),
        sa.Column("place_fields", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "key_field"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("table_places")
