"""Parameters that several routes share, each declared once with its German description.

The lists they name come from where the behaviour lives: filter operators from
``query.filters.Op``, CSV profiles from ``formats.export.PROFILES``, citation styles from
``formats.citation.STYLE_MEDIA``. ``/api/v1/config`` (``web/meta.py``) names the same lists, and
``tests/test_lists.py`` checks that the config, the OpenAPI document and ``FILTER_HELP`` agree.
"""

from typing import Annotated, Final

from litestar.openapi.spec import Example
from litestar.params import PathParameter, QueryParameter

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.citation import STYLES
from opendata_sozial.formats.export import DEFAULT_PROFILE, PROFILE_NOTES
from opendata_sozial.query.filters import Op

OPERATORS: Final = tuple(op.value for op in Op)
"""Filter operators in the order the API documents them."""
CSV_PROFILES: Final = tuple(PROFILE_NOTES)
FILTER_HELP: Final = (
    f"Filter: feld=wert oder feld__op=wert mit op aus {', '.join(OPERATORS)}; Werte nach "
    "Feldtyp (Zahlen mit Punkt); in/notin kommagetrennt oder als JSON-Liste."
)


def _profiles_text() -> str:
    return " oder ".join(
        f"'{name}' ({'Standard: ' if name == DEFAULT_PROFILE else ''}{note})"
        for name, note in PROFILE_NOTES.items()
    )


def _named(description: str) -> PathParameter:
    """A path parameter naming a dataset or a resource (both examples: ``lebensformen``)."""
    return PathParameter(
        description=description,
        examples=[Example(summary="Lebensformen", value="lebensformen")],
    )


def _option(name: str, description: str, summary: str, value: str) -> QueryParameter:
    """An optional query parameter of the rows queries with one example."""
    return QueryParameter(
        name=name, description=description, examples=[Example(summary=summary, value=value)]
    )


DatasetName = Annotated[str, _named("Name des Datensatzes")]
ResourceName = Annotated[str, _named("Name der Ressource (Tabelle) im Datensatz")]
Select = Annotated[
    str | None, _option("_select", "Spalten, kommagetrennt", "Jahr und Wert", "jahr,wert")
]
Sort = Annotated[
    str | None,
    _option(
        "_sort",
        "Sortierung, kommagetrennt; '-' davor = absteigend. Gleichstand wird über den Primärschlüssel aufgelöst.",
        "Neueste zuerst",
        "-jahr,lebensform",
    ),
]
Size = Annotated[
    str | None,
    _option(
        "_size",
        "Zeilen je Seite (Standard 100, höchstens 10 000); bei Exporten ohne _size: alle Zeilen",
        "50 Zeilen",
        "50",
    ),
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        name="_cursor", description="Undurchsichtige Position aus 'next' der vorigen Seite"
    ),
]
Shape = Annotated[
    str | None, _option("_shape", "'objects' (Standard) oder 'arrays'", "Arrays", "arrays")
]
Profile = Annotated[
    str | None,
    QueryParameter(
        name="profile",
        description=_profiles_text(),
        examples=[Example(summary="Für deutsches Excel", value="excel-de")],
        schema_extra={"enum": list(CSV_PROFILES)},
    ),
]
CitationStyle = Annotated[
    str,
    QueryParameter(
        name="format",
        description=f"{', '.join(STYLES[:-1])} oder {STYLES[-1]}",
        examples=[Example(value="bibtex")],
        schema_extra={"enum": list(STYLES)},
    ),
]
Page = Annotated[int, QueryParameter(description="Seite, ab 1.")]


def csv_profile(profile: str | None) -> str:
    """The CSV profile asked for (``rfc4180`` without), or a 400 naming the valid ones."""
    chosen = profile or DEFAULT_PROFILE
    if chosen not in CSV_PROFILES:
        valid = " oder ".join(f"'{name}'" for name in CSV_PROFILES)
        raise InvalidParameter(f"Parameter 'profile': {chosen!r} ist ungültig; gültig: {valid}")
    return chosen
