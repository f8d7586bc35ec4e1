"""RFC 9457 problem details for every expected error."""

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from sqlalchemy.exc import SQLAlchemyError

from opendata_sozial.db.timeouts import is_query_timeout
from opendata_sozial.errors import OpendataError, QueryTimeout
from opendata_sozial.web.links import public_path

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def _problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, object]]:
    base = str(request.app.state.settings.base_url).rstrip("/")
    body: dict[str, object] = {
        "type": f"{base}/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": public_path(request.url.path),
    }
    extra = {"Retry-After": "5"} if status == 503 else {}
    extra.update(headers or {})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=extra or None)


def opendata_error(
    request: Request[Any, Any, Any], exc: OpendataError
) -> Response[dict[str, object]]:
    """Map our error hierarchy to problem+json."""
    return _problem(
        request, exc.status, exc.code, exc.title, str(exc), headers=exc.response_headers()
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, object]]:
    """Litestar's own 4xx (routing, validation) as problem+json, with its headers (``Allow``)."""
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "bad-request")
    detail = str(exc.extra or exc.detail)
    return _problem(request, exc.status_code, code, str(exc.detail), detail, headers=exc.headers)


def database_unavailable(
    request: Request[Any, Any, Any], exc: SQLAlchemyError
) -> Response[dict[str, object]]:
    """A database outage (or an exhausted pool) is a 503 with Retry-After, never a hang.

    A statement stopped by the per-query time limit is a 503 ``query-timeout`` instead.
    """
    if is_query_timeout(exc):
        logger.warning("query.timeout", extra={"path": request.url.path})
        timeout = QueryTimeout(
            "Die Abfrage hat das Zeitlimit überschritten; weniger Zeilen (Filter) oder "
            "eine einfachere Sortierung wählen, oder später erneut versuchen."
        )
        return opendata_error(request, timeout)
    logger.warning("database.unavailable", extra={"error": str(getattr(exc, "orig", exc))})
    return _problem(
        request,
        503,
        "database-unavailable",
        "Datenbank nicht erreichbar",
        "Die Datenbank antwortet nicht; bitte später erneut versuchen.",
    )


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
