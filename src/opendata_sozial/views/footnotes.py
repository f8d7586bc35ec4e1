"""Footnotes on the dataset page: markers in the table link to their text, the text links back.

Each footnote gets the anchor ``fn-<n>`` (its place in ``x_footnotes``, from 1). The first
reference to it in the shown table page carries ``fnref-<n>``, and the footnote's ``↩`` link
goes back there (to the key facts for a footnote on the whole table, to the table when the
shown rows do not refer to it). Footnotes whose text the source does not preserve are named
once, together, instead of repeating the same sentence as if it were content.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from opendata_sozial.domain import LOST_FOOTNOTE_TEXT
from opendata_sozial.model.dataset import Footnote


@dataclass(frozen=True, slots=True)
class NoteRef:
    """A marker in a table cell: the link to its footnote, ``ref_id`` on its first use."""

    marker: str
    url: str
    ref_id: str
    label: str


@dataclass(frozen=True, slots=True)
class NoteView:
    """A footnote below the table: its anchor, text and the link back to where it is used."""

    marker: str
    anchor: str
    text: str
    is_table_wide: bool
    back_url: str
    back_label: str


@dataclass(frozen=True, slots=True)
class NoteList:
    """The footnotes with text, and the markers the source gives no text for."""

    with_text: list[NoteView]
    without_text: list[NoteView]


def anchors(notes: Sequence[Footnote]) -> dict[str, str]:
    """Marker to anchor id (``fn-1``, ``fn-2`` …, in the package's order)."""
    return {n.marker: f"fn-{i}" for i, n in enumerate(notes, start=1)}


def note_refs(cell: object, targets: Mapping[str, str], seen: set[str]) -> tuple[NoteRef, ...]:
    """The markers of a ``fussnote`` cell (``1);2)``) as links; ``seen`` collects first uses."""
    refs = []
    for marker in filter(None, (m.strip() for m in str(cell or "").split(";"))):
        anchor = targets.get(marker)
        if anchor is None:
            continue
        ref_id = "" if anchor in seen else anchor.replace("fn-", "fnref-")
        seen.add(anchor)
        refs.append(NoteRef(marker, f"#{anchor}", ref_id, f"Fußnote {marker}"))
    return tuple(refs)


def note_list(notes: Sequence[Footnote], referenced: Iterable[str]) -> NoteList:
    """The footnotes in order, split by whether the source preserves their text."""
    used = set(referenced)
    views = [_view(n, f"fn-{i}", used) for i, n in enumerate(notes, start=1)]
    return NoteList(
        with_text=[v for v in views if v.text],
        without_text=[v for v in views if not v.text],
    )


def _view(note: Footnote, anchor: str, used: set[str]) -> NoteView:
    text = "" if note.text.strip() in ("", LOST_FOOTNOTE_TEXT) else note.text
    if note.is_table_wide:
        back, label = "#eckdaten", "Zurück zu den Eckdaten"
    elif anchor in used:
        back, label = (
            f"#{anchor.replace('fn-', 'fnref-')}",
            "Zurück zur ersten Verwendung in der Tabelle",
        )
    else:
        back, label = "#vorschau", "Zurück zur Tabelle"
    return NoteView(note.marker, anchor, text, note.is_table_wide, back, f"{label} ({note.marker})")
