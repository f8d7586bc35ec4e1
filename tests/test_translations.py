"""``x_translations``: every shipped package is in English, and validate names a bad translation."""

import json
from pathlib import Path
from typing import Any

import pytest

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.ingest.package import find_packages
from opendata_sozial.ingest.validate import validate_paths
from opendata_sozial.model.dataset import Dataset
from opendata_sozial.model.parse import parse_dataset
from tests.broken_packages import copy_valid, edit_descriptor
from tests.conftest import DATAPACKAGES, ROOT

SHIPPED = sorted(find_packages([DATAPACKAGES, ROOT / "geography"]))


def _english(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    descriptor = json.loads((path / "datapackage.json").read_text("utf-8"))
    return descriptor, descriptor["x_translations"]["en"]


def test_every_shipped_package_is_translated() -> None:
    # 30 report packages, koeln-bevoelkerung-stadtteile, nrw-geometrie and koeln-gebiete
    assert len(SHIPPED) == 33


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_package_has_english_title_description_and_field_titles(path: Path) -> None:
    descriptor, english = _english(path)
    assert english["title"].strip()
    assert english["title"] != descriptor["title"]
    assert len(english["description"]) >= 80
    assert english["keywords"]
    for resource in descriptor["resources"]:
        translated = english["resources"].get(resource["name"], {})
        for key in ("title", "description"):
            assert (key in translated) == (key in resource), (resource["name"], key)
        fields = [f["name"] for f in resource.get("schema", {}).get("fields", [])]
        titles = {n: f["title"] for n, f in translated.get("fields", {}).items()}
        assert sorted(titles) == sorted(fields)
        assert all(t.strip() for t in titles.values())
    assert sorted(english.get("footnotes", {})) == sorted(
        n["marker"] for n in descriptor["x_footnotes"]
    )
    assert sorted(english.get("breaks", {})) == sorted(b["period"] for b in descriptor["x_breaks"])


def _issues(tmp_path: Path, catalog: CatalogInfo, english: object) -> list[tuple[str, str, str]]:
    folder = copy_valid(tmp_path)

    def change(d: dict[str, Any]) -> None:
        d["x_translations"] = {"en": english} if english is not None else {"fr": {}}

    edit_descriptor(folder, change)
    report = validate_paths([folder], catalog)
    return [
        (i.code, i.field or "", i.message)
        for r in report.packages
        for i in r.issues
        if i.file and i.file.endswith("datapackage.json")
    ]


RESOURCE = "armutsrisikoquoten-merkmale"
BAD = [
    pytest.param(None, "x_translations.fr", "Sprache 'fr' wird nicht unterstützt", id="language"),
    pytest.param(
        "Poverty", "x_translations.en", "'x_translations.en' ist kein Objekt", id="not-object"
    ),
    pytest.param({"title": 3}, "x_translations.en.title", "ist kein Text", id="title-type"),
    pytest.param({"title": "  "}, "x_translations.en.title", "ist kein Text", id="title-empty"),
    pytest.param({"subtitle": "x"}, "x_translations.en.subtitle", "Angabe 'subtitle'", id="key"),
    pytest.param(
        {"keywords": "poverty"}, "x_translations.en.keywords", "keine Liste", id="keywords"
    ),
    pytest.param(
        {"resources": {"armut": {"title": "Poverty"}}},
        "x_translations.en.resources.armut",
        "Ressource 'armut' gibt es im Paket nicht",
        id="resource-unknown",
    ),
    pytest.param(
        {"resources": {RESOURCE: {"fields": {"jahre": {"title": "Year"}}}}},
        f"x_translations.en.resources.{RESOURCE}.fields.jahre",
        "Feld 'jahre' gibt es im Paket nicht",
        id="field-unknown",
    ),
    pytest.param(
        {"resources": {RESOURCE: {"fields": {"jahr": {"title": ["Year"]}}}}},
        f"x_translations.en.resources.{RESOURCE}.fields.jahr.title",
        "ist kein Text",
        id="field-title-type",
    ),
    pytest.param(
        {"resources": {RESOURCE: {"fields": ["jahr"]}}},
        f"x_translations.en.resources.{RESOURCE}.fields",
        "ist kein Objekt",
        id="fields-type",
    ),
    pytest.param(
        {"footnotes": {"9)": "Nine"}},
        "x_translations.en.footnotes.9)",
        "Fußnotenmarker '9)' gibt es im Paket nicht",
        id="footnote-unknown",
    ),
    pytest.param(
        {"breaks": {"2016": None}}, "x_translations.en.breaks.2016", "ist kein Text", id="break"
    ),
]


@pytest.mark.parametrize(("english", "field", "fragment"), BAD)
def test_validate_names_the_path_of_a_bad_translation(
    tmp_path: Path, catalog: CatalogInfo, english: object, field: str, fragment: str
) -> None:
    issues = _issues(tmp_path, catalog, english)
    assert [(code, where) for code, where, _ in issues] == [("translation-invalid", field)]
    assert fragment in issues[0][2]


def test_validate_lists_the_valid_names_in_the_hint(tmp_path: Path, catalog: CatalogInfo) -> None:
    folder = copy_valid(tmp_path)
    edit_descriptor(folder, lambda d: d.update(x_translations={"en": {"resources": {"armut": {}}}}))
    [issue] = [i for r in validate_paths([folder], catalog).packages for i in r.issues]
    assert issue.file is not None
    assert issue.file.endswith("datapackage.json")
    assert issue.hint == f"eine(n) von {RESOURCE!r} angeben"


def test_validate_accepts_a_partial_translation(tmp_path: Path, catalog: CatalogInfo) -> None:
    english = {"title": "Poverty", "resources": {RESOURCE: {"fields": {"jahr": {"title": "Year"}}}}}
    assert _issues(tmp_path, catalog, english) == []


# Typed model -------------------------------------------------------------------------------


def _parsed(name: str) -> Dataset:
    path = DATAPACKAGES / name / "datapackage.json"
    return parse_dataset(json.loads(path.read_text("utf-8")))


def test_translated_dataset_has_the_english_texts_and_the_same_facts() -> None:
    german = _parsed("armutsrisikoschwellen")
    english = german.translated("en")
    assert english.title.startswith("At-risk-of-poverty thresholds in NRW")
    assert "Microcensus" in english.description
    assert "household type" in english.keywords
    [resource] = english.resources
    assert resource.field("wert") is not None
    assert [f.label for f in resource.fields][:4] == [
        "Method",
        "Household type",
        "Year",
        "At-risk-of-poverty threshold",
    ]
    assert english.footnotes[2].text == "aged under 14"
    assert english.breaks[0].description.startswith("From 2011 the Microcensus")
    # everything but the texts is the German dataset's
    assert (english.name, english.period, english.licences) == (
        german.name,
        german.period,
        german.licences,
    )
    assert [f.categories for f in resource.fields] == [
        f.categories for f in german.resources[0].fields
    ]
    assert german.translated("de") is german
    assert german.translation("fr") is None


def test_untranslated_texts_stay_german() -> None:
    german = _parsed("nrw-regionen")
    descriptor = {
        "name": "probe",
        "title": "Probe",
        "description": "Beschreibung",
        "resources": [
            {
                "name": "r",
                "path": "r.csv",
                "title": "Tabelle",
                "schema": {"fields": [{"name": "a", "type": "string", "title": "A-Spalte"}]},
            }
        ],
        "x_translations": {"en": {"title": "Probe (English)"}},
    }
    english = parse_dataset(descriptor).translated("en")
    assert (english.title, english.description) == ("Probe (English)", "Beschreibung")
    assert english.resources[0].title == "Tabelle"
    assert english.resources[0].fields[0].title == "A-Spalte"
    regions = german.translated("en").resource("namensvarianten")
    assert regions is not None
    assert regions.title == "Spellings of regions in the report tables"
