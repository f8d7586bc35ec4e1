"""Documentation stays true: every setting is documented."""

from typing import TYPE_CHECKING

from opendata_sozial.config import Settings
from tests.conftest import ROOT

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert f"`ODS_{name.upper()}`" in text, name
        assert field.description, name


def test_openapi_documents_every_route_with_examples(api: "TestClient[Litestar]") -> None:
    schema = api.get("/schema/openapi.json").json()
    paths = set(schema["paths"])
    for route in [
        "/api/v1/datasets",
        "/api/v1/datasets/{name}",
        "/api/v1/datasets/{name}/datapackage.json",
        "/api/v1/datasets/{name}/resources/{resource}/rows",
        "/api/v1/datasets/{name}/resources/{resource}/rows.csv",
        "/api/v1/datasets/{name}/resources/{resource}/values/{field}",
    ]:
        assert route in paths, route
    parameters = schema["paths"]["/api/v1/datasets/{name}/resources/{resource}/rows"]["get"][
        "parameters"
    ]
    assert {p["name"] for p in parameters if p.get("examples")} >= {
        "name",
        "resource",
        "_sort",
        "_size",
        "_select",
    }
    assert api.get("/schema").status_code == 200  # the docs page (tests/test_docs_page.py)


def test_every_problem_code_is_documented() -> None:
    from opendata_sozial import errors

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.OpendataError)
    }
    for code in sorted(codes):
        assert f"`{code}`" in text, code
