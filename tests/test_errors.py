"""Every error the framework raises is answered in German, in the shape the client expects.

problem+json for the API (naming the parameter and what would be valid), CKAN's error envelope
under ``/api/3``, and the site's HTML error page for a browser outside the API.
"""

from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

PROBLEM = "application/problem+json"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
DIFF = "/api/v1/datasets/lebensformen/diff"


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("url", "parameter", "valid"),
    [
        ("/api/v1/datasets?_size=abc", "Parameter '_size': \"abc\" ist ungültig", "1 bis 500"),
        ("/api/v1/datasets?page=abc", "Parameter 'page': \"abc\" ist ungültig", "ab 1"),
        ("/catalog?page=abc", "Parameter 'page': \"abc\" ist ungültig", "ab 1"),
        ("/catalog.ttl?page=1.5", "Parameter 'page': \"1.5\" ist ungültig", "ganze Zahl"),
        (f"{DIFF}?to=1", "Parameter 'from' fehlt", "ganze Zahl von 1 bis 2147483647"),
        (f"{DIFF}?from=0&to=2", "Parameter 'from': \"0\" ist ungültig", "von 1 bis"),
        ("/api/v1/releases/0", "Pfadteil 'number': \"0\" ist ungültig", "von 1 bis"),
    ],
)
def test_bad_parameter_is_a_german_problem_naming_it(
    api: TestClient[Litestar], url: str, parameter: str, valid: str
) -> None:
    response = api.get(url)
    assert response.status_code == 400
    problem = _problem(response)
    assert problem["type"] == "http://testserver.local/problems/invalid-parameter"
    assert problem["title"] == "Ungültiger Parameter"
    detail = str(problem["detail"])
    assert parameter in detail
    assert "gültig: " in detail
    assert valid in detail
    for english in ("Expected", "Validation failed", "Missing required", "{'", "ParamType"):
        assert english not in detail
        assert english not in str(problem["title"])


def test_every_bad_parameter_of_a_request_is_named(api: TestClient[Litestar]) -> None:
    detail = str(_problem(api.get("/api/v1/datasets?_size=x&page=y"))["detail"])
    assert "Parameter '_size': \"x\" ist ungültig" in detail
    assert "Parameter 'page': \"y\" ist ungültig" in detail


def test_unknown_path_is_a_german_problem(api: TestClient[Litestar]) -> None:
    response = api.get("/gibtsnicht")
    assert response.status_code == 404
    problem = _problem(response)
    assert problem["title"] == "Nicht gefunden"
    assert problem["type"] == "http://testserver.local/problems/not-found"
    assert "Unter /gibtsnicht gibt es nichts" in str(problem["detail"])


def test_wrong_method_is_a_german_problem_with_allow(api: TestClient[Litestar]) -> None:
    response = api.post("/api/v1/datasets")
    assert response.status_code == 405
    problem = _problem(response)
    assert problem["title"] == "Methode nicht erlaubt"
    assert "GET" in response.headers["allow"]
    assert str(problem["detail"]).startswith("POST ist für /api/v1/datasets nicht erlaubt;")


@pytest.mark.parametrize("path", ["/gibtsnicht", "/datensaetze/x/y/z", "/datasets/gibtsnicht"])
def test_browser_gets_the_german_html_error_page(api: TestClient[Litestar], path: str) -> None:
    response = api.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in response.text
    assert "Seite nicht gefunden" in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/api/v1/gibtsnicht", "/api/v1/datasets?page=abc", "/datasets/gibtsnicht.ttl"]
)
def test_browser_asking_the_api_still_gets_a_problem(api: TestClient[Litestar], path: str) -> None:
    response = api.get(path, headers=BROWSER)
    assert response.status_code in {400, 404}
    assert _problem(response)["status"] == response.status_code


def test_any_media_type_is_not_a_browser(api: TestClient[Litestar]) -> None:
    response = api.get("/gibtsnicht", headers={"Accept": "*/*"})
    assert _problem(response)["status"] == 404


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("GET", "/api/3/gibtsnicht", 404, "Not Found Error"),
        ("PUT", "/api/3/action/package_list", 405, "Method Not Allowed"),
        ("DELETE", "/api/action/package_show", 405, "Method Not Allowed"),
    ],
)
def test_ckan_api_keeps_ckans_error_envelope(
    api: TestClient[Litestar], method: str, path: str, status: int, kind: str
) -> None:
    response = api.request(method, path, headers=BROWSER)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False
    assert body["help"].startswith("http://testserver.local/api/3/action/help_show?name=")
    assert body["error"]["__type"] == kind
    assert path in body["error"]["message"]
