"""The search page as data: the query from the URL, facet options, active filters and paging.

The page uses the parameters of ``GET /api/v1/datasets`` (``q``, ``theme``, ``keyword``,
``publisher``, ``period_from``, ``period_to``, ``region_level``, ``_sort``, ``_size``, ``page``),
so every state is a shareable URL and the same URL under ``/api/v1/datasets`` answers in JSON.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import urlencode

from opendata_sozial.domain import EU_THEMES, GEOCODING_LEVELS
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.formatting import format_date, format_period_range
from opendata_sozial.services.search import DEFAULT_SIZE, SearchQuery, SearchResult
from opendata_sozial.urls import PINNABLE_PREFIX, page_path

PATH: Final = "/suche"
SHOWN_KEYWORDS: Final = 12
PAGE_WINDOW: Final = 2
SORT_LABELS: Final = {
    "relevance": "Relevanz",
    "title": "Titel (A–Z)",
    "-title": "Titel (Z–A)",
    "-modified": "Zuletzt geändert",
    "-period_end": "Neueste Daten zuerst",
    "period_end": "Älteste Daten zuerst",
    "name": "Kurzname (A–Z)",
}
_INTEGER_PARAMETERS: Final = ("page", "_size")


def _single(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = [v.strip() for v in params.get(key, []) if v.strip()]
    return values[-1] if values else None


def _integer(params: Mapping[str, Sequence[str]], key: str, default: int) -> int:
    raw = _single(params, key)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit():
        raise InvalidParameter(f"Parameter {key!r}: {raw!r} ist keine ganze Zahl")
    return int(raw)


def parse_search(params: Mapping[str, Sequence[str]]) -> SearchQuery:
    """The page's query string as a ``SearchQuery``; empty form fields are left out."""
    return SearchQuery(
        q=_single(params, "q") or "",
        themes=tuple(dict.fromkeys(v for v in params.get("theme", []) if v)),
        keywords=tuple(dict.fromkeys(v for v in params.get("keyword", []) if v)),
        publisher=_single(params, "publisher"),
        period_from=_single(params, "period_from"),
        period_to=_single(params, "period_to"),
        region_level=_single(params, "region_level"),
        sort=_single(params, "_sort"),
        size=_integer(params, "_size", DEFAULT_SIZE),
        page=_integer(params, "page", 1),
    )


def search_url(query: SearchQuery, path: str = PATH) -> str:
    """The page URL of ``query``; defaults (sort, size, page 1) are left out."""
    pairs: list[tuple[str, str]] = [("q", query.q)] if query.q else []
    pairs += [("theme", t) for t in query.themes] + [("keyword", k) for k in query.keywords]
    for key in ("publisher", "period_from", "period_to", "region_level", "sort"):
        value = getattr(query, key)
        if value:
            pairs.append(("_sort" if key == "sort" else key, value))
    if query.size != DEFAULT_SIZE:
        pairs.append(("_size", str(query.size)))
    if query.page != 1:
        pairs.append(("page", str(query.page)))
    return f"{path}?{urlencode(pairs)}" if pairs else path


@dataclass(frozen=True, slots=True)
class FacetOption:
    """A facet value as a checkbox (or radio) with its count."""

    value: str
    label: str
    count: int
    is_selected: bool


@dataclass(frozen=True, slots=True)
class FacetGroup:
    """A fieldset of the filter form."""

    parameter: str
    title: str
    is_multiple: bool
    options: list[FacetOption]


@dataclass(frozen=True, slots=True)
class Hit:
    """A result: link, excerpt and the facts a reader compares."""

    name: str
    title: str
    url: str
    description: str
    period: str
    region_level: str
    chapter: str
    modified: str


@dataclass(frozen=True, slots=True)
class PageLink:
    """A link of the pagination; ``url`` is None for a gap (…)."""

    label: str
    url: str | None
    is_current: bool


@dataclass(frozen=True, slots=True)
class PageHint:
    """Why nothing was found and the related datasets' pages (title, URL)."""

    text: str
    related: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Everything the search page shows."""

    query: SearchQuery
    total: int
    first: int
    last: int
    hits: list[Hit]
    facets: list[FacetGroup]
    active: list[tuple[str, str]]
    sort_options: list[tuple[str, str, bool]]
    pages: list[PageLink]
    previous_url: str | None
    next_url: str | None
    api_url: str
    hint: PageHint | None
    also_read: list[str]
    """Per word of the query read in other words: "„Hartz IV“ auch als SGB II, Bürgergeld …"."""


KEYWORD_WORDS: Final[dict[str, str]] = {
    **{w: w for w in ("für", "im", "zum", "je", "kreisfreie", "verfügbares", "kleinräumig")},
    **{w: w.upper() for w in ("ags", "evs", "sgb", "ii", "xii", "sdg", "vgr", "nrw", "oecd")},
    "asylblg": "AsylbLG",
}
"""Words of the packages' keywords (written in lower case, as GovData lists them) that are not
capitalised like a German noun: adjectives and prepositions, and abbreviations."""


def keyword_label(keyword: str) -> str:
    """A keyword as a reader writes it.

    ``sgb ii`` → ``SGB II``, ``kreisfreie städte`` → ``kreisfreie Städte``,
    ``nordrhein-westfalen`` → ``Nordrhein-Westfalen``.
    """
    return " ".join("-".join(_keyword_word(p) for p in w.split("-")) for w in keyword.split(" "))


def _keyword_word(word: str) -> str:
    if word != word.lower():
        return word  # written with capitals in the package: keep as it is
    return KEYWORD_WORDS.get(word, word[:1].upper() + word[1:])


def _options(
    result: SearchResult, facet: str, chosen: Sequence[str], limit: int | None = None
) -> list[FacetOption]:
    counts = result.facets.get(facet, [])
    shown = counts[:limit] if limit else counts
    extra = [c for c in counts if c.value in chosen and c not in shown]
    label = keyword_label if facet == "keyword" else str
    return [
        FacetOption(c.value, label(c.label), c.count, c.value in chosen) for c in [*shown, *extra]
    ]


def _facet_groups(result: SearchResult, query: SearchQuery) -> list[FacetGroup]:
    themes = set(query.themes) | {t.upper() for t in query.themes}
    region = [query.region_level] if query.region_level else []
    publisher = [query.publisher] if query.publisher else []
    keywords = [k.casefold() for k in query.keywords]
    return [
        FacetGroup("theme", "Kapitel des Sozialberichts", True, _options(result, "chapter", list(themes))),
        FacetGroup("theme", "Thema (EU)", True, _options(result, "theme", list(themes))),
        FacetGroup("region_level", "Räumliche Ebene", False, _options(result, "region_level", region)),
        FacetGroup("keyword", "Schlagwort", True, _options(result, "keyword", keywords, SHOWN_KEYWORDS)),
        FacetGroup("publisher", "Herausgeber", False, _options(result, "publisher", publisher)),
    ]  # fmt: skip


def _active(query: SearchQuery, chapters: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, URL without this filter) for each filter in use."""
    active: list[tuple[str, str]] = []
    if query.q:
        active.append((f"Suche: „{query.q}“", search_url(replace(query, q="", page=1))))
    for theme in query.themes:
        kind, label = (
            ("Kapitel", chapters[theme])
            if theme in chapters
            else ("Thema", EU_THEMES.get(theme.upper(), theme))
        )
        rest = tuple(t for t in query.themes if t != theme)
        active.append((f"{kind}: {label}", search_url(replace(query, themes=rest, page=1))))
    for keyword in query.keywords:
        rest = tuple(k for k in query.keywords if k != keyword)
        active.append(
            (
                f"Schlagwort: {keyword_label(keyword)}",
                search_url(replace(query, keywords=rest, page=1)),
            )
        )
    singles = {
        "publisher": "Herausgeber",
        "period_from": "Zeitraum ab",
        "period_to": "Zeitraum bis",
        "region_level": "Ebene",
    }
    for key, label in singles.items():
        value = getattr(query, key)
        if value:
            shown = GEOCODING_LEVELS.get(value, value)
            cleared: dict[str, Any] = {key: None, "page": 1}
            active.append((f"{label}: {shown}", search_url(replace(query, **cleared))))
    return active


def _pages(query: SearchQuery, pages: int) -> list[PageLink]:
    numbers = sorted(
        {1, pages} | set(range(query.page - PAGE_WINDOW, query.page + PAGE_WINDOW + 1))
    )
    links: list[PageLink] = []
    previous = 0
    for number in (n for n in numbers if 1 <= n <= pages):
        if number - previous > 1:
            links.append(PageLink("…", None, is_current=False))
        links.append(
            PageLink(str(number), search_url(replace(query, page=number)), number == query.page)
        )
        previous = number
    return links if pages > 1 else []


def _hit_list(result: SearchResult, chapters: Mapping[str, str]) -> list[Hit]:
    return [
        Hit(
            name=d.name,
            title=d.title,
            url=page_path(d.name),
            description=d.description,
            period=format_period_range(d.period_start, d.period_end),
            region_level=GEOCODING_LEVELS.get(d.region_level, d.region_level),
            chapter=chapters.get(d.chapter, d.chapter),
            modified=format_date(d.modified),
        )
        for d in result.datasets
    ]


def build_search_page(
    query: SearchQuery, result: SearchResult, *, chapters: Mapping[str, str]
) -> SearchPage:
    """Lay out one search result for the page."""
    effective = query.effective_sort()
    sorts = [s for s in SORT_LABELS if s != "relevance" or query.q]
    first = (query.page - 1) * query.size + 1
    return SearchPage(
        query=query,
        total=result.total,
        first=first if result.datasets else 0,
        last=first + len(result.datasets) - 1,
        hits=_hit_list(result, chapters),
        facets=[g for g in _facet_groups(result, query) if g.options],
        active=_active(query, chapters),
        sort_options=[(s, SORT_LABELS[s], s == effective) for s in sorts],
        pages=_pages(query, result.pages),
        previous_url=search_url(replace(query, page=query.page - 1)) if query.page > 1 else None,
        next_url=search_url(replace(query, page=query.page + 1))
        if query.page < result.pages
        else None,
        api_url=search_url(query, PINNABLE_PREFIX),
        hint=_page_hint(result),
        also_read=_also_read(result),
    )


def _page_hint(result: SearchResult) -> PageHint | None:
    hint = result.hint
    if hint is None:
        return None
    text = hint.text.split(" Verwandt: ", 1)[0]
    return PageHint(text, [(d.title, page_path(d.name)) for d in hint.related])


ALSO_READ_SHOWN: Final = 4
_HOW: Final = {"tippfehler": "Schreibweise", "zerlegt": "Wortteile"}


def _also_read(result: SearchResult) -> list[str]:
    lines = []
    for item in result.interpretation:
        shown = [
            f"{r['text']} ({_HOW[r['how']]})" if r["how"] in _HOW else r["text"]
            for r in item.read_as[:ALSO_READ_SHOWN]
        ]
        more = len(item.read_as) - len(shown)
        tail = f" und {more} weitere" if more > 0 else ""
        lines.append(f"„{item.words}“ auch als {', '.join(shown)}{tail}")
    return lines


@dataclass(frozen=True, slots=True)
class ChapterTile:
    """A chapter of the social report with the number of its datasets."""

    id: str
    label: str
    count: int
    url: str
    in_report: bool = True
    """Whether ``id`` is a chapter number of the printed report (else the number is not shown)."""


@dataclass(frozen=True, slots=True)
class StartPage:
    """The start page: chapters with counts and the most recently changed datasets."""

    total: int
    chapters: list[ChapterTile]
    recent: list[Hit]


def build_start_page(
    result: SearchResult, *, chapters: Mapping[str, str], numbered: frozenset[str] | None = None
) -> StartPage:
    """Chapters in the catalog's order (those with datasets), and the first page of ``result``."""
    counts = {c.value: c.count for c in result.facets.get("chapter", [])}
    return StartPage(
        total=result.total,
        chapters=[
            ChapterTile(
                id_,
                label,
                counts[id_],
                search_url(SearchQuery(themes=(id_,))),
                numbered is None or id_ in numbered,
            )
            for id_, label in chapters.items()
            if counts.get(id_)
        ],
        recent=_hit_list(result, chapters),
    )
