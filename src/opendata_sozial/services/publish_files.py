"""Publish the non-tabular resources of a package (GeoJSON, TopoJSON) as files.

A file resource gets no data table: its original file is stored by hash in ``file_chunk`` (like
the CSV of a table) and its resource row says ``NO_TABLE``. It is served byte for byte as the
resource's download, and listed in the catalog, the datapackage.json, DCAT and CKAN like any
other resource.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from opendata_sozial.db.file_store import insert_file_resource, store_file
from opendata_sozial.ingest.package import PackageSource
from opendata_sozial.media import HasFormat, file_format
from opendata_sozial.model.dataset import Resource


def is_file_resource(resource: Mapping[str, Any] | HasFormat) -> bool:
    """True for a resource published as its file only (no rows)."""
    return file_format(resource) is not None


def publish_file_resource(
    engine: Engine, pkg: PackageSource, dataset_id: int, position: int, resource: Resource
) -> None:
    """Store the file of ``resource`` (unless stored already) and record the resource."""
    with engine.begin() as conn:
        store_file(conn, resource.hash, pkg.folder / resource.path)
        insert_file_resource(conn, dataset_id, position, resource)
