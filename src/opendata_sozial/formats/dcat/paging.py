"""Which datasets one page of the catalog carries: ``modified_since`` filter and Hydra paging.

Harvesters delete every dataset that a complete run does not see, so the unfiltered catalog
always spans every dataset across its pages, and a page that does not exist is an error, never
an empty catalog.
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar
from urllib.parse import urlencode

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.model.dataset import Dataset

_ISO_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$"
)
# A "+" in an unencoded query string arrives as a blank: "…T10:00:00 01:00".
_BLANK_OFFSET = re.compile(r" (\d{2}:\d{2})$")


class DatasetEntry(Protocol):
    """What the mapping reads of a dataset (``services.catalog.DatasetRecord`` fits)."""

    @property
    def name(self) -> str:
        """The dataset's slug."""

    @property
    def modified(self) -> str:
        """ISO time of the first release with this content (UTC when naive)."""

    @property
    def model(self) -> Dataset:
        """The dataset, parsed from the stored ``datapackage.json``."""


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    """A request for one page: ``url`` is the collection URL without query string."""

    url: str
    size: int
    number: int = 1
    modified_since: datetime | None = None
    kept: tuple[tuple[str, str], ...] = field(default=())

    def link(self, number: int) -> str:
        """The URL of page ``number`` of this collection, with the kept parameters."""
        return f"{self.url}?{urlencode([*self.kept, ('page', str(number))])}"


Entry = TypeVar("Entry", bound=DatasetEntry)


@dataclass(frozen=True, slots=True)
class CatalogPage(Generic[Entry]):
    """The datasets on one page and where that page sits in the whole collection."""

    query: CatalogQuery
    total: int
    entries: Sequence[Entry]

    @property
    def last(self) -> int:
        """The number of the last page (1 for an empty collection)."""
        return max(1, math.ceil(self.total / self.query.size))


def parse_modified_since(value: str | None) -> datetime | None:
    """An ISO date (midnight UTC) or date-time (UTC when no offset is given); ``None`` stays."""
    if value is None:
        return None
    text = _BLANK_OFFSET.sub(r"+\1", value.strip())
    if not _ISO_DATE_TIME.match(text):
        raise InvalidParameter(
            f"modified_since={value!r} ist kein ISO-8601-Datum; gültig sind z. B. 2025-01-31, "
            "2025-01-31T10:00:00Z oder 2025-01-31T10:00:00%2B01:00"
        )
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidParameter(
            f"modified_since={value!r} ist kein gültiges Datum ({exc}); z. B. 2025-01-31"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def modified_at(entry: DatasetEntry) -> datetime:
    """The entry's modification time as an aware UTC datetime."""
    moment = datetime.fromisoformat(entry.modified)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def paginate(entries: Sequence[Entry], query: CatalogQuery) -> CatalogPage[Entry]:
    """Filter by ``modified_since`` and cut out page ``query.number`` (1-based).

    Raises ``InvalidParameter`` for a page below 1 or after the last page.
    """
    since = query.modified_since
    selected = [e for e in entries if since is None or modified_at(e) >= since]
    page: CatalogPage[Entry] = CatalogPage(query=query, total=len(selected), entries=())
    if not 1 <= query.number <= page.last:
        raise InvalidParameter(
            f"page={query.number} gibt es nicht; der Katalog hat {page.last} Seite(n) "
            f"zu je {query.size} Datensätzen (page=1 bis page={page.last})"
        )
    start = (query.number - 1) * query.size
    return CatalogPage(
        query=query, total=len(selected), entries=selected[start : start + query.size]
    )
