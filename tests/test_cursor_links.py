"""Cursors identify the query, and every ``next`` link we write works, to the last page.

Hypothesis draws queries with one to four filters (values taken from the data), a random sort,
page size, ``_select``/``_shape`` and a random parameter order, and follows every ``next`` link
(body and ``Link`` header, which must agree) to the end, on SQLite and PostgreSQL. The pages
together must be exactly the unpaged export of the same query: every row once, in its order.
"""

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from itertools import permutations, repeat
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.query.builder import fingerprint, total_order
from opendata_sozial.query.filters import FieldSpec, parse_row_query

Client = TestClient[Litestar]
BASE = "http://testserver.local"
RESOURCES = {
    "regionen": "/api/v1/datasets/nrw-regionen/resources/regionen",
    "lebensformen": "/api/v1/datasets/lebensformen/resources/lebensformen",
    "armutsrisikoquoten-merkmale": "/api/v1/datasets/armutsrisikoquoten-merkmale/resources/"
    "armutsrisikoquoten-merkmale",
}
MAX_PAGES = 15
"""Page sizes are raised so that one example reads at most this many pages."""
COMPARISONS = ("gt", "gte", "lt", "lte")


def _rows_path(resource: str) -> str:
    return f"{RESOURCES[resource]}/rows"


def _fields(client: Client, resource: str) -> list[dict[str, Any]]:
    dataset = RESOURCES[resource].split("/")[4]
    detail = client.get(f"/api/v1/datasets/{dataset}").json()
    return next(r for r in detail["resources"] if r["name"] == resource)["schema"]["fields"]


_VALUES: dict[tuple[str, str, str], list[Any]] = {}


def _values(client: Client, resource: str, field: str) -> list[Any]:
    """The field's non-empty values in the data (cached per database)."""
    key = (str(client.app.state.settings.database_url), resource, field)
    if key not in _VALUES:
        answer = client.get(f"{RESOURCES[resource]}/values/{field}").json()
        _VALUES[key] = [v["value"] for v in answer["values"] if v["value"] is not None]
    return _VALUES[key]


def _text(value: Any) -> str:  # a JSON value of any field type
    return str(value).lower() if isinstance(value, bool) else str(value)


@st.composite
def _filter(draw: st.DrawFn, client: Client, resource: str) -> tuple[str, str]:
    """One ``field__op=value`` pair with a value of the data."""
    field = draw(st.sampled_from(_fields(client, resource)))
    name, kind = field["name"], field["type"]
    values = _values(client, resource, name)
    ops = ["isnull"]
    if values:
        ops += ["exact", "not", "in", "notin", *COMPARISONS]
        if kind in {"string", "yearmonth"}:
            ops += ["contains", "startswith"]
    op = draw(st.sampled_from(ops))
    key = name if op == "exact" and draw(st.booleans()) else f"{name}__{op}"
    if op == "isnull":
        return key, draw(st.sampled_from(["true", "false", "ja", "0"]))
    if op in {"in", "notin"}:
        items = draw(st.lists(st.sampled_from(values), min_size=1, max_size=4))
        texts = [_text(v) for v in items]
        if any("," in t for t in texts) or draw(st.booleans()):
            return key, json.dumps(texts, ensure_ascii=False)
        return key, ",".join(texts)
    value = _text(draw(st.sampled_from(values)))
    if op in {"contains", "startswith"} and value:
        start = draw(st.integers(0, len(value) - 1)) if op == "contains" else 0
        value = value[start : start + draw(st.integers(1, 4))]
    return key, value


@st.composite
def queries(draw: st.DrawFn, client: Client) -> tuple[str, list[tuple[str, str]], int]:
    """A resource, the query's pairs in a random order, and the page size to start with."""
    resource = draw(st.sampled_from(sorted(RESOURCES)))
    names = [f["name"] for f in _fields(client, resource)]
    pairs = draw(st.lists(_filter(client, resource), min_size=1, max_size=4))
    sort = draw(st.lists(st.sampled_from(names), max_size=4))
    if sort:
        pairs.append(("_sort", ",".join(f"-{n}" if draw(st.booleans()) else n for n in sort)))
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        pairs.append(("_select", ",".join(chosen)))
    if draw(st.booleans()):
        pairs.append(("_shape", draw(st.sampled_from(["objects", "arrays"]))))
    size = draw(st.integers(1, 60))
    return resource, draw(st.permutations(pairs)), size


def _encode(pairs: list[tuple[str, str]], plus: bool) -> str:
    return urlencode(pairs, quote_via=quote_plus if plus else quote)


def _next_in_header(header: str) -> str | None:
    for part in header.split(","):
        match = re.fullmatch(r'\s*<([^>]*)>\s*;\s*rel="next"\s*', part)
        if match:
            return match[1]
    return None


def _as_lists(page: dict[str, Any]) -> list[list[Any]]:
    rows = page["rows"]
    return [r if isinstance(r, list) else [r[c] for c in page["columns"]] for r in rows]


def follow(
    client: Client, first: str, *, use_header: Iterator[bool]
) -> tuple[list[list[Any]], int]:
    """Read ``first`` and every page its ``next`` links lead to; all rows and the total."""
    rows: list[list[Any]] = []
    url, total, pages = first, None, 0
    while url is not None:
        response = client.get(url.removeprefix(BASE))
        assert response.status_code == 200, (url, response.text[:400])
        page = response.json()
        assert total in (None, page["total"]), "the total changed between pages"
        total = page["total"]
        rows += _as_lists(page)
        pages += 1
        header = _next_in_header(response.headers.get("link", ""))
        assert header == page["next"], "Link: rel=next and the body's next differ"
        if page["next"] is not None:
            assert page["next"].startswith(f"{BASE}/api/v1/"), page["next"]
            assert f"_cursor={page['next_cursor']}" in page["next"]
        url = header if next(use_header) else page["next"]
        assert pages <= MAX_PAGES + 1, "more pages than the size allows"
    assert total is not None
    return rows, total


def _export(client: Client, resource: str, pairs: list[tuple[str, str]]) -> list[list[Any]]:
    """The unpaged answer to the same query (``rows.json``), as lists in column order."""
    query = [(k, v) for k, v in pairs if k not in {"_shape", "_size"}]
    response = client.get(f"{_rows_path(resource)}.json?{urlencode(query)}")
    assert response.status_code == 200, response.text[:400]
    return [list(row.values()) for row in response.json()]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_next_link_leads_through_the_whole_result(api: Client, data: st.DataObject) -> None:
    resource, pairs, size = data.draw(queries(api))
    expected = _export(api, resource, pairs)
    size = max(size, math.ceil(len(expected) / MAX_PAGES))
    pairs = data.draw(st.permutations([*pairs, ("_size", str(size))]))
    first = f"{_rows_path(resource)}?{_encode(pairs, data.draw(st.booleans()))}"
    header_choices = iter(data.draw(st.lists(st.booleans(), min_size=MAX_PAGES + 2)))
    rows, total = follow(api, first, use_header=header_choices)
    assert total == len(expected)
    assert rows == expected


def test_the_reported_query_pages_in_every_parameter_order(api: Client) -> None:
    """The example of the issue: page 2 answered ``400 _cursor ist ungültig``."""
    pairs = [
        ("ags__notin", "05558044"),
        ("art__in", "Stadt"),
        ("_sort", "ags,-art,ebene"),
        ("_size", "100"),
    ]
    expected = _export(api, "regionen", pairs)
    assert len(expected) > 100  # more than one page
    for order in permutations(pairs):
        first = f"{_rows_path('regionen')}?{urlencode(order)}"
        rows, total = follow(api, first, use_header=repeat(False))
        assert (rows, total) == (expected, len(expected))


def test_a_cursor_fits_every_spelling_of_its_query(api: Client) -> None:
    """Filters in another order, repeated, or with in-items reordered are the same query."""
    path = _rows_path("regionen")
    first = api.get(f"{path}?art__in=Stadt,Gemeinde&ebene=gemeinde&_sort=-ags&_size=5").json()
    cursor = first["next_cursor"]
    same = [
        "ebene=gemeinde&art__in=Gemeinde,Stadt&_sort=-ags&_size=5",
        'ebene=gemeinde&ebene=gemeinde&art__in=["Stadt","Gemeinde","Stadt"]&_sort=-ags',
        "_sort=-ags,-ags&_size=7&ebene__exact=gemeinde&art__in=Stadt,Gemeinde&_shape=arrays",
    ]
    after = _as_lists(api.get(first["next"].removeprefix(BASE)).json())[0][0]
    for query in same:
        page = api.get(f"{path}?{query}&_cursor={cursor}")
        assert page.status_code == 200, (query, page.text[:300])
        assert _as_lists(page.json())[0][0] == after  # ags comes first
    other = api.get(f"{path}?ebene=gemeinde&_sort=-ags&_cursor={cursor}")
    assert other.status_code == 400
    assert "_cursor" in other.json()["detail"]


REGION_FIELDS = [
    FieldSpec("ags", "string"),
    FieldSpec("art", "string"),
    FieldSpec("ebene", "string"),
    FieldSpec("gebietsstand", "date"),
]
SPELLINGS = [
    {"ags__notin": ["05558044"], "art__in": ["Stadt,Gemeinde"], "_sort": ["ags,-art"]},
    {"art__in": ["Gemeinde,Stadt"], "_sort": ["ags,-art"], "ags__notin": ["05558044"]},
    {"_sort": ["ags,-art,ags"], "art__in": ['["Stadt","Gemeinde"]'], "ags__notin": ["05558044"]},
]
FINGERPRINT_SCRIPT = """
import json, sys
from opendata_sozial.query.builder import fingerprint, total_order
from opendata_sozial.query.filters import FieldSpec, parse_row_query
fields = [FieldSpec(*f) for f in json.loads(sys.argv[1])]
prints = []
for params in json.loads(sys.argv[2]):
    query = parse_row_query(params, fields, max_size=100)
    prints.append(fingerprint("t", query.filters, total_order(query, ["ags"])))
print(json.dumps(prints))
"""


def _fingerprints(spellings: list[dict[str, list[str]]]) -> list[str]:
    prints = []
    for params in spellings:
        query = parse_row_query(params, REGION_FIELDS, max_size=100)
        prints.append(fingerprint("t", query.filters, total_order(query, ["ags"])))
    return prints


def test_spellings_of_one_query_share_the_fingerprint_and_others_do_not() -> None:
    assert len(set(_fingerprints(SPELLINGS))) == 1
    others = [
        {"ags__notin": ["05558044"], "art__in": ["Stadt"], "_sort": ["ags,-art"]},
        {"ags__notin": ["05558044"], "art__in": ["Stadt,Gemeinde"], "_sort": ["ags,art"]},
        {"ags__notin": ["05558044"], "art__in": ["Stadt,Gemeinde"], "_sort": ["-art,ags"]},
        {"ags__in": ["05558044"], "art__in": ["Stadt,Gemeinde"], "_sort": ["ags,-art"]},
        {"ags__notin": ["05558044"], "art__in": ["Stadt,Gemeinde"]},
    ]
    prints = _fingerprints([SPELLINGS[0], *others])
    assert len(set(prints)) == len(prints)


@pytest.mark.parametrize("seed", ["0", "1", "2", "42", "4242"])
def test_fingerprints_do_not_depend_on_the_hash_seed(seed: str) -> None:
    """Another process with another ``PYTHONHASHSEED`` computes the same fingerprints."""
    fields = json.dumps([[f.name, f.type] for f in REGION_FIELDS])
    result = subprocess.run(
        [sys.executable, "-c", FINGERPRINT_SCRIPT, fields, json.dumps(SPELLINGS)],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == _fingerprints(SPELLINGS)
