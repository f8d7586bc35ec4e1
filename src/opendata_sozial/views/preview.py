"""The table preview of a dataset page: its URL state, filter menus, sorting and keyset paging.

The page speaks the rows API's language in its query string (``field=value``,
``field__in=a,b``, ``_sort``, ``_size``, ``_cursor``), so a preview URL and the matching API or
export URL differ only in the path. Several values of one field are "any of them": the filter
menus are multiple selects, which send ``field=a&field=b``; the page reads that (and any
``field__in``) as one ``field__in=a,b`` and writes its links and downloads that way, as the API
reads them (a value with a comma makes the list a JSON list, ``field__in=["a, b","c"]``).
Parameters of the page alone: ``ressource`` (which table of the package), ``ab`` (the number of
the first row shown, carried along the ``next`` links for the caption), ``ansicht`` (``zeitreihe``:
the table with periods as columns), ``karte`` and ``karte_zeitraum`` (the map's indicator and
period).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final
from urllib.parse import urlencode

from opendata_sozial.domain import FOOTNOTE_FIELD
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.formatting import decimals_of, format_cell
from opendata_sozial.model.dataset import Field, Resource
from opendata_sozial.query.filters import shown, split_list
from opendata_sozial.services.rows import RowsPage
from opendata_sozial.views.footnotes import NoteRef, note_refs

DEFAULT_SIZE: Final = 20
SIZES: Final = (10, 20, 50, 100)
MAX_SIZE: Final = 500
MAX_OPTIONS: Final = 250
ANCHOR: Final = "#vorschau"
_ROW_PARAMETERS: Final = frozenset({"_sort", "_size", "_cursor"})
STATE_PARAMETERS: Final = ("ansicht", "karte", "karte_zeitraum")
"""Page parameters carried along every link of the page (view, map indicator and period)."""
PAGE_PARAMETERS: Final = frozenset({"ressource", "ab", *STATE_PARAMETERS})
CHOICE_OPS: Final = ("", "in")
"""Filter operators a filter menu stands for: ``field=value`` and ``field__in=a,b``."""
NUMERIC_TYPES: Final = frozenset({"number", "integer"})


@dataclass(frozen=True, slots=True)
class PreviewRequest:
    """What the preview shows, parsed from the page's query string."""

    resource: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    sort: str | None = None
    size: int = DEFAULT_SIZE
    cursor: str | None = None
    start: int = 1
    state: tuple[tuple[str, str], ...] = ()
    """The page's own parameters (``STATE_PARAMETERS``) as given."""

    def chosen(self) -> dict[str, list[str]]:
        """Field -> the values its menu selects (from ``field=v`` and ``field__in=a,b``)."""
        found: dict[str, list[str]] = {}
        for key, value in self.filters:
            name, _, op = key.partition("__")
            if op in CHOICE_OPS:
                found.setdefault(name, []).extend([value] if not op else split_list(value, key))
        return found

    def rows_params(self) -> dict[str, list[str]]:
        """The parameters for ``RowService.page``."""
        params: dict[str, list[str]] = {}
        for key, value in self.filters:
            params.setdefault(key, []).append(value)
        params["_size"] = [str(self.size)]
        if self.sort:
            params["_sort"] = [self.sort]
        if self.cursor:
            params["_cursor"] = [self.cursor]
        return params

    def export_query(self) -> list[tuple[str, str]]:
        """Filters and sort for downloads of the whole selection (no paging)."""
        return [*self.filters, *([("_sort", self.sort)] if self.sort else [])]

    def url(self, path: str) -> str:
        """The page URL of this state, with defaults left out, pointing at the preview."""
        pairs: list[tuple[str, str]] = [("ressource", self.resource)] if self.resource else []
        pairs += [*self.export_query(), *self.state]
        if self.size != DEFAULT_SIZE:
            pairs.append(("_size", str(self.size)))
        if self.cursor:
            pairs += [("_cursor", self.cursor), ("ab", str(self.start))]
        return f"{path}?{urlencode(pairs)}{ANCHOR}" if pairs else f"{path}{ANCHOR}"


def _last(values: Sequence[str]) -> str | None:
    return next((v for v in reversed(values) if v), None)


def _positive(name: str, raw: str | None, default: int, maximum: int) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and 1 <= int(raw) <= maximum):
        raise InvalidParameter(
            f"{name}: {shown(raw)} ist ungültig; ganze Zahl von 1 bis {maximum} (Ziffern 0-9)"
        )
    return int(raw)


def parse_preview(params: Mapping[str, Sequence[str]]) -> PreviewRequest:
    """Parse the page's query string; empty form fields mean „alle“ and are dropped."""
    unknown = sorted(k for k in params if k.startswith("_") and k not in _ROW_PARAMETERS)
    if unknown:
        raise InvalidParameter(
            f"Parameter {unknown[0]!r} gibt es auf dieser Seite nicht; "
            f"gültig: {', '.join(sorted(_ROW_PARAMETERS))}, ressource, ab und Feldfilter"
        )
    filters = _merged_filters(
        {k: v for k, v in params.items() if k not in _ROW_PARAMETERS and k not in PAGE_PARAMETERS}
    )
    state = tuple((k, v) for k in STATE_PARAMETERS if (v := _last(params.get(k, []))) is not None)
    cursor = _last(params.get("_cursor", []))
    return PreviewRequest(
        resource=_last(params.get("ressource", [])),
        filters=filters,
        sort=_last(params.get("_sort", [])),
        size=_positive("_size", _last(params.get("_size", [])), DEFAULT_SIZE, MAX_SIZE),
        cursor=cursor,
        start=_positive("ab", _last(params.get("ab", [])), 1, 10**9) if cursor else 1,
        state=state,
    )


def in_value(values: Sequence[str]) -> str:
    """The value of ``field__in`` for ``values``: ``a,b``, or a JSON list if one has a comma."""
    if any("," in v for v in values):
        return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    return ",".join(values)


def _merged_filters(params: Mapping[str, Sequence[str]]) -> tuple[tuple[str, str], ...]:
    """Field filters; every ``field=`` and ``field__in=`` of one field as one ``__in``."""
    chosen: dict[str, list[str]] = {}
    others: list[tuple[str, str]] = []
    for key, values in params.items():
        name, _, op = key.partition("__")
        for value in (v for v in values if v != ""):
            if op in CHOICE_OPS:
                items = [value] if not op else split_list(value, key)
                chosen.setdefault(name, []).extend(i for i in items if i != "")
            else:
                others.append((key, value))
    merged = [
        (name, unique[0]) if len(unique) == 1 else (f"{name}__in", in_value(unique))
        for name, unique in ((n, list(dict.fromkeys(v))) for n, v in chosen.items())
        if unique
    ]
    return (*merged, *others)


# Filter menus


def filter_fields(table: Resource) -> list[Field]:
    """Fields that get a filter menu: key fields and fields with categories, except status."""
    key = set(table.primary_key)
    return [
        f
        for f in table.fields
        if (f.name in key or f.categories) and not f.name.endswith("_status")
    ]


def param_value(value: object) -> str:
    """A cell value as the rows API reads it back (``2019``, ``2023-12-31``, ``14.6``)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True, slots=True)
class Option:
    """An option of a select."""

    value: str
    label: str
    is_selected: bool


@dataclass(frozen=True, slots=True)
class FilterControl:
    """A multiple select for one field: the rows with any selected value; none or „alle“: all."""

    name: str
    label: str
    options: list[Option]


def _ordered_values(spec: Field, values: Sequence[tuple[Any, int]]) -> list[Any]:
    present = [v for v, _ in values if v is not None]
    order = list(spec.categories or ())
    if order:
        return sorted(present, key=lambda v: order.index(v) if v in order else len(order))
    return sorted(present, key=lambda v: (isinstance(v, str), v))


def filter_controls(
    table: Resource,
    values: Mapping[str, Sequence[tuple[Any, int]]],
    request: PreviewRequest,
) -> list[FilterControl]:
    """One select per filter field with at most ``MAX_OPTIONS`` values."""
    chosen = request.chosen()
    controls = []
    for spec in filter_fields(table):
        name = spec.name
        if name not in values or len(values[name]) > MAX_OPTIONS:
            continue
        ordered = _ordered_values(spec, values[name])
        labels = {
            param_value(v): format_cell(v, decimals=decimals_of([v]), field_type=spec.type)
            for v in ordered
        }
        for value in chosen.get(name, []):
            labels.setdefault(value, value)
        selected = set(chosen.get(name, []))
        options = [Option("", "alle", name not in chosen)] + [
            Option(value, label, value in selected) for value, label in labels.items()
        ]
        controls.append(FilterControl(name, spec.label, options))
    return controls


# The table


@dataclass(frozen=True, slots=True)
class Column:
    """A column header with its sort state and the URL that toggles the sort."""

    name: str
    title: str
    unit: str
    is_numeric: bool
    sort_state: str | None
    sort_url: str
    sort_hint: str
    is_value: bool = False
    """The table's value column (its first number column): on a phone it stands out in each row."""


@dataclass(frozen=True, slots=True)
class Cell:
    """A formatted cell; numbers are right-aligned."""

    text: str
    is_numeric: bool
    notes: tuple[NoteRef, ...] = ()
    """Footnote markers (in the ``fussnote`` column) as links to their text."""


@dataclass(frozen=True, slots=True)
class PreviewTable:
    """The preview: header, formatted rows, position and paging links."""

    columns: list[Column]
    rows: list[list[Cell]]
    total: int
    first: int
    last: int
    next_url: str | None
    first_url: str | None
    has_merged_status: bool
    sort_options: list[Option] = field(default_factory=list)
    size_options: list[Option] = field(default_factory=list)
    referenced: frozenset[str] = frozenset()
    """Anchors of the footnotes the shown rows refer to (their ``↩`` link comes back here)."""
    empty: list[str] = field(default_factory=list)
    """Titles of columns left out because none of the shown rows has a value in them."""


def _sort_state(request: PreviewRequest, name: str) -> str | None:
    first = (request.sort or "").split(",")[0]
    if first == name:
        return "ascending"
    if first == f"-{name}":
        return "descending"
    return None


def _filled(page: RowsPage, names: Sequence[str], request: PreviewRequest) -> list[str]:
    """The columns with a value (or status symbol) in at least one shown row.

    All of them when no row is shown; the sorted column stays, so that its header still shows
    and toggles the sort.
    """
    if not page.rows:
        return list(names)
    index = {n: i for i, n in enumerate(page.columns)}
    sorted_by = (request.sort or "").split(",")[0].lstrip("-")

    def has_value(name: str) -> bool:
        places = [index[c] for c in (name, f"{name}_status") if c in index]
        return any(row[i] not in (None, "") for row in page.rows for i in places)

    return [n for n in names if n == sorted_by or has_value(n)]


def _column(spec: Field, request: PreviewRequest, path: str, *, is_value: bool) -> Column:
    name = spec.name
    state = _sort_state(request, name)
    toggled = f"-{name}" if state == "ascending" else name
    title = spec.label
    direction = "absteigend" if state == "ascending" else "aufsteigend"
    unsorted = replace(request, sort=toggled, cursor=None, start=1)
    return Column(
        name=name,
        title=title,
        unit=spec.unit or "",
        is_numeric=spec.type in NUMERIC_TYPES,
        sort_state=state,
        sort_url=unsorted.url(path),
        sort_hint=f"{title} {direction} sortieren",
        is_value=is_value,
    )


def preview_table(
    page: RowsPage, request: PreviewRequest, path: str, targets: Mapping[str, str] | None = None
) -> PreviewTable:
    """Format one page of rows; status symbols are merged into their value cells.

    Footnote markers link to ``targets`` (marker to anchor, see ``views.footnotes``). Columns
    that are empty in every shown row are left out (named in ``empty``): no filler columns.
    """
    specs = {f.name: f for f in page.resource.model.fields}
    merged = {n for n in page.columns if n.endswith("_status") and n[:-7] in page.columns}
    present = [n for n in page.columns if n not in merged]
    shown = _filled(page, present, request)
    value = next((n for n in shown if specs[n].type in NUMERIC_TYPES), None)
    index = {n: i for i, n in enumerate(page.columns)}
    decimals = {n: decimals_of(r[index[n]] for r in page.rows) for n in shown}
    seen: set[str] = set()
    rows = [
        [
            Cell(
                format_cell(
                    row[index[n]],
                    row[index[f"{n}_status"]] if f"{n}_status" in merged else None,
                    decimals[n],
                    specs[n].type,
                ),
                specs[n].type in NUMERIC_TYPES,
                note_refs(row[index[n]], targets, seen) if targets and n == FOOTNOTE_FIELD else (),
            )
            for n in shown
        ]
        for row in page.rows
    ]
    columns = [_column(specs[n], request, path, is_value=n == value) for n in shown]
    sort_options = [Option("", "Reihenfolge der Datei", not request.sort)] + [
        Option(f"{sign}{c.name}", f"{c.title} {label}", request.sort == f"{sign}{c.name}")
        for c in columns
        for sign, label in (("", "aufsteigend"), ("-", "absteigend"))
    ]
    following = replace(request, cursor=page.next_cursor, start=request.start + len(rows))
    return PreviewTable(
        columns=columns,
        rows=rows,
        total=page.total,
        first=request.start if rows else 0,
        last=request.start + len(rows) - 1,
        next_url=following.url(path) if page.next_cursor else None,
        first_url=replace(request, cursor=None, start=1).url(path) if request.cursor else None,
        has_merged_status=bool(merged),
        referenced=frozenset(seen),
        empty=[specs[n].label for n in present if n not in shown],
        sort_options=sort_options,
        size_options=[
            Option(str(s), str(s), s == request.size) for s in sorted({*SIZES, request.size})
        ],
    )
