"""Read the served catalog: the current release, its datasets and their original files."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from opendata_sozial.db.files import iter_file
from opendata_sozial.db.models import CATALOG_STATE, DATASET, RELEASE, RESOURCE
from opendata_sozial.errors import OpendataError


class NotPublished(OpendataError):
    """Nothing has been published into the database yet."""

    code = "not-published"
    status = 503
    title = "Noch nichts veröffentlicht"


class DatasetNotFound(OpendataError):
    """The named dataset is not in the current release."""

    code = "dataset-not-found"
    status = 404
    title = "Datensatz nicht gefunden"


class ResourceNotFound(OpendataError):
    """The named resource is not part of the dataset."""

    code = "resource-not-found"
    status = 404
    title = "Ressource nicht gefunden"


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
        for record in self.list_datasets():
            if record.name == name:
                return record
        names = ", ".join(r.name for r in self.list_datasets())
        raise DatasetNotFound(f"Datensatz {name!r} gibt es nicht; vorhanden: {names}")

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

    def resource_tables(self, name: str) -> dict[str, str]:
        """Physical table name per resource of a dataset in the current release."""
        release_id, _ = self.current_release()
        query = (
            select(RESOURCE.c.name, RESOURCE.c.table_name)
            .join(DATASET, DATASET.c.id == RESOURCE.c.dataset_id)
            .where(DATASET.c.release_id == release_id, DATASET.c.name == name)
        )
        with self._engine.connect() as conn:
            return {str(r[0]): str(r[1]) for r in conn.execute(query).all()}
