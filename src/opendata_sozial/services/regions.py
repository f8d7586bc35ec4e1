"""Regions as places: search, a region with its hierarchy, its profile, and comparisons.

Everything is read from the current release: the directory from ``nrw-regionen`` (cached per
release), the figures from the published tables that declare a region column
(``services/indicators.py``), by indexed lookups on that column. Values are passed on exactly as
stored: a value that is missing stays ``None`` and keeps its status symbol; nothing is filled in.
"""

import hashlib
import statistics
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, Engine

from opendata_sozial.errors import InvalidParameter, RegionNotFound
from opendata_sozial.model.dataset import AREA_RESOURCE
from opendata_sozial.query.regions import (
    AREA_COLUMNS,
    DIRECTORY_COLUMNS,
    VARIANT_COLUMNS,
    columns_select,
    period_rows_select,
    place_count_select,
    place_rows_select,
)
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo
from opendata_sozial.services.indicators import REGION_REFERENCE, RegionTable, region_tables
from opendata_sozial.services.region_directory import Directory, Match, Region
from opendata_sozial.services.region_facts import held_places, place_naming, read_facts
from opendata_sozial.services.rows import data_table

VARIANT_RESOURCE: Final = "namensvarianten"
DEFAULT_SIZE: Final = 20
MAX_SIZE: Final = 500
COMPARE_MIN: Final = 2
COMPARE_MAX: Final = 10
SEARCH_HINT: Final = "/api/v1/regions?q="
KEPT_LEVEL_ROWS: Final = 64
"""Level answers (one table, level and period each) a process keeps for profiles."""


@dataclass(frozen=True, slots=True)
class RegionQuery:
    """A region search: text or key prefix, level, region above, page."""

    q: str = ""
    level: str | None = None
    parent: str | None = None
    size: int = DEFAULT_SIZE
    page: int = 1


@dataclass(frozen=True, slots=True)
class RegionPage:
    """One page of search hits and how many there are in all."""

    release: int
    query: RegionQuery
    total: int
    hits: list[Match]


@dataclass(frozen=True, slots=True)
class Holding:
    """A table that holds rows for a place, and how many."""

    table: RegionTable
    rows: int


@dataclass(frozen=True, slots=True)
class RegionDetail:
    """A region with its names, parents (direct parent first), children and tables."""

    release: int
    region: Region
    names: list[tuple[str, str | None]]
    parents: list[Region]
    children: list[Region]
    successor: Region | None
    holdings: list[Holding]


@dataclass(frozen=True, slots=True)
class Point:
    """One stored figure: period, value (``None`` if not given) and status symbol."""

    period: Any
    value: float | int | None
    status: str | None


@dataclass(frozen=True, slots=True)
class Indicator:
    """A table plus one combination of dimension values and one unit."""

    table: RegionTable
    dimensions: tuple[tuple[str, Any], ...]
    unit: str | None

    @property
    def label(self) -> str:
        """The dimension values, joined (the table's title if it has no dimensions)."""
        values = [str(v) for _, v in self.dimensions if v is not None]
        return ", ".join(values) or self.table.title


@dataclass(frozen=True, slots=True)
class PeerStats:
    """The latest period's values of every region of the place's level in one indicator."""

    level: str
    period: Any
    count: int
    rank: int | None
    minimum: float | int
    median: float | int
    maximum: float | int


@dataclass(frozen=True, slots=True)
class IndicatorProfile:
    """An indicator at a place: its series, its parents at the latest period, its peers."""

    indicator: Indicator
    series: list[Point]
    parents: list[tuple[Region, Point]]
    peers: PeerStats | None
    peer_figures: dict[str, Point] = field(default_factory=dict)
    """Every region of the place's level at the latest period, by key (for maps and charts)."""

    @property
    def latest(self) -> Point:
        """The figure of the latest period."""
        return self.series[-1]


@dataclass(frozen=True, slots=True)
class RegionProfile:
    """Every indicator the release holds for a place."""

    release: int
    region: Region
    parents: list[Region]
    indicators: list[IndicatorProfile]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The indicators several places share, one figure per place (in the order asked)."""

    release: int
    regions: list[Region]
    indicators: list[tuple[Indicator, Any, list[Point]]]
    """(indicator, common period or ``None`` if the places share none, figure per place)."""


Series = dict[tuple[Any, ...], dict[str, list[Point]]]
"""Indicator identity -> region key -> figures in time order."""


def indicator_id(indicator: Indicator) -> str:
    """A short stable id of an indicator (``?indikator=``, the index builder): dataset.digest."""
    table = indicator.table
    identity = repr((table.resource, tuple(indicator.dimensions), indicator.unit))
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:10]
    return f"{table.dataset}.{digest}"


def period_key(period: Any) -> tuple[int, Any]:  # noqa: ANN401  # year, date or text
    """Time order of periods (years and dates natively, text alphabetically)."""
    return (0, "") if period is None else (1, period)


def _invalid(parameter: str, value: object, hint: str) -> InvalidParameter:
    return InvalidParameter(f"Parameter {parameter!r}: {value!r} ist ungültig; {hint}")


class RegionService:
    """Use cases of the region API over the release a request reads."""

    def __init__(self, engine: Engine, catalog: CatalogService) -> None:
        """Read through ``engine``; find tables and releases through ``catalog``."""
        self._engine = engine
        self._catalog = catalog
        self._directories: dict[int, Directory] = {}
        self._tables: dict[int, list[RegionTable]] = {}
        self._place_fields: dict[str, tuple[str, ...]] = {}
        """Physical table -> its fields that name the place (a table's name is its content)."""
        self._places: dict[str, frozenset[str]] = {}
        """Physical table -> the places it holds rows for."""
        self._level_series: OrderedDict[tuple[Any, ...], Series] = OrderedDict()
        """(release, table, level, periods) -> every place's figures: the peers of a profile."""
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()
        """Held while a table is read whole (its places, its place-naming fields): once each."""

    # Reading

    def directory(self, release: ReleaseInfo) -> Directory:
        """The region directory of ``release`` (read once per release)."""
        if release.id not in self._directories:
            package, resource, _ = REGION_REFERENCE
            regions = data_table(self._catalog.get_resource(release, package, resource))
            variants = data_table(self._catalog.get_resource(release, package, VARIANT_RESOURCE))
            areas = [
                data_table(self._catalog.get_resource(release, d.name, AREA_RESOURCE))
                for d in self._catalog.list_datasets(release)
                if d.model.areas is not None
            ]
            with self._engine.connect() as conn:
                rows = conn.execute(columns_select(regions, DIRECTORY_COLUMNS)).all()
                names = conn.execute(columns_select(variants, VARIANT_COLUMNS)).all()
                own = [
                    (*row, None)
                    for table in areas
                    for row in conn.execute(columns_select(table, AREA_COLUMNS)).all()
                ]
            self._directories = {release.id: Directory.from_rows([*rows, *own], names)}
        return self._directories[release.id]

    def tables(self, release: ReleaseInfo) -> list[RegionTable]:
        """Every table of ``release`` with figures per place (found once per release)."""
        if release.id not in self._tables:
            datasets = self._catalog.list_datasets(release)
            found = [t for d in datasets for t in region_tables(d.model)]
            self._tables = {release.id: [self._without_place_names(release, t) for t in found]}
        return self._tables[release.id]

    def places(self, release: ReleaseInfo, table: RegionTable) -> frozenset[str]:
        """The places ``table`` holds rows for (counted at publish; kept per physical table)."""
        sql = data_table(self._catalog.get_resource(release, table.dataset, table.resource))
        with self._scan_lock:  # a request waits for the warm-up's read instead of a second one
            if sql.name not in self._places:
                with self._engine.connect() as conn:
                    self._places[sql.name] = held_places(conn, sql, table.key_field)
        return self._places[sql.name]

    def _without_place_names(self, release: ReleaseInfo, table: RegionTable) -> RegionTable:
        """Leave out dimensions that only name the place (one value per place, several in all).

        Found at publish (``table_places``); a table published before those facts were kept
        (before migration 0005) is read live, once per physical table.
        """
        if not table.dimensions:
            return table
        sql = data_table(self._catalog.get_resource(release, table.dataset, table.resource))
        with self._scan_lock:
            if sql.name not in self._place_fields:
                with self._engine.connect() as conn:
                    facts = read_facts(conn, sql, table)
                    found = (
                        facts.place_fields
                        if facts is not None
                        else place_naming(conn, sql, table.key_field, table.dimensions)
                    )
                self._place_fields[sql.name] = found
        return table.without(self._place_fields[sql.name])

    def _rows(  # the release, the connection and what to read
        self,
        release: ReleaseInfo,
        conn: Connection,
        table: RegionTable,
        keys: Sequence[str],
        periods: Any = None,  # noqa: ANN401  # a set of years, dates or texts
    ) -> Series:
        """The figures of ``keys`` in ``table`` (only ``periods``, if given), by indicator."""
        sql = data_table(self._catalog.get_resource(release, table.dataset, table.resource))
        columns = table.columns()
        if periods is not None and table.period is not None:
            ordered = sorted(periods, key=period_key)
            statement = period_rows_select(
                sql, columns, table.key_field, keys, (table.period, ordered)
            )
        else:
            statement = place_rows_select(sql, columns, table.key_field, keys)
        return _series(table, conn.execute(statement).all())

    def _level_rows(
        self,
        release: ReleaseInfo,
        conn: Connection,
        table: RegionTable,
        level: tuple[str, Sequence[str]],
        periods: set[Any],
    ) -> Series:
        """``_rows`` of every place of a level (name, keys) in ``periods``, kept per release.

        Every profile of a place of that level asks the same (its peers), and a release never
        changes; the last ``KEPT_LEVEL_ROWS`` answers are kept (the oldest goes first).
        """
        ordered = tuple(sorted(periods, key=period_key))
        wanted = (release.id, table.dataset, table.resource, level[0], ordered)
        found = self._level_series.get(wanted)
        if found is None:
            found = self._rows(release, conn, table, level[1], periods)
            with self._lock:  # requests run in worker threads
                self._level_series[wanted] = found
                while len(self._level_series) > KEPT_LEVEL_ROWS:
                    self._level_series.popitem(last=False)
        return found

    def _region(self, release: ReleaseInfo, key: str) -> Region:
        directory = self.directory(release)
        if key not in directory.regions:
            raise RegionNotFound(
                f"Region {key!r} gibt es nicht: weder als amtlichen Schlüssel (nrw-regionen) "
                "noch als Gebiet eines veröffentlichten Geografie-Pakets; "
                f"Regionen nach Name oder Schlüssel suchen: {SEARCH_HINT}{key}",
                english=f"There is no region {key!r}: neither an official key (nrw-regionen) "
                "nor an area of a published geography package; "
                f"search regions by name or key: {SEARCH_HINT}{key}",
            )
        return directory.regions[key]

    # Use cases

    def search(self, release: ReleaseInfo, query: RegionQuery) -> RegionPage:
        """Regions by name, name variant or key prefix, filtered by level and region above."""
        directory = self.directory(release)
        if query.level is not None and query.level not in directory.levels():
            raise _invalid("ebene", query.level, f"gültig: {', '.join(directory.levels())}")
        if query.parent is not None and query.parent not in directory.regions:
            raise _invalid(
                "parent",
                query.parent,
                f"kein Schlüssel des Regionalverzeichnisses; suchen: {SEARCH_HINT}",
            )
        if not 1 <= query.size <= MAX_SIZE:
            raise _invalid("_size", query.size, f"gültig: 1 bis {MAX_SIZE}")
        if query.page < 1:
            raise _invalid("page", query.page, "gültig: ab 1")
        hits = directory.search(query.q, level=query.level, parent=query.parent)
        start = (query.page - 1) * query.size
        number = release.number
        return RegionPage(number, query, len(hits), hits[start : start + query.size])

    def region(self, release: ReleaseInfo, key: str) -> RegionDetail:
        """A region with names, parents, children, successor and the tables holding it."""
        region, directory = self._region(release, key), self.directory(release)
        names = [(region.name, None)] + [
            (v.name, v.context) for v in directory.variants.get(key, []) if v.name != region.name
        ]
        holdings: list[Holding] = []
        tables = [t for t in self.tables(release) if key in self.places(release, t)]
        with self._engine.connect() as conn:
            for table in tables:
                sql = data_table(self._catalog.get_resource(release, table.dataset, table.resource))
                statement = place_count_select(sql, table.key_field, key)
                if count := int(conn.execute(statement).scalar_one()):
                    holdings.append(Holding(table, count))
        number = release.number
        successor = directory.regions.get(region.successor or "")
        children = directory.children.get(key, [])
        return RegionDetail(
            number, region, names, directory.ancestors(key), children, successor, holdings
        )

    def profile(self, release: ReleaseInfo, key: str) -> RegionProfile:
        """Every indicator the release holds for a place, with parents and peers."""
        region, directory = self._region(release, key), self.directory(release)
        parents = directory.ancestors(key)
        peers = directory.peers(region)
        indicators: list[IndicatorProfile] = []
        tables = [t for t in self.tables(release) if key in self.places(release, t)]
        with self._engine.connect() as conn:
            found = [
                (t, self._rows(release, conn, t, [key, *(p.key for p in parents)])) for t in tables
            ]
            found = [(t, own) for t, own in found if any(key in s for s in own.values())]
            latest = [{s[key][-1].period for s in own.values() if key in s} for _, own in found]
            others = [
                self._level_rows(release, conn, t, (region.level, peers), at)
                for (t, _), at in zip(found, latest, strict=True)
            ]
        for (table, own), peer_rows in zip(found, others, strict=True):
            mine = {i: s[key] for i, s in own.items() if key in s}
            for identity, series in mine.items():
                indicator = _indicator(table, identity)
                at = series[-1].period
                above = [
                    (p, point)
                    for p in parents
                    for point in own[identity].get(p.key, [])
                    if point.period == at
                ]
                level_rows = peer_rows.get(identity, {})
                stats = _peer_stats(region, series[-1], level_rows)
                figures = {
                    k: p for k, points in level_rows.items() for p in points if p.period == at
                }
                indicators.append(IndicatorProfile(indicator, series, above, stats, figures))
        number = release.number
        return RegionProfile(number, region, parents, indicators)

    def level_figures(
        self, release: ReleaseInfo, level: str, dataset: str
    ) -> list[tuple[Indicator, Any, dict[str, Point]]]:
        """Each indicator of ``dataset`` for every region of ``level``, at its latest period.

        (indicator, latest period any region of the level holds, figure per region key at it):
        the values of a map of the level.
        """
        keys = self.directory(release).at_level(level)
        found: list[tuple[Indicator, Any, dict[str, Point]]] = []
        with self._engine.connect() as conn:
            for table in (t for t in self.tables(release) if t.dataset == dataset):
                for identity, by_key in self._rows(release, conn, table, keys).items():
                    periods = [p.period for points in by_key.values() for p in points]
                    latest = max(periods, key=period_key)
                    figures = {
                        k: p for k, points in by_key.items() for p in points if p.period == latest
                    }
                    found.append((_indicator(table, identity), latest, figures))
        return found

    def compare(self, release: ReleaseInfo, keys: Sequence[str]) -> Comparison:
        """The indicators all ``keys`` share, one figure each: at the latest common period."""
        unique = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
        if not COMPARE_MIN <= len(unique) <= COMPARE_MAX:
            raise _invalid(
                "keys",
                ",".join(keys),
                f"gültig: {COMPARE_MIN} bis {COMPARE_MAX} verschiedene Regionalschlüssel, "
                "kommagetrennt, z. B. keys=05513,05562,05913",
            )
        regions = [self._region(release, k) for k in unique]
        shared: list[tuple[Indicator, Any, list[Point]]] = []
        tables = self.tables(release)
        with self._engine.connect() as conn:
            found = [(t, self._rows(release, conn, t, unique)) for t in tables]
        for table, series in found:
            for identity, by_key in series.items():
                if all(k in by_key for k in unique):
                    shared.append(_side_by_side(_indicator(table, identity), unique, by_key))
        number = release.number
        return Comparison(number, regions, shared)


def _series(table: RegionTable, rows: Sequence[Sequence[Any]]) -> Series:
    """Rows (``RegionTable.columns`` order) grouped by indicator and place, in time order."""
    width = len(table.dimensions)
    series: Series = {}
    for row in rows:
        rest = list(row[1 + width :])
        period = rest.pop(0) if table.period is not None else None
        value = rest.pop(0)
        unit = rest.pop(0) if table.unit_field is not None else table.unit
        status = rest.pop(0) if table.status is not None else None
        identity = (*row[1 : 1 + width], unit)
        places = series.setdefault(identity, {})
        places.setdefault(str(row[0]), []).append(Point(period, value, status))
    for places in series.values():
        for points in places.values():
            points.sort(key=lambda p: period_key(p.period))
    return series


def _indicator(table: RegionTable, identity: tuple[Any, ...]) -> Indicator:
    dims = tuple(zip(table.dimensions, identity[:-1], strict=True))
    return Indicator(table, dims, identity[-1])


def _peer_stats(region: Region, own: Point, peers: dict[str, list[Point]]) -> PeerStats | None:
    """Rank (1 = highest value, ties share the best rank), count, min, median, max."""
    values = [p.value for points in peers.values() for p in points if p.period == own.period]
    numbers = [v for v in values if v is not None]
    if not numbers:
        return None
    rank = None if own.value is None else 1 + sum(1 for v in numbers if v > own.value)
    return PeerStats(
        level=region.level,
        period=own.period,
        count=len(numbers),
        rank=rank,
        minimum=min(numbers),
        median=statistics.median(numbers),
        maximum=max(numbers),
    )


def _side_by_side(
    indicator: Indicator, keys: Sequence[str], by_key: dict[str, list[Point]]
) -> tuple[Indicator, Any, list[Point]]:
    """One figure per place: the latest period all share, else each place's latest."""
    common = set.intersection(*({p.period for p in by_key[k]} for k in keys))
    if not common:
        return indicator, None, [by_key[k][-1] for k in keys]
    period = max(common, key=period_key)
    return indicator, period, [next(p for p in by_key[k] if p.period == period) for k in keys]
