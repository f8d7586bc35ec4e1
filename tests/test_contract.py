"""Contract fuzzing: every operation of our own OpenAPI document, driven by schemathesis.

Schemathesis generates requests from ``/schema/openapi.json`` (valid and invalid parameters)
and sends them through the in-process client of the published database, on SQLite and
PostgreSQL, for every operation: the JSON API, the release-pinned URLs, DCAT and the CKAN Action
API. Every response must be no 5xx, have a documented status code, the documented media type,
the documented headers and a body that matches the documented schema. Bounded: a few examples per operation, no shrinking
beyond what hypothesis does by default.
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
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from opendata_sozial.config import Settings
from opendata_sozial.web.app import create_app

BASE_URL = "http://testserver.local"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""Every check schemathesis has of a response against the document. Left out: the stateful and
authentication checks (no links between operations, no security schemes) and the checks of
request data (``positive_data_acceptance`` would need every server-side rule of a parameter,
such as a dataset's field names, in the document)."""


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
@schema.parametrize()
@SETTINGS
def test_every_operation_conforms_to_the_openapi_document(
    case: Any,  # a schemathesis Case
    api: TestClient[Litestar],
) -> None:
    case.validate_response(_call(api, case), checks=CHECKS)


# The document itself


DOCUMENT = _openapi_document()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "head", "post"}
    ]


def test_every_error_is_documented_as_a_problem_or_in_ckans_envelope() -> None:
    for path, method, operation in _operations(DOCUMENT):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            media = set(response["content"])
            is_ckan = path.startswith(("/api/3", "/api/action/")) and status in {
                "400",
                "404",
                "405",
                "409",
            }
            expected = {"application/json"} if is_ckan else {"application/problem+json"}
            assert media == expected, (method, path, status)
            assert "ValidationException" not in str(response), (method, path, status)


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/catalog", {"text/turtle", "application/rdf+xml", "application/ld+json"}),
        ("/catalog.ttl", {"text/turtle"}),
        ("/catalog.rdf", {"application/rdf+xml"}),
        ("/catalog.jsonld", {"application/ld+json"}),
        ("/datasets/{name}", {"text/turtle", "application/rdf+xml", "application/ld+json"}),
    ],
)
def test_rdf_documents_declare_their_rdf_media_types(path: str, media: set[str]) -> None:
    responses = DOCUMENT["paths"][path]["get"]["responses"]
    assert set(responses["200"]["content"]) == media
    if path == "/datasets/{name}":
        assert "Location" in responses["303"]["headers"]


def test_pinned_urls_are_documented_like_the_current_ones() -> None:
    paths = DOCUMENT["paths"]
    current = [path for path in paths if path.startswith("/api/v1/datasets")]
    assert len(current) >= 10
    for path in current:
        pinned = paths[path.replace("/api/v1", "/api/v1/releases/{number}", 1)]["get"]
        assert pinned["operationId"] == f"Pinned{paths[path]['get']['operationId']}"
        number = next(p for p in pinned["parameters"] if p["name"] == "number")
        assert (number["in"], number["required"], number["schema"]["minimum"]) == ("path", True, 1)
        assert pinned["responses"].keys() == paths[path]["get"]["responses"].keys()


def test_dataset_bodies_have_schemas() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    for path, name in [
        ("/api/v1/datasets/{name}", "Dataset"),
        ("/api/v1/datasets/{name}/datapackage.json", "DataPackage"),
    ]:
        content = DOCUMENT["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
    assert {"id", "name", "resources"} <= set(schemas["DataPackage"]["required"])
    assert {"release", "links"} <= set(schemas["Dataset"]["allOf"][1]["required"])


def test_citation_declares_its_four_media_types() -> None:
    content = DOCUMENT["paths"]["/api/v1/datasets/{name}/citation"]["get"]["responses"]["200"]
    assert set(content["content"]) == {
        "text/plain",
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/vnd.citationstyles.csl+json",
    }
