"""Alembic environment: runs against the engine handed over in the config attributes."""

from alembic import context
from sqlmodel import SQLModel

import opendata_sozial.db.models  # noqa: F401  # registers the tables on SQLModel.metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()
