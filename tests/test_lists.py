"""Lists with one source: /api/v1/config, the OpenAPI document and FILTER_HELP agree.

Filter operators, CSV profiles, RDF media types and citation styles are each declared once
(``query.filters.Op``, ``formats.export.PROFILES``, ``media.RDF``, ``formats.citation``); every
place a client reads them from must name exactly the same values, in the same order.
"""

import re
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.web.params import FILTER_HELP

RESOURCE = "/api/v1/datasets/{name}/resources/{resource}"
FILTERED = ("rows", "rows.csv", "rows.json", "rows.ndjson", "rows.xlsx", "values/{field}")


def _operators(text: str) -> list[str]:
    found = re.search(r"op aus ([^;]+);", text)
    assert found is not None, text
    return found[1].split(", ")


def _parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["name"] == name)


def _documents(api: TestClient[Litestar]) -> tuple[dict[str, Any], dict[str, Any]]:
    config = api.get("/api/v1/config")
    schema = api.get("/schema/openapi.json")
    assert (config.status_code, schema.status_code) == (200, 200)
    return config.json(), schema.json()


def test_filter_operators_are_the_same_in_config_openapi_and_help(
    api: TestClient[Litestar],
) -> None:
    config, schema = _documents(api)
    operators = config["filter_operators"]
    assert operators == _operators(FILTER_HELP)
    assert len(operators) == len(set(operators)) > 0
    for suffix in FILTERED:
        operation = schema["paths"][f"{RESOURCE}/{suffix}"]["get"]
        assert _operators(operation["description"]) == operators, suffix


def test_csv_profiles_are_the_same_in_config_and_openapi(api: TestClient[Litestar]) -> None:
    config, schema = _documents(api)
    profiles = config["formats"]["csv_profiles"]
    parameter = _parameter(schema["paths"][f"{RESOURCE}/rows.csv"]["get"], "profile")
    assert parameter["schema"]["enum"] == profiles
    assert re.findall(r"'([a-z0-9-]+)'", parameter["description"]) == profiles
    assert [r for r in config["formats"]["rows"] if "profile=" in r] == [
        f"rows.csv?profile={p}" for p in profiles if p != profiles[0]
    ]


def test_citation_styles_are_the_same_in_config_and_openapi(api: TestClient[Litestar]) -> None:
    config, schema = _documents(api)
    styles = config["formats"]["citation"]
    operation = schema["paths"]["/api/v1/datasets/{name}/citation"]["get"]
    parameter = _parameter(operation, "format")
    assert parameter["schema"]["enum"] == styles
    assert re.findall(r"[a-z]+", parameter["description"].replace(" oder ", ", ")) == styles
    media = list(operation["responses"]["200"]["content"])
    assert len(media) == len(styles)
    for style, media_type in zip(styles, media, strict=True):
        answer = api.get(f"/api/v1/datasets/lebensformen/citation?format={style}")
        assert answer.headers["content-type"].split(";")[0] == media_type


def test_rdf_media_types_are_the_same_in_config_and_openapi(api: TestClient[Litestar]) -> None:
    config, schema = _documents(api)
    rdf = config["formats"]["rdf"]
    catalog = schema["paths"]["/catalog"]["get"]["responses"]["200"]["content"]
    assert list(catalog) == rdf


def test_every_route_describes_the_dataset_name_alike(api: TestClient[Litestar]) -> None:
    """One declaration of the ``{name}`` path parameter serves every route that has it."""
    _, schema = _documents(api)
    described = {
        (parameter["description"], parameter["schema"]["type"])
        for path, item in schema["paths"].items()
        if "{name}" in path and path != "/datasets/{name}"  # the RDF IRI also takes a suffix
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "name" and parameter["in"] == "path"
    }
    assert described == {("Name des Datensatzes", "string")}
