"""Catalog search over the current release: full text, facet filters and counts, sort, paging.

The catalog holds dozens of datasets, not millions. One query loads the release's datasets with
their stored ``search_text``, one more their keywords and themes; matching (``search_match``:
words, concepts, compound parts, typos), filters, facet counts, sorting and paging then run in
Python over those rows, so SQLite and PostgreSQL answer alike.
"""

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, NoReturn
from urllib.parse import urlencode

from sqlalchemy import Connection, String, literal, select, union_all

from opendata_sozial.db.models import DATASET, KEYWORD, THEME
from opendata_sozial.domain import EU_THEMES, GEOCODING_LEVELS, rfc3339
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.services.search_concepts import NO_CONCEPTS, SearchConcepts
from opendata_sozial.services.search_match import Lexicon, Slot, build_lexicon, read_query
from opendata_sozial.services.search_text import search_document, search_terms

SORTS: Final = (
    "name",
    "-name",
    "title",
    "-title",
    "modified",
    "-modified",
    "period_end",
    "-period_end",
    "relevance",
)
DEFAULT_SIZE: Final = 20
MAX_SIZE: Final = 500
EXCERPT_LENGTH: Final = 300
MAX_TERMS: Final = 32
LEXICON_CACHE_SIZE: Final = 8
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_COLLATION = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})

# Facet -> the filter it ignores when counting (so a client sees the alternatives it can add).
_FACET_FILTER: Final = {
    "theme": "theme",
    "chapter": "theme",
    "keyword": "keyword",
    "publisher": "publisher",
    "region_level": "region_level",
}


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a client asked for, as given; ``check_query`` says whether it is valid."""

    q: str = ""
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    publisher: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    region_level: str | None = None
    sort: str | None = None
    size: int = DEFAULT_SIZE
    page: int = 1

    def effective_sort(self) -> str:
        """``sort`` if given, else relevance for a full-text query and name otherwise."""
        if self.sort:
            return self.sort
        return "relevance" if search_terms(self.q) else "name"


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """One hit: what a result list shows, with the link to the full metadata."""

    name: str
    title: str
    description: str
    chapter: str
    themes: list[str]
    keywords: list[str]
    publisher: str
    period_start: str
    period_end: str
    region_level: str
    modified: str
    url: str


@dataclass(frozen=True, slots=True)
class FacetCount:
    """A facet value, its human label and how many datasets carry it."""

    value: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class AlsoRead:
    """A word or phrase of ``q`` and what else it was searched as.

    ``how`` of each reading: begriff, verwandt, zerlegt or tippfehler.
    """

    words: str
    concept: str | None
    read_as: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class RelatedDataset:
    """A dataset a hint points to."""

    name: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class SearchHint:
    """Why a full-text search found nothing, and where to look instead."""

    concept: str
    text: str
    related: list[RelatedDataset]


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits with the total, the facet counts and the paging links.

    ``interpretation`` lists the query's words that were also searched in other words;
    ``hint`` is set when nothing was found and the concept list knows a word of ``q``.
    """

    release: int
    total: int
    page: int
    size: int
    pages: int
    datasets: list[DatasetSummary]
    facets: dict[str, list[FacetCount]]
    links: dict[str, str | None]
    interpretation: list[AlsoRead]
    hint: SearchHint | None


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    title: str
    description: str
    chapter: str
    publisher: str
    period_start: str
    period_end: str
    region_level: str
    modified: datetime
    search_text: str
    themes: tuple[str, ...]
    keywords: tuple[str, ...]


Predicate = Callable[[_Row], bool]


def search_datasets(
    conn: Connection,
    query: SearchQuery,
    *,
    release: tuple[int, int],
    chapters: Mapping[str, str],
    url: str,
    concepts: SearchConcepts = NO_CONCEPTS,
    lexicons: MutableMapping[int, Lexicon] | None = None,
) -> SearchResult:
    """Search the release ``(id, number)``; ``chapters`` labels chapter ids, ``url`` is the list URL.

    ``concepts`` is the concept list; ``lexicons`` keeps each release's vocabulary (built only
    when a word needs the fallbacks) between calls. Raises ``InvalidParameter`` naming the first bad parameter
    and what would be valid.
    """
    check_query(query, chapter_ids=chapters.keys())
    every = _load_rows(conn, release[0])
    slots = read_query(
        query.q,
        concepts,
        documents=[row.search_text for row in every],
        lexicon=lambda: _lexicon(every, release[0], lexicons),
    )
    rows = [row for row in every if all(slot.matches(row.search_text) for slot in slots)]
    filters = _filters(query)
    hits = _ordered(_passing(rows, filters), query.effective_sort(), slots)
    pages = math.ceil(len(hits) / query.size)
    start = (query.page - 1) * query.size
    return SearchResult(
        release=release[1],
        total=len(hits),
        page=query.page,
        size=query.size,
        pages=pages,
        datasets=[_summary(row, url) for row in hits[start : start + query.size]],
        facets=_facets(rows, filters, chapters),
        links=_links(query, url, pages),
        interpretation=_interpretation(slots, every),
        hint=None if hits else _hint(slots, every, url),
    )


# Validation


def check_query(query: SearchQuery, *, chapter_ids: Collection[str]) -> None:
    """Raise ``InvalidParameter`` for the first parameter that is out of range or unknown."""
    if query.sort is not None and query.sort not in SORTS:
        _invalid("_sort", query.sort, f"gültig: {', '.join(SORTS)}")
    if not 1 <= query.size <= MAX_SIZE:
        _invalid("_size", query.size, f"gültig: 1 bis {MAX_SIZE}")
    if query.page < 1:
        _invalid("page", query.page, "gültig: 1 oder größer")
    if len(set(search_terms(query.q))) > MAX_TERMS:
        _invalid("q", query.q[:80], f"höchstens {MAX_TERMS} verschiedene Suchwörter")
    if query.region_level is not None and query.region_level not in GEOCODING_LEVELS:
        _invalid("region_level", query.region_level, f"gültig: {', '.join(GEOCODING_LEVELS)}")
    valid_themes = sorted(EU_THEMES) + sorted(chapter_ids, key=int)
    for theme in query.themes:
        if _theme_code(theme) not in valid_themes:
            _invalid("theme", theme, f"gültig: {', '.join(valid_themes)}")
    _check_period(query.period_from, query.period_to)


def _check_period(period_from: str | None, period_to: str | None) -> None:
    for parameter, value in (("period_from", period_from), ("period_to", period_to)):
        if value is not None and not _is_period(value):
            _invalid(
                parameter, value, "erwartet ein Jahr oder ISO-Datum: 2010, 2010-05, 2010-05-31"
            )
    if period_from and period_to and _lower(period_from) > _upper(period_to):
        _invalid("period_from", period_from, f"liegt nach period_to={period_to}")


def _invalid(parameter: str, value: object, hint: str) -> NoReturn:
    raise InvalidParameter(f"Parameter {parameter!r}: {value!r} ist ungültig; {hint}")


def _is_period(value: str) -> bool:
    """A year, year-month or real calendar date (2010, 2010-05, 2010-05-31)."""
    if not _PERIOD.match(value):
        return False
    try:
        date.fromisoformat(value if len(value) == 10 else f"{value[:4]}-01-01")
    except ValueError:
        return False
    return True


def _theme_code(value: str) -> str:
    return value.upper() if value.upper() in EU_THEMES else value


def _lower(period: str) -> str:
    """Earliest instant of a year, month or day as a comparable string (2010 -> 2010-00-00)."""
    return period + "-00-00"[max(len(period) - 4, 0) :]


def _upper(period: str) -> str:
    """Latest instant of a year, month or day as a comparable string (2010 -> 2010-99-99)."""
    return period + "-99-99"[max(len(period) - 4, 0) :]


# Loading


def _load_rows(conn: Connection, release_id: int) -> list[_Row]:
    """The datasets of the release with their search text, themes and keywords."""
    c = DATASET.c
    query = select(
        c.id,
        c.name,
        c.title,
        c.description,
        c.chapter,
        c.publisher,
        c.period_start,
        c.period_end,
        c.region_level,
        c.modified,
        c.search_text,
    ).where(c.release_id == release_id)
    datasets = conn.execute(query).all()
    themes, keywords = _load_tags(conn, release_id)
    return [
        _Row(
            *row[1:],
            themes=tuple(themes.get(row[0], ())),
            keywords=tuple(keywords.get(row[0], ())),
        )
        for row in datasets
    ]


def _load_tags(
    conn: Connection, release_id: int
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """(EU themes, keywords) per dataset id of the release, in the order they were published."""
    in_release = select(DATASET.c.id).where(DATASET.c.release_id == release_id)
    keywords = select(
        KEYWORD.c.id, KEYWORD.c.dataset_id, literal("keyword", String), KEYWORD.c.keyword
    ).where(KEYWORD.c.dataset_id.in_(in_release))
    themes = select(THEME.c.id, THEME.c.dataset_id, THEME.c.kind, THEME.c.code).where(
        THEME.c.dataset_id.in_(in_release), THEME.c.kind == "eu"
    )
    by_kind: dict[str, dict[int, list[str]]] = {"eu": {}, "keyword": {}}
    for _, dataset_id, kind, value in sorted(conn.execute(union_all(keywords, themes)).all()):
        by_kind[kind].setdefault(dataset_id, []).append(value)
    return by_kind["eu"], by_kind["keyword"]


# Filters and facets


def _filters(query: SearchQuery) -> dict[str, Predicate]:
    """One predicate per given parameter; OR within a parameter, AND across parameters."""
    filters: dict[str, Predicate] = {}
    if query.themes:
        themes = {_theme_code(t) for t in query.themes}
        filters["theme"] = lambda r: not themes.isdisjoint((*r.themes, r.chapter))
    if query.keywords:
        keywords = {k.casefold() for k in query.keywords}
        filters["keyword"] = lambda r: not keywords.isdisjoint(k.casefold() for k in r.keywords)
    if query.publisher is not None:
        filters["publisher"] = lambda r: r.publisher == query.publisher
    if query.region_level is not None:
        filters["region_level"] = lambda r: r.region_level == query.region_level
    if query.period_from or query.period_to:
        start, end = _lower(query.period_from or "0000"), _upper(query.period_to or "9999")
        filters["period"] = lambda r: (
            _lower(r.period_start) <= end and _upper(r.period_end) >= start
        )
    return filters


def _passing(rows: Iterable[_Row], filters: Mapping[str, Predicate], skip: str = "") -> list[_Row]:
    checks = [check for name, check in filters.items() if name != skip]
    return [row for row in rows if all(check(row) for check in checks)]


def _facet_values(facet: str, row: _Row) -> Iterable[str]:
    if facet == "theme":
        return set(row.themes)
    if facet == "keyword":
        return {k.casefold() for k in row.keywords}
    value = str(getattr(row, facet))
    return (value,) if value else ()


def _facets(
    rows: Sequence[_Row], filters: Mapping[str, Predicate], chapters: Mapping[str, str]
) -> dict[str, list[FacetCount]]:
    """Counts over the hits as they would be without the facet's own filter."""
    labels: dict[str, Mapping[str, str]] = {
        "theme": EU_THEMES,
        "chapter": chapters,
        "region_level": GEOCODING_LEVELS,
        "keyword": {k.casefold(): k for row in reversed(rows) for k in row.keywords},
    }
    facets: dict[str, list[FacetCount]] = {}
    for facet, own_filter in _FACET_FILTER.items():
        pool = _passing(rows, filters, skip=own_filter)
        counts = Counter(value for row in pool for value in _facet_values(facet, row))
        names = labels.get(facet, {})
        facets[facet] = [
            FacetCount(value=value, label=names.get(value, value), count=count)
            for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
    return facets


# Sorting, paging, output


def _relevance(row: _Row, slots: Sequence[Slot]) -> int:
    """Sum over the query's words of their best reading's score.

    A reading scores its weight times (1 + 4 for a hit in the title + 2 in the keywords + 1 for
    whole stems, not only a stem's start).
    """
    title = search_document(row.title)
    keywords = search_document(" ".join(row.keywords))
    return sum(
        max(
            (
                reading.weight
                * (
                    1
                    + 4 * reading.matches(title)
                    + 2 * reading.matches(keywords)
                    + reading.is_whole(row.search_text)
                )
                for reading in slot.readings
                if reading.matches(row.search_text)
            ),
            default=0,
        )
        for slot in slots
    )


_SORT_KEYS: Final[dict[str, Callable[[_Row], Any]]] = {
    "name": lambda r: r.name,
    "title": lambda r: r.title.casefold().translate(_COLLATION),
    "modified": lambda r: r.modified,
    "period_end": lambda r: _upper(r.period_end),
}


def _ordered(rows: Sequence[_Row], sort: str, slots: Sequence[Slot]) -> list[_Row]:
    """Sorted by ``sort``; ties keep name order (Python's sort is stable, also reversed)."""
    by_name = sorted(rows, key=lambda r: r.name)
    if sort == "relevance":
        return sorted(by_name, key=lambda r: _relevance(r, slots), reverse=True)
    return sorted(by_name, key=_SORT_KEYS[sort.removeprefix("-")], reverse=sort.startswith("-"))


def _excerpt(text: str) -> str:
    if len(text) <= EXCERPT_LENGTH:
        return text
    return text[:EXCERPT_LENGTH].rsplit(" ", 1)[0].rstrip(" ,;:–-") + " …"


def _summary(row: _Row, url: str) -> DatasetSummary:
    return DatasetSummary(
        name=row.name,
        title=row.title,
        description=_excerpt(row.description),
        chapter=row.chapter,
        themes=list(row.themes),
        keywords=list(row.keywords),
        publisher=row.publisher,
        period_start=row.period_start,
        period_end=row.period_end,
        region_level=row.region_level,
        modified=rfc3339(row.modified),
        url=f"{url}/{row.name}",
    )


def _page_url(query: SearchQuery, url: str, page: int) -> str:
    params: list[tuple[str, str | int]] = [("q", query.q)] if query.q else []
    params += [("theme", t) for t in query.themes] + [("keyword", k) for k in query.keywords]
    optional = {
        "publisher": query.publisher,
        "period_from": query.period_from,
        "period_to": query.period_to,
        "region_level": query.region_level,
    }
    params += [(key, value) for key, value in optional.items() if value is not None]
    params += [("_sort", query.effective_sort()), ("_size", query.size), ("page", page)]
    return f"{url}?{urlencode(params)}"


def _links(query: SearchQuery, url: str, pages: int) -> dict[str, str | None]:
    previous = min(query.page - 1, max(pages, 1))
    return {
        "self": _page_url(query, url, query.page),
        "next": _page_url(query, url, query.page + 1) if query.page < pages else None,
        "prev": _page_url(query, url, previous) if query.page > 1 else None,
    }


# What the query was read as, and hints


def _lexicon(
    rows: Sequence[_Row], release_id: int, cache: MutableMapping[int, Lexicon] | None
) -> Lexicon:
    """The release's vocabulary, from ``cache`` if it is there (releases never change)."""
    if cache is not None and release_id in cache:
        return cache[release_id]
    lexicon = build_lexicon(
        (row.search_text for row in rows),
        (text for row in rows for text in (row.title, row.description, *row.keywords)),
    )
    if cache is not None:
        if len(cache) >= LEXICON_CACHE_SIZE:
            cache.clear()
        cache[release_id] = lexicon
    return lexicon


def _interpretation(slots: Sequence[Slot], rows: Sequence[_Row]) -> list[AlsoRead]:
    """Per word or phrase of the query, its other readings that match a dataset of the release."""
    found = []
    for slot in slots:
        read_as = [
            {"text": r.label, "how": r.kind}
            for r in slot.readings[1:]
            if any(r.matches(row.search_text) for row in rows)
        ]
        if read_as:
            concept = slot.concept.name if slot.concept else None
            found.append(AlsoRead(words=slot.text, concept=concept, read_as=read_as))
    return found


def _hint(slots: Sequence[Slot], rows: Sequence[_Row], url: str) -> SearchHint | None:
    """For a search without hits: what the concept list knows about a word of the query."""
    titles = {row.name: row.title for row in rows}
    for slot in slots:
        concept = slot.concept
        if concept is None:
            continue
        if concept.note:
            related = [n for n in concept.related if n in titles]
            text = concept.note
        else:
            alone = _ordered([r for r in rows if slot.matches(r.search_text)], "relevance", [slot])
            related = [r.name for r in alone[:3]] or [n for n in concept.related if n in titles]
            text = (
                f"Zu „{concept.name}“ gibt es Datensätze, aber keinen, der auch zu den übrigen "
                "Suchwörtern und Filtern passt."
            )
        if related:
            text += " Verwandt: " + "; ".join(titles[n] for n in related) + "."
        return SearchHint(
            concept=concept.name,
            text=text,
            related=[RelatedDataset(n, titles[n], f"{url}/{n}") for n in related],
        )
    return None
