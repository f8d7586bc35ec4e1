"""Read the served catalog: the current release, its datasets and their original files."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from opendata_sozial.db.files import iter_file
from opendata_sozial.db.models import CATALOG_STATE, DATASET, RELEASE
from opendata_sozial.errors import DatasetNotFound, NotPublished, ResourceNotFound


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A dataset of the current release with its descriptor."""

    name: str
    title: str
    release: int
    modified: str
    descriptor: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FileRecord:
    """An original resource file: identity and size for headers, chunks for the body."""

    file_name: str
    hash: str
    bytes: int


class CatalogService:
    """Queries against the release that is currently served."""

    def __init__(self, engine: Engine) -> None:
        """Use ``engine`` for every read."""
        self._engine = engine

    def current_release(self) -> tuple[int, int]:
        """(release id, release number) of the served release; ``NotPublished`` if none."""
        query = select(RELEASE.c.id, RELEASE.c.number).join(
            CATALOG_STATE, CATALOG_STATE.c.current_release_id == RELEASE.c.id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotPublished(
                "Es ist noch kein Release veröffentlicht; `opendata-sozial publish datapackages` ausführen."
            )
        return int(row[0]), int(row[1])

    def list_datasets(self) -> list[DatasetRecord]:
        """Every dataset of the current release, ordered by name."""
        release_id, number = self.current_release()
        query = (
            select(DATASET.c.name, DATASET.c.title, DATASET.c.modified, DATASET.c.descriptor)
            .where(DATASET.c.release_id == release_id)
            .order_by(DATASET.c.name)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            DatasetRecord(
                name=r[0], title=r[1], release=number, modified=r[2].isoformat(), descriptor=r[3]
            )
            for r in rows
        ]

    def get_dataset(self, name: str) -> DatasetRecord:
        """One dataset of the current release; ``DatasetNotFound`` names the valid ones."""
        release_id, number = self.current_release()
        columns = (DATASET.c.name, DATASET.c.title, DATASET.c.modified, DATASET.c.descriptor)
        query = select(*columns).where(DATASET.c.release_id == release_id, DATASET.c.name == name)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            names = ", ".join(r.name for r in self.list_datasets())
            raise DatasetNotFound(f"Datensatz {name!r} gibt es nicht; vorhanden: {names}")
        return DatasetRecord(
            name=row[0],
            title=row[1],
            release=number,
            modified=row[2].isoformat(),
            descriptor=row[3],
        )

    def original_file(self, name: str, resource: str) -> FileRecord:
        """The original CSV of a resource of the current release."""
        dataset = self.get_dataset(name)
        for res in dataset.descriptor.get("resources", []):
            if res["name"] == resource:
                return FileRecord(
                    file_name=f"{resource}.csv", hash=str(res["hash"]), bytes=int(res["bytes"])
                )
        valid = ", ".join(r["name"] for r in dataset.descriptor.get("resources", []))
        raise ResourceNotFound(
            f"Ressource {resource!r} gibt es in {name!r} nicht; vorhanden: {valid}"
        )

    def file_chunks(self, file_hash: str) -> Iterator[bytes]:
        """Stream the stored chunks of an original file."""
        with self._engine.connect() as conn:
            yield from iter_file(conn, file_hash)
