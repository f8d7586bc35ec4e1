"""The API in English: problems follow ``Accept-Language``, a dataset body takes ``?lang=en``."""

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial import errors
from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.web.app import create_app
from opendata_sozial.web.failures import (
    BOUNDS,
    HTTP_FAILURES,
    INTERNAL,
    OTHER_HTTP_FAILURE,
    PHRASES,
    SOURCES,
    TYPES,
)
from opendata_sozial.web.language import negotiate_language
from tests.conftest import DATAPACKAGES
from tests.publishing import publish_into

ENGLISH = {"Accept-Language": "en"}
DATASET = "/api/v1/datasets/lebensformen"
ROWS = f"{DATASET}/resources/lebensformen/rows"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "de"),
        ("", "de"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("de", "de"),
        ("de-DE, en;q=0.5", "de"),
        ("en;q=0.4, de;q=0.9", "de"),
        ("fr, en;q=0.8, de;q=0.7", "en"),
        ("fr, it", "de"),
        ("*", "de"),
        ("en;q=0", "de"),
        ("en;q=abc", "de"),
        ("en, de", "en"),
        ("de;q=0.5, en;q=0.5", "de"),
        ("en;q=0.5, *;q=0.8", "de"),
    ],
)
def test_negotiate_language(header: str | None, language: str) -> None:
    assert negotiate_language(header) == language


def _error_classes() -> list[type[errors.OpendataError]]:
    found, pending = [], [errors.OpendataError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return [k for k in found if k.__module__ == errors.__name__]


@pytest.mark.parametrize("kind", _error_classes(), ids=lambda k: k.__name__)
def test_every_error_has_its_own_english_title(kind: type[errors.OpendataError]) -> None:
    assert "title_en" in vars(kind), f"{kind.__name__} has no title_en beside its title"
    assert kind.title_en.strip()
    assert kind.title_en != kind.title


def test_litestar_failures_have_english_titles_and_words() -> None:
    for _, title, title_en in (*HTTP_FAILURES.values(), OTHER_HTTP_FAILURE, INTERNAL[1:]):
        assert title_en.strip()
        assert title_en != title
    for table in (SOURCES, TYPES, BOUNDS, PHRASES):
        for german, english in table.values():
            assert german.strip()
            assert english.strip()


# Problems over HTTP (both backends) ---------------------------------------------------------


def _problem(response: Any, status: int, language: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["content-language"] == language
    assert "accept-language" in response.headers["vary"].lower()
    body: dict[str, Any] = response.json()
    return body


def test_unknown_dataset_answers_in_english(api: TestClient[Litestar]) -> None:
    body = _problem(api.get("/api/v1/datasets/gibtsnicht", headers=ENGLISH), 404, "en")
    assert body["title"] == "Dataset not found"
    assert body["detail"].startswith("There is no dataset 'gibtsnicht'; available: ")
    assert "lebensformen" in body["detail"]
    assert body["type"].endswith("/problems/dataset-not-found")


@pytest.mark.parametrize("header", [None, "de", "fr", "en;q=0", "de-AT, en;q=0.3"])
def test_unknown_dataset_answers_in_german_by_default(
    api: TestClient[Litestar], header: str | None
) -> None:
    headers = {"Accept-Language": header} if header is not None else {}
    body = _problem(api.get("/api/v1/datasets/gibtsnicht", headers=headers), 404, "de")
    assert body["title"] == "Datensatz nicht gefunden"
    assert body["detail"].startswith("Datensatz 'gibtsnicht' gibt es nicht")


def test_english_wins_by_q_value(api: TestClient[Litestar]) -> None:
    headers = {"Accept-Language": "fr, en-US;q=0.9, de;q=0.8"}
    body = _problem(api.get(f"{DATASET}/resources/gibtsnicht/rows", headers=headers), 404, "en")
    assert body["title"] == "Resource not found"
    assert body["detail"] == (
        "There is no resource 'gibtsnicht' in 'lebensformen'; available: lebensformen"
    )


def test_litestar_validation_detail_in_english(api: TestClient[Litestar]) -> None:
    body = _problem(api.get("/api/v1/datasets?_size=abc", headers=ENGLISH), 400, "en")
    assert body["title"] == "Invalid parameter"
    assert body["detail"] == "Parameter '_size': \"abc\" is invalid; valid: whole number."
    german = _problem(api.get("/api/v1/datasets?_size=abc"), 400, "de")
    assert german["detail"].startswith(
        "Parameter '_size': \"abc\" ist ungültig; gültig: ganze Zahl"
    )


def test_routing_errors_in_english(api: TestClient[Litestar]) -> None:
    missing = _problem(api.get("/api/v1/gibtsnicht", headers=ENGLISH), 404, "en")
    assert missing["title"] == "Not found"
    assert missing["detail"].startswith("There is nothing at /api/v1/gibtsnicht.")
    method = _problem(api.delete(DATASET, headers=ENGLISH), 405, "en")
    assert method["title"] == "Method not allowed"
    assert method["detail"].startswith(f"DELETE is not allowed for {DATASET}; allowed: ")


def test_row_query_errors_in_english(api: TestClient[Litestar]) -> None:
    body = _problem(api.get(f"{ROWS}?gibtsnicht=1", headers=ENGLISH), 400, "en")
    assert body["title"] == "Invalid parameter"
    assert body["detail"].startswith(
        "Unknown field 'gibtsnicht' in parameter 'gibtsnicht'; fields: "
    )
    size = _problem(api.get(f"{ROWS}?_size=0", headers=ENGLISH), 400, "en")
    assert size["detail"].startswith("_size: '0' is invalid; a whole number from 1 to ")


def test_untranslated_detail_says_it_is_german(api: TestClient[Litestar]) -> None:
    """A value error of the row engine has an English title and its German detail."""
    body = _problem(api.get(f"{ROWS}?jahr=abc", headers=ENGLISH), 400, "en, de")
    assert body["title"] == "Invalid parameter"
    assert "'abc'" in body["detail"]
    assert body == {**_problem(api.get(f"{ROWS}?jahr=abc"), 400, "de"), "title": body["title"]}


def test_lang_parameter_outside_de_and_en_is_400(api: TestClient[Litestar]) -> None:
    body = _problem(api.get(f"{DATASET}?lang=fr", headers=ENGLISH), 400, "en")
    assert body["detail"].startswith("Parameter 'lang': \"fr\" is invalid")


# Dataset bodies: ?lang=en, and the cache and ETags keep the languages apart ------------------


def _english_title() -> str:
    import json

    descriptor = json.loads((DATAPACKAGES / "lebensformen" / "datapackage.json").read_text())
    title: str = descriptor["x_translations"]["en"]["title"]
    return title


def test_dataset_body_in_english(api: TestClient[Litestar]) -> None:
    english = api.get(DATASET, params={"lang": "en"})
    german = api.get(DATASET)
    assert english.status_code == german.status_code == 200
    assert english.headers["content-language"] == "en"
    assert german.headers["content-language"] == "de"
    assert english.json()["title"] == _english_title() == "Living arrangements in NRW, 2015–2019"
    assert english.json()["keywords"][0] == "living arrangements"
    assert german.json()["title"] == "Lebensformen in NRW 2015–2019"
    assert english.json()["description"] != german.json()["description"]
    assert english.json()["name"] == german.json()["name"]
    assert english.json()["links"] == german.json()["links"]
    # the body does not depend on Accept-Language: no Vary on it, one ETag per URL
    assert "accept-language" not in english.headers["vary"].lower()
    assert api.get(DATASET, headers=ENGLISH).json()["title"] == german.json()["title"]


def test_cache_and_etags_keep_the_languages_apart(
    database_url: str, catalog: CatalogInfo, tmp_path: Path
) -> None:
    publish_into(database_url, [DATAPACKAGES / "lebensformen"], catalog=catalog)
    settings = Settings(
        database_url=database_url, cache_dir=tmp_path / "cache", rate_limit_requests=0
    )
    with TestClient(create_app(settings)) as client:
        first = [client.get(DATASET, params={"lang": lang}) for lang in ("en", "de", "en", "de")]
        english, german = first[2], first[3]  # the second read of each comes from the cache
        assert [r.status_code for r in first] == [200] * 4
        assert first[0].content == english.content
        assert first[1].content == german.content
        assert english.json()["title"] == _english_title()
        assert german.json()["title"] == "Lebensformen in NRW 2015–2019"
        assert english.headers["etag"] != german.headers["etag"]
        assert english.headers["content-language"] == "en"
        assert german.headers["content-language"] == "de"
        # the German ETag does not validate the English URL, and the other way round
        crossed = client.get(
            DATASET, params={"lang": "en"}, headers={"If-None-Match": german.headers["etag"]}
        )
        assert crossed.status_code == 200
        assert crossed.json()["title"] == _english_title()
        same = client.get(
            DATASET, params={"lang": "en"}, headers={"If-None-Match": english.headers["etag"]}
        )
        assert same.status_code == 304
        # problems are never cached: the language of a repeated error follows each request
        wrong = f"{ROWS}?_size=abc"
        answers = [
            client.get(wrong, headers={"Accept-Language": lang}) for lang in ("en", "de", "en")
        ]
        assert [r.json()["title"] for r in answers] == [
            "Invalid parameter",
            "Ungültiger Parameter",
            "Invalid parameter",
        ]
