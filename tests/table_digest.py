"""A digest of every table of a database, to prove that an action changed nothing.

Catalog tables, data tables, stored file chunks and Alembic's version table alike: each table's
columns and rows (in a canonical order) are hashed, on SQLite and PostgreSQL.
"""

import hashlib

from sqlalchemy import MetaData, create_engine, select

from opendata_sozial.db.engine import normalize_url


def table_digests(url: str) -> dict[str, str]:
    """``{table name: sha256 of its columns and sorted rows}`` for every table of ``url``."""
    engine = create_engine(normalize_url(url))
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        digests = {}
        with engine.connect() as conn:
            for name, table in sorted(metadata.tables.items()):
                digest = hashlib.sha256(repr([c.name for c in table.columns]).encode())
                for line in sorted(repr(tuple(row)) for row in conn.execute(select(table))):
                    digest.update(line.encode())
                digests[name] = digest.hexdigest()
    finally:
        engine.dispose()
    return digests
