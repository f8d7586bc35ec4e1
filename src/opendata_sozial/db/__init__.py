"""Persistence: catalog tables (SQLModel), typed data tables (SQLAlchemy Core), engines."""
