"""Boundaries of the places, read from the published geography package (``nrw-geometrie``).

A geography package holds one GeoJSON file resource per level, its features keyed by the region
column its foreign key declares (``ags`` into ``nrw-regionen``), and a TopoJSON of all
levels. Which level a file holds is read from the region directory (the level of its keys), not
from the file name. The files are served byte for byte; the features are parsed once per
release for single regions and maps.
"""

import json
from dataclasses import dataclass
from typing import Any

from opendata_sozial.errors import GeometryNotFound
from opendata_sozial.media import file_format
from opendata_sozial.model.dataset import Resource
from opendata_sozial.services.catalog import (
    CatalogService,
    DatasetRecord,
    FileRecord,
    ReleaseInfo,
)
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


def _file(
    catalog: CatalogService, release: ReleaseInfo, record: DatasetRecord, resource: str
) -> FileRecord:
    return catalog.original_file(release, record.name, resource)


def _features(catalog: CatalogService, file: FileRecord, key_field: str) -> dict[str, Any]:
    collection = json.loads(b"".join(catalog.file_chunks(file.hash)))
    return {
        str(feature["properties"][key_field]): feature
        for feature in collection.get("features") or []
        if (feature.get("properties") or {}).get(key_field) is not None
    }


def _is_kind(resource: Resource, key: str) -> bool:
    kind = file_format(resource)
    return kind is not None and kind.key == key


def read_geography(
    catalog: CatalogService, release: ReleaseInfo, directory: Directory
) -> Geography:
    """The boundaries of ``release`` (the first package by name holding a level).

    A level file is a GeoJSON resource whose features are keyed by the field its foreign key
    into the region directory names (``Resource.region_key``).
    """
    levels: dict[str, LevelGeometry] = {}
    topology: FileRecord | None = None
    for record in catalog.list_datasets(release):
        found = False
        for res in record.model.resources:
            if not _is_kind(res, "geojson") or res.region_key is None:
                continue
            file = _file(catalog, release, record, res.name)
            features = _features(catalog, file, res.region_key)
            known = [directory.regions[k].level for k in features if k in directory.regions]
            if known and known[0] not in levels:
                found = True
                levels[known[0]] = LevelGeometry(known[0], record.name, res.name, file, features)
        if found and topology is None:
            topology = next(
                (
                    _file(catalog, release, record, r.name)
                    for r in record.model.resources
                    if _is_kind(r, "topojson")
                ),
                None,
            )
    return Geography(levels, topology)
