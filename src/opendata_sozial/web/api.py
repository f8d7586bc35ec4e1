"""JSON API under /api/v1: catalog, descriptors and original files."""

from collections.abc import Iterator
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter
from litestar.response import Stream

from opendata_sozial.services.catalog import CatalogService, DatasetRecord

NameParam = Annotated[
    str, PathParameter(description="Name des Datensatzes, z. B. armutsrisikoquoten-merkmale")
]


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.app.state.settings.base_url).rstrip("/")


def _dataset_url(base: str, name: str) -> str:
    return f"{base}/api/v1/datasets/{name}"


def _absolute_descriptor(record: DatasetRecord, base: str) -> dict[str, Any]:
    descriptor = dict(record.descriptor)
    url = _dataset_url(base, record.name)
    descriptor["id"] = url
    descriptor["resources"] = [
        {**res, "path": f"{url}/resources/{res['name']}.csv"}
        for res in record.descriptor["resources"]
    ]
    return descriptor


class DatasetController(Controller):
    """Catalog of the current release."""

    path = "/api/v1/datasets"
    tags = ["Datensätze"]  # noqa: RUF012  # Litestar declares it as an instance attribute

    @get(
        "/",
        operation_id="ListDatasets",
        summary="Alle Datensätze des aktuellen Release",
        sync_to_thread=True,
    )
    def list_datasets(
        self, request: Request[Any, Any, Any], catalog: NamedDependency[CatalogService]
    ) -> dict[str, Any]:
        """Names, titles and links of every dataset."""
        records = catalog.list_datasets()
        base = _base(request)
        items = [
            {
                "name": r.name,
                "title": r.title,
                "modified": r.modified,
                "url": _dataset_url(base, r.name),
            }
            for r in records
        ]
        return {
            "release": records[0].release if records else None,
            "total": len(items),
            "datasets": items,
        }

    @get(
        "/{name:str}",
        operation_id="GetDataset",
        summary="Metadaten eines Datensatzes",
        sync_to_thread=True,
    )
    def get_dataset(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        name: NameParam,
    ) -> dict[str, Any]:
        """Full metadata with absolute download links."""
        record = catalog.get_dataset(name)
        descriptor = _absolute_descriptor(record, _base(request))
        return {
            "release": record.release,
            "modified": record.modified,
            "datapackage": f"{descriptor['id']}/datapackage.json",
            **descriptor,
        }

    @get(
        "/{name:str}/datapackage.json",
        operation_id="GetDatapackage",
        summary="Data-Package-Deskriptor mit absoluten URLs",
        sync_to_thread=True,
    )
    def get_datapackage(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        name: NameParam,
    ) -> dict[str, Any]:
        """The descriptor, readable by ``frictionless`` as a remote package."""
        return _absolute_descriptor(catalog.get_dataset(name), _base(request))

    @get(
        "/{name:str}/resources/{filename:str}",
        operation_id="GetOriginalFile",
        summary="Originaldatei einer Ressource (CSV)",
        sync_to_thread=True,
    )
    def get_original(
        self, catalog: NamedDependency[CatalogService], name: NameParam, filename: FromPath[str]
    ) -> Stream:
        """The package's CSV, byte-identical, with its hash as strong ETag."""
        resource = (
            filename.removesuffix(".csv")
            if filename.endswith(".csv")
            else f"{filename} (Endung .csv erwartet)"
        )
        record = catalog.original_file(name, resource)
        chunks: Iterator[bytes] = catalog.file_chunks(record.hash)
        headers = {
            "ETag": f'"{record.hash.removeprefix("sha256:")}"',
            "Content-Length": str(record.bytes),
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "public, max-age=300",
        }
        return Stream(chunks, media_type="text/csv", headers=headers)


@get("/health/live", operation_id="Live", sync_to_thread=False, tags=["Betrieb"])
def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@get("/health/ready", operation_id="Ready", sync_to_thread=True, tags=["Betrieb"])
def ready(catalog: NamedDependency[CatalogService]) -> dict[str, Any]:
    """The database answers and a release is served."""
    _, number = catalog.current_release()
    return {"status": "ok", "release": number}
