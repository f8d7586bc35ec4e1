"""The index builder: ``/api/v1/regions/index[.csv]``, its indicator list, and ``/regionen/index``.

API, CSV and page answer from one ``RegionIndexService.build`` call; they differ only in the
last step (``formats/region_index.py``, ``views/index_page.py``). The page is a GET form that
works without JavaScript: its rows (``ind``, ``richtung``, ``gewicht``, ``zeitraum``, one value
per row, in order) become the API's ``indikator`` parameters.
"""

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import QueryParameter
from litestar.response import Template

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.region_index import available_ref, index_body, index_csv
from opendata_sozial.model.dataset import AREA_LEVELS
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.region_directory import gemeinde_of
from opendata_sozial.services.region_index import (
    DEFAULT_METHOD,
    IndexRequest,
    IndexResult,
    RegionIndexService,
    parse_inputs,
)
from opendata_sozial.urls import Urls
from opendata_sozial.views.index_page import (
    FORM_FIELDS,
    FormState,
    build_index_page,
    form_inputs,
)
from opendata_sozial.views.region_maps import BoundaryShapes
from opendata_sozial.web.downloads import attachment
from opendata_sozial.web.page_errors import PAGE_EXCEPTION_HANDLERS
from opendata_sozial.web.page_template import render
from opendata_sozial.web.request_release import RequestRelease

LevelParam = Annotated[
    str | None,
    QueryParameter(
        description="Ebene der Orte (Pflicht): land, regierungsbezirk, kreis oder gemeinde.",
        examples=[Example(summary="Kreise", value="kreis")],
    ),
]
InputsParam = Annotated[
    list[str] | None,
    QueryParameter(
        description="2 bis 8 Indikatoren, wiederholt oder kommagetrennt: "
        "<id>[:<hoch-schlecht|hoch-gut>[:<gewicht>[:<zeitraum>]]]. Die ids nennt "
        "/api/v1/regions/index/indicators?ebene=…; Standard: hoch-schlecht, Gewicht 1, "
        "neuester Zeitraum.",
    ),
]
MethodParam = Annotated[
    str, QueryParameter(description="Standardisierung: z (z-Werte, Standard) oder rang.")
]
DEFAULT_LEVEL = "kreis"


def _request(ebene: str | None, indikator: list[str] | None, methode: str) -> IndexRequest:
    return IndexRequest(ebene, parse_inputs(indikator or []), methode)


class RegionIndexController(Controller):
    """A multidimensional index of one level, computed from the published figures."""

    path = "/api/v1/regions"
    tags = ["Regionen"]  # noqa: RUF012  # Litestar declares it as an instance attribute

    @get(
        "/index",
        operation_id="GetRegionIndex",
        summary="Index aus mehreren Indikatoren: Methode, Eingaben, Werte, Rang und Typ je Ort",
        sync_to_thread=True,
    )
    def get_index(
        self,
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        indices: NamedDependency[RegionIndexService],
        ebene: LevelParam = None,
        indikator: InputsParam = None,
        methode: MethodParam = DEFAULT_METHOD,
    ) -> dict[str, Any]:
        """Standardised, oriented, weighted; places without every value are listed as excluded."""
        return index_body(indices.build(release.info(), _request(ebene, indikator, methode)), urls)

    @get(
        "/index.csv",
        operation_id="GetRegionIndexCsv",
        summary="Index als CSV",
        media_type="text/csv",
        sync_to_thread=True,
    )
    def get_index_csv(
        self,
        release: NamedDependency[RequestRelease],
        indices: NamedDependency[RegionIndexService],
        ebene: LevelParam = None,
        indikator: InputsParam = None,
        methode: MethodParam = DEFAULT_METHOD,
    ) -> Response[str]:
        """The same places and numbers as the JSON answer, one row per place."""
        result = indices.build(release.info(), _request(ebene, indikator, methode))
        headers = attachment(f"index-{result.level}.csv")
        return Response(index_csv(result), media_type="text/csv", headers=headers)

    @get(
        "/index/indicators",
        operation_id="ListIndexIndicators",
        summary="Indikatoren einer Ebene mit ihren ids und Zeiträumen (für den Index)",
        sync_to_thread=True,
    )
    def list_indicators(
        self,
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        indices: NamedDependency[RegionIndexService],
        ebene: LevelParam = None,
    ) -> dict[str, Any]:
        """Every indicator the places of the level have rows for, with rows per period."""
        held = release.info()
        found = indices.available(held, ebene)
        return {
            "release": held.number,
            "level": ebene,
            "indicators": [available_ref(a) for a in found],
            "links": {"self": urls.region_index_indicators(ebene or "")},
        }


def _own_gemeinden(level: str, result: IndexResult | None) -> set[str] | None:
    """For an own level (Stadtteile …): the Gemeinden of the index's places, drawn alone."""
    if level not in AREA_LEVELS:
        return None
    return {gemeinde_of(p.region.key) for p in result.places} if result is not None else set()


class RegionIndexPageController(Controller):
    """``/regionen/index``: the builder form and the index as map, ranking and method."""

    path = "/regionen/index"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS  # Litestar's class attribute

    @get("/", name="page-region-index", sync_to_thread=True)
    def index_page(  # the page's form fields are its arguments
        self,
        request: Request[Any, Any, Any],
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        indices: NamedDependency[RegionIndexService],
        boundaries: NamedDependency[BoundaryShapes],
        catalog: NamedDependency[CatalogService],
        ebene: Annotated[str, QueryParameter(required=False, max_length=40)] = DEFAULT_LEVEL,
        methode: Annotated[str, QueryParameter(required=False, max_length=20)] = DEFAULT_METHOD,
    ) -> Template:
        """The form; with indicators chosen, the index (or the German reason it has none)."""
        held = release.info()
        query = request.query_params
        texts = [
            *query.getall("indikator", []),
            *form_inputs(*(query.getall(f, []) for f in FORM_FIELDS)),
        ]
        levels = indices.levels(held)
        result, error, status, available = None, "", 200, []
        try:
            available = indices.available(held, ebene)
            if texts:
                result = indices.build(held, IndexRequest(ebene, parse_inputs(texts), methode))
        except InvalidParameter as problem:
            error, status = str(problem), 400
        form = FormState(levels, ebene, methode, texts, error)
        gemeinden = _own_gemeinden(ebene, result)
        geometry = boundaries.geometry(held, ebene, gemeinden)
        shapes = boundaries.shapes(held, ebene, gemeinden=gemeinden)
        credit = geometry.attribution if geometry is not None else None
        names = [i.available.indicator.table.dataset for i in result.inputs] if result else []
        licences = catalog.licences(held, dict.fromkeys(names))
        view = build_index_page(available, urls, form, result, shapes, credit, licences)
        return render(request, "region_index.html.j2", status, view=view)
