"""HTML error pages for the page routes (the API keeps RFC 9457 problem+json).

STYLE.md §9: the page controller overrides the app's handlers, so a reader who follows a
broken link sees a page in the site's layout that says what went wrong and where to go on.
Which status an exception gets is decided once, in ``web/failures.py``, for pages and API alike;
this module only chooses the words a reader sees for that status.
"""

from typing import Any, Final

from litestar import Request
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from opendata_sozial.web.failures import Failure, exception_handlers, failure_of

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


def error_page(request: Request[Any, Any, Any], failure: Failure) -> Template:
    """The site's error page for ``failure``: words by problem code or status, its detail."""
    status = failure.status if failure.status in TITLES else (400 if failure.status < 500 else 500)
    title, advice = BY_CODE.get(failure.code, (TITLES[status], ADVICE[status]))
    path = request.url.path
    # The API's message lists every valid name; a reader needs only the first sentence.
    detail = "" if failure.code == "internal-error" else failure.detail
    detail = detail.split("; vorhanden:", 1)[0]
    is_dataset_query = status == 400 and path.startswith("/datensaetze/")
    retry = {"Retry-After": "5"} if status == 503 else {}
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
        headers={**failure.headers, **retry} or None,
    )


def page_error(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """Any error on a page route, as a page (status decided by ``web/failures.py``)."""
    return error_page(request, failure_of(request, exc))


PAGE_EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = exception_handlers(page_error)
