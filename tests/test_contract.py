"""Contract fuzzing: every operation of our own OpenAPI document, driven by schemathesis.

Schemathesis generates requests from ``/schema/openapi.json`` (valid and invalid parameters)
and sends them through the in-process client of the published database, on SQLite and
PostgreSQL. Every response must be no 5xx, have a documented status code, the documented
media type and a body that matches the documented schema. Bounded: a few examples per
operation, no shrinking beyond what hypothesis does by default.
"""

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from opendata_sozial.config import Settings
from opendata_sozial.web.app import create_app

BASE_URL = "http://testserver.local"
STRICT_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document as served (start-up adds the problem responses).

    Serving it needs no database, so collection stays cheap. (schemathesis' ``from_fixture``
    would fetch it per test from the ``api`` client, but it does not run on pytest 9.)
    """
    app = create_app(Settings(database_url="sqlite:///:memory:", base_url=BASE_URL))
    with TestClient(app) as client:
        document: dict[str, Any] = client.get("/schema/openapi.json").json()
    return document


schema = schemathesis.openapi.from_dict(_openapi_document())
JSON_API = "^/(api/v1|health)/"
"""The API this project documents fully; DCAT (RDF) and the CKAN Action API are only fuzzed for
server errors until their documents name their media types and error shapes."""
NEGOTIATED = ["CiteDataset"]
"""Operations whose media type depends on a parameter (citation: text, BibTeX, RIS, CSL JSON);
Litestar documents one media type per status, so these are fuzzed for server errors only."""


def _call(api: TestClient[Litestar], case: Any) -> httpx.Response:  # a Case
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    return api.request(
        kwargs["method"],
        kwargs["url"].removeprefix(BASE_URL),
        params=kwargs.get("params"),
        headers=kwargs.get("headers"),
        content=kwargs.get("data"),
        json=kwargs.get("json"),
    )


SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@schema.include(path_regex=JSON_API).exclude(operation_id=NEGOTIATED).parametrize()
@SETTINGS
def test_json_api_conforms_to_its_openapi_document(
    case: Any,  # a schemathesis Case
    api: TestClient[Litestar],
) -> None:
    case.validate_response(_call(api, case), checks=STRICT_CHECKS)


@pytest.mark.slow
@schema.exclude(path_regex=JSON_API).parametrize()
@SETTINGS
def test_other_endpoints_never_answer_a_server_error(
    case: Any,  # a schemathesis Case
    api: TestClient[Litestar],
) -> None:
    case.validate_response(_call(api, case), checks=[not_a_server_error])


@pytest.mark.slow
@schema.include(operation_id=NEGOTIATED).parametrize()
@SETTINGS
def test_negotiated_operations_never_answer_a_server_error(
    case: Any,  # a schemathesis Case
    api: TestClient[Litestar],
) -> None:
    case.validate_response(_call(api, case), checks=[not_a_server_error])
