"""The relevance set of the dataset search (``tests/data/search_relevance.yaml``) and its measures.

Shared by ``tests/test_search_relevance.py`` (which asserts the targets) and
``bench/search_relevance.py`` (which reports them in docs/benchmarks.md).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

RELEVANCE_SET = Path(__file__).resolve().parent / "data" / "search_relevance.yaml"
TOP = 3


@dataclass(frozen=True, slots=True)
class Case:
    """A query, the datasets that must be in its first three hits, or the hint's concept."""

    q: str
    expected: tuple[str, ...]
    hint: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the search answered to one case: the names of its hits in order, the hint's concept."""

    case: Case
    names: tuple[str, ...]
    hint: str | None

    @property
    def found(self) -> int:
        """Expected datasets among the first ``TOP`` hits."""
        return len(set(self.case.expected) & set(self.names[:TOP]))

    @property
    def is_first_right(self) -> bool:
        """The first hit is expected; a case without datasets: no hits and the right hint."""
        if not self.case.expected:
            return not self.names and self.hint == self.case.hint
        return bool(self.names) and self.names[0] in self.case.expected


@dataclass(frozen=True, slots=True)
class Report:
    """recall@3 over all (query, expected dataset) pairs, and the cases that went wrong."""

    outcomes: tuple[Outcome, ...]

    @property
    def recall(self) -> float:
        """Found pairs over expected pairs."""
        expected = sum(len(o.case.expected) for o in self.outcomes)
        return sum(o.found for o in self.outcomes) / expected if expected else 1.0

    @property
    def first_right(self) -> int:
        """Cases whose first hit (or, without datasets, whose hint) is right."""
        return sum(o.is_first_right for o in self.outcomes)

    def failures(self) -> list[str]:
        """One line per case with a missing dataset or a wrong first hit or hint."""
        return [
            f"{o.case.q!r}: erwartet {list(o.case.expected) or o.case.hint}, "
            f"gefunden {list(o.names[:TOP])} (Hinweis: {o.hint})"
            for o in self.outcomes
            if o.found < len(o.case.expected) or not o.is_first_right
        ]


def load_cases(path: Path = RELEVANCE_SET) -> list[Case]:
    """The cases of the relevance set, in file order."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Case(q=item["q"], expected=tuple(item["expected"]), hint=item.get("hint"))
        for item in raw["queries"]
    ]


def evaluate(
    cases: Sequence[Case], search: Callable[[str], tuple[Sequence[str], str | None]]
) -> Report:
    """Run every case through ``search`` (q -> hit names in order, hint concept or None)."""
    outcomes = []
    for case in cases:
        names, hint = search(case.q)
        outcomes.append(Outcome(case, tuple(names), hint))
    return Report(tuple(outcomes))
