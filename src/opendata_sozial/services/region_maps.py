"""Boundaries and map data of the region API: geometry per level, one value per place.

Map data joins one indicator (``services/indicators.py``: a table plus fixed dimension values and
one unit) at one period to the boundaries of a level. The dimension filters are the rows API's
query parameters (``query/filters.py``), so a map and the rows it shows are the same query; the
period is the latest the filtered rows have unless one is given. Where the filters leave more
than one row for a place, the answer is a 400 that names the dimension to fix and its values.
"""

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Engine, Table

from opendata_sozial.errors import GeometryNotFound, InvalidParameter, OpendataError
from opendata_sozial.query.builder import where_clause
from opendata_sozial.query.filters import FieldSpec, parse_row_query, parse_value, shown
from opendata_sozial.query.regions import (
    at_period,
    in_places,
    latest_period_select,
    map_rows_select,
    periods_select,
)
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo
from opendata_sozial.services.indicators import RegionTable
from opendata_sozial.services.region_directory import Region, gemeinde_of
from opendata_sozial.services.region_geometry import Geography, LevelGeometry, read_geography
from opendata_sozial.services.regions import Point, RegionService, period_key
from opendata_sozial.services.rows import data_table, field_specs

MAP_PARAMETERS: Final = ("dataset", "resource", "ebene", "period")
"""Parameters of the map API itself; every other one filters rows as in the rows API."""
MAX_VALUES_SHOWN: Final = 30
KEPT_RELEASES: Final = 4
"""Releases whose boundaries a process keeps parsed (the current one and a few pinned ones)."""


@dataclass(frozen=True, slots=True)
class MapRequest:
    """Which indicator to map: table, level, period and the rows API's filters."""

    dataset: str | None = None
    resource: str | None = None
    level: str | None = None
    period: str | None = None
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MapData:
    """One figure (or none) per place of a level, with the boundaries to draw them in."""

    release: int
    table: RegionTable
    geometry: LevelGeometry
    period: Any
    filters: list[tuple[str, str]]
    """The rows API filters that return exactly the mapped rows (with the period)."""
    figures: dict[str, tuple[Point, str | None]]
    """Region key -> (figure, unit); places without a row are absent."""

    @property
    def units(self) -> list[str]:
        """The units of the figures (one, unless the table has none)."""
        return sorted({u for _, u in self.figures.values() if u is not None})


def _invalid(message: str) -> InvalidParameter:
    return InvalidParameter(message)


class RegionMapService:
    """Boundaries per level and map data of the release a request reads."""

    def __init__(self, engine: Engine, catalog: CatalogService, regions: RegionService) -> None:
        """Read through ``engine``; find the release, tables and places through the others."""
        self._engine = engine
        self._catalog = catalog
        self._regions = regions
        self._geographies: OrderedDict[int, Geography] = OrderedDict()
        self._lock = threading.Lock()

    def geography(self, release: ReleaseInfo) -> Geography:
        """The boundaries of ``release``: parsed once per release (releases never change).

        The region pages' maps and the geometry API both read them here, so both draw the same
        boundaries of the same release. The last ``KEPT_RELEASES`` releases asked for are kept.
        """
        with self._lock:  # one parse per release, even when requests arrive together
            if release.id not in self._geographies:
                directory = self._regions.directory(release)
                self._geographies[release.id] = read_geography(self._catalog, release, directory)
                while len(self._geographies) > KEPT_RELEASES:
                    self._geographies.popitem(last=False)
            self._geographies.move_to_end(release.id)
            return self._geographies[release.id]

    def prepare_current(self) -> ReleaseInfo:
        """Do the current release's first-request work now; the release.

        Parses the boundaries and finds the region tables with their places (the place-naming
        fields and each table's keys: whole-table reads on a million rows), so that the first
        profile or map after a start does not wait for them.
        """
        release = self._catalog.current_release_info()
        self.geography(release)
        for table in self._regions.tables(release):
            self._regions.places(release, table)
        return release

    def place_names(self, release: ReleaseInfo) -> dict[str, str]:
        """Official key -> name of every region (empty when ``nrw-regionen`` is not published)."""
        try:
            directory = self._regions.directory(release)
        except OpendataError:
            return {}
        return {key: region.name for key, region in directory.regions.items()}

    def region_feature(self, release: ReleaseInfo, key: str) -> tuple[Region, dict[str, Any]]:
        """A region and its boundary (``GeometryNotFound`` for a place without a boundary)."""
        region = self._regions.region(release, key).region
        features = self.geography(release).level(region.level).features
        if key not in features:  # an own area may have none (docs/areas.md), a former key neither
            successor = self._regions.directory(release).regions.get(region.successor or "")
            raise GeometryNotFound(_no_boundary(region, successor))
        return region, features[key]

    # Map data

    def _table(self, release: ReleaseInfo, request: MapRequest) -> RegionTable:
        tables = self._regions.tables(release)
        listed = ", ".join(f"dataset={t.dataset}&resource={t.resource}" for t in tables)
        if not request.dataset:
            raise _invalid(f"Parameter 'dataset' fehlt; Tabellen mit Regionalschlüssel: {listed}")
        found = [t for t in tables if t.dataset == request.dataset]
        if not found:
            raise _invalid(
                f"Parameter 'dataset': {shown(request.dataset)} hat keine Tabelle mit "
                f"Regionalschlüssel (nrw-regionen); gültig: {listed}"
            )
        names = ", ".join(t.resource for t in found)
        if request.resource is not None:
            found = [t for t in found if t.resource == request.resource]
            if not found:
                raise _invalid(
                    f"Parameter 'resource': {shown(request.resource)} ist in {request.dataset} "
                    f"keine Tabelle mit Regionalschlüssel; gültig: {names}"
                )
        if len(found) > 1:
            raise _invalid(f"Parameter 'resource' fehlt: {request.dataset} hat {names}")
        return found[0]

    def _level(
        self, release: ReleaseInfo, request: MapRequest, sql: Table, table: RegionTable
    ) -> LevelGeometry:
        """The level to map: the one asked for, else the one with the most places.

        An own level is limited to the Gemeinden whose areas the table holds.
        """
        geography = self.geography(release)
        keys = self._regions.places(release, table)
        if request.level is not None:
            if request.level not in geography.levels:
                raise _invalid(
                    f"Parameter 'ebene': {shown(request.level)} hat keine Grenzen; gültig: "
                    f"{', '.join(geography.levels) or 'keine (keine Geografie veröffentlicht)'}"
                )
            return _own_part(geography.level(request.level), table, keys)
        counts = [(len(keys & g.features.keys()), g.level) for g in geography.levels.values()]
        best = max(counts, default=(0, ""))
        if best[0] == 0:
            geography.level("")  # no geography at all: GeometryNotFound
            raise _invalid(
                f"{table.dataset}/{table.resource} hat keine Zeilen für Regionen mit Grenzen "
                f"(Ebenen: {', '.join(geography.levels)})"
            )
        return _own_part(geography.level(best[1]), table, keys)

    def map_data(self, release: ReleaseInfo, request: MapRequest) -> MapData:
        """The figures of one indicator at one period of ``release`` for every place of a level."""
        table = self._table(release, request)
        record = self._catalog.get_resource(release, table.dataset, table.resource)
        sql = data_table(record)
        level = self._level(release, request, sql, table)
        specs = field_specs(record.model)
        query = parse_row_query(request.filters, specs, max_size=1)
        dialect = self._engine.dialect.name
        conditions = [
            *where_clause(sql, query.filters, dialect),
            in_places(sql, table.key_field, list(level.features)),
        ]
        period = self._period(request, table, sql, conditions, specs)
        if table.period is not None:
            conditions.append(at_period(sql, table.period, period))
        with self._engine.connect() as conn:
            rows = conn.execute(map_rows_select(sql, table.columns(), conditions)).all()
        figures = _figures(table, rows, request.filters)
        filters = [(k, v) for k, values in request.filters.items() for v in values]
        if table.period is not None:
            filters.append((table.period, _text(period)))
        return MapData(release.number, table, level, period, filters, figures)

    def _period(
        self,
        request: MapRequest,
        table: RegionTable,
        sql: Table,
        conditions: Sequence[Any],
        specs: Sequence[FieldSpec],
    ) -> Any:  # noqa: ANN401  # a year, date or text
        if table.period is None:
            if request.period is not None:
                raise _invalid(
                    f"Parameter 'period': {table.dataset}/{table.resource} hat keinen Zeitbezug"
                )
            return None
        with self._engine.connect() as conn:
            if request.period is None:
                latest = conn.execute(latest_period_select(sql, table.period, conditions)).scalar()
                if latest is None:
                    raise _invalid(
                        f"Keine Zeilen in {table.dataset}/{table.resource} für diese Filter auf "
                        "dieser Ebene; Filter lockern oder eine andere Ebene wählen (ebene=…)"
                    )
                return latest
            spec = next(s for s in specs if s.name == table.period)
            wanted = parse_value(spec, request.period, "period")
            periods = conn.execute(periods_select(sql, table.period, conditions)).scalars().all()
        if wanted not in periods:
            raise _invalid(
                f"Parameter 'period': {shown(request.period)} gibt es für diese Filter nicht; "
                f"vorhanden: {', '.join(_text(p) for p in periods) or 'keiner'}"
            )
        return wanted


def _own_part(level: LevelGeometry, table: RegionTable, keys: frozenset[str]) -> LevelGeometry:
    """An own level limited to the Gemeinden of ``keys`` (a table's places); others whole."""
    if not level.is_own:
        return level
    held = {gemeinde_of(k) for k in keys & level.features.keys()}
    if not held:
        raise _invalid(
            f"Parameter 'ebene': {table.dataset}/{table.resource} hat keine Zeilen für Gebiete "
            f"mit Grenzen der Ebene {level.level!r}; Grenzen dieser Ebene gibt es in den "
            f"Gemeinden {', '.join(level.municipalities())}"
        )
    return level.within(held)


def _text(value: Any) -> str:  # noqa: ANN401  # a cell of any type
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _figures(
    table: RegionTable, rows: Sequence[Sequence[Any]], filters: Mapping[str, Sequence[str]]
) -> dict[str, tuple[Point, str | None]]:
    """One figure per place, or a 400 naming the dimension that still varies."""
    width = len(table.dimensions)
    figures: dict[str, tuple[Point, str | None]] = {}
    for row in rows:
        key = str(row[0])
        if key in figures:
            raise _ambiguous(table, rows, filters)
        rest = list(row[1 + width :])
        period = rest.pop(0) if table.period is not None else None
        value = rest.pop(0)
        unit = rest.pop(0) if table.unit_field is not None else table.unit
        status = rest.pop(0) if table.status is not None else None
        figures[key] = (Point(period, value, status), unit)
    return figures


def _ambiguous(
    table: RegionTable, rows: Sequence[Sequence[Any]], filters: Mapping[str, Sequence[str]]
) -> InvalidParameter:
    """The 400 for more than one row per place: the first dimension with several values."""
    width = len(table.dimensions)
    candidates = [(name, 1 + i) for i, name in enumerate(table.dimensions)]
    if table.unit_field is not None:
        position = 1 + width + (1 if table.period is not None else 0) + 1
        candidates.append((table.unit_field, position))
    for name, position in candidates:
        values = sorted({row[position] for row in rows}, key=lambda v: period_key(_text(v)))
        if len(values) > 1:
            listed = ["(leer)" if v is None else _text(v) for v in values]
            more = len(listed) - MAX_VALUES_SHOWN
            shown_values = ", ".join(listed[:MAX_VALUES_SHOWN]) + (
                f" und {more} weitere" if more > 0 else ""
            )
            example = next(_text(v) for v in values if v is not None)
            fixed = " (der Filter lässt mehrere zu)" if name in filters else ""
            return _invalid(
                f"Mehr als ein Wert je Region: die Dimension {name!r} muss festgelegt werden"
                f"{fixed}, z. B. {name}={example}; Werte: {shown_values}"
            )
    return _invalid(  # pragma: no cover  # a key of the table makes rows unique
        f"Mehr als ein Wert je Region in {table.dataset}/{table.resource}; "
        "weitere Filter nötig (Felder wie in der Zeilen-API)"
    )


def _no_boundary(region: Region, successor: Region | None) -> str:
    """Why a place of a level with boundaries has none: not published, or no longer existing."""
    text = f"Für {region.name} ({region.key}) ist keine Grenze veröffentlicht"
    if region.valid_to is None:
        return f"{text}; die Ebene {region.level!r} hat Grenzen für andere Gebiete"
    ended = f"{region.valid_to.day:02d}.{region.valid_to.month:02d}.{region.valid_to.year}"
    text += f": die Region bestand bis {ended}, die Grenzen zeigen den heutigen Gebietsstand"
    if successor is not None:
        text += f"; ihr Gebiet gehört heute zu {successor.key} ({successor.name})"
    return f"{text}."
