"""The search speaks the field: concept list, compound parts, typos and hints, on both databases.

The relevance of the ranking is measured by ``test_search_relevance.py``; here: the rules.
"""

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from opendata_sozial.errors import ConfigError
from opendata_sozial.services.search_concepts import load_search_concepts
from opendata_sozial.services.search_match import edit_distance, nearest, split_compound
from tests.conftest import DATAPACKAGES, ROOT

LIST = "/api/v1/datasets"
CONCEPTS = ROOT / "catalog" / "search-concepts.yaml"


def _search(api: TestClient[Any], q: str) -> dict[str, Any]:
    response = api.get(LIST, params={"q": q, "_size": 500})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _names(api: TestClient[Any], q: str) -> list[str]:
    return [d["name"] for d in _search(api, q)["datasets"]]


# The shipped concept list


def test_shipped_concept_list_loads_and_names_only_shipped_datasets() -> None:
    concepts = load_search_concepts(CONCEPTS)
    shipped = {p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json")}
    assert len(concepts.concepts) >= 40
    for concept in concepts.concepts:
        assert set(concept.related) <= shipped, concept.name
        assert not concept.related or concept.note, f"{concept.name}: related needs a note"


def test_a_term_in_two_concepts_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "concepts.yaml"
    path.write_text(
        "concepts:\n"
        "  - {name: Armut, terms: [Armutsrisiko]}\n"
        "  - {name: Risiko, terms: [ARMUTSRISIKO, Wagnis]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="'ARMUTSRISIKO' steht bei 'Armut' und bei 'Risiko'"):
        load_search_concepts(path)


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "concepts.yaml"
    path.write_text("concepts:\n  - {name: Armut, terms: [Armut], synonyms: [x]}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"concepts\.0\.synonyms"):
        load_search_concepts(path)


# Words of the field find the datasets that use other words


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Hartz IV", "sgb2-leistungsbezug-monatlich"),
        ("Bürgergeld", "sgb2-leistungsbezug-monatlich"),
        ("Arbeitslosengeld II", "sgb2-hilfequoten-kinder-kreise"),
        ("Armutsrisikoquote", "armutsgefaehrdungsquoten-laender"),
        ("Armutsgefährdungsquote", "armutsrisikoquoten-merkmale"),
        ("Armutsquote", "armutsrisikoquoten-merkmale"),
        ("Privatinsolvenz", "verbraucherinsolvenzen"),
    ],
)
def test_synonyms_find_each_other(api: TestClient[Any], query: str, expected: str) -> None:
    assert expected in _names(api, query)


def test_the_word_itself_ranks_before_its_synonyms(api: TestClient[Any]) -> None:
    # Both series are Armutsgefährdungsquoten; only the Länder table says the word itself.
    names = _names(api, "Armutsgefährdungsquote")
    assert names.index("armutsgefaehrdungsquoten-laender") < names.index(
        "armutsrisikoquoten-merkmale"
    )
    names = _names(api, "Armutsrisikoquote")
    assert names.index("armutsrisikoquoten-merkmale") < names.index(
        "armutsgefaehrdungsquoten-laender"
    )


def test_interpretation_names_the_concept_and_the_terms_used(api: TestClient[Any]) -> None:
    body = _search(api, "Hartz IV")
    (item,) = body["interpretation"]
    assert item["words"] == "Hartz IV"
    assert item["concept"] == "SGB II (Grundsicherung für Arbeitsuchende)"
    assert {"text": "SGB II", "how": "begriff"} in item["read_as"]
    assert body["hint"] is None


def test_a_compound_is_read_as_its_parts_when_it_finds_nothing(api: TestClient[Any]) -> None:
    # The catalog says "Verbraucherinsolvenzverfahren", never "Insolvenzverfahren" alone.
    body = _search(api, "Insolvenzverfahren")
    assert [d["name"] for d in body["datasets"]] == ["verbraucherinsolvenzen"]
    (item,) = body["interpretation"]
    assert item["read_as"] == [{"text": "insolvenz + verfahr", "how": "zerlegt"}]


def test_a_compound_headed_by_a_concept_term_is_read_with_the_other_terms(
    api: TestClient[Any],
) -> None:
    body = _search(api, "Erwerbslosenanteil")  # "Erwerbslose" + n + "anteil"
    assert body["total"] > 0
    (item,) = body["interpretation"]
    assert item["concept"] == "Erwerbslosigkeit"
    assert {"text": "Erwerbslosigkeit + anteil", "how": "begriff"} in item["read_as"]


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("Mindestsicherungsqoute", "mindestsicherungsquote"),
        ("Armutsgefärdung", "armutsgefaehrdungsquoten-laender"),
        ("Verbraucherinsolvenzn", "verbraucherinsolvenzen"),
        ("Lebensfromen", "lebensformen"),
    ],
)
def test_typos_find_the_intended_dataset(api: TestClient[Any], typo: str, expected: str) -> None:
    assert expected in _names(api, typo)[:3]


def test_short_words_get_no_typo_tolerance(api: TestClient[Any]) -> None:
    assert "armutsrisikoquoten-merkmale" in _names(api, "Arnut")  # 5 letters: one edit
    assert _search(api, "Arnux")["total"] == 0  # "armut" is two edits away
    assert _search(api, "Armt")["total"] == 0  # under 5 letters: none


# Hints


def test_wohngeld_says_there_is_no_dataset_and_points_to_related_ones(
    api: TestClient[Any],
) -> None:
    body = _search(api, "Wohngeld")
    assert body["total"] == 0
    hint = body["hint"]
    assert hint["concept"] == "Wohngeld"
    assert hint["text"].startswith("Zu Wohngeld gibt es noch keinen Datensatz. Verwandt: ")
    names = [r["name"] for r in hint["related"]]
    assert "mindestsicherungsquote" in names
    assert all(r["url"] == f"http://testserver.local{LIST}/{r['name']}" for r in hint["related"])
    assert _search(api, "Wohngelt")["hint"]["concept"] == "Wohngeld"  # a typo of a concept


def test_a_known_concept_with_other_words_that_find_nothing_names_its_datasets(
    api: TestClient[Any],
) -> None:
    body = _search(api, "Hartz IV Wuppertal Zeitreihe 1990")
    assert body["total"] == 0
    assert "keinen, der auch zu den übrigen Suchwörtern" in body["hint"]["text"]
    assert body["hint"]["related"][0]["name"].startswith("sgb2-")


def test_no_hint_for_words_the_concept_list_does_not_know(api: TestClient[Any]) -> None:
    body = _search(api, "Xylophonunterricht")
    assert body["total"] == 0
    assert body["hint"] is None


def test_search_page_shows_the_hint_with_links(api: TestClient[Any]) -> None:
    response = api.get("/suche", params={"q": "Wohngeld"})
    assert response.status_code == 200
    html = response.text
    assert "Zu Wohngeld gibt es noch keinen Datensatz." in html
    assert 'href="/datensaetze/mindestsicherungsquote"' in html
    response = api.get("/suche", params={"q": "Bürgergeld"})
    assert "Gesucht wurde auch: „Bürgergeld“ auch als SGB II" in response.text


# The pieces


def test_split_compound_prefers_fewest_parts_and_linking_s() -> None:
    parts = frozenset({"armut", "quot", "gefahrdung", "armutsgefahrdung", "kinder"})
    assert split_compound("armutsquot", parts) == ("armut", "quot")
    assert split_compound("armutsgefahrdungsquot", parts) == ("armutsgefahrdung", "quot")
    assert split_compound("kinderarmut", parts) == ("kinder", "armut")
    assert split_compound("armut", parts) is None
    assert split_compound("armutxyzquot", parts) is None


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("armut", "armut", 0),
        ("armutsquot", "armutsqout", 1),  # a transposition is one edit
        ("wohngeld", "wohngelt", 1),
        ("lebensform", "lebensfrom", 1),
        ("kinder", "rinde", 2),
        ("armut", "reichtum", 3),  # more than the bound of 2
    ],
)
def test_edit_distance_is_bounded(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 2) == distance


def test_nearest_uses_the_budget_by_length() -> None:
    vocabulary = ["armut", "armutsrisiko", "quote", "quoten"]
    assert nearest("armux", vocabulary) == ["armut"]
    assert nearest("armutsrsiko", vocabulary) == ["armutsrisiko"]
    assert nearest("quot", vocabulary) == []  # under 5 letters: no budget
