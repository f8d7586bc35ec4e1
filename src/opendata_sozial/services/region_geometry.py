"""Boundaries of the places, read from the published geography package (``nrw-geometrie``).

A geography package holds one GeoJSON file resource per level, its features keyed by the region
column its ``x_foreign_keys`` declare (``ags`` into ``nrw-regionen``), and a TopoJSON of all
levels. Which level a file holds is read from the region directory (the level of its keys), not
from the file name. The files are served byte for byte; the features are parsed once per
release for single regions and maps.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opendata_sozial.errors import GeometryNotFound
from opendata_sozial.media import file_format
from opendata_sozial.services.catalog import CatalogService, DatasetRecord, FileRecord
from opendata_sozial.services.indicators import REGION_REFERENCE
from opendata_sozial.services.region_directory import Directory

NO_GEOGRAPHY = (
    "Es ist keine Geografie veröffentlicht (ein Paket mit GeoJSON-Grenzen, z. B. "
    "geography/nrw-geometrie: `opendata-sozial publish datapackages geography`)"
)


@dataclass(frozen=True, slots=True)
class LevelGeometry:
    """The boundaries of one level: the file resource and its features by region key."""

    level: str
    dataset: str
    resource: str
    file: FileRecord
    features: dict[str, dict[str, Any]]
    """Region key -> GeoJSON Feature, in file order."""


@dataclass(frozen=True, slots=True)
class Geography:
    """Every level with boundaries in the release, and the TopoJSON of all of them."""

    levels: dict[str, LevelGeometry]
    topology: FileRecord | None

    def level(self, level: str) -> LevelGeometry:
        """The boundaries of ``level``; ``GeometryNotFound`` names the levels there are."""
        if not self.levels:
            raise GeometryNotFound(f"{NO_GEOGRAPHY}.")
        if level not in self.levels:
            raise GeometryNotFound(
                f"Für die Ebene {level!r} gibt es keine Grenzen; Ebenen mit Grenzen: "
                f"{', '.join(self.levels)}"
            )
        return self.levels[level]


def _region_key_field(descriptor: Mapping[str, Any], resource: str) -> str | None:
    """The field of ``resource`` that references the region directory, if it declares one."""
    package, table, fields = REGION_REFERENCE
    for key in descriptor.get("x_foreign_keys") or []:
        reference = key.get("reference") or {}
        if (
            key.get("resource") == resource
            and reference.get("package") == package
            and reference.get("resource") == table
            and list(reference.get("fields") or []) == fields
            and len(key.get("fields") or []) == 1
        ):
            return str(key["fields"][0])
    return None


def _file(catalog: CatalogService, record: DatasetRecord, resource: str) -> FileRecord:
    return catalog.original_file(record.name, resource)


def _features(catalog: CatalogService, file: FileRecord, key_field: str) -> dict[str, Any]:
    collection = json.loads(b"".join(catalog.file_chunks(file.hash)))
    return {
        str(feature["properties"][key_field]): feature
        for feature in collection.get("features") or []
        if (feature.get("properties") or {}).get(key_field) is not None
    }


def read_geography(catalog: CatalogService, directory: Directory) -> Geography:
    """The boundaries of the current release (the first package by name holding a level)."""
    levels: dict[str, LevelGeometry] = {}
    topology: FileRecord | None = None
    for record in catalog.list_datasets():
        found = False
        for res in record.descriptor.get("resources") or []:
            kind = file_format(res)
            key_field = _region_key_field(record.descriptor, str(res["name"]))
            if kind is None or kind.key != "geojson" or key_field is None:
                continue
            file = _file(catalog, record, str(res["name"]))
            features = _features(catalog, file, key_field)
            known = [directory.regions[k].level for k in features if k in directory.regions]
            if known and known[0] not in levels:
                found = True
                levels[known[0]] = LevelGeometry(
                    known[0], record.name, str(res["name"]), file, features
                )
        if found and topology is None:
            topology = next(
                (
                    _file(catalog, record, str(r["name"]))
                    for r in record.descriptor.get("resources") or []
                    if (kind := file_format(r)) is not None and kind.key == "topojson"
                ),
                None,
            )
    return Geography(levels, topology)
