"""HTML error pages for the page routes (the API keeps RFC 9457 problem+json).

STYLE.md §9: the page controller overrides the app's handlers, so a reader who follows a
broken link sees a page in the site's layout that says what went wrong and where to go on.
"""

import logging
from collections.abc import Mapping
from typing import Any, Final

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from opendata_sozial.db.schema import unpublished_reason
from opendata_sozial.errors import NotPublished, OpendataError

logger = logging.getLogger(__name__)

TITLES: Final = {
    400: "Ungültige Anfrage",
    404: "Seite nicht gefunden",
    405: "Methode nicht erlaubt",
    500: "Interner Fehler",
    503: "Dienst vorübergehend nicht verfügbar",
}
ADVICE: Final = {
    400: "Eine Angabe in der Adresse passt nicht. Prüfen Sie die Filter oder beginnen Sie neu.",
    404: "Die gesuchte Seite oder der Datensatz existiert nicht (mehr). Vielleicht hilft die Suche.",
    405: "Diese Adresse kann man nur abrufen, nicht senden. Beginnen Sie auf der Startseite neu.",
    500: "Ein unerwarteter Fehler ist aufgetreten; er wurde protokolliert.",
    503: "Der Katalog ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Sekunden erneut.",
}
BY_CODE: Final = {
    "not-published": (
        "Noch nichts veröffentlicht",
        "Dieser Katalog ist eingerichtet, aber es wurde noch kein Datenstand veröffentlicht. "
        "Sobald die ersten Datensätze veröffentlicht sind, stehen sie hier; bitte versuchen "
        "Sie es später erneut.",
    ),
}
"""Title and advice of problem types that say more than their status."""


def error_page(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    *,
    code: str | None = None,
) -> Template:
    """The site's error page for ``status`` (or problem type ``code``) with ``detail``."""
    status = status if status in TITLES else (400 if status < 500 else 500)
    title, advice = BY_CODE.get(code or "", (TITLES[status], ADVICE[status]))
    path = request.url.path
    # The API's message lists every valid name; a reader needs only the first sentence.
    detail = detail.split("; vorhanden:", 1)[0]
    is_dataset_query = status == 400 and path.startswith("/datensaetze/")
    return Template(
        template_name="error.html.j2",
        context={
            "site": request.app.state.catalog_info,
            "path": path,
            "back_url": path if is_dataset_query else None,
            "status": status,
            "title": title,
            "advice": advice,
            "detail": detail,
        },
        status_code=status,
        headers={**(headers or {}), **({"Retry-After": "5"} if status == 503 else {})} or None,
    )


def opendata_error_page(request: Request[Any, Any, Any], exc: OpendataError) -> Template:
    """Our errors (unknown dataset, invalid filter, nothing published) as a page."""
    return error_page(request, exc.status, str(exc), exc.response_headers(), code=exc.code)


def http_error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    """Litestar's own 4xx (validation of path or query) as a page, in German."""
    from opendata_sozial.web.problems import http_error_detail  # problems imports this module

    return error_page(request, exc.status_code, http_error_detail(request, exc), exc.headers)


def database_unavailable_page(request: Request[Any, Any, Any], exc: SQLAlchemyError) -> Template:
    """A database outage or a full pool: 503 with Retry-After; before the first publish, a page saying so."""
    reason = unpublished_reason(exc, request.app.state.settings.database_url)
    if reason is not None:
        return opendata_error_page(request, NotPublished(reason))
    if isinstance(exc, ProgrammingError):
        return internal_error_page(request, exc)
    logger.warning("database.unavailable", extra={"error": str(getattr(exc, "orig", exc))})
    if isinstance(exc, PoolTimeout):
        return error_page(request, 503, "Alle Datenbankverbindungen sind gerade belegt.")
    return error_page(request, 503, "Die Datenbank antwortet nicht.")


def internal_error_page(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """Anything unexpected: logged once with its traceback, answered without internals."""
    logger.error("page.failed", exc_info=exc, extra={"path": request.url.path})
    return error_page(request, 500, "")


PAGE_EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = {
    OpendataError: opendata_error_page,
    HTTPException: http_error_page,
    OperationalError: database_unavailable_page,
    ProgrammingError: database_unavailable_page,
    PoolTimeout: database_unavailable_page,
    Exception: internal_error_page,
}
