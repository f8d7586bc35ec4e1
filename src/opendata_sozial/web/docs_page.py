"""``/schema``: the API documentation page, in the site's layout and from this origin only.

Litestar's default page loads Redoc from a CDN and fonts from Google: blank without the
internet, and every reader's address goes to third parties. This page renders the site's own
template (German, with ``main`` and ``h1``) and starts Swagger UI from ``web/static``, vendored
from one pinned npm package by ``scripts/vendor_swagger_ui.py``. The OpenAPI document itself
stays at ``/schema/openapi.json`` (and ``.yaml``).
"""

from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin, YamlRenderPlugin

DOCUMENT = "/schema/openapi.json"
DOCUMENT_YAML = "/schema/openapi.yaml"


class ApiDocsPage(OpenAPIRenderPlugin):
    """Renders ``schema.html.j2`` with the site's context."""

    def __init__(self) -> None:
        """Serve the page at the root of the OpenAPI router (``/schema``)."""
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page; the viewer fetches the document itself."""
        engine = request.app.template_engine
        if engine is None:  # PagesPlugin configures it; without it there is no site layout
            raise RuntimeError("/schema needs the template engine of the HTML pages")
        template = engine.get_template("schema.html.j2")
        html: str = template.render(
            site=request.app.state.catalog_info,
            path=request.url.path,
            document=DOCUMENT,
            document_yaml=DOCUMENT_YAML,
        )
        return html.encode("utf-8")


RENDER_PLUGINS = (ApiDocsPage(), YamlRenderPlugin())
"""``/schema`` (the page) and ``/schema/openapi.yaml``; Litestar adds ``openapi.json`` itself."""
