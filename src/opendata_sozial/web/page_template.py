"""The one way an HTML page is answered: its template with the context every page needs."""

from typing import Any

from litestar import Request
from litestar.response import Template

from opendata_sozial.catalog import CatalogInfo


def render(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = 200,
    **context: Any,  # noqa: ANN401  # view objects
) -> Template:
    """``template`` with the catalog info (``site``) and the current ``path`` besides ``context``."""
    site: CatalogInfo = request.app.state.catalog_info
    return Template(
        template_name=template,
        context={"site": site, "path": request.url.path, **context},
        status_code=status_code,
    )
