"""How a query is read: concepts, compound parts and typos, each reading with a fixed weight.

A query is cut into slots: a phrase of the concept list ("Hartz IV", "Grundsicherung im Alter")
or a single word. Each slot has readings, and a dataset matches a slot if it matches one of its
readings; it matches the query if it matches every slot. The readings of a slot, best first:

- ``wort`` (weight 8): the word itself; each stem must begin a stem of the dataset's text.
- ``begriff`` (3): another term of the slot's concept ("Bürgergeld" for "Hartz IV"); a word whose
  start is a concept term ("Armutsrisikoschwelle") is read with the other terms plus its rest.
- ``verwandt`` (2): an ``also`` entry of the concept ("SGB II Kinder" for "Kinderarmut").

Only a word that matches no dataset of the release at all is read further:

- ``zerlegt`` (2): its parts, split with the words of the catalog's own texts
  ("Armutsquote" → armut + quote); each part (or a term of its concept) must occur in some stem.
- ``tippfehler`` (1): the stems of the catalog within edit distance 1 (words of 5 to 7 letters)
  or 2 (8 or more), transpositions counting once.

A word whose concept has a ``note`` (no dataset yet, e.g. "Wohngeld") is not read further: the
concept list knows it, so the search says so instead of guessing.
"""

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Final

from opendata_sozial.services.search_concepts import (
    STOPWORDS,
    Concept,
    Phrase,
    SearchConcepts,
    content_stems,
)
from opendata_sozial.services.search_text import fold, search_terms

WORD: Final = 8
CONCEPT: Final = 3
RELATED: Final = 2
PARTS: Final = 2
TYPO: Final = 1

MIN_PART: Final = 4
MAX_PARTS: Final = 4
LINKS: Final = ("", "s", "es", "n", "en")
MAX_COMBINATIONS: Final = 12
_WORD_RE = re.compile(r"[0-9a-zäöüß]+")
_TYPED_RE = re.compile(r"[0-9a-zäöüß]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reading:
    """Stems a dataset must all contain: at a stem's start, or anywhere in one (``infix``)."""

    stems: Phrase
    kind: str
    weight: int
    label: str
    infix: bool = False

    def matches(self, document: str) -> bool:
        """Whether a search document (`` stem stem ``) contains every stem.

        A number of one or two digits ("SGB 2", "unter 18") must be a whole stem, not the start
        of a year.
        """
        return all(self._has(stem, document) for stem in self.stems)

    def _has(self, stem: str, document: str) -> bool:
        if len(stem) <= 2 and stem.isdigit():
            return f" {stem} " in document
        return stem in document if self.infix else f" {stem}" in document

    def is_whole(self, document: str) -> bool:
        """Whether every stem is a whole stem of the document."""
        return all(f" {stem} " in document for stem in self.stems)


@dataclass(slots=True)
class Slot:
    """A word or concept phrase of the query with its readings."""

    text: str
    readings: list[Reading]
    concept: Concept | None = None

    def matches(self, document: str) -> bool:
        """Whether one of the readings matches the document."""
        return any(r.matches(document) for r in self.readings)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The catalog's vocabulary: stems (for typos), words and stems (for splitting compounds)."""

    stems: frozenset[str]
    parts: frozenset[str]
    words: dict[str, str] = field(default_factory=dict)
    """Each folded word of the catalog's texts with one spelling as written."""

    def surface(self, stem: str) -> str:
        """The shortest word of the catalog's texts that ``stem`` begins (to show a correction)."""
        found = [w for folded, w in self.words.items() if folded.startswith(stem)]
        return min(found, key=lambda w: (len(w), w)) if found else stem


def build_lexicon(documents: Iterable[str], texts: Iterable[str]) -> Lexicon:
    """The vocabulary of the search documents and of the texts they were made from."""
    stems = {stem for document in documents for stem in document.split()}
    words: dict[str, str] = {}
    for text in texts:
        for word in _WORD_RE.findall(unicodedata.normalize("NFC", text.lower())):
            words.setdefault(fold(word), word)
    parts = {w for w in words.keys() | stems if len(w) >= MIN_PART and w not in STOPWORDS}
    return Lexicon(stems=frozenset(stems), parts=frozenset(parts), words=words)


# Reading a query


def read_query(
    text: str,
    concepts: SearchConcepts,
    *,
    documents: Sequence[str],
    lexicon: Callable[[], Lexicon],
) -> list[Slot]:
    """The slots of ``text``; ``documents`` decide whether a word needs the fallbacks."""
    words = _words(text)
    stems = [stem for _, stem in words]
    slots: list[Slot] = []
    index = 0
    while index < len(words):
        found = concepts.phrase_at(stems, index)
        length = found[1] if found else 1
        shown = " ".join(word for word, _ in words[index : index + length])
        slot = Slot(shown, [Reading(tuple(stems[index : index + length]), "wort", WORD, shown)])
        if found:
            _add_concept(slot, found[0], CONCEPT)
        else:
            _add_head(slot, stems[index], concepts)
        if (
            length == 1
            and not (slot.concept and slot.concept.note)
            and not any(slot.matches(d) for d in documents)
        ):
            _fall_back(slot, stems[index], concepts, lexicon(), documents)
        slots.append(slot)
        index += length
    return slots


def _words(text: str) -> list[tuple[str, str]]:
    """(word as typed, stem) for each word; function words only if there is nothing else."""
    pairs = [
        (word, stem)
        for word in _TYPED_RE.findall(unicodedata.normalize("NFC", text))
        for stem in search_terms(word)
    ]
    content = [(w, s) for w, s in pairs if s not in STOPWORDS]
    return content or pairs


def _add_concept(slot: Slot, concept: Concept, weight: int) -> None:
    slot.concept = concept
    own = {r.stems for r in slot.readings}
    slot.readings += [
        Reading(stems, "begriff", weight, label)
        for label, stems in concept.terms
        if stems not in own
    ]
    slot.readings += [
        Reading(stems, "verwandt", min(weight, RELATED), label) for label, stems in concept.also
    ]


def _add_head(slot: Slot, stem: str, concepts: SearchConcepts) -> None:
    """A compound that starts with a concept term: the other terms with the compound's rest."""
    head = concepts.head_of(stem)
    if head is None:
        return
    concept, label, rest = head
    rest = _strip_link(rest)
    if len(rest) < MIN_PART - 1:
        return
    slot.concept = concept
    slot.readings += [
        Reading((*stems, rest), "begriff", CONCEPT, f"{other} + {rest}", infix=True)
        for other, stems in concept.terms
        if other != label
    ]


def _strip_link(rest: str) -> str:
    """The rest of a compound after its head without a linking element (s, es, n, en)."""
    for link in ("es", "en", "s", "n"):
        if rest.startswith(link) and len(rest) - len(link) >= MIN_PART:
            return rest[len(link) :]
    return rest


def _fall_back(
    slot: Slot, stem: str, concepts: SearchConcepts, lexicon: Lexicon, documents: Sequence[str]
) -> None:
    """Parts of a compound, else the nearest stems of the catalog (or a concept's term)."""
    parts = split_compound(stem, lexicon.parts)
    if parts:
        slot.readings += _part_readings(parts, concepts)
        if any(slot.matches(d) for d in documents):
            return
    for candidate in nearest(stem, lexicon.stems | concepts.single_terms):
        concept = concepts.term(candidate)
        if concept is not None:
            _add_concept(slot, concept, TYPO)
        else:
            slot.readings.append(
                Reading((candidate,), "tippfehler", TYPO, lexicon.surface(candidate))
            )


def _part_readings(parts: Sequence[str], concepts: SearchConcepts) -> list[Reading]:
    """Each part as itself or as another term of its concept; at most ``MAX_COMBINATIONS``."""
    choices: list[list[tuple[str, Phrase]]] = []
    for part in parts:
        stems = content_stems(part)
        concept = concepts.term(stems[0]) if len(stems) == 1 else None
        others = [(label, s) for label, s in concept.terms if s != stems] if concept else []
        choices.append([(part, stems), *others])
    combinations = itertools.islice(itertools.product(*choices), MAX_COMBINATIONS)
    return [
        Reading(
            tuple(s for _, stems in combination for s in stems),
            "zerlegt",
            PARTS,
            " + ".join(label for label, _ in combination),
            infix=True,
        )
        for combination in combinations
    ]


# Compounds and typos


def split_compound(word: str, parts: frozenset[str]) -> tuple[str, ...] | None:
    """``word`` as the fewest known parts (≥ 2), with linking s/es/n/en between; else None.

    Ties go to the longer first part. Only words of 8 letters or more are split.
    """
    if len(word) < 2 * MIN_PART:
        return None

    @cache
    def best(start: int) -> tuple[str, ...] | None:
        if start == len(word):
            return ()
        found: tuple[str, ...] | None = None
        for end in range(len(word), start + MIN_PART - 1, -1):
            piece = word[start:end]
            if piece not in parts:
                continue
            for link in LINKS if end < len(word) else ("",):
                if not word.startswith(link, end):
                    continue
                rest = best(end + len(link))
                if rest is not None and (found is None or len(rest) + 1 < len(found)):
                    found = (piece, *rest)
        return found

    split = best(0)
    return split if split and 2 <= len(split) <= MAX_PARTS else None


def nearest(word: str, vocabulary: Iterable[str]) -> list[str]:
    """The vocabulary words closest to ``word`` within its typo budget, sorted; [] if none."""
    budget = typo_budget(word)
    if not budget:
        return []
    found: dict[str, int] = {}
    for candidate in vocabulary:
        if abs(len(candidate) - len(word)) <= budget and candidate != word:
            distance = edit_distance(word, candidate, budget)
            if distance <= budget:
                found[candidate] = distance
    if not found:
        return []
    closest = min(found.values())
    return sorted(c for c, d in found.items() if d == closest)


def typo_budget(word: str) -> int:
    """Edits allowed: none under 5 letters, 1 for 5 to 7, 2 from 8."""
    if len(word) < 5:
        return 0
    return 1 if len(word) < 8 else 2


def edit_distance(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance of ``a`` and ``b``; ``bound + 1`` once it exceeds it."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        previous2, previous = previous, current
    return min(previous[-1], bound + 1)
