"""RFC 9457 problem details for every expected error, in German.

The CKAN Action API (``/api/3``, ``/api/action``) answers its own routing errors in CKAN's error
envelope instead, and a browser that asks for a page outside the API (``Accept: text/html``)
gets the site's HTML error page (``web/page_errors.py``).
"""

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.typing import FieldDefinition
from sqlalchemy.exc import ProgrammingError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from opendata_sozial.db.schema import unpublished_reason
from opendata_sozial.db.timeouts import is_query_timeout
from opendata_sozial.errors import NotPublished, OpendataError, QueryTimeout
from opendata_sozial.urls import Urls
from opendata_sozial.web.links import urls_of
from opendata_sozial.web.page_errors import error_page

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Ungültiger Parameter",
    404: "Nicht gefunden",
    405: "Methode nicht erlaubt",
}
CKAN_PREFIXES = ("/api/3/", "/api/action/")
MACHINE_PREFIXES = ("/api/", "/health/", "/catalog", "/schema/openapi")
"""Paths whose errors stay machine-readable whatever the client accepts."""
RDF_FILE = re.compile(r"^/datasets/[^/]+\.(?:ttl|rdf|jsonld)$")
_MISSING = re.compile(r"^Missing required (?P<source>\w+) parameter '(?P<name>[^']+)'")
SOURCES = {"query": "Parameter", "path": "Pfadteil", "header": "Kopfzeile", "cookie": "Cookie"}
TYPES = {int: "ganze Zahl", float: "Zahl", bool: "true oder false", str: "Text"}


def problem_document(
    urls: Urls, status: int, code: str, title: str, detail: str, instance: str
) -> dict[str, object]:
    """The RFC 9457 body: ``type`` is ``{base}/problems/{code}``, ``instance`` the path."""
    return {
        "type": urls.problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }


def _problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, object]]:
    urls = urls_of(request)
    body = problem_document(urls, status, code, title, detail, urls.public_path(request.url.path))
    extra = {"Retry-After": "5"} if status == 503 else {}
    extra.update(headers or {})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=extra or None)


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """A browser asking for a page: it prefers HTML to JSON, outside the API and RDF files."""
    path = request.url.path
    if path.startswith(MACHINE_PREFIXES) or RDF_FILE.match(path):
        return False
    best = request.accept.best_match([PROBLEM_JSON, "application/json", "text/html"])
    return best == "text/html"


def opendata_error(request: Request[Any, Any, Any], exc: OpendataError) -> Response[Any]:
    """Map our error hierarchy to problem+json (a page for a browser outside the API)."""
    if wants_page(request):
        return error_page(request, exc.status, str(exc), exc.response_headers(), code=exc.code)
    return _problem(
        request, exc.status, exc.code, exc.title, str(exc), headers=exc.response_headers()
    )


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


def _ckan_error(
    request: Request[Any, Any, Any], exc: HTTPException, message: str
) -> Response[dict[str, object]]:
    """CKAN's error envelope (``success: false``, ``error.__type``), as CKAN clients expect."""
    kind = {404: "Not Found Error", 405: "Method Not Allowed"}.get(exc.status_code)
    action = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    body: dict[str, object] = {
        "help": urls_of(request).ckan_help(action),
        "success": False,
        "error": {"__type": kind or "Validation Error", "message": message},
    }
    return Response(
        body, status_code=exc.status_code, media_type="application/json", headers=exc.headers
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own 4xx (routing, validation) in German, with its headers (``Allow``).

    problem+json by default; CKAN's envelope under the CKAN API; the HTML error page for a
    browser outside the API.
    """
    status, detail = exc.status_code, http_error_detail(request, exc)
    code = {400: "invalid-parameter", 404: "not-found", 405: "method-not-allowed"}.get(
        status, "bad-request"
    )
    if request.url.path.startswith(CKAN_PREFIXES):
        return _ckan_error(request, exc, detail)
    if wants_page(request):
        return error_page(request, status, detail, headers=exc.headers)
    title = TITLES.get(status, "Ungültige Anfrage")
    return _problem(request, status, code, title, detail, headers=exc.headers)


def database_unavailable(request: Request[Any, Any, Any], exc: SQLAlchemyError) -> Response[Any]:
    """A database outage (or an exhausted pool) is a 503 with Retry-After, never a hang.

    A statement stopped by the per-query time limit is a 503 ``query-timeout`` instead; a
    missing SQLite file or missing catalog tables (no publish ever ran) are ``not-published``;
    any other programming error is a plain 500.
    """
    reason = unpublished_reason(exc, request.app.state.settings.database_url)
    if reason is not None:
        return opendata_error(request, NotPublished(reason))
    if isinstance(exc, ProgrammingError):
        return internal_error(request, exc)
    if is_query_timeout(exc):
        logger.warning("query.timeout", extra={"path": request.url.path})
        timeout = QueryTimeout(
            "Die Abfrage hat das Zeitlimit überschritten; weniger Zeilen (Filter) oder "
            "eine einfachere Sortierung wählen, oder später erneut versuchen."
        )
        return opendata_error(request, timeout)
    logger.warning("database.unavailable", extra={"error": str(getattr(exc, "orig", exc))})
    detail = (
        "Alle Datenbankverbindungen dieses Servers sind belegt; bitte in einigen Sekunden "
        "erneut versuchen."
        if isinstance(exc, PoolTimeout)
        else "Die Datenbank antwortet nicht; bitte später erneut versuchen."
    )
    return _problem(request, 503, "database-unavailable", "Datenbank nicht erreichbar", detail)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    """Anything unexpected: logged once with its traceback, answered without internals."""
    logger.error("request.failed", exc_info=exc, extra={"path": request.url.path})
    return _problem(
        request,
        500,
        "internal-error",
        "Interner Fehler",
        "Ein unerwarteter Fehler ist aufgetreten; er wurde protokolliert.",
    )
