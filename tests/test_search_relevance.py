"""The relevance set (``tests/data/search_relevance.yaml``) through the API, on both databases.

Targets of issue 15: recall@3 ≥ 0.95, and every query with datasets finds one of them first.
"""

from collections.abc import Sequence
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import DATAPACKAGES
from tests.relevance import Report, evaluate, load_cases

MIN_RECALL = 0.95
MIN_QUERIES = 40


def _search(api: TestClient[Any], q: str) -> tuple[Sequence[str], str | None]:
    response = api.get("/api/v1/datasets", params={"q": q, "_size": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    hint = body["hint"]["concept"] if body["hint"] else None
    return [d["name"] for d in body["datasets"]], hint


@pytest.fixture(scope="module")
def report(api: TestClient[Any]) -> Report:
    return evaluate(load_cases(), lambda q: _search(api, q))


def test_the_set_is_large_and_names_shipped_datasets() -> None:
    cases = load_cases()
    shipped = {p.parent.name for p in DATAPACKAGES.glob("*/datapackage.json")}
    assert len(cases) >= MIN_QUERIES
    assert len({c.q for c in cases}) == len(cases)
    for case in cases:
        assert set(case.expected) <= shipped, case.q
        assert len(case.expected) <= 3, case.q
        assert case.expected or case.hint, case.q


def test_recall_at_3(report: Report) -> None:
    assert report.recall >= MIN_RECALL, "\n".join(report.failures())


def test_every_query_finds_an_expected_dataset_first(report: Report) -> None:
    wrong = [o for o in report.outcomes if o.case.expected and not o.is_first_right]
    assert not wrong, "\n".join(report.failures())


def test_queries_without_a_dataset_say_so(report: Report) -> None:
    wrong = [o for o in report.outcomes if not o.case.expected and not o.is_first_right]
    assert not wrong, "\n".join(report.failures())
