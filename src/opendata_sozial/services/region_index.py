"""The index builder: several indicators of one level combined into one multidimensional index.

The planner picks 2 to 8 indicators (the ids of the profile API, ``services.regions.indicator_id``),
each with a direction, a weight and optionally a period; the service reads exactly those rows of
the level's places, standardises them (``services/index_method.py``), combines and ranks them.
A place without a value for any input is excluded and says why; nothing is filled in. The
result is computed from the published figures and is no official figure.

Periods: without one, an input takes the latest period for which the level has rows. Its
comparison period is the period before that one; when every input has one, the status ×
dynamics typology is computed. Which indicators a level holds is read once per release and
level and kept: from the row counts stored at publish (``services/region_facts.py``) for a
table of that level alone, else one grouped query per table.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.query.region_index import indicator_rows_select, level_indicators_select
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo
from opendata_sozial.services.index_method import DIRECTIONS, METHODS, TYPES
from opendata_sozial.services.index_scores import (
    Available,
    IndexInput,
    Scored,
    score_places,
    text_of,
)
from opendata_sozial.services.indicators import RegionTable
from opendata_sozial.services.region_directory import Region
from opendata_sozial.services.region_facts import group_columns, read_facts
from opendata_sozial.services.regions import (
    Indicator,
    Point,
    RegionService,
    period_key,
)
from opendata_sozial.services.rows import data_table

MIN_INPUTS: Final = 2
MAX_INPUTS: Final = 8
MAX_WEIGHT: Final = 100.0
DEFAULT_DIRECTION: Final = "hoch-schlecht"
DEFAULT_METHOD: Final = "z"
LABEL: Final = "berechnet aus den veröffentlichten Zahlen, keine amtliche Kennzahl"
LIST_HINT: Final = "/api/v1/regions/index/indicators?ebene="
_SPLIT: Final = re.compile(r",(?=[a-z0-9][a-z0-9-]*\.[0-9a-f]{10}(?:[:,]|$))")


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One input as asked: indicator id, direction, weight, period text (``None``: latest)."""

    id: str
    direction: str = DEFAULT_DIRECTION
    weight: float = 1.0
    period: str | None = None

    def text(self) -> str:
        """The input in the ``indikator`` syntax: ``id:richtung:gewicht[:zeitraum]``."""
        weight = f"{self.weight:g}"
        tail = f":{self.period}" if self.period is not None else ""
        return f"{self.id}:{self.direction}:{weight}{tail}"


@dataclass(frozen=True, slots=True)
class IndexRequest:
    """What to combine: level, inputs and the standardisation method."""

    level: str | None
    inputs: tuple[InputSpec, ...]
    method: str = DEFAULT_METHOD


@dataclass(frozen=True, slots=True)
class Excluded:
    """A place of the level left out of the index, and why."""

    region: Region
    reason: str


@dataclass(frozen=True, slots=True)
class Typology:
    """The status × dynamics typology, or why there is none."""

    reason: str | None
    median: float | None
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class IndexResult:
    """An index of one level: inputs, places by rank, excluded places, typology."""

    release: int
    level: str
    method: str
    inputs: list[IndexInput]
    places: list[Scored]
    excluded: list[Excluded]
    typology: Typology


def _invalid(message: str) -> InvalidParameter:
    return InvalidParameter(message)


def _weight(text: str, part: str) -> float:
    try:
        weight = float(text.replace(",", "."))
    except ValueError:
        weight = -1.0
    if not 0 < weight <= MAX_WEIGHT:
        raise _invalid(
            f"Parameter 'indikator': Gewicht {text!r} in {part!r} ist ungültig; "
            f"gültig: eine Zahl größer 0 bis {MAX_WEIGHT:g}, z. B. 2 oder 0.5"
        )
    return weight


def parse_input(part: str) -> InputSpec:
    """One ``id[:richtung[:gewicht[:zeitraum]]]`` (empty parts take the defaults)."""
    pieces = [piece.strip() for piece in part.strip().split(":", 3)]
    ident, direction, weight_text, period = [*pieces, "", "", ""][:4]
    if not ident:
        raise _invalid(
            f"Parameter 'indikator': {part!r} nennt keinen Indikator; Form: "
            "<id>:<hoch-schlecht|hoch-gut>:<gewicht>[:<zeitraum>]"
        )
    direction = direction or DEFAULT_DIRECTION
    if direction not in DIRECTIONS:
        raise _invalid(
            f"Parameter 'indikator': Richtung {direction!r} in {part!r} ist ungültig; "
            f"gültig: {', '.join(DIRECTIONS)}"
        )
    weight = _weight(weight_text, part) if weight_text else 1.0
    return InputSpec(ident, direction, weight, period or None)


def parse_inputs(values: Sequence[str]) -> tuple[InputSpec, ...]:
    """Every ``indikator`` parameter (repeated, or a comma list of inputs) in order."""
    parts = [p for value in values for p in _SPLIT.split(value) if p.strip()]
    return tuple(parse_input(p) for p in parts)


class RegionIndexService:
    """Builds indices over the release a request reads."""

    def __init__(self, engine: Engine, catalog: CatalogService, regions: RegionService) -> None:
        """Read through ``engine``; find tables and places through ``catalog`` and ``regions``."""
        self._engine = engine
        self._catalog = catalog
        self._regions = regions
        self._available: dict[tuple[int, str], list[Available]] = {}
        self._ids: dict[tuple[int, str], dict[str, Available]] = {}

    def levels(self, release: ReleaseInfo) -> list[str]:
        """The levels of the region directory, top down."""
        return self._regions.directory(release).levels()

    def _level(self, release: ReleaseInfo, level: str | None) -> str:
        levels = self.levels(release)
        if level is None or level not in levels:
            what = "fehlt" if level is None else f"{level!r} ist ungültig"
            raise _invalid(f"Parameter 'ebene' {what}; gültig: {', '.join(levels)}")
        return level

    def available(self, release: ReleaseInfo, level: str | None) -> list[Available]:
        """Every indicator the places of ``level`` have rows for (read once per release)."""
        level = self._level(release, level)
        if (release.id, level) not in self._available:
            keys = self._regions.directory(release).at_level(level)
            found = [
                a for t in self._regions.tables(release) for a in self._table(release, t, keys)
            ]
            kept = {k: v for k, v in self._available.items() if k[0] == release.id}
            self._available = {**kept, (release.id, level): found}
        return self._available[(release.id, level)]

    def _by_id(self, release: ReleaseInfo, level: str) -> dict[str, Available]:
        """The indicators of ``level`` by id (kept with them)."""
        found = self.available(release, level)
        if (release.id, level) not in self._ids:
            self._ids = {(release.id, level): {a.id: a for a in found}}
        return self._ids[(release.id, level)]

    def _table(
        self, release: ReleaseInfo, table: RegionTable, keys: Sequence[str]
    ) -> list[Available]:
        """The indicators of ``table`` the places ``keys`` have rows for, rows per period.

        A table that holds only places of the level answers with the counts stored at publish
        (``table_places``); a table mixing levels, or published before those were kept
        (migration 0005), is grouped live over the level's places.
        """
        sql = data_table(self._catalog.get_resource(release, table.dataset, table.resource))
        held = self._regions.places(release, table)
        wanted = set(keys)
        if not held & wanted:
            return []
        within = None if held <= wanted else keys  # a table of this level only: no IN list
        with self._engine.connect() as conn:
            facts = read_facts(conn, sql, table) if within is None else None
            if facts is not None:
                rows: Sequence[Sequence[Any]] = facts.entries
            else:
                statement = level_indicators_select(
                    sql, table.key_field, within, group_columns(table)
                )
                rows = conn.execute(statement).all()
        width = len(table.dimensions)
        found: dict[tuple[Any, ...], dict[Any, int]] = {}
        for row in rows:
            rest = list(row[width:])
            unit = rest.pop(0) if table.unit_field is not None else table.unit
            period = rest.pop(0) if table.period is not None else None
            identity = (*row[:width], unit)
            found.setdefault(identity, {})[period] = int(rest[0])
        return [
            Available(
                Indicator(table, tuple(zip(table.dimensions, ident[:-1], strict=True)), ident[-1]),
                tuple(sorted(periods.items(), key=lambda item: period_key(item[0]))),
            )
            for ident, periods in found.items()
        ]

    # Building

    def _resolve(
        self, release: ReleaseInfo, level: str, spec: InputSpec
    ) -> tuple[Available, Any, Any]:
        """The indicator of ``spec`` at ``level``, its status period and comparison period."""
        by_id = self._by_id(release, level)
        if spec.id not in by_id:
            raise _invalid(
                f"Parameter 'indikator': {spec.id!r} gibt es auf der Ebene {level!r} nicht; "
                f"die Indikatoren der Ebene: {LIST_HINT}{level}"
            )
        found = by_id[spec.id]
        periods = [p for p, _ in found.periods]
        if spec.period is None:
            at = len(periods) - 1
        else:
            texts = [text_of(p) for p in periods]
            if spec.period not in texts:
                raise _invalid(
                    f"Parameter 'indikator': Zeitraum {spec.period!r} gibt es für {spec.id} "
                    f"auf der Ebene {level!r} nicht; vorhanden: {', '.join(texts)}"
                )
            at = texts.index(spec.period)
        return found, periods[at], periods[at - 1] if at > 0 else None

    def _check(self, request: IndexRequest) -> None:
        if request.method not in METHODS:
            raise _invalid(
                f"Parameter 'methode': {request.method!r} ist ungültig; gültig: {', '.join(METHODS)}"
            )
        ids = [spec.id for spec in request.inputs]
        if not MIN_INPUTS <= len(ids) <= MAX_INPUTS:
            raise _invalid(
                f"Parameter 'indikator': {len(ids)} Indikatoren angegeben; gültig: "
                f"{MIN_INPUTS} bis {MAX_INPUTS}, z. B. indikator=<id>:hoch-schlecht:2 (wiederholt)"
            )
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise _invalid(
                f"Parameter 'indikator': {', '.join(twice)} ist mehrfach angegeben; "
                "jeder Indikator höchstens einmal"
            )

    def build(self, release: ReleaseInfo, request: IndexRequest) -> IndexResult:
        """The index of ``request``: inputs, places by rank, excluded places, typology."""
        level = self._level(release, request.level)
        self._check(request)
        resolved = [self._resolve(release, level, spec) for spec in request.inputs]
        directory = self._regions.directory(release)
        keys = directory.at_level(level)
        figures = [self._figures(release, keys, a, (p, c)) for a, p, c in resolved]
        inputs = [
            IndexInput(a, spec.direction, spec.weight, p, c)
            for spec, (a, p, c) in zip(request.inputs, resolved, strict=True)
        ]
        held = {k for f in figures for k, points in f.items() if points}
        places = [
            directory.regions[k] for k in keys if directory.regions[k].valid_to is None or k in held
        ]
        scored = score_places(places, inputs, figures, request.method)
        return IndexResult(
            release.number,
            level,
            request.method,
            scored.inputs,
            scored.places,
            [Excluded(r, reason) for r, reason in scored.excluded],
            Typology(scored.typology_reason, scored.median, _counts(scored.places)),
        )

    def _figures(
        self, release: ReleaseInfo, keys: Sequence[str], found: Available, periods: tuple[Any, Any]
    ) -> dict[str, dict[Any, Point]]:
        """Region key -> period -> figure of one indicator at its status and comparison period."""
        table = found.indicator.table
        sql = data_table(self._catalog.get_resource(release, table.dataset, table.resource))
        wanted = [p for p in periods if p is not None]
        columns = [table.key_field, *(c for c in (table.unit_field, table.period) if c)]
        columns += [table.value, *(c for c in (table.status,) if c)]
        span = (table.period, wanted) if table.period is not None else None
        fixed = list(found.indicator.dimensions)
        statement = indicator_rows_select(sql, columns, fixed, span)
        with self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        places = set(keys)
        figures: dict[str, dict[Any, Point]] = {}
        for row in rows:
            if str(row[0]) not in places:
                continue
            rest = list(row[1:])
            unit = rest.pop(0) if table.unit_field is not None else found.indicator.unit
            if unit != found.indicator.unit:  # compared here: a unit index would mislead SQLite
                continue
            period = rest.pop(0) if table.period is not None else None
            value = rest.pop(0)
            status = rest.pop(0) if table.status is not None else None
            points = figures.setdefault(str(row[0]), {})
            if period in points:
                raise _invalid(
                    f"{found.id}: mehr als ein Wert je Ort und Zeitraum in "
                    f"{table.dataset}/{table.resource}; dieser Indikator taugt nicht für einen Index"
                )
            points[period] = Point(period, value, status)
        return figures


def _counts(places: Sequence[Scored]) -> dict[str, int]:
    found = [p.type for p in places if p.type is not None]
    return {code: found.count(code) for code in TYPES} if found else {}
