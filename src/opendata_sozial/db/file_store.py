"""Original files stored content-addressed in the database, in chunks."""

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, select

from opendata_sozial.db.models import FILE_CHUNK, NO_TABLE, RESOURCE
from opendata_sozial.model.dataset import Resource

CHUNK = 1 << 20


def store_file(connection: Connection, file_hash: str, path: Path) -> bool:
    """Store ``path`` under its hash unless it is already there. True when stored now."""
    exists = connection.execute(
        select(FILE_CHUNK.c.seq).where(FILE_CHUNK.c.file_hash == file_hash).limit(1)
    ).first()
    if exists is not None:
        return False
    with path.open("rb") as handle:
        seq = 0
        while chunk := handle.read(CHUNK):
            connection.execute(FILE_CHUNK.insert().values(file_hash=file_hash, seq=seq, data=chunk))
            seq += 1
    return True


def iter_file(connection: Connection, file_hash: str) -> Iterator[bytes]:
    """Yield the stored chunks of a file in order."""
    seqs = (
        connection.execute(
            select(FILE_CHUNK.c.seq)
            .where(FILE_CHUNK.c.file_hash == file_hash)
            .order_by(FILE_CHUNK.c.seq)
        )
        .scalars()
        .all()
    )
    for seq in seqs:
        data = connection.execute(
            select(FILE_CHUNK.c.data).where(
                FILE_CHUNK.c.file_hash == file_hash, FILE_CHUNK.c.seq == seq
            )
        ).scalar_one()
        yield bytes(data)


def insert_file_resource(
    connection: Connection, dataset_id: int, position: int, resource: Resource
) -> None:
    """Record a non-tabular resource (its file is stored by hash): no data table, no rows."""
    connection.execute(
        RESOURCE.insert().values(
            dataset_id=dataset_id,
            name=resource.name,
            position=position,
            table_name=NO_TABLE,
            row_count=0,
            bytes=resource.bytes,
            hash=resource.hash,
            path=resource.path,
            schema={"fields": []},
        )
    )
