"""RFC 9457 problem details for every expected error, in German or English.

The language follows ``Accept-Language`` (``web/language.py``; German by default); every
problem says which in ``Content-Language`` and carries ``Vary: Accept-Language``.

The CKAN Action API (``/api/3``, ``/api/action``) answers its own routing errors in CKAN's error
envelope instead, and a browser that asks for a page outside the API (``Accept: text/html``)
gets the site's HTML error page (``web/page_errors.py``).
"""

import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from opendata_sozial.urls import Urls
from opendata_sozial.web.failures import Failure, failure_of
from opendata_sozial.web.language import negotiate_language
from opendata_sozial.web.links import urls_of
from opendata_sozial.web.page_errors import error_page

PROBLEM_JSON = "application/problem+json"
CKAN_PREFIXES = ("/api/3/", "/api/action/")
MACHINE_PREFIXES = ("/api/", "/health/", "/catalog", "/schema/openapi")
"""Paths whose errors stay machine-readable whatever the client accepts."""
RDF_FILE = re.compile(r"^/datasets/[^/]+\.(?:ttl|rdf|jsonld)$")


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


def _problem(request: Request[Any, Any, Any], failure: Failure) -> Response[dict[str, object]]:
    urls = urls_of(request)
    language = negotiate_language(request.headers.get("accept-language"))
    title, detail, content_language = failure.text(language)
    body = problem_document(
        urls, failure.status, failure.code, title, detail, urls.public_path(request.url.path)
    )
    extra = {"Retry-After": "5"} if failure.status == 503 else {}
    extra.update(failure.headers)
    vary = ", ".join(v for v in (extra.pop("Vary", ""), "Accept-Language") if v)
    extra.update({"Content-Language": content_language, "Vary": vary})
    return Response(body, status_code=failure.status, media_type=PROBLEM_JSON, headers=extra)


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """A browser asking for a page: it prefers HTML to JSON, outside the API and RDF files."""
    path = request.url.path
    if path.startswith(MACHINE_PREFIXES) or RDF_FILE.match(path):
        return False
    best = request.accept.best_match([PROBLEM_JSON, "application/json", "text/html"])
    return best == "text/html"


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


def api_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error outside the page routes, decided by ``web/failures.py``.

    problem+json by default; CKAN's envelope for Litestar's own errors under the CKAN API; the
    HTML error page for a browser outside the API.
    """
    failure = failure_of(request, exc)
    if isinstance(exc, HTTPException) and request.url.path.startswith(CKAN_PREFIXES):
        return _ckan_error(request, exc, failure.detail)
    if wants_page(request):
        return error_page(request, failure)
    return _problem(request, failure)
