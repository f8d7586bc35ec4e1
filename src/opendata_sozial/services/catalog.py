"""Read the served catalog: the current release, its datasets and their original files."""

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from opendata_sozial.db.file_store import iter_file
from opendata_sozial.db.models import CATALOG_STATE, DATASET, RELEASE, RESOURCE
from opendata_sozial.domain import rfc3339
from opendata_sozial.errors import DatasetNotFound, NotPublished, ReleaseNotFound, ResourceNotFound
from opendata_sozial.media import CSV, original_media_type, original_suffix
from opendata_sozial.model.dataset import Dataset, Resource
from opendata_sozial.model.parse import parse_dataset, parse_table
from opendata_sozial.services.search import SearchQuery, SearchResult, search_datasets
from opendata_sozial.services.search_concepts import NO_CONCEPTS, SearchConcepts
from opendata_sozial.services.search_match import Lexicon

_RECORD_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """The served release: identity and when it was published (UTC)."""

    id: int
    number: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A dataset of the current release: its typed model, parsed once, and the stored JSON.

    ``descriptor`` is the ``datapackage.json`` as stored; only the byte-for-byte download and
    storage read it. Everything else reads ``model``.
    """

    name: str
    title: str
    release: int
    modified: str
    descriptor: dict[str, Any]
    model: Dataset = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Parse the descriptor once (records are cached per release)."""
        object.__setattr__(self, "model", parse_dataset(self.descriptor))


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """A table resource of the current release and where its rows live."""

    dataset: DatasetRecord
    name: str
    table_name: str
    row_count: int
    schema: dict[str, Any]
    """The stored Table Schema, as the query layer builds its table from it."""
    model: Resource = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        """The resource of the dataset's model (parsed from ``schema`` if the model lacks it)."""
        found = self.dataset.model.resource(self.name)
        object.__setattr__(self, "model", found or parse_table(self.name, self.schema))


@dataclass(frozen=True, slots=True)
class FileRecord:
    """An original resource file: identity and size for headers, chunks for the body."""

    file_name: str
    hash: str
    bytes: int
    media_type: str = CSV


def _release_from_row(row: Any) -> ReleaseInfo:  # noqa: ANN401  # a SQLAlchemy row
    created: datetime = row[2]  # SQLite hands back naive datetimes; they were written as UTC
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    return ReleaseInfo(id=int(row[0]), number=int(row[1]), created_at=created)


class CatalogService:
    """Queries against one release: the caller names it (``current_release_info`` or a pin).

    The web layer resolves the release of a request once (``web/request_release.py``) and
    passes it to every read, so one answer never mixes releases.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        release_poll_seconds: float = 0.0,
        concepts: SearchConcepts = NO_CONCEPTS,
    ) -> None:
        """Use ``engine`` for every read; trust a looked-up release for ``release_poll_seconds``.

        ``concepts`` is the search's concept list. Releases are immutable, so dataset and
        resource metadata and the search vocabulary are cached per release id.
        """
        self._engine = engine
        self._concepts = concepts
        self._lexicons: dict[int, Lexicon] = {}
        self._poll_seconds = release_poll_seconds
        self._release: tuple[float, ReleaseInfo] | None = None
        self._records: dict[tuple[int, str, str], DatasetRecord | ResourceRecord] = {}
        self._pinned: dict[int, ReleaseInfo] = {}

    def fresh_release(self) -> ReleaseInfo | None:
        """The current release looked up less than ``release_poll_seconds`` ago, without I/O."""
        cached = self._release
        if cached is not None and time.monotonic() - cached[0] < self._poll_seconds:
            return cached[1]
        return None

    def current_release(self) -> tuple[int, int]:
        """(release id, release number) of the served release; ``NotPublished`` if none."""
        info = self.current_release_info()
        return info.id, info.number

    def release_info(self, number: int) -> ReleaseInfo:
        """A completed release by number (immutable, cached); ``ReleaseNotFound`` otherwise."""
        if number in self._pinned:
            return self._pinned[number]
        query = select(RELEASE.c.id, RELEASE.c.number, RELEASE.c.created_at).where(
            RELEASE.c.number == number, RELEASE.c.status == "complete"
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                numbers = (
                    conn.execute(
                        select(RELEASE.c.number)
                        .where(RELEASE.c.status == "complete")
                        .order_by(RELEASE.c.number)
                    )
                    .scalars()
                    .all()
                )
                listed = ", ".join(map(str, numbers))
                raise ReleaseNotFound(
                    f"Release {number} gibt es nicht; vorhanden: {listed or 'keine'}",
                    english=f"There is no release {number}; available: {listed or 'none'}",
                )
        info = _release_from_row(row)
        self._pinned[number] = info
        return info

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
                "Es ist noch kein Release veröffentlicht; `opendata-sozial publish datapackages` ausführen.",
                english="No release has been published yet; run `opendata-sozial publish datapackages`.",
            )
        info = _release_from_row(row)
        self._release = (checked_at, info)
        return info

    def _remember(
        self, key: tuple[int, str, str], record: "DatasetRecord | ResourceRecord"
    ) -> None:
        if len(self._records) >= _RECORD_CACHE_SIZE:
            self._records.clear()
        self._records[key] = record

    def list_datasets(self, release: ReleaseInfo) -> list[DatasetRecord]:
        """Every dataset of ``release``, ordered by name."""
        release_id, number = release.id, release.number
        query = (
            select(DATASET.c.name, DATASET.c.title, DATASET.c.modified, DATASET.c.descriptor)
            .where(DATASET.c.release_id == release_id)
            .order_by(DATASET.c.name)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        records = []
        for r in rows:  # a record parsed before is reused: releases never change
            cached = self._records.get((release_id, r[0], ""))
            if not isinstance(cached, DatasetRecord):
                cached = DatasetRecord(
                    name=r[0], title=r[1], release=number, modified=rfc3339(r[2]), descriptor=r[3]
                )
                self._remember((release_id, r[0], ""), cached)
            records.append(cached)
        return records

    def search(
        self, release: ReleaseInfo, query: SearchQuery, *, chapters: Mapping[str, str], url: str
    ) -> SearchResult:
        """Search, filter, facet and page ``release`` (see ``services.search``)."""
        with self._engine.connect() as conn:
            return search_datasets(
                conn,
                query,
                release=(release.id, release.number),
                chapters=chapters,
                url=url,
                concepts=self._concepts,
                lexicons=self._lexicons,
            )

    def get_dataset(self, release: ReleaseInfo, name: str) -> DatasetRecord:
        """One dataset of ``release``; ``DatasetNotFound`` names the valid ones."""
        return self._dataset(release, name)

    def licences(self, release: ReleaseInfo, names: Iterable[str]) -> list[tuple[str, str | None]]:
        """The licences of the datasets ``names`` (title, URL of the text), each once, in order.

        A name not in ``release`` is passed over: the caller names what it drew figures from.
        """
        found: dict[tuple[str, str | None], None] = {}
        for name in names:
            try:
                model = self._dataset(release, name).model
            except DatasetNotFound:
                continue
            for licence in model.licences:
                found.setdefault((licence.label, licence.path), None)
        return list(found)

    def _dataset(self, release: ReleaseInfo, name: str) -> DatasetRecord:
        cached = self._records.get((release.id, name, ""))
        if isinstance(cached, DatasetRecord):
            return cached
        columns = (DATASET.c.name, DATASET.c.title, DATASET.c.modified, DATASET.c.descriptor)
        query = select(*columns).where(DATASET.c.release_id == release.id, DATASET.c.name == name)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            names = ", ".join(r.name for r in self.list_datasets(release))
            raise DatasetNotFound(
                f"Datensatz {name!r} gibt es nicht; vorhanden: {names}",
                english=f"There is no dataset {name!r}; available: {names}",
            )
        record = DatasetRecord(
            name=row[0],
            title=row[1],
            release=release.number,
            modified=rfc3339(row[2]),
            descriptor=row[3],
        )
        self._remember((release.id, name, ""), record)
        return record

    def original_file(self, release: ReleaseInfo, name: str, resource: str) -> FileRecord:
        """The original file (CSV, GeoJSON …) of a resource of ``release``."""
        dataset = self.get_dataset(release, name)
        found = dataset.model.resource(resource)
        if found is not None:
            return FileRecord(
                file_name=f"{resource}{original_suffix(found)}",
                hash=found.hash,
                bytes=int(found.bytes or 0),
                media_type=original_media_type(found),
            )
        valid = ", ".join(r.name for r in dataset.model.resources)
        raise ResourceNotFound(
            f"Ressource {resource!r} gibt es in {name!r} nicht; vorhanden: {valid}",
            english=f"There is no resource {resource!r} in {name!r}; available: {valid}",
        )

    def file_chunks(self, file_hash: str) -> Iterator[bytes]:
        """Stream the stored chunks of an original file."""
        with self._engine.connect() as conn:
            yield from iter_file(conn, file_hash)

    def get_resource(self, release: ReleaseInfo, name: str, resource: str) -> ResourceRecord:
        """A resource of a dataset of ``release``, with its physical table."""
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
            valid = ", ".join(r.name for r in dataset.model.resources)
            raise ResourceNotFound(
                f"Ressource {resource!r} gibt es in {name!r} nicht; vorhanden: {valid}",
                english=f"There is no resource {resource!r} in {name!r}; available: {valid}",
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
