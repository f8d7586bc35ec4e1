"""The typed dataset model: ``parse_dataset`` on the shipped packages and on edge cases."""

import json
from pathlib import Path
from typing import Any

import pytest

from opendata_sozial.catalog import load_catalog
from opendata_sozial.model.dataset import (
    Break,
    Contributor,
    Dataset,
    Field,
    Footnote,
    ForeignKey,
    Licence,
    Period,
    Source,
    Spatial,
)
from opendata_sozial.model.parse import parse_dataset, parse_table, publisher
from opendata_sozial.model.vocab import geocoding_iris
from tests.conftest import DATAPACKAGES, ROOT


def _descriptor(name: str) -> dict[str, Any]:
    text = (DATAPACKAGES / name / "datapackage.json").read_text(encoding="utf-8")
    descriptor: dict[str, Any] = json.loads(text)
    return descriptor


PACKAGES = sorted(p.parent.name for p in Path(DATAPACKAGES).glob("*/datapackage.json"))


@pytest.mark.parametrize("name", PACKAGES)
def test_parse_dataset_keeps_every_shipped_package(name: str) -> None:
    descriptor = _descriptor(name)
    dataset = parse_dataset(descriptor)
    assert dataset.name == name
    assert dataset.title == descriptor["title"]
    assert dataset.keywords == tuple(descriptor["keywords"])
    assert dataset.themes == tuple(descriptor["x_themes"])
    assert dataset.chapter == descriptor["x_chapter"]
    assert dataset.period == Period(
        descriptor["x_temporal"]["start"], descriptor["x_temporal"]["end"]
    )
    assert dataset.spatial is not None
    assert dataset.spatial.keys == tuple(descriptor["x_spatial"]["keys"])
    assert dataset.publishers, "ingest requires a publisher"
    assert [r.name for r in dataset.resources] == [r["name"] for r in descriptor["resources"]]
    for resource, raw in zip(dataset.resources, descriptor["resources"], strict=True):
        assert resource.bytes == raw["bytes"]
        assert resource.hash == raw["hash"]
        assert [f.name for f in resource.fields] == [f["name"] for f in raw["schema"]["fields"]]
        assert resource.primary_key == tuple(raw["schema"]["primaryKey"])
        assert resource.table_schema == raw["schema"]


@pytest.mark.parametrize(
    ("name", "attribute", "expected"),
    [
        ("lebensformen", "chapter", "2"),
        ("arbeitslose-kreise", "period", Period("2023", "2025")),
        ("arbeitslose-kreise", "accrual_periodicity", "ANNUAL"),
        ("arbeitslose-kreise", "completeness", "complete"),
        ("arbeitslose-kreise", "version", "1.0.0"),
        ("arbeitslose-kreise", "created", "2026-11-27T00:00:00Z"),
        (
            "arbeitslose-kreise",
            "licences",
            (
                Licence(
                    "dl-de-by-2.0",
                    "Datenlizenz Deutschland – Namensnennung – Version 2.0",
                    "https://www.govdata.de/dl-de/by-2-0",
                ),
            ),
        ),
        (
            "arbeitslose-kreise",
            "producers",
            (
                Contributor(
                    "Statistik der Bundesagentur für Arbeit",
                    "https://statistik.arbeitsagentur.de",
                    ("producer",),
                ),
            ),
        ),
        ("arbeitslose-kreise", "breaks", ()),
        ("arbeitslose-kreise", "footnotes", ()),
    ],
)
def test_parse_dataset_reads_package_facts(name: str, attribute: str, expected: object) -> None:
    assert getattr(parse_dataset(_descriptor(name)), attribute) == expected


def test_parse_dataset_reads_region_foreign_key() -> None:
    dataset = parse_dataset(_descriptor("verfuegbares-einkommen-kreise"))
    assert dataset.foreign_keys[0] == ForeignKey(
        fields=("ags",),
        resource="regionen",
        reference_fields=("ags",),
        package="nrw-regionen",
        source_resource="verfuegbares-einkommen-kreise",
    )
    assert dataset.resources[0].region_key == "ags"


def test_parse_dataset_without_region_key() -> None:
    assert parse_dataset(_descriptor("lebensformen")).resources[0].region_key is None


def test_parse_dataset_reads_fields_with_units() -> None:
    dataset = parse_dataset(_descriptor("arbeitslose-kreise"))
    units = {f.name for f in dataset.resources[0].fields if f.unit or f.unit_field}
    assert units
    ags = dataset.resources[0].field("ags")
    assert ags is not None
    assert ags.title == "Amtlicher Regionalschlüssel"
    assert ags.categories is not None
    assert "05" in ags.categories


MINIMAL: dict[str, Any] = {"name": "x", "resources": [{"name": "r", "path": "data/r.csv"}]}


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("title", ""),
        ("description", ""),
        ("version", None),
        ("created", None),
        ("homepage", None),
        ("keywords", ()),
        ("themes", ()),
        ("chapter", ""),
        ("contributors", ()),
        ("publishers", ()),
        ("licences", ()),
        ("licence", None),
        ("sources", ()),
        ("attribution", None),
        ("period", None),
        ("spatial", None),
        ("accrual_periodicity", None),
        ("completeness", None),
        ("footnotes", ()),
        ("breaks", ()),
        ("foreign_keys", ()),
    ],
)
def test_parse_dataset_defaults_for_missing_keys(attribute: str, expected: object) -> None:
    assert getattr(parse_dataset(MINIMAL), attribute) == expected


def test_parse_dataset_resource_defaults() -> None:
    resource = parse_dataset(MINIMAL).resources[0]
    assert (resource.name, resource.path, resource.title, resource.description) == (
        "r",
        "data/r.csv",
        None,
        "",
    )
    assert (resource.bytes, resource.hash, resource.fields, resource.primary_key) == (
        None,
        "",
        (),
        (),
    )
    assert resource.table_schema is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"x_temporal": {}}, None),
        ({"x_temporal": {"start": "2005"}}, Period("2005", "")),
        ({"x_spatial": {}}, None),
        ({"x_spatial": {"level": "federal"}}, Spatial("federal", ())),
        ({"x_footnotes": [{"marker": "1)"}]}, (Footnote("1)", ""),)),
        (
            {"x_footnotes": [{"marker": "a", "text": "t", "scope": "table"}]},
            (Footnote("a", "t", "table"),),
        ),
        ({"x_breaks": [{"period": "2016"}]}, (Break("2016", ""),)),
        ({"sources": [{"title": "S"}]}, (Source("S", None),)),
        ({"licenses": [{"name": "cc0-1.0"}]}, (Licence("cc0-1.0", None, None),)),
        ({"contributors": [{"title": "A"}]}, (Contributor("A"),)),
        ({"contributors": "kaputt"}, ()),
        ({"keywords": ["a", 1]}, ("a", "1")),
    ],
)
def test_parse_dataset_edge_cases(raw: dict[str, Any], expected: object) -> None:
    dataset = parse_dataset({**MINIMAL, **raw})
    key = next(iter(raw))
    attribute = {
        "x_temporal": "period",
        "x_spatial": "spatial",
        "x_footnotes": "footnotes",
        "x_breaks": "breaks",
        "licenses": "licences",
    }.get(key, key)
    assert getattr(dataset, attribute) == expected


def test_parse_table_reads_category_objects() -> None:
    schema = {"fields": [{"name": "x", "type": "string", "categories": ["a", {"value": "b"}]}]}
    assert parse_table("t", schema).fields[0].categories == ("a", "b")


def test_parse_table_reads_a_bare_schema() -> None:
    schema = {"fields": [{"name": "jahr", "type": "year", "x_unit": "Jahr"}], "primaryKey": "jahr"}
    resource = parse_table("t", schema)
    assert resource.fields == (Field("jahr", "year", unit="Jahr"),)
    assert resource.primary_key == ("jahr",)


def test_publisher_falls_back_to_the_catalog() -> None:
    catalog = load_catalog(ROOT / "catalog" / "catalog.yaml")
    found = publisher(parse_dataset(MINIMAL), catalog)
    assert found.title == catalog.publisher.name
    assert found.path == str(catalog.publisher.uri)


def test_publisher_is_the_first_publisher() -> None:
    catalog = load_catalog(ROOT / "catalog" / "catalog.yaml")
    dataset: Dataset = parse_dataset(_descriptor("arbeitslose-kreise"))
    assert publisher(dataset, catalog).title == "Statistische Ämter des Bundes und der Länder"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["05"], ["http://dcat-ap.de/def/politicalGeocoding/stateKey/05"]),
        (["05334002"], ["http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05334002"]),
        (["0"], []),
    ],
)
def test_geocoding_iris(keys: list[str], expected: list[str]) -> None:
    assert geocoding_iris(keys) == expected
