"""HTML catalogue: start page, search and dataset pages, static assets and HTML error pages.

The pages call the same services as the JSON API (``CatalogService.search``,
``CatalogService.get_dataset`` with the API's dataset detail, ``RowService.page``/``values``);
the view modules in ``services`` lay the results out, the templates only render them.
``PagesPlugin`` wires everything into the app.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get
from litestar.config.app import AppConfig
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.plugins import InitPlugin
from litestar.response import Template
from litestar.static_files import create_static_files_router

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.regions import RegionService
from opendata_sozial.services.releases import ReleaseService
from opendata_sozial.services.row_diff import MAX_STORED_ROWS
from opendata_sozial.services.rows import RowService
from opendata_sozial.services.search import SearchQuery
from opendata_sozial.urls import Urls
from opendata_sozial.views.dataset_map import build_dataset_map, missing_map_note
from opendata_sozial.views.dataset_page import PageInputs, build_dataset_page
from opendata_sozial.views.file_page import build_file_page, has_rows
from opendata_sozial.views.region_maps import BoundaryShapes
from opendata_sozial.views.release_page import (
    build_history,
    build_row_changes,
    dataset_versions,
)
from opendata_sozial.views.search_page import build_search_page, build_start_page, parse_search
from opendata_sozial.web.api import served_descriptor
from opendata_sozial.web.page_errors import PAGE_EXCEPTION_HANDLERS
from opendata_sozial.web.page_template import render
from opendata_sozial.web.params import DatasetName
from opendata_sozial.web.region_pages import places_matching
from opendata_sozial.web.releases import RELEASE_NUMBER_MAX
from opendata_sozial.web.rendering import STATIC_DIR, STATIC_PREFIX, template_config
from opendata_sozial.web.request_release import RequestRelease

RECENT: Final = 6
PAGE_ROWS: Final = 100
"""Changed rows per page of /datensaetze/{name}/versionen."""
BERLIN: Final = ZoneInfo("Europe/Berlin")


def _today() -> date:
    """The access date for citations, in the publisher's time zone."""
    return datetime.now(BERLIN).date()


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The ``page`` dependency: the request, its URLs and its release (injected fields)."""

    request: Request[Any, Any, Any]
    urls: NamedDependency[Urls]
    release: NamedDependency[RequestRelease]

    @property
    def info(self) -> CatalogInfo:
        """The catalog metadata (``catalog/catalog.yaml``)."""
        info: CatalogInfo = self.request.app.state.catalog_info
        return info

    @property
    def chapters(self) -> dict[str, str]:
        """Chapter number -> label of the social report."""
        return {c.id: c.label for c in self.info.chapters}

    @property
    def params(self) -> dict[str, list[str]]:
        """The query string, every value of a repeated parameter kept."""
        return {key: list(values) for key, values in self.request.query_params.dict().items()}

    def render(self, template_name: str, **context: Any) -> Template:  # noqa: ANN401  # views
        """The page ``template_name`` with ``context``."""
        return render(self.request, template_name, **context)


def _file_page(page: PageRequest, inputs: PageInputs, releases: ReleaseService) -> Template:
    """The page of a dataset whose resources are files only (views/file_page.py)."""
    view = build_file_page(inputs)
    versions = dataset_versions(releases.history(), inputs.record.name, page.urls)
    return page.render("dataset_files.html.j2", view=view, versions=versions)


@dataclass(frozen=True, slots=True)
class MapSources:
    """What a dataset page's map reads (``views/dataset_map.py``), as one dependency."""

    regions: RegionService
    boundaries: BoundaryShapes


def provide_map_sources(
    regions: NamedDependency[RegionService], boundaries: NamedDependency[BoundaryShapes]
) -> MapSources:
    """The ``map_sources`` dependency of the dataset page."""
    return MapSources(regions, boundaries)


class PageController(Controller):
    """Server-rendered pages in German; every state is a URL and works without JavaScript."""

    path = "/"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS  # Litestar's class attribute
    dependencies = {"page": Provide(PageRequest, sync_to_thread=False)}  # noqa: RUF012  # as above

    @get("/", name="page-start", sync_to_thread=True)
    def start(
        self, page: NamedDependency[PageRequest], catalog: NamedDependency[CatalogService]
    ) -> Template:
        """Search box, chapters with counts and the most recently changed datasets."""
        query = SearchQuery(sort="-modified", size=RECENT)
        result = catalog.search(
            page.release.info(), query, chapters=page.chapters, url=page.urls.datasets()
        )
        numbered = frozenset(c.id for c in page.info.chapters if c.in_report)
        view = build_start_page(result, chapters=page.chapters, numbered=numbered)
        return page.render("start.html.j2", view=view)

    @get("/suche", name="page-search", sync_to_thread=True)
    def search(
        self,
        page: NamedDependency[PageRequest],
        catalog: NamedDependency[CatalogService],
        regions: NamedDependency[RegionService],
    ) -> Template:
        """Full text, facet filters, sorting and paging with the API's parameters."""
        query = parse_search(page.params)
        held, urls = page.release.info(), page.urls
        result = catalog.search(held, query, chapters=page.chapters, url=urls.datasets())
        view = build_search_page(query, result, chapters=page.chapters)
        places = places_matching(regions, held, urls, query.q)
        return page.render("search.html.j2", view=view, places=places)

    @get("/datensaetze/{name:str}", name="page-dataset", sync_to_thread=True)
    def dataset(
        self,
        page: NamedDependency[PageRequest],
        catalog: NamedDependency[CatalogService],
        rows: NamedDependency[RowService],
        releases: NamedDependency[ReleaseService],
        map_sources: NamedDependency[MapSources],
        name: DatasetName,
    ) -> Template:
        """Facts, preview with filters, chart, map, downloads, snippets and citation of a dataset."""
        held, urls = page.release.info(), page.urls
        record = catalog.get_dataset(held, name)
        inputs = PageInputs(
            record=record,
            datapackage_bytes=len(msgspec.json.encode(served_descriptor(record, urls))),
            rows=rows.at(held),
            urls=urls,
            accessed=_today(),
            chapters=page.chapters,
            catalog_title=page.info.title,
        )
        if not has_rows(record.model):  # files only (boundaries): no preview
            return _file_page(page, inputs, releases)
        view = build_dataset_page(inputs, page.params)
        data_map = build_dataset_map(
            regions=map_sources.regions,
            boundaries=map_sources.boundaries,
            rows=inputs.rows,
            urls=urls,
            dataset=name,
            request=view.preview.request,
            resource=view.preview.resource,
        )
        map_note = missing_map_note(
            regions=map_sources.regions,
            boundaries=map_sources.boundaries,
            rows=inputs.rows,
            dataset=name,
            resource=view.preview.resource,
        )
        versions = dataset_versions(releases.history(), name, urls)
        return page.render(
            "dataset.html.j2", view=view, versions=versions, data_map=data_map, map_note=map_note
        )

    @get("/datensaetze/{name:str}/versionen", name="page-versions", sync_to_thread=True)
    def versions(
        self,
        page: NamedDependency[PageRequest],
        releases: NamedDependency[ReleaseService],
        name: DatasetName,
        von: Annotated[int | None, QueryParameter(ge=1, le=RELEASE_NUMBER_MAX)] = None,
        bis: Annotated[int | None, QueryParameter(ge=1, le=RELEASE_NUMBER_MAX)] = None,
        seite: Annotated[int, QueryParameter(ge=1, le=MAX_STORED_ROWS)] = 1,
        ressource: Annotated[str | None, QueryParameter(required=False)] = None,
    ) -> Template:
        """Every release of one dataset, and the changed rows between two of them."""
        versions = dataset_versions(releases.history(), name, page.urls)
        if von is None or bis is None:
            latest = next((v for v in versions if v.previous is not None), None)
            if latest is None:
                return page.render("versions.html.j2", name=name, versions=versions, changes=None)
            von, bis = von or latest.previous or 1, bis or latest.number
        found = releases.diff_rows(name, von, bis, ressource, (seite - 1) * PAGE_ROWS, PAGE_ROWS)
        api = page.urls.diff_rows(name, von, bis)
        changes = build_row_changes(found, (von, bis), seite, api)
        return page.render("versions.html.j2", name=name, versions=versions, changes=changes)

    @get("/aenderungen", name="page-changes", sync_to_thread=True)
    def changes(
        self, page: NamedDependency[PageRequest], releases: NamedDependency[ReleaseService]
    ) -> Template:
        """Every release with its notes and the datasets it changed (breaking changes marked)."""
        return page.render("changes.html.j2", releases=build_history(releases.history(), page.urls))


class LegalController(Controller):
    """Impressum, privacy and accessibility statement, filled from ``catalog.yaml`` (``legal``).

    They read no database, so they answer even while it is down.
    """

    path = "/"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS  # Litestar's class attribute

    @get("/impressum", name="page-imprint", sync_to_thread=False)
    def imprint(self, request: Request[Any, Any, Any]) -> Template:
        """Operator, representation, contact and who answers for the content."""
        return render(request, "impressum.html.j2")

    @get("/datenschutz", name="page-privacy", sync_to_thread=False)
    def privacy(self, request: Request[Any, Any, Any]) -> Template:
        """What the server processes (access log, rate limit), legal basis and rights."""
        settings = request.app.state.settings
        return render(
            request,
            "datenschutz.html.j2",
            rate_limit=settings.rate_limit_requests > 0,
            rate_limit_window=settings.rate_limit_window_seconds,
        )

    @get("/barrierefreiheit", name="page-accessibility", sync_to_thread=False)
    def accessibility(
        self, request: Request[Any, Any, Any], urls: NamedDependency[Urls]
    ) -> Template:
        """Compliance status, known gaps, feedback contact and enforcement procedure."""
        return render(
            request, "barrierefreiheit.html.j2", site_base=urls.base, home_url=urls.home()
        )


class PagesPlugin(InitPlugin):
    """Adds the pages, their templates and ``/static`` to the app being built."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Register routes and the template engine."""
        app_config.template_config = template_config()
        app_config.dependencies["map_sources"] = Provide(provide_map_sources, sync_to_thread=False)
        app_config.route_handlers.extend(
            [
                PageController,
                LegalController,
                create_static_files_router(
                    path=STATIC_PREFIX, directories=[STATIC_DIR], name="static"
                ),
            ]
        )
        return app_config
