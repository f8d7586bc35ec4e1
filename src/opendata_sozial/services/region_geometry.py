"""Boundaries of the places, read from the published geography packages.

Official levels: a geography package (``nrw-geometrie``) holds one GeoJSON file resource per
level, its features keyed by the region column its foreign key declares (``ags`` into
``nrw-regionen``), and a TopoJSON of all levels. Which level a file holds is read from the region
directory (the level of its keys), not from the file name. These files are served byte for byte.

Own areas (docs/areas.md): a municipality's geography package (``x_areas``) may hold one GeoJSON
with the boundaries of all its levels, keyed by ``schluessel`` (a foreign key onto its table
``gebiete``). That file is split by the directory level of each feature's key, and the features
of every package are merged per level (``stadtbezirk``, ``stadtteil``, ``sozialraum``,
``quartier``), each written the same way (``own_feature``); such a level has no file of its own
(``LevelGeometry.file`` is ``None``) and is served as a FeatureCollection built from them.

The features are parsed once per release for single regions and maps.
"""

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any, Final

from opendata_sozial.errors import GeometryNotFound
from opendata_sozial.media import file_format
from opendata_sozial.model.dataset import AREA_KEY, AREA_LEVELS, Resource
from opendata_sozial.services.catalog import (
    CatalogService,
    DatasetRecord,
    FileRecord,
    ReleaseInfo,
)
from opendata_sozial.services.region_directory import Directory, Region, gemeinde_of

NO_GEOGRAPHY = (
    "Es ist keine Geografie veröffentlicht (ein Paket mit GeoJSON-Grenzen, z. B. "
    "geography/nrw-geometrie: `opendata-sozial publish datapackages geography`)"
)


OWN_KEY_FIELD: Final = AREA_KEY
"""The key property of the features of an own level as served (``schluessel``)."""


@dataclass(frozen=True, slots=True)
class LevelGeometry:
    """The boundaries of one level: where they come from and the features by region key."""

    level: str
    datasets: tuple[str, ...]
    """The packages holding the boundaries (one for an official level)."""
    file: FileRecord | None
    """The level's own file (official levels); ``None`` for own areas, built per level."""
    features: dict[str, dict[str, Any]]
    """Region key -> GeoJSON Feature: in file order (official), by key (own areas)."""
    key_field: str
    """The feature property holding the region key (``ags``, ``schluessel``)."""
    source: str
    """Identifies the boundaries' content: the file's hash, or a digest of the own files."""
    attribution: str | None = None
    """Whom the boundaries of own areas are credited to (``None``: the official geometry)."""
    gemeinden: tuple[str, ...] | None = None
    """For own areas: the Gemeinden (AGS) the features are limited to, ``None``: all."""

    @property
    def is_own(self) -> bool:
        """Whether the level is one a municipality defines itself (no file of its own)."""
        return self.file is None

    def municipalities(self) -> list[str]:
        """The AGS of every Gemeinde with a feature on this own level, sorted."""
        return sorted({gemeinde_of(key) for key in self.features})

    def within(self, gemeinden: Collection[str]) -> "LevelGeometry":
        """The features of the Gemeinden ``gemeinden`` only (an own level; others unchanged)."""
        if not self.is_own:
            return self
        chosen = tuple(sorted(set(gemeinden)))
        features = {k: f for k, f in self.features.items() if gemeinde_of(k) in chosen}
        return replace(self, features=features, gemeinden=chosen)


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


def own_feature(region: Region, geometry: dict[str, Any]) -> dict[str, Any]:
    """A feature of an own level as served: key, name, level, parent and Gemeinde; nothing else."""
    return {
        "type": "Feature",
        "id": region.key,
        "properties": {
            OWN_KEY_FIELD: region.key,
            "name": region.name,
            "ebene": region.level,
            "uebergeordnet": region.parent,
            "gemeinde": gemeinde_of(region.key),
        },
        "geometry": geometry,
    }


@dataclass(slots=True)
class _OwnLevel:
    """The features of one own level gathered from every package, with their sources."""

    features: dict[str, dict[str, Any]]
    datasets: list[str]
    hashes: list[str]
    credits: list[str]

    def build(self, level: str) -> LevelGeometry:
        digest = hashlib.sha256("\n".join([level, *self.hashes]).encode()).hexdigest()
        return LevelGeometry(
            level=level,
            datasets=tuple(self.datasets),
            file=None,
            features=dict(sorted(self.features.items())),
            key_field=OWN_KEY_FIELD,
            source=f"own:{digest}",
            attribution="; ".join(dict.fromkeys(self.credits)),
        )


def _own_levels(
    catalog: CatalogService, release: ReleaseInfo, directory: Directory
) -> Iterable[LevelGeometry]:
    """The own levels with boundaries: each package's own-area GeoJSON split by level."""
    gathered: dict[str, _OwnLevel] = {}
    for record in catalog.list_datasets(release):
        if record.model.areas is None:
            continue
        for res in record.model.resources:
            if not _is_kind(res, "geojson") or res.area_key is None or res.region_key:
                continue
            file = _file(catalog, release, record, res.name)
            for key, feature in _features(catalog, file, res.area_key).items():
                region = directory.regions.get(key)
                if region is None or region.level not in AREA_LEVELS:
                    continue
                own = gathered.setdefault(region.level, _OwnLevel({}, [], [], []))
                own.features.setdefault(key, own_feature(region, feature["geometry"]))
                if record.name not in own.datasets:
                    own.datasets.append(record.name)
                    own.hashes.append(file.hash)
                    own.credits.append(record.model.attribution or record.model.title)
    for level in AREA_LEVELS:
        if level in gathered:
            yield gathered[level].build(level)


def read_geography(
    catalog: CatalogService, release: ReleaseInfo, directory: Directory
) -> Geography:
    """The boundaries of ``release`` (the first package by name holding a level).

    A level file is a GeoJSON resource whose features are keyed by the field its foreign key
    into the region directory names (``Resource.region_key``). Then the own levels, built from
    the own-area GeoJSON of every geography package with ``x_areas`` (``Resource.area_key``).
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
                levels[known[0]] = LevelGeometry(
                    known[0], (record.name,), file, features, res.region_key, file.hash
                )
        if found and topology is None:
            topology = next(
                (
                    _file(catalog, release, record, r.name)
                    for r in record.model.resources
                    if _is_kind(r, "topojson")
                ),
                None,
            )
    for own in _own_levels(catalog, release, directory):
        levels.setdefault(own.level, own)
    return Geography(levels, topology)
