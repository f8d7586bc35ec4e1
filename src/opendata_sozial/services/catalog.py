"""Read the served catalog: the current release, its datasets and their original files."""

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from opendata_sozial.db.files import iter_file
from opendata_sozial.db.models import CATALOG_STATE, DATASET, RELEASE, RESOURCE
from opendata_sozial.errors import DatasetNotFound, NotPublished, ResourceNotFound
from opendata_sozial.services.search import SearchQuery, SearchResult, search_datasets

_RECORD_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """The served release: identity and when it was published (UTC)."""

    id: int
    number: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A dataset of the current release with its descriptor."""

    name: str
    title: str
    release: int
    modified: str
    descriptor: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """A table resource of the current release and where its rows live."""

    dataset: DatasetRecord
    name: str
    table_name: str
    row_count: int
    schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FileRecord:
    """An original resource file: identity and size for headers, chunks for the body."""

    file_name: str
    hash: str
    bytes: int


class CatalogService:
    """Queries against the release that is currently served."""

    def __init__(self, engine: Engine, *, release_poll_seconds: float = 0.0) -> None:
        """Use ``engine`` for every read; trust a looked-up release for ``release_poll_seconds``.

        Releases are immutable, so dataset and resource metadata are cached per release id.
        """
        self._engine = engine
        self._poll_seconds = release_poll_seconds
        self._release: tuple[float, ReleaseInfo] | None = None
        self._records: dict[tuple[int, str, str], DatasetRecord | ResourceRecord] = {}

    def fresh_release(self) -> ReleaseInfo | None:
        """The release looked up less than ``release_poll_seconds`` ago, without I/O."""
        cached = self._release
        if cached is not None and time.monotonic() - cached[0] < self._poll_seconds:
            return cached[1]
        return None

    def current_release(self) -> tuple[int, int]:
        """(release id, release number) of the served release; ``NotPublished`` if none."""
        info = self.current_release_info()
        return info.id, info.number

    def current_release_info(self) -> ReleaseInfo:
        """The served release with its creation time; ``NotPublished`` if none."""
        fresh = self.fresh_release()
        if fresh is not None:
            return fresh
        checked_at = time.monotonic()
        query = select(RELEASE.c.id, RELEASE.c.number, RELEASE.c.created_at).join(
            CATALOG_STATE, CATALOG_STATE.c.current_release_id == RELEASE.c.id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotPublished(
                "Es ist noch kein Release veröffentlicht; `opendata-sozial publish datapackages` ausführen."
            )
        created: datetime = row[2]  # SQLite hands back naive datetimes; they were written as UTC
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        info = ReleaseInfo(id=int(row[0]), number=int(row[1]), created_at=created)
        self._release = (checked_at, info)
        return info

    def _remember(
        self, key: tuple[int, str, str], record: "DatasetRecord | ResourceRecord"
    ) -> None:
        if len(self._records) >= _RECORD_CACHE_SIZE:
            self._records.clear()
        self._records[key] = record

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

    def search(self, query: SearchQuery, *, chapters: Mapping[str, str], url: str) -> SearchResult:
        """Search, filter, facet and page the current release (see ``services.search``)."""
        release = self.current_release()
        with self._engine.connect() as conn:
            return search_datasets(conn, query, release=release, chapters=chapters, url=url)

    def get_dataset(self, name: str) -> DatasetRecord:
        """One dataset of the current release; ``DatasetNotFound`` names the valid ones."""
        return self._dataset(self.current_release_info(), name)

    def _dataset(self, release: ReleaseInfo, name: str) -> DatasetRecord:
        cached = self._records.get((release.id, name, ""))
        if isinstance(cached, DatasetRecord):
            return cached
        columns = (DATASET.c.name, DATASET.c.title, DATASET.c.modified, DATASET.c.descriptor)
        query = select(*columns).where(DATASET.c.release_id == release.id, DATASET.c.name == name)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            names = ", ".join(r.name for r in self.list_datasets())
            raise DatasetNotFound(f"Datensatz {name!r} gibt es nicht; vorhanden: {names}")
        record = DatasetRecord(
            name=row[0],
            title=row[1],
            release=release.number,
            modified=row[2].isoformat(),
            descriptor=row[3],
        )
        self._remember((release.id, name, ""), record)
        return record

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

    def get_resource(self, name: str, resource: str) -> ResourceRecord:
        """A resource of a dataset of the current release, with its physical table."""
        release = self.current_release_info()
        cached = self._records.get((release.id, name, resource))
        if isinstance(cached, ResourceRecord):
            return cached
        dataset = self._dataset(release, name)
        query = (
            select(RESOURCE.c.table_name, RESOURCE.c.row_count, RESOURCE.c.schema)
            .join(DATASET, DATASET.c.id == RESOURCE.c.dataset_id)
            .where(
                DATASET.c.release_id == release.id,
                DATASET.c.name == name,
                RESOURCE.c.name == resource,
            )
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            valid = ", ".join(r["name"] for r in dataset.descriptor.get("resources", []))
            raise ResourceNotFound(
                f"Ressource {resource!r} gibt es in {name!r} nicht; vorhanden: {valid}"
            )
        record = ResourceRecord(
            dataset=dataset,
            name=resource,
            table_name=str(row[0]),
            row_count=int(row[1]),
            schema=row[2],
        )
        self._remember((release.id, name, resource), record)
        return record
