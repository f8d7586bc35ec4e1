"""The arithmetic of the multidimensional index: standardise, orient, weight, rank, type.

Pure functions over plain numbers, so the method can be read (and recomputed) in one place;
``services/region_index.py`` feeds them the published figures of one level. The method in
words is in ``docs/api.md`` (section „Index“) and on ``/regionen/index``.

- **z-scores** (``z``, default): ``z = (x − mean) / sd`` over the places in the index, with the
  standard deviation of the population (divided by ``n``, not ``n − 1``).
- **ranks** (``rang``): the places ordered by the oriented value (ties share the mean of their
  positions), scaled to ``(position − 1) / (n − 1)``: 0 the most favourable, 1 the least.
- **direction**: ``hoch-schlecht`` keeps the sign, ``hoch-gut`` flips it (z: ``−z``; ranks:
  ordered by ``−x``), so that after orienting a higher score is always less favourable.
- **index**: the weighted mean of the oriented scores, ``Σ wᵢ·sᵢ / Σ wᵢ``.
- **rank**: 1 is the highest index (least favourable); equal indices share the best rank.
- **typology**: the index at the status period against its change since the comparison period
  (``dynamics = index − earlier index``, each standardised within its own period): „hoch“ when
  the index lies above the median of the typed places, else „niedrig“; „gestiegen“ when the
  change is above 0, else „gesunken“ (0 counts as „gesunken oder gleich“).
"""

import bisect
import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Final

METHODS: Final = {
    "z": "z-Werte (Abweichung vom Mittelwert in Standardabweichungen)",
    "rang": "Rangwerte (Position in der Reihenfolge, von 0 bis 1)",
}
DIRECTIONS: Final = {
    "hoch-schlecht": "ein höherer Wert ist ungünstiger",
    "hoch-gut": "ein höherer Wert ist günstiger",
}
TYPES: Final = {
    "hoch-gestiegen": "Index über dem Median, gestiegen",
    "hoch-gesunken": "Index über dem Median, gesunken oder gleich",
    "niedrig-gestiegen": "Index am oder unter dem Median, gestiegen",
    "niedrig-gesunken": "Index am oder unter dem Median, gesunken oder gleich",
}
"""The four types of the status × dynamics typology, by code."""


def _oriented(values: Sequence[float], direction: str) -> list[float]:
    return [-v for v in values] if direction == "hoch-gut" else list(values)


def z_scores(values: Sequence[float]) -> tuple[list[float], float, float] | None:
    """(z-scores, mean, population standard deviation); ``None`` when all values are equal."""
    mean = math.fsum(values) / len(values)
    spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
    if spread == 0:
        return None
    return [(v - mean) / spread for v in values], mean, spread


def rank_scores(values: Sequence[float]) -> list[float] | None:
    """Positions in ascending order (ties: their mean), scaled to 0 … 1; ``None`` if all equal."""
    if len(set(values)) < 2:  # at least two distinct values to rank
        return None
    ordered = sorted(values)
    first: dict[float, int] = {}
    last: dict[float, int] = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
        last[value] = position
    top = len(values) - 1
    return [((first[v] + last[v]) / 2 - 1) / top for v in values]


def standardise(
    values: Sequence[float], method: str, direction: str
) -> tuple[list[float], float | None, float | None] | None:
    """Oriented scores of ``values``, with mean and sd (z-scores only); ``None``: all equal."""
    if method == "rang":
        ranked = rank_scores(_oriented(values, direction))
        return None if ranked is None else (ranked, None, None)
    found = z_scores(values)
    if found is None:
        return None
    scores, mean, spread = found
    return _oriented(scores, direction), mean, spread


def combine(columns: Sequence[Sequence[float]], weights: Sequence[float]) -> list[float]:
    """The weighted mean of the score columns, place by place."""
    total = math.fsum(weights)
    return [
        math.fsum(w * s for w, s in zip(weights, scores, strict=True)) / total
        for scores in zip(*columns, strict=True)
    ]


def ranks(indices: Sequence[float]) -> list[int]:
    """Rank 1 for the highest index; equal indices share the best rank."""
    ordered = sorted(indices)
    return [1 + len(ordered) - bisect.bisect_right(ordered, own) for own in indices]


def types(
    status: Mapping[str, float], dynamics: Mapping[str, float]
) -> tuple[float, dict[str, str]]:
    """(median of the status index, type code per place) over the places with a dynamics."""
    median = statistics.median(status[key] for key in dynamics)
    found = {
        key: ("hoch" if status[key] > median else "niedrig")
        + ("-gestiegen" if change > 0 else "-gesunken")
        for key, change in dynamics.items()
    }
    return median, found
