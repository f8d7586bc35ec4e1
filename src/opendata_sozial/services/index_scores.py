"""The places of an index: who is in, who is out and why, scores, index, rank and type.

``score_places`` applies ``services/index_method.py`` to the figures of one level: a place is
in the index when it has a value for every input at the input's status period, else it is
excluded with the missing inputs named (never imputed). The typology needs every input's
comparison period; a place in the index without a value there gets no type and says why.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.services.index_method import combine, ranks, standardise, types
from opendata_sozial.services.region_directory import Region
from opendata_sozial.services.regions import Indicator, Point, indicator_id

MIN_PLACES: Final = 3
"""Fewer places with every input make no index (and no typology)."""

Figures = Mapping[str, Mapping[Any, Point]]
"""Region key -> period -> figure of one input."""


@dataclass(frozen=True, slots=True)
class Available:
    """An indicator a level holds: its periods (in time order) and rows per period."""

    indicator: Indicator
    periods: tuple[tuple[Any, int], ...]
    id: str = ""
    """The indicator's id (``services.regions.indicator_id``, as in the profile API)."""

    def __post_init__(self) -> None:
        """Fill in the id once (it is read for every place of an index)."""
        if not self.id:
            object.__setattr__(self, "id", indicator_id(self.indicator))


@dataclass(frozen=True, slots=True)
class IndexInput:
    """An input as used: indicator, direction, weight, periods, and its mean and sd (z)."""

    available: Available
    direction: str
    weight: float
    period: Any
    comparison: Any
    mean: float | None = None
    spread: float | None = None
    places: int = 0


@dataclass(frozen=True, slots=True)
class Scored:
    """A place in the index: its figures and scores, index and rank, and the typology."""

    region: Region
    values: tuple[Point, ...]
    scores: tuple[float, ...]
    index: float
    rank: int
    earlier: tuple[Point | None, ...] = ()
    earlier_index: float | None = None
    dynamics: float | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Scores:
    """What ``score_places`` found."""

    inputs: list[IndexInput]
    places: list[Scored]
    excluded: list[tuple[Region, str]]
    typology_reason: str | None
    median: float | None


def _invalid(message: str) -> InvalidParameter:
    return InvalidParameter(message)


def text_of(value: Any) -> str:  # noqa: ANN401  # a year, date or text
    """A period as the API spells it (``2023``, ``2023-12-31``)."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _name(item: IndexInput) -> str:
    return f"„{item.available.indicator.label}“ ({item.available.indicator.table.dataset})"


def _missing(item: IndexInput, point: Point | None, period: Any) -> str | None:  # noqa: ANN401
    """Why ``point`` is no value for ``item`` (``None``: it is one)."""
    if point is not None and point.value is not None:
        return None
    why = "keine Zeile" if point is None else f"Zeichen „{point.status or 'leer'}“"
    return f"kein Wert für {_name(item)} {text_of(period)} ({why})"


def _standardised(
    inputs: Sequence[IndexInput], columns: Sequence[Sequence[float]], method: str
) -> tuple[list[IndexInput], list[list[float]]] | None:
    """Inputs with mean, sd and count, and the oriented score columns (``None``: all equal)."""
    used, scored = [], []
    for item, values in zip(inputs, columns, strict=True):
        found = standardise(values, method, item.direction)
        if found is None:
            return None
        scores, mean, spread = found
        used.append(replace(item, mean=mean, spread=spread, places=len(values)))
        scored.append(scores)
    return used, scored


def score_places(
    places: Sequence[Region], inputs: Sequence[IndexInput], figures: Sequence[Figures], method: str
) -> Scores:
    """Scores, index, rank and type of every place that has each input (400 when too few)."""
    excluded: list[tuple[Region, str]] = []
    kept: list[Region] = []
    for region in places:
        reasons = [
            reason
            for item, f in zip(inputs, figures, strict=True)
            if (reason := _missing(item, f.get(region.key, {}).get(item.period), item.period))
        ]
        if reasons:
            excluded.append((region, "; ".join(reasons)))
        else:
            kept.append(region)
    if len(kept) < MIN_PLACES:
        raise _invalid(
            f"Parameter 'indikator' und 'ebene': nur {len(kept)} Orte haben Werte für alle "
            "gewählten Indikatoren; für einen Index "
            f"sind mindestens {MIN_PLACES} nötig. Andere Indikatoren oder Zeiträume wählen."
        )
    now = _scores(inputs, figures, [r.key for r in kept], method, comparison=False)
    if now is None:
        raise _invalid(_all_equal(inputs, figures, [r.key for r in kept], comparison=False))
    used, columns, indices = now
    order = ranks(indices)
    scored = [
        Scored(
            region,
            tuple(f[region.key][i.period] for i, f in zip(inputs, figures, strict=True)),
            tuple(column[n] for column in columns),
            indices[n],
            order[n],
        )
        for n, region in enumerate(kept)
    ]
    scored, reason, median = _typology(scored, inputs, figures, method)
    scored.sort(key=lambda s: (s.rank, s.region.key))
    return Scores(used, scored, excluded, reason, median)


def _scores(
    inputs: Sequence[IndexInput],
    figures: Sequence[Figures],
    keys: Sequence[str],
    method: str,
    *,
    comparison: bool,
) -> tuple[list[IndexInput], list[list[float]], list[float]] | None:
    """Inputs with statistics, score columns and indices of ``keys`` (all have every value)."""
    periods = [i.comparison if comparison else i.period for i in inputs]
    columns = [
        [float(f[k][p].value) for k in keys]  # type: ignore[arg-type]  # checked: not None
        for f, p in zip(figures, periods, strict=True)
    ]
    found = _standardised(inputs, columns, method)
    if found is None:
        return None
    used, scores = found
    return used, scores, combine(scores, [i.weight for i in inputs])


def _all_equal(
    inputs: Sequence[IndexInput],
    figures: Sequence[Figures],
    keys: Sequence[str],
    *,
    comparison: bool,
) -> str:
    for item, f in zip(inputs, figures, strict=True):
        period = item.comparison if comparison else item.period
        if len({f[k][period].value for k in keys}) < 2:
            return (
                f"{_name(item)} hat bei allen Orten denselben Wert; "
                "er lässt sich nicht standardisieren"
            )
    return "Die Werte lassen sich nicht standardisieren"  # pragma: no cover


def _typology(
    scored: list[Scored], inputs: Sequence[IndexInput], figures: Sequence[Figures], method: str
) -> tuple[list[Scored], str | None, float | None]:
    """The places with earlier index, dynamics and type, or the reason there is no typology."""
    single = next((i for i in inputs if i.comparison is None), None)
    if single is not None:
        return scored, f"{_name(single)} hat auf dieser Ebene nur einen Zeitraum", None
    earlier = {
        s.region.key: tuple(
            f.get(s.region.key, {}).get(i.comparison) for i, f in zip(inputs, figures, strict=True)
        )
        for s in scored
    }
    keys = [
        k
        for k, points in earlier.items()
        if all(p is not None and p.value is not None for p in points)
    ]
    if len(keys) < MIN_PLACES:
        return scored, "Zu wenige Orte haben Werte in beiden Zeiträumen", None
    then = _scores(inputs, figures, keys, method, comparison=True)
    if then is None:
        return scored, _all_equal(inputs, figures, keys, comparison=True), None
    before = dict(zip(keys, then[2], strict=True))
    dynamics = {
        s.region.key: s.index - before[s.region.key] for s in scored if s.region.key in before
    }
    median, found = types({s.region.key: s.index for s in scored}, dynamics)
    typed = [
        replace(
            s,
            earlier=earlier[s.region.key],
            earlier_index=before.get(s.region.key),
            dynamics=dynamics.get(s.region.key),
            type=found.get(s.region.key),
        )
        for s in scored
    ]
    return typed, None, median
