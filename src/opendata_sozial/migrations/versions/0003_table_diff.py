"""Row changes between data tables, computed at publish.

Create Date: 2026-12-03
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"


def _columns(
    type_: sa.types.TypeEngine[Any], *names: str, nullable: bool = False
) -> list[sa.Column[Any]]:
    """One column of ``type_`` for each name, in order (NOT NULL unless ``nullable``)."""
    return [sa.Column(name, type_, nullable=nullable) for name in names]


def upgrade() -> None:
    """Apply this revision: a table of counts per pair of tables, one of the changed rows."""
    op.create_table(
        "table_diff",
        *_columns(sa.String(), "old_table", "new_table"),
        *_columns(sa.Integer(), "added", "changed", "removed", "stored"),
        *_columns(sa.Boolean(), "is_comparable"),
        sa.PrimaryKeyConstraint("old_table", "new_table"),
    )
    op.create_table(
        "table_diff_row",
        *_columns(sa.String(), "old_table", "new_table"),
        *_columns(sa.Integer(), "seq"),
        *_columns(sa.String(), "kind"),
        *_columns(sa.JSON(), "key"),
        *_columns(sa.JSON(), "old", "new", nullable=True),
        sa.PrimaryKeyConstraint("old_table", "new_table", "seq"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("table_diff_row")
    op.drop_table("table_diff")
