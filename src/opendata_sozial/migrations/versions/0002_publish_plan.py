"""Publish runs keep their plan (added, changed, unchanged, withdrawn datasets).

Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("publish_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("publish_run", schema=None) as batch_op:
        batch_op.drop_column("plan")
