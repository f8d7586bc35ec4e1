"""One map from an exception to what the client is told: status, problem code, title, detail.

Both error renderings use it: RFC 9457 problem+json (``web/problems.py``) and the site's HTML
error page (``web/page_errors.py``), so a page and the API never disagree about a failure (a
pool timeout is a ``503`` in both). :func:`failure_of` decides:

- our errors (``errors.OpendataError``) carry their own ``status``, ``code`` and ``title``;
- a database failure is translated by ``db.errors.classify`` into one of ours
  (``not-published``, ``query-timeout``, ``database-unavailable``) or is a bug;
- Litestar's own 4xx (routing, validation) are looked up in :data:`HTTP_FAILURES`;
- anything else is ``500 internal-error``, logged once with its traceback.

Title and detail come in German and English side by side (``Failure.text``); the detail of one
of our errors is English only where its raise site gave one (``english=``).
"""

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from litestar import Request
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from litestar.typing import FieldDefinition

from opendata_sozial.db.errors import DATABASE_ERRORS, classify
from opendata_sozial.errors import OpendataError, QueryTimeout

logger = logging.getLogger(__name__)

HTTP_FAILURES: Final = {
    400: ("invalid-parameter", "Ungültiger Parameter", "Invalid parameter"),
    404: ("not-found", "Nicht gefunden", "Not found"),
    405: ("method-not-allowed", "Methode nicht erlaubt", "Method not allowed"),
}
"""Litestar's own errors by status -> (problem code, German title, English title)."""
OTHER_HTTP_FAILURE: Final = ("bad-request", "Ungültige Anfrage", "Bad request")
INTERNAL: Final = (500, "internal-error", "Interner Fehler", "Internal error")
INTERNAL_DETAIL: Final = "Ein unerwarteter Fehler ist aufgetreten; er wurde protokolliert."
INTERNAL_DETAIL_EN: Final = "An unexpected error occurred; it has been logged."


@dataclass(frozen=True, slots=True)
class Failure:
    """What a client is told about a failed request, whichever rendering it gets."""

    status: int
    code: str
    title: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)
    title_en: str = ""
    detail_en: str | None = None
    """The detail in English; ``None`` where only the German one exists."""

    def text(self, language: str) -> tuple[str, str, str]:
        """(title, detail, Content-Language) in ``language`` (``de`` or ``en``).

        An English answer whose detail has no translation keeps the German detail and says
        so: ``Content-Language: en, de``.
        """
        if language != "en":
            return self.title, self.detail, "de"
        if self.detail_en is None:
            return self.title_en, self.detail, "en, de"
        return self.title_en, self.detail_en, "en"


def failure_of(request: Request[Any, Any, Any], exc: Exception) -> Failure:
    """The one decision: status, problem code, title, detail and headers for ``exc``."""
    if isinstance(exc, DATABASE_ERRORS):
        translated = classify(exc, request.app.state.settings.database_url)
        if translated is None:
            return _internal(request, exc)
        _log_database(request, translated, exc)
        exc = translated
    if isinstance(exc, OpendataError):
        headers = exc.response_headers()
        return Failure(
            exc.status, exc.code, exc.title, str(exc), headers, exc.title_en, exc.english
        )
    if isinstance(exc, HTTPException):
        code, title, title_en = HTTP_FAILURES.get(exc.status_code, OTHER_HTTP_FAILURE)
        detail = http_error_detail(request, exc)
        detail_en = http_error_detail(request, exc, "en")
        headers = dict(exc.headers or {})
        return Failure(exc.status_code, code, title, detail, headers, title_en, detail_en)
    return _internal(request, exc)


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Failure:
    logger.error("request.failed", exc_info=exc, extra={"path": request.url.path})
    status, code, title, title_en = INTERNAL
    return Failure(status, code, title, INTERNAL_DETAIL, {}, title_en, INTERNAL_DETAIL_EN)


def _log_database(
    request: Request[Any, Any, Any], translated: OpendataError, exc: Exception
) -> None:
    if isinstance(translated, QueryTimeout):
        logger.warning("query.timeout", extra={"path": request.url.path})
    elif translated.code == "database-unavailable":
        logger.warning("database.unavailable", extra={"error": str(getattr(exc, "orig", exc))})


def exception_handlers(
    handler: Callable[[Request[Any, Any, Any], Exception], Any],
) -> ExceptionHandlersMap:
    """``handler`` for every exception :func:`failure_of` knows, keyed as Litestar looks up.

    The page controllers and the app register the same keys, so that the most specific
    class of an exception never picks the other layer's handler.
    """
    kinds: tuple[type[Exception], ...] = (OpendataError, HTTPException, *DATABASE_ERRORS, Exception)
    return dict.fromkeys(kinds, handler)


# Details of Litestar's own 4xx

_MISSING = re.compile(r"^Missing required (?P<source>\w+) parameter '(?P<name>[^']+)'")


LANGUAGE_SIDE: Final = {"de": 0, "en": 1}
"""Which side of each (German, English) pair below a language reads."""
SOURCES: Final = {
    "query": ("Parameter", "Parameter"),
    "path": ("Pfadteil", "Path segment"),
    "header": ("Kopfzeile", "Header"),
    "cookie": ("Cookie", "Cookie"),
}
TYPES: Final = {
    int: ("ganze Zahl", "whole number"),
    float: ("Zahl", "number"),
    bool: ("true oder false", "true or false"),
    str: ("Text", "text"),
}
BOUNDS: Final = {
    "ge": ("ab", "from"),
    "gt": ("größer als", "greater than"),
    "le": ("bis", "to"),
    "lt": ("kleiner als", "less than"),
}
PHRASES: Final = {
    "from_to": ("von {low} {high}", "from {low} {high}"),
    "missing": ("{where} '{wire}' fehlt", "{where} '{wire}' is missing"),
    "invalid": ("{where} '{wire}': {shown} ist ungültig", "{where} '{wire}': {shown} is invalid"),
    "the_value": ("der Wert", "the value"),
    "valid": ("; gültig: {valid}", "; valid: {valid}"),
    "bad_request": ("Die Anfrage ist ungültig.", "The request is invalid."),
    "nothing_at": (
        "Unter {path} gibt es nichts. Die API beginnt unter /api/v1/datasets, ihre "
        "Beschreibung steht unter /schema, der Katalog unter /.",
        "There is nothing at {path}. The API starts at /api/v1/datasets, its description is "
        "at /schema, the catalog at /.",
    ),
    "not_allowed": (
        "{method} ist für {path} nicht erlaubt; erlaubt: {allowed}.",
        "{method} is not allowed for {path}; allowed: {allowed}.",
    ),
}
"""The words of Litestar's 4xx details, German and English side by side."""


def _word(table: Mapping[Any, tuple[str, str]], key: object, side: int) -> str:
    return table[key][side]


def _fields(request: Request[Any, Any, Any]) -> Mapping[str, FieldDefinition]:
    """The route's parameters by their name in the Python signature."""
    handler = request.scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    return signature.parameters if signature is not None else {}


def _wire_name(name: str, field: FieldDefinition | None) -> str:
    kwarg = field.kwarg_definition if field is not None else None
    aliases = (getattr(kwarg, attribute, None) for attribute in ("name", "query", "header"))
    return str(next((alias for alias in aliases if alias), name))


def _valid(field: FieldDefinition | None, side: int) -> str:
    """What would be valid: the type, its bounds and (German only) the parameter's description.

    The descriptions of the OpenAPI document are German, so an English detail leaves them out.
    """
    if field is None:
        return ""
    inner = next((t for t in (field.type_, *field.inner_types) if t in TYPES), None)
    kwarg = field.kwarg_definition
    limits = [
        f"{words[side]} {value}"
        for attribute, words in BOUNDS.items()
        if (value := getattr(kwarg, attribute, None)) is not None
    ]
    low_word = f"{_word(BOUNDS, 'ge', side)} "
    if len(limits) == 2 and limits[0].startswith(low_word):
        from_to = _word(PHRASES, "from_to", side)
        limits = [from_to.format(low=limits[0].removeprefix(low_word), high=limits[1])]
    kind = " ".join([_word(TYPES, inner, side) if inner is not None else "", *limits]).strip()
    description = str(getattr(kwarg, "description", None) or "").strip().rstrip(".")
    parts = (kind, description if side == LANGUAGE_SIDE["de"] else "")
    return " – ".join(part for part in parts if part)


def validation_detail(
    request: Request[Any, Any, Any], exc: ValidationException, language: str = "de"
) -> str:
    """Name every bad parameter, what was sent and what would be valid."""
    side = LANGUAGE_SIDE[language]
    phrase = {key: pair[side] for key, pair in PHRASES.items()}
    fields = _fields(request)
    if missing := _MISSING.match(str(exc.detail)):
        wire = missing["name"]
        field = next((f for n, f in fields.items() if _wire_name(n, f) == wire), fields.get(wire))
        valid = _valid(field, side)
        where = SOURCES.get(missing["source"], SOURCES["query"])[side]
        text = phrase["missing"].format(where=where, wire=wire)
        return text + (phrase["valid"].format(valid=valid) + "." if valid else ".")
    sentences = []
    for error in exc.extra if isinstance(exc.extra, list) else []:
        key = str(error.get("key", "")) if isinstance(error, dict) else ""
        field = fields.get(key)
        wire = _wire_name(key, field)
        source = str(getattr(error.get("source"), "value", error.get("source")))
        sent = request.query_params.getall(wire, []) if source == "query" else []
        if source == "path":
            sent = [str(request.path_params.get(key, ""))]
        shown = ", ".join(json.dumps(v, ensure_ascii=False) for v in sent)
        valid = _valid(field, side)
        where = SOURCES.get(source, SOURCES["query"])[side]
        sentences.append(
            phrase["invalid"].format(where=where, wire=wire, shown=shown or phrase["the_value"])
            + (phrase["valid"].format(valid=valid) if valid else "")
        )
    return "; ".join(sentences) + "." if sentences else phrase["bad_request"]


def _routing_detail(request: Request[Any, Any, Any], exc: HTTPException, side: int) -> str:
    path = request.url.path
    if exc.status_code == 404:
        return _word(PHRASES, "nothing_at", side).format(path=path)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow") or "GET"
        text = _word(PHRASES, "not_allowed", side)
        return text.format(method=request.method, path=path, allowed=allowed)
    return _word(PHRASES, "bad_request", side)


def http_error_detail(
    request: Request[Any, Any, Any], exc: HTTPException, language: str = "de"
) -> str:
    """The detail of one of Litestar's own 4xx: which parameter, what would be valid."""
    if isinstance(exc, ValidationException):
        return validation_detail(request, exc, language)
    return _routing_detail(request, exc, LANGUAGE_SIDE[language])
