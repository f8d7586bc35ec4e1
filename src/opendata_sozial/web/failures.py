"""One map from an exception to what the client is told: status, problem code, German title.

Both error renderings use it: RFC 9457 problem+json (``web/problems.py``) and the site's HTML
error page (``web/page_errors.py``), so a page and the API never disagree about a failure (a
pool timeout is a ``503`` in both). :func:`failure_of` decides:

- our errors (``errors.OpendataError``) carry their own ``status``, ``code`` and ``title``;
- a database failure is translated by ``db.errors.classify`` into one of ours
  (``not-published``, ``query-timeout``, ``database-unavailable``) or is a bug;
- Litestar's own 4xx (routing, validation) are looked up in :data:`HTTP_FAILURES`;
- anything else is ``500 internal-error``, logged once with its traceback.
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
    400: ("invalid-parameter", "Ungültiger Parameter"),
    404: ("not-found", "Nicht gefunden"),
    405: ("method-not-allowed", "Methode nicht erlaubt"),
}
"""Litestar's own errors by status -> (problem code, title)."""
OTHER_HTTP_FAILURE: Final = ("bad-request", "Ungültige Anfrage")
INTERNAL: Final = (500, "internal-error", "Interner Fehler")
INTERNAL_DETAIL: Final = "Ein unerwarteter Fehler ist aufgetreten; er wurde protokolliert."


@dataclass(frozen=True, slots=True)
class Failure:
    """What a client is told about a failed request, whichever rendering it gets."""

    status: int
    code: str
    title: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)


def failure_of(request: Request[Any, Any, Any], exc: Exception) -> Failure:
    """The one decision: status, problem code, title, detail and headers for ``exc``."""
    if isinstance(exc, DATABASE_ERRORS):
        translated = classify(exc, request.app.state.settings.database_url)
        if translated is None:
            return _internal(request, exc)
        _log_database(request, translated, exc)
        exc = translated
    if isinstance(exc, OpendataError):
        return Failure(exc.status, exc.code, exc.title, str(exc), exc.response_headers())
    if isinstance(exc, HTTPException):
        code, title = HTTP_FAILURES.get(exc.status_code, OTHER_HTTP_FAILURE)
        detail = http_error_detail(request, exc)
        return Failure(exc.status_code, code, title, detail, dict(exc.headers or {}))
    return _internal(request, exc)


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Failure:
    logger.error("request.failed", exc_info=exc, extra={"path": request.url.path})
    status, code, title = INTERNAL
    return Failure(status, code, title, INTERNAL_DETAIL)


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
SOURCES = {"query": "Parameter", "path": "Pfadteil", "header": "Kopfzeile", "cookie": "Cookie"}
TYPES = {int: "ganze Zahl", float: "Zahl", bool: "true oder false", str: "Text"}


def _fields(request: Request[Any, Any, Any]) -> Mapping[str, FieldDefinition]:
    """The route's parameters by their name in the Python signature."""
    handler = request.scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    return signature.parameters if signature is not None else {}


def _wire_name(name: str, field: FieldDefinition | None) -> str:
    kwarg = field.kwarg_definition if field is not None else None
    aliases = (getattr(kwarg, attribute, None) for attribute in ("name", "query", "header"))
    return str(next((alias for alias in aliases if alias), name))


def _valid(field: FieldDefinition | None) -> str:
    """What would be valid: the type, its bounds and the parameter's description."""
    if field is None:
        return ""
    inner = next((t for t in (field.type_, *field.inner_types) if t in TYPES), None)
    kwarg = field.kwarg_definition
    bounds = {"ge": "ab", "gt": "größer als", "le": "bis", "lt": "kleiner als"}
    limits = [
        f"{word} {value}"
        for attribute, word in bounds.items()
        if (value := getattr(kwarg, attribute, None)) is not None
    ]
    if len(limits) == 2 and limits[0].startswith("ab "):
        limits = [f"von {limits[0].removeprefix('ab ')} {limits[1]}"]
    kind = " ".join([TYPES[inner] if inner is not None else "", *limits]).strip()
    description = str(getattr(kwarg, "description", None) or "").strip().rstrip(".")
    return " – ".join(part for part in (kind, description) if part)


def validation_detail(request: Request[Any, Any, Any], exc: ValidationException) -> str:
    """Name every bad parameter, what was sent and what would be valid, in German."""
    fields = _fields(request)
    if missing := _MISSING.match(str(exc.detail)):
        wire = missing["name"]
        field = next((f for n, f in fields.items() if _wire_name(n, f) == wire), fields.get(wire))
        valid = _valid(field)
        where = SOURCES.get(missing["source"], "Parameter")
        return f"{where} '{wire}' fehlt" + (f"; gültig: {valid}." if valid else ".")
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
        valid = _valid(field)
        where = SOURCES.get(source, "Parameter")
        sentences.append(
            f"{where} '{wire}': {shown or 'der Wert'} ist ungültig"
            + (f"; gültig: {valid}" if valid else "")
        )
    return "; ".join(sentences) + "." if sentences else "Die Anfrage ist ungültig."


def _routing_detail(request: Request[Any, Any, Any], exc: HTTPException) -> str:
    path = request.url.path
    if exc.status_code == 404:
        return (
            f"Unter {path} gibt es nichts. Die API beginnt unter /api/v1/datasets, ihre "
            "Beschreibung steht unter /schema, der Katalog unter /."
        )
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow") or "GET"
        return f"{request.method} ist für {path} nicht erlaubt; erlaubt: {allowed}."
    return "Die Anfrage ist ungültig."


def http_error_detail(request: Request[Any, Any, Any], exc: HTTPException) -> str:
    """The German detail of one of Litestar's own 4xx: which parameter, what would be valid."""
    if isinstance(exc, ValidationException):
        return validation_detail(request, exc)
    return _routing_detail(request, exc)
