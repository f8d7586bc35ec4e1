"""Which language a client wants: ``Accept-Language`` (RFC 9110 §12.5.4) over ``de`` and ``en``.

German is the default: without the header, with ``*``, or when no listed language is one of
ours. ``en-GB`` counts as ``en``; of several languages the highest ``q`` wins, and among equal
``q`` the first listed; ``q=0`` rules a language out.
"""

from typing import Final

LANGUAGES: Final = ("de", "en")
DEFAULT_LANGUAGE: Final = "de"


def _weight(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                return 0.0
            return weight if 0.0 <= weight <= 1.0 else 0.0
    return 1.0


def negotiate_language(header: str | None) -> str:
    """The language of the answer for an ``Accept-Language`` value (``de`` or ``en``)."""
    best, best_weight = DEFAULT_LANGUAGE, 0.0
    for item in (header or "").split(","):
        tag, *parameters = item.split(";")
        primary = tag.strip().lower().split("-", 1)[0]
        language = DEFAULT_LANGUAGE if primary == "*" else primary
        weight = _weight(parameters)
        if language in LANGUAGES and weight > best_weight:
            best, best_weight = language, weight
    return best
