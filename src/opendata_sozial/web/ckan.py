"""CKAN Action API: ``/api/3/action/{action}``, and ``/api/action/{action}`` as ckanapi calls it.

Both GET (query parameters) and POST (JSON body or form) are read the way CKAN reads them; the
answer and its status come from ``formats/ckan/actions.py``. Caching headers come from web/http.py.
"""

import json
from typing import Annotated, Any

from anyio import to_thread
from litestar import Controller, HttpMethod, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter

from opendata_sozial.formats.ckan.actions import ACTIONS, CkanApi
from opendata_sozial.formats.ckan.params import Answer
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.urls import Urls
from opendata_sozial.web.request_release import RequestRelease

ACTION_PATHS = ["/3/action/{action:str}", "/action/{action:str}"]
ActionName = Annotated[str, PathParameter(description=f"Aktion: {', '.join(ACTIONS)}")]


def _operation_id(handler: HTTPRouteHandler, method: HttpMethod | str, path: list[Any]) -> str:
    """Distinct ids for the two paths of one handler (``CkanActionGet``, ``CkanV3ActionGet``)."""
    version = "V3" if "3" in path else ""
    verb = method.value if isinstance(method, HttpMethod) else method
    return f"Ckan{version}Action{verb.title()}"


def _api(
    request: Request[Any, Any, Any],
    catalog: NamedDependency[CatalogService],
    urls: NamedDependency[Urls],
    release: NamedDependency[RequestRelease],
) -> CkanApi:
    """The action API over the current release: the ``ckan`` dependency of the handlers."""
    info = request.app.state.catalog_info
    return CkanApi(catalog, info=info, urls=urls, release=release.info)


def _mixed(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """CKAN's ``mixed``: a repeated key gives a list, a single one its value."""
    grouped: dict[str, list[Any]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


def _json_object(body: bytes) -> dict[str, Any] | str:
    """The JSON body as a dict, or CKAN's message why it is not one."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return f"Error decoding JSON data. Error: {exc}"
    if not isinstance(data, dict):
        shown = repr(data)[:200]
        return f"Request data JSON decoded to {shown} but it needs to be a dictionary."
    return data


async def _post_data(request: Request[Any, Any, Any]) -> dict[str, Any] | str:
    """Form fields, else query parameters, else the JSON body (CKAN's order)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        if form:
            return _mixed(list(form.multi_items()))
    if request.query_params:
        return _mixed(list(request.query_params.multi_items()))
    return _json_object(await request.body())


async def _respond(api: CkanApi, action: str, data: dict[str, Any] | str) -> Response[Any]:
    """Run ``action`` on ``data`` off the event loop; its answer as CKAN's JSON response."""
    answer: Answer = await to_thread.run_sync(api.answer, action, data)
    # A bare string (CKAN's "Bad request - …") is JSON-encoded too.
    body = json.dumps(answer.body).encode() if isinstance(answer.body, str) else answer.body
    return Response(body, status_code=answer.status, media_type="application/json")


class CkanController(Controller):
    """The read actions of CKAN's Action API over the current release."""

    path = "/api"
    tags = ["CKAN"]  # noqa: RUF012  # Litestar declares it as an instance attribute
    dependencies = {"ckan": Provide(_api, sync_to_thread=False)}  # noqa: RUF012  # as tags

    @get("/3", operation_id="CkanApiVersion", sync_to_thread=False)
    def api_version(self) -> dict[str, int]:
        """CKAN's API root: the version of the Action API."""
        return {"version": 3}

    @get(ACTION_PATHS, operation_id=_operation_id, summary="CKAN-Aktion mit Parametern in der URL")
    async def call_action_get(
        self,
        request: Request[Any, Any, Any],
        ckan: NamedDependency[CkanApi],
        action: ActionName,
    ) -> Response[Any]:
        """Run a CKAN action on the query parameters (docs/ckan.md)."""
        data = _mixed(list(request.query_params.multi_items()))
        return await _respond(ckan, action, data)

    @post(
        ACTION_PATHS,
        operation_id=_operation_id,
        summary="CKAN-Aktion mit JSON-Körper",
        status_code=200,
    )
    async def call_action_post(
        self,
        request: Request[Any, Any, Any],
        ckan: NamedDependency[CkanApi],
        action: ActionName,
    ) -> Response[Any]:
        """Run a CKAN action on the JSON body (or form fields), as ckanapi sends it."""
        data = await _post_data(request)
        return await _respond(ckan, action, data)
