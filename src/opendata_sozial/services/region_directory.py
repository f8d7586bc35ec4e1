"""The region directory of a release: the official hierarchy of ``nrw-regionen``, searchable.

The package's two tables are small (about 460 regions, a few dozen name variants), so the
directory is read once per release into memory and searched there: Land → Regierungsbezirk →
Kreis/kreisfreie Stadt → Gemeinde, with each unit's parent, children and name variants. Below a
Gemeinde come the areas a municipality publishes itself (``AREA_LEVELS``, from the ``gebiete``
table of its geography package; docs/areas.md), keyed ``<AGS>-<code>``.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from opendata_sozial.model.dataset import AREA_LEVELS

OFFICIAL_LEVELS: Final = ("land", "regierungsbezirk", "kreis", "gemeinde")
LEVELS: Final = (*OFFICIAL_LEVELS, *AREA_LEVELS)
"""Every level, top down; a level the directory names beyond these sorts last."""
_KEY: Final = re.compile(r"\d[\d-]*|\d{8}-[0-9a-z-]*")
_FOLD: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_WORD: Final = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Text as search compares it: lower case, ``ä`` = ``ae`` …, punctuation as spaces."""
    return _NON_WORD.sub(" ", text.casefold().translate(_FOLD)).strip()


@dataclass(frozen=True, slots=True)
class Region:
    """One unit of the directory (a row of ``nrw-regionen/regionen``)."""

    key: str
    name: str
    level: str
    kind: str
    parent: str | None
    valid_from: date | None
    valid_to: date | None
    successor: str | None


@dataclass(frozen=True, slots=True)
class Variant:
    """A spelling of a region's name in the report tables (``namensvarianten``)."""

    name: str
    key: str
    context: str | None


@dataclass(frozen=True, slots=True)
class Match:
    """A search hit: the region and the name variant that matched (``None``: the name or key)."""

    region: Region
    matched: str | None


def gemeinde_of(key: str) -> str:
    """The AGS of the Gemeinde an own area lies in (``05515000-nw`` -> ``05515000``)."""
    return key.split("-", 1)[0]


def level_rank(level: str) -> int:
    """Position of a level from the top (unknown levels last)."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _name_score(query: str, words: Sequence[str], name: str) -> int | None:
    """How well a folded name fits a folded query: 0 exact … 3 substring; ``None``: no fit."""
    folded = fold(name)
    core = fold(name.split(",", 1)[0])
    if query in {folded, core}:
        return 0
    if folded.startswith(query):
        return 1
    name_words = folded.split()
    if all(any(w.startswith(q) for w in name_words) for q in words):
        return 2
    return 3 if query in folded else None


@dataclass(slots=True)
class Directory:
    """Every region of a release by key, with its children and name variants."""

    regions: dict[str, Region]
    variants: dict[str, list[Variant]] = field(default_factory=dict)
    children: dict[str, list[Region]] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, regions: Iterable[Sequence[Any]], variants: Iterable[Sequence[Any]]
    ) -> "Directory":
        """Build from the rows of ``query.regions.DIRECTORY_COLUMNS`` and ``VARIANT_COLUMNS``."""
        directory = cls({str(r[0]): Region(*r) for r in regions})
        for region in directory.regions.values():
            if region.parent:
                directory.children.setdefault(region.parent, []).append(region)
        for name, key, context in variants:
            directory.variants.setdefault(str(key), []).append(Variant(name, key, context))
        return directory

    def ancestors(self, key: str) -> list[Region]:
        """The parents of a region, the direct parent first, up to the Land."""
        chain: list[Region] = []
        parent = self.regions[key].parent
        while parent and parent in self.regions and len(chain) < len(self.regions):
            chain.append(self.regions[parent])
            parent = self.regions[parent].parent
        return chain

    def at_level(self, level: str) -> list[str]:
        """The keys of every region of a level."""
        return [r.key for r in self.regions.values() if r.level == level]

    def peers(self, region: Region) -> list[str]:
        """The keys a place is ranked among: its level; for own areas, within its Gemeinde."""
        if region.level not in AREA_LEVELS:
            return self.at_level(region.level)
        gemeinde = gemeinde_of(region.key)
        return [k for k in self.at_level(region.level) if k.startswith(f"{gemeinde}-")]

    def levels(self) -> list[str]:
        """The levels the directory holds, top down."""
        return sorted({r.level for r in self.regions.values()}, key=level_rank)

    def is_below(self, region: Region, ancestor: str) -> bool:
        """Whether ``region`` lies (at any depth) below the region ``ancestor``."""
        return any(a.key == ancestor for a in self.ancestors(region.key))

    def search(self, q: str, *, level: str | None, parent: str | None) -> list[Match]:
        """Regions by key prefix (digits) or by name and name variant, best first."""
        pool = [
            r
            for r in self.regions.values()
            if (level is None or r.level == level) and (parent is None or self.is_below(r, parent))
        ]
        text = q.strip()
        if not text:
            return [Match(r, None) for r in sorted(pool, key=self._order)]
        if _KEY.fullmatch(text.lower()):
            hits = [r for r in pool if r.key.startswith(text.lower())]
            return [Match(r, None) for r in sorted(hits, key=lambda r: (len(r.key), r.key))]
        return self._by_name(fold(text), pool)

    def _by_name(self, query: str, pool: Sequence[Region]) -> list[Match]:
        words = query.split()
        scored: list[tuple[int, Region, str | None]] = []
        for region in pool:
            names = [(region.name, None)] + [
                (v.name, v.name) for v in self.variants.get(region.key, [])
            ]
            fits = [
                (score, matched)
                for name, matched in names
                if (score := _name_score(query, words, name)) is not None
            ]
            if fits:
                score, matched = min(fits, key=lambda fit: (fit[0], fit[1] is not None))
                scored.append((score, region, matched))
        scored.sort(key=lambda hit: (hit[0], *self._order(hit[1])))
        return [Match(region, matched) for _, region, matched in scored]

    @staticmethod
    def _order(region: Region) -> tuple[int, bool, str, str]:
        """Top levels first, current before ended units, then by name and key."""
        return (
            level_rank(region.level),
            region.valid_to is not None,
            fold(region.name),
            region.key,
        )
