"""The search's concept list (``catalog/search-concepts.yaml``): synonyms, related readings, hints.

A concept is a set of equivalent words and phrases (``terms``): a query naming one of them also
finds datasets that use another. ``also`` lists one-way readings (a dataset matching every word
of one entry is found too, ranked below the terms). ``note`` says that no dataset covers the
concept yet; with ``related`` it becomes the hint of a search that finds nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opendata_sozial.catalog import read_yaml
from opendata_sozial.errors import ConfigError
from opendata_sozial.services.search_text import fold, search_terms

STOPWORDS = frozenset(
    {"am", "an", "auf", "bei", "das", "dem", "den", "der", "des", "die", "ein", "fur", "im"}
    | {"in", "mit", "nach", "ohn", "und", "von", "vom", "zum", "zur", "uber", "unt", "oder"}
)
"""Stems of function words: left out of a query with other words and of concept phrases."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=2)
    terms: list[str] = Field(min_length=1)
    also: list[str] = Field(default_factory=list)
    note: str | None = None
    related: list[str] = Field(default_factory=list)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    concepts: list[_Entry]


Phrase = tuple[str, ...]
"""The stems of a word or phrase, function words left out."""


@dataclass(frozen=True, slots=True)
class Concept:
    """One concept: its name, its equivalent terms and one-way readings (as written and as stems)."""

    name: str
    terms: tuple[tuple[str, Phrase], ...]
    also: tuple[tuple[str, Phrase], ...]
    note: str | None
    related: tuple[str, ...]


def content_stems(text: str) -> Phrase:
    """Stems of ``text`` without function words (all of them if there is nothing else)."""
    stems = search_terms(text)
    content = tuple(s for s in stems if s not in STOPWORDS)
    return content or tuple(stems)


class SearchConcepts:
    """Look-ups over the concept list: phrases in a query, concept terms at a word's start."""

    def __init__(self, concepts: Sequence[Concept]) -> None:
        self.concepts = tuple(concepts)
        self._phrases: dict[Phrase, Concept] = {
            stems: concept for concept in concepts for _, stems in concept.terms
        }
        self._longest = max((len(p) for p in self._phrases), default=0)
        self.single_terms: frozenset[str] = frozenset(p[0] for p in self._phrases if len(p) == 1)
        self._heads: dict[str, tuple[Concept, str]] = {
            fold(label.lower()): (concept, label)
            for concept in concepts
            for label, stems in concept.terms
            if len(stems) == 1 and label.isalpha()
        }

    def phrase_at(self, stems: Sequence[str], start: int) -> tuple[Concept, int] | None:
        """The concept whose term is the longest run of ``stems`` from ``start``, with its length."""
        for length in range(min(self._longest, len(stems) - start), 0, -1):
            concept = self._phrases.get(tuple(stems[start : start + length]))
            if concept is not None:
                return concept, length
        return None

    def term(self, stem: str) -> Concept | None:
        """The concept with the one-word term ``stem``."""
        return self._phrases.get((stem,))

    def head_of(self, stem: str) -> tuple[Concept, str, str] | None:
        """(concept, term, rest of ``stem``) for the longest term ``stem`` starts with.

        Terms are one word, compared as written (folded, at least 4 letters), and shorter than
        ``stem``.
        """
        for length in range(len(stem) - 1, 3, -1):
            found = self._heads.get(stem[:length])
            if found is not None:
                return found[0], found[1], stem[length:]
        return None


NO_CONCEPTS = SearchConcepts(())


def load_search_concepts(path: Path) -> SearchConcepts:
    """Read and check the concept list; ``ConfigError`` names the file and the bad entry."""
    raw = read_yaml(path, "Begriffsliste")
    try:
        entries = _File.model_validate(raw).concepts
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Begriffsliste {path} ungültig: {problems}") from exc
    concepts = [_concept(path, entry) for entry in entries]
    _check_unique(path, concepts)
    return SearchConcepts(concepts)


def _concept(path: Path, entry: _Entry) -> Concept:
    def phrases(texts: Sequence[str]) -> tuple[tuple[str, Phrase], ...]:
        found = tuple((text, content_stems(text)) for text in texts)
        for text, stems in found:
            if not stems:
                raise ConfigError(f"Begriffsliste {path}: {entry.name}: {text!r} hat kein Wort")
        return found

    return Concept(
        name=entry.name,
        terms=phrases(entry.terms),
        also=phrases(entry.also),
        note=entry.note,
        related=tuple(entry.related),
    )


def _check_unique(path: Path, concepts: Sequence[Concept]) -> None:
    """A term may belong to one concept only; otherwise a query would be ambiguous."""
    owner: dict[Phrase, str] = {}
    for concept in concepts:
        for text, stems in concept.terms:
            other = owner.setdefault(stems, concept.name)
            if other != concept.name:
                raise ConfigError(
                    f"Begriffsliste {path}: {text!r} steht bei {other!r} und bei "
                    f"{concept.name!r}; ein Begriff darf nur zu einem Eintrag gehören"
                )
