"""JSON API under /api/v1: catalog, descriptors and original files."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from anyio import to_thread
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from opendata_sozial.domain import GEOCODING_LEVELS, STATUS_CODES
from opendata_sozial.errors import ResourceNotFound
from opendata_sozial.formats.export import render_chunks
from opendata_sozial.media import CSV, FILE_FORMATS, FileFormat, file_format, original_suffix
from opendata_sozial.model.dataset import Resource
from opendata_sozial.services.catalog import CatalogService, DatasetRecord
from opendata_sozial.services.search import DEFAULT_SIZE, MAX_SIZE, SORTS, SearchQuery, SearchResult
from opendata_sozial.urls import Urls
from opendata_sozial.web.downloads import Downloads, attachment, file_stream
from opendata_sozial.web.params import DatasetName as NameParam
from opendata_sozial.web.params import Page
from opendata_sozial.web.request_release import RequestRelease
from opendata_sozial.web.responses import LiveBody, ReadyBody
from opendata_sozial.web.rows import MEDIA


def served_descriptor(record: DatasetRecord, urls: Urls) -> dict[str, Any]:
    """The stored ``datapackage.json`` as served: absolute ``id`` and resource paths."""
    descriptor = dict(record.descriptor)
    descriptor["id"] = urls.dataset(record.name)
    descriptor["resources"] = [
        {**res, "path": f"{urls.resource(record.name, res['name'])}{original_suffix(res)}"}
        for res in record.descriptor["resources"]
    ]
    for res in descriptor["resources"]:  # served over HTTP, not read from disk
        res["scheme"] = urlsplit(res["path"]).scheme
    return descriptor


def _file_links(base: str, resource: Resource, found: FileFormat) -> dict[str, Any]:
    """A file resource (GeoJSON …) has its file as the one download, and no rows."""
    original = {
        "url": f"{base}{found.suffix}",
        "bytes": resource.bytes,
        "media_type": found.media_type,
    }
    return {"name": resource.name, "format": found.key, "downloads": {"original": original}}


def _resource_links(urls: Urls, name: str, resource: Resource) -> dict[str, Any]:
    base = urls.resource(name, resource.name)
    if (found := file_format(resource)) is not None:
        return _file_links(base, resource, found)
    return {
        "name": resource.name,
        "rows": f"{base}/rows",
        "values": f"{base}/values/{{field}}",
        "downloads": {
            "original": {
                "url": f"{base}.csv",
                "bytes": resource.bytes,
                "media_type": "text/csv",
            },
            "csv": {"url": f"{base}/rows.csv", "media_type": "text/csv"},
            "csv_excel_de": {"url": f"{base}/rows.csv?profile=excel-de", "media_type": "text/csv"},
            "json": {"url": f"{base}/rows.json", "media_type": MEDIA["json"]},
            "ndjson": {"url": f"{base}/rows.ndjson", "media_type": MEDIA["ndjson"]},
            "xlsx": {"url": f"{base}/rows.xlsx", "media_type": MEDIA["xlsx"]},
        },
    }


def _dataset_detail(record: DatasetRecord, urls: Urls, language: str = "de") -> dict[str, Any]:
    """Metadata plus every link a client needs, and the status symbol legend.

    ``links.dcat`` is ``null`` in a release-pinned answer: the DCAT records describe the
    current release only. In another ``language``, ``title``, ``description`` and ``keywords``
    are the package's translation where it has one (the rest of the descriptor stays as is).
    """
    descriptor = served_descriptor(record, urls)
    if language != "de":
        translated = record.model.translated(language)
        descriptor.update(
            title=translated.title,
            description=translated.description,
            keywords=list(translated.keywords),
        )
    return {
        "release": record.release,
        "modified": record.modified,
        "links": {
            "self": urls.dataset(record.name),
            "datapackage": f"{urls.dataset(record.name)}/datapackage.json",
            "dcat": urls.rdf(record.name),
            "resources": [_resource_links(urls, record.name, r) for r in record.model.resources],
        },
        "status_codes": [{"value": code, "label": label} for code, label in STATUS_CODES.items()],
        **descriptor,
    }


@dataclass(frozen=True, slots=True)
class DatasetAnswer:
    """The ``dataset_answer`` dependency (injected fields): a dataset of the release as JSON."""

    catalog: NamedDependency[CatalogService]
    urls: NamedDependency[Urls]
    release: NamedDependency[RequestRelease]

    def __call__(
        self, name: str, body: Callable[[DatasetRecord, Urls], dict[str, Any]]
    ) -> Response[dict[str, Any]]:
        """``body`` of dataset ``name``, linking its other representations (``Link``)."""
        record = self.catalog.get_dataset(self.release.info(), name)
        headers = self.urls.link_header(self.urls.alternate(record.name))
        return Response(body(record, self.urls), headers=headers)


class DatasetController(Controller):
    """Catalog of the current release."""

    path = "/api/v1/datasets"
    tags = ["Datensätze"]  # noqa: RUF012  # Litestar declares it as an instance attribute
    dependencies = {"dataset_answer": Provide(DatasetAnswer, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/",
        operation_id="ListDatasets",
        summary="Datensätze des aktuellen Release suchen, filtern und blättern",
        sync_to_thread=True,
    )
    def list_datasets(  # noqa: PLR0913  # every query parameter is an argument, for OpenAPI
        self,
        *,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        urls: NamedDependency[Urls],
        release: NamedDependency[RequestRelease],
        q: Annotated[
            str | None,
            QueryParameter(
                description="Volltext über Titel, Beschreibung und Schlagworte; jedes Wort muss "
                "vorkommen (Groß-/Kleinschreibung und Umlaute egal, Wortstämme, Präfixe)."
            ),
        ] = None,
        theme: Annotated[
            list[str] | None,
            QueryParameter(
                description="EU-Thema (z. B. SOCI) oder Kapitel-Nummer des Sozialberichts "
                "(z. B. 7); wiederholbar, dann genügt eines."
            ),
        ] = None,
        keyword: Annotated[
            list[str] | None,
            QueryParameter(
                description="Schlagwort, genau (Groß-/Kleinschreibung egal); wiederholbar, "
                "dann genügt eines."
            ),
        ] = None,
        publisher: Annotated[
            str | None,
            QueryParameter(description="Herausgeber, genau wie im Facett `publisher`."),
        ] = None,
        period_from: Annotated[
            str | None,
            QueryParameter(description="Zeitraum überschneidet sich mit ab …: 2010, 2010-05."),
        ] = None,
        period_to: Annotated[
            str | None,
            QueryParameter(description="Zeitraum überschneidet sich mit bis …: 2020, 2020-12."),
        ] = None,
        region_level: Annotated[
            str | None,
            QueryParameter(description=f"Räumliche Ebene: {', '.join(GEOCODING_LEVELS)}."),
        ] = None,
        # Named like the wire names: Litestar's own 400 (e.g. `_size=abc`) names the argument.
        _sort: Annotated[
            str | None,
            QueryParameter(
                description=f"Sortierung: {', '.join(SORTS)} (Standard: relevance mit q, "
                "sonst name).",
            ),
        ] = None,
        _size: Annotated[
            int,
            QueryParameter(description=f"Treffer je Seite, 1 bis {MAX_SIZE}."),
        ] = DEFAULT_SIZE,
        page: Page = 1,
    ) -> Response[SearchResult]:
        """Full-text search with facet filters, facet counts, sorting and paging."""
        query = SearchQuery(
            q=q or "",
            themes=tuple(theme or ()),
            keywords=tuple(keyword or ()),
            publisher=publisher,
            period_from=period_from,
            period_to=period_to,
            region_level=region_level,
            sort=_sort,
            size=_size,
            page=page,
        )
        chapters = {c.id: c.label for c in request.app.state.catalog_info.chapters}
        result = catalog.search(release.info(), query, chapters=chapters, url=urls.datasets())
        return Response(result, headers=urls.link_header(urls.alternate()))

    @get(
        "/{name:str}",
        operation_id="GetDataset",
        summary="Metadaten eines Datensatzes",
        sync_to_thread=True,
    )
    def get_dataset(
        self,
        dataset_answer: NamedDependency[DatasetAnswer],
        name: NameParam,
        lang: Annotated[
            Literal["de", "en"],
            QueryParameter(
                description="Sprache von title, description und keywords: de (Standard) oder "
                "en (die englischen Texte des Pakets, x_translations)."
            ),
        ] = "de",
    ) -> Response[dict[str, Any]]:
        """Full metadata with absolute download links."""
        response = dataset_answer(name, lambda record, urls: _dataset_detail(record, urls, lang))
        response.headers["Content-Language"] = lang
        return response

    @get(
        "/{name:str}/datapackage.json",
        operation_id="GetDatapackage",
        summary="Data-Package-Deskriptor mit absoluten URLs",
        sync_to_thread=True,
    )
    def get_datapackage(
        self, dataset_answer: NamedDependency[DatasetAnswer], name: NameParam
    ) -> Response[dict[str, Any]]:
        """The descriptor, readable by ``frictionless`` as a remote package."""
        return dataset_answer(name, served_descriptor)

    @get(
        "/{name:str}/resources/{filename:str}",
        operation_id="GetOriginalFile",
        media_type="text/csv",
        summary="Originaldatei einer Ressource (CSV, GeoJSON, TopoJSON)",
    )
    async def get_original(
        self,
        catalog: NamedDependency[CatalogService],
        downloads: NamedDependency[Downloads],
        release: NamedDependency[RequestRelease],
        name: NameParam,
        filename: FromPath[str],
    ) -> Stream:
        """The package's file, byte-identical (caching headers come from web/http.py).

        Copied from the database into a temporary file first, like an export, so that a slow
        client holds no connection. The ending must be the resource's (``.csv`` for a table).
        """
        held = await to_thread.run_sync(release.info)
        record = await to_thread.run_sync(catalog.original_file, held, name, _resource_of(filename))
        if record.file_name != filename:
            raise ResourceNotFound(
                f"{filename!r}: die Originaldatei dieser Ressource heißt {record.file_name!r}",
                english=f"{filename!r}: the original file of this resource is {record.file_name!r}",
            )
        rendered = await downloads.render(
            ("original", record.hash),
            lambda folder: render_chunks(catalog.file_chunks(record.hash), folder),
        )
        headers = attachment(record.file_name)
        if record.media_type != CSV:  # the route's media type (OpenAPI) would win otherwise
            headers["Content-Type"] = record.media_type
        return file_stream(rendered, record.media_type, headers)


_ENDINGS = (".csv", *(f.suffix for f in FILE_FORMATS.values()))


def _resource_of(filename: str) -> str:
    """The resource an original file name names (``kreise.geojson`` -> ``kreise``)."""
    for ending in _ENDINGS:
        if filename.endswith(ending):
            return filename.removesuffix(ending)
    return f"{filename} (Endung {', '.join(_ENDINGS)} erwartet)"


@get("/health/live", operation_id="Live", sync_to_thread=False, tags=["Betrieb"])
def live() -> LiveBody:
    """The process answers."""
    return {"status": "ok"}


@get("/health/ready", operation_id="Ready", sync_to_thread=True, tags=["Betrieb"])
def ready(catalog: NamedDependency[CatalogService]) -> ReadyBody:
    """The database answers and a release is served."""
    _, number = catalog.current_release()
    return {"status": "ok", "release": number}
