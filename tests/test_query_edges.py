"""No query string makes the server answer 500: values at and past every boundary, on both databases.

Every filter value is parsed by its field's Table Schema type and range-checked once
(``query/filters.py``), for every operator; a ``_cursor`` is bounded in size and depth and its
values are checked the same way (``query/builder.py``). Bad input is a 400 problem that names
the parameter, the value and what would be valid, for the rows API, ``values``, every export
format and the HTML dataset page alike. Hypothesis then draws from the whole filter grammar with
values at and past the boundaries and asserts that nothing is a 5xx.
"""

import base64
import json
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite

from opendata_sozial.db.data_tables import ROW_COLUMN, SQL_TYPES, define_data_table
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.query.builder import count_select, decode_cursor, where_clause
from opendata_sozial.query.filters import (
    INTEGER_RANGES,
    FieldSpec,
    Op,
    SortKey,
    parse_row_query,
)

Client = TestClient[Litestar]
API = "/api/v1/datasets/{name}/resources/{name}"
# Three packages that together hold every column type of the shipped packages.
FIELDS = {
    "armutsrisikoschwellen": {
        "verfahren": "string",
        "jahr": "year",
        "wert": "integer",
    },
    "lebensformen": {"lebensform": "string", "jahr": "year", "wert": "number"},
    "bevoelkerungsstand": {"stichtag": "date", "geschlecht": "string", "wert": "integer"},
}
EXPORTS = ("rows.csv", "rows.csv?profile=excel-de", "rows.json", "rows.ndjson", "rows.xlsx")
API_TARGETS = ("rows", "values/{field}", *EXPORTS, "rows.jsonstat")


def _url(name: str, target: str, pairs: list[tuple[str, str]], field: str = "jahr") -> str:
    path, _, fixed = target.format(field=field).partition("?")
    query = "&".join(q for q in (fixed, urlencode(pairs)) if q)
    return f"{API.format(name=name)}/{path}" + (f"?{query}" if query else "")


def _page_url(name: str, pairs: list[tuple[str, str]]) -> str:
    return f"/datensaetze/{name}?{urlencode(pairs)}"


def assert_problem(response: Any, *needles: str) -> str:  # httpx.Response
    """A 400 problem+json whose detail names every needle; the detail."""
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = str(response.json()["detail"])
    for needle in needles:
        assert needle in detail, (needle, detail)
    return detail


def assert_error_page(response: Any, *needles: str) -> None:  # httpx.Response
    """A 400 HTML error page that names every needle."""
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    text = unescape(response.text)
    for needle in needles:
        assert needle in text, needle


# The finding's cases and their neighbours: (field type, value, words of the answer).
OUT_OF_RANGE = [
    ("year", "2147483648", "-2147483648 bis 2147483647"),
    ("year", "-2147483649", "-2147483648 bis 2147483647"),
    ("year", "9223372036854775808", "-2147483648 bis 2147483647"),
    ("integer", "9223372036854775808", "-9223372036854775808 bis 9223372036854775807"),
    ("integer", "-9223372036854775809", "-9223372036854775808 bis 9223372036854775807"),
    ("integer", "1" + "0" * 999, "-9223372036854775808 bis 9223372036854775807"),
    ("number", "1e309", "endliche Zahl"),
    ("number", "-1" + "0" * 400, "endliche Zahl"),
    ("number", "inf", "Beispiel: 14.6"),
    ("number", "NaN", "Beispiel: 14.6"),
    ("number", "1_000", "Beispiel: 14.6"),
    ("year", "２０１６", "Vollbreiten-Ziffern"),
    ("integer", "٢٠١٦", "außerhalb von ASCII"),
    ("year", "²", "außerhalb von ASCII"),
    ("number", "１４.６", "außerhalb von ASCII"),
    ("date", "２０２３-12-31", "außerhalb von ASCII"),
    ("date", "10000-01-01", "JJJJ-MM-TT"),
    ("date", "2023-02-30", "kein Tag des Kalenders"),
    ("date", "0000-01-01", "0001-01-01 bis 9999-12-31"),
    ("date", "20231231", "JJJJ-MM-TT"),
    ("year", "", "leerer Wert"),
    ("string", "", "leerer Wert"),
    ("number", " ", "leerer Wert"),
    ("year", "9" * 5000, "höchstens 1000 Zeichen"),
    ("string", "x" * 1001, "höchstens 1000 Zeichen"),
]
_FIELD_OF_TYPE = {
    kind: (name, field) for name, fields in FIELDS.items() for field, kind in fields.items()
}


@pytest.mark.parametrize(("kind", "value", "valid"), OUT_OF_RANGE, ids=lambda v: str(v)[:24])
@pytest.mark.parametrize("op", ["exact", "in", "gt", "notin", "lte"])
def test_bad_values_are_400_for_every_operator(
    api: Client, kind: str, value: str, valid: str, op: str
) -> None:
    name, field = _FIELD_OF_TYPE[kind]
    key = field if op == "exact" else f"{field}__{op}"
    response = api.get(_url(name, "rows", [(key, value)]))
    detail = assert_problem(response, repr(key), repr(field), valid)
    assert repr(value[:40]) in detail or not value  # the value, cut for the message
    assert len(detail) < 600


@pytest.mark.parametrize("target", API_TARGETS[1:])
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("jahr", "2147483648"),
        ("jahr__in", "2015,9223372036854775808"),
        ("wert__gt", "9223372036854775808"),
        ("jahr__lt", "２０１６"),
    ],
)
def test_every_export_and_values_answer_400(api: Client, target: str, key: str, value: str) -> None:
    response = api.get(_url("armutsrisikoschwellen", target, [(key, value)], field="haushaltstyp"))
    assert_problem(response, repr(key))


@pytest.mark.parametrize(
    ("key", "value"),
    [("jahr", "2147483648"), ("wert__gte", "9223372036854775808"), ("jahr", "２０１６")],
)
def test_dataset_page_answers_400_page(api: Client, key: str, value: str) -> None:
    assert_error_page(api.get(_page_url("armutsrisikoschwellen", [(key, value)])), repr(key))


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("_size", "²", "_size"),
        ("_size", "１０", "_size"),
        ("_size", "9" * 5000, "_size"),
        ("jahr__in", "[" * 1300 + "]" * 1300, "JSON-Liste"),
        ("jahr__in", "[" * 2600, "JSON-Liste"),
        ("jahr__in", "[" + "9" * 5000 + "]", "JSON-Liste"),
        ("jahr__in", "[1e999]", "2015"),
        ("jahr__in", "[NaN]", "JSON-Liste"),
        ("jahr__in", "[[2015]]", "JSON-Liste"),
        ("jahr__in", "[true]", "'true' ist kein gültiger Wert"),
        ("jahr__in", ",".join(["2015"] * 1001), "höchstens 1000"),
        ("verfahren", "a\x00b", "NUL"),
        ("jahr__isnull", "ｔｒｕｅ", "true oder false"),
    ],
    ids=lambda v: str(v)[:16],
)
def test_other_bad_parameters_are_400(api: Client, key: str, value: str, needle: str) -> None:
    response = api.get(_url("armutsrisikoschwellen", "rows", [(key, value)]))
    assert_problem(response, needle)


@pytest.mark.parametrize("query", ["verfahren=%ED%A0%80", "verfahren__in=%FF,%C3", "jahr=%FF"])
def test_invalid_utf8_escapes_are_no_server_error(api: Client, query: str) -> None:
    """Litestar decodes them with U+FFFD: text matches nothing, a number is a 400."""
    response = api.get(f"{API.format(name='armutsrisikoschwellen')}/rows?{query}")
    assert response.status_code == (400 if query.startswith("jahr") else 200)


def test_dataset_page_paging_parameters(api: Client) -> None:
    for key, value in [("_size", "²"), ("_size", "9" * 5000), ("ab", "١")]:
        pairs = [(key, value), *([("_cursor", "x")] if key == "ab" else [])]
        assert_error_page(api.get(_page_url("lebensformen", pairs)), key)


# Cursors


def _token(data: Any) -> str:  # any JSON
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _real_cursor(api: Client, path: str, sort: str) -> dict[str, Any]:
    page = api.get(f"{path}?_size=2&_sort={sort}").json()
    token = page["next_cursor"]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return data


CURSOR_PATH = API.format(name="armutsrisikoschwellen") + "/rows"
SORT = "jahr,wert,verfahren"  # year, integer, string, then the key and the hidden _row


def _forged(api: Client, position: int, value: Any) -> str:  # any JSON
    """A cursor of the real query whose ``position``-th sort value is replaced by ``value``."""
    data = _real_cursor(api, CURSOR_PATH, SORT)
    data["v"][position] = value
    return _token(data)


GARBAGE = [
    "!!!!",
    "%%%",
    "abc",
    "YQ",
    "a" * 7_000,
    "ä",
    _token(b"\xff\xfe\x00"),
    _token([1, 2]),
    _token("text"),
    _token(None),
    _token({"v": "x", "q": "y"}),
    _token({"v": [], "q": 1}),
    _token(b"[" * 2500 + b"]" * 2500),
    _token(b'{"v":' + b"[" * 5000),
    _token(b'{"v":[' + b"9" * 5000 + b"]}"),
    _token(b'{"v":[NaN],"q":"x"}'),
]


@pytest.mark.parametrize("token", GARBAGE, ids=lambda t: t[:12])
def test_garbage_cursors_are_400(api: Client, token: str) -> None:
    for url in (
        f"{CURSOR_PATH}?_sort={SORT}&_cursor={token}",
        f"{CURSOR_PATH}.csv?_sort={SORT}&_cursor={token}",
    ):
        assert_problem(api.get(url), "_cursor")
    page = api.get(_page_url("armutsrisikoschwellen", [("_sort", SORT), ("_cursor", token)]))
    assert_error_page(page, "_cursor")


@pytest.mark.parametrize(
    ("position", "value"),
    [
        (0, 2**31),  # jahr: year, a 32-bit column
        (0, -(2**31) - 1),
        (0, "2015"),
        (0, 2015.5),
        (0, True),
        (1, 2**63),  # wert: integer, a 64-bit column
        (1, -(2**63) - 1),
        (1, 10**4000),
        (1, 1e308),
        (2, 42),  # verfahren: text
        (2, "a\x00b"),
        (2, ["x"]),
        (2, {"x": 1}),
        (-1, 2**31),  # _row: the hidden 32-bit file position
        (-1, 0),
        (-1, 10**30),
    ],
    ids=lambda v: str(v)[:16],
)
def test_forged_cursor_values_are_400(api: Client, position: int, value: Any) -> None:
    token = _forged(api, position, value)
    assert_problem(api.get(f"{CURSOR_PATH}?_sort={SORT}&_cursor={token}"), "_cursor")


def test_forged_cursor_in_range_is_served(api: Client) -> None:
    """The checks do not reject a well-formed cursor: the boundary values themselves page on."""
    for position, value in [(0, 2**31 - 1), (1, 2**63 - 1), (1, -(2**63)), (-1, 2**31 - 1)]:
        token = _forged(api, position, value)
        response = api.get(f"{CURSOR_PATH}?_sort={SORT}&_cursor={token}")
        assert response.status_code == 200, (position, value, response.text[:300])


def test_date_cursor_values(api: Client) -> None:
    path = API.format(name="bevoelkerungsstand") + "/rows"
    for value, status in [("2023-12-31", 200), ("9999-12-31", 200), ("2023-02-30", 400)]:
        data = _real_cursor(api, path, "stichtag")
        data["v"][0] = value
        response = api.get(f"{path}?_sort=stichtag&_cursor={_token(data)}")
        assert response.status_code == status, (value, response.text[:300])


def test_boundary_values_are_answered(api: Client) -> None:
    """The last valid values are queries like any other (200, no rows beyond the data)."""
    for name, key, value in [
        ("armutsrisikoschwellen", "jahr__lte", "2147483647"),
        ("armutsrisikoschwellen", "jahr__gt", "-2147483648"),
        ("armutsrisikoschwellen", "wert__in", "9223372036854775807,-9223372036854775808"),
        ("lebensformen", "wert__lt", "1.7976931348623157e308"),
        ("lebensformen", "wert__gt", "-1e-400"),
        ("bevoelkerungsstand", "stichtag__gte", "0001-01-01"),
        ("bevoelkerungsstand", "stichtag__lte", "9999-12-31"),
    ]:
        response = api.get(_url(name, "rows", [(key, value)]))
        assert response.status_code == 200, (key, value, response.text[:300])


def test_ranges_are_those_of_the_columns() -> None:
    """``INTEGER_RANGES`` follows the column types that ``db/data_tables.py`` creates."""
    table = define_data_table("t", {"fields": [{"name": "n", "type": "integer"}]})
    assert isinstance(table.c[ROW_COLUMN].type, Integer)
    assert not isinstance(table.c[ROW_COLUMN].type, BigInteger)
    assert INTEGER_RANGES["row"][1] == 2**31 - 1
    for kind in ("integer", "year"):
        bits = 64 if isinstance(SQL_TYPES[kind](), BigInteger) else 32
        assert INTEGER_RANGES[kind] == (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


# Beyond what the HTTP limits let through (URL length): the query layer bounds itself


SPECS = [FieldSpec("jahr", "year"), FieldSpec("wert", "integer"), FieldSpec("x", "string")]


@pytest.mark.parametrize(
    "params",
    [
        {"jahr__in": ["[" * 4000 + "]" * 4000]},
        {"jahr__notin": ["[" * 100_000]},
        {"x__in": ['["' + "a" * 100_000 + '"]']},
        {"x__in": [",".join(["a"] * 100_000)]},
        {"wert": ["9" * 100_000]},
        {"_size": ["9" * 100_000]},
        {"x": ["\ud800"]},
        {"x__contains": ["a\x00b"]},
    ],
    ids=lambda p: next(iter(p)),
)
def test_parser_bounds_input_of_any_size(params: dict[str, list[str]]) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_row_query(params, SPECS, max_size=100)
    assert next(iter(params)) in str(caught.value)
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize(
    "token",
    [
        _token(b"[" * 4000 + b"]" * 4000),
        _token(b'{"v":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        "A" * 1_000_000,
        _token({"v": ["x" * 100_000], "q": "p"}),
    ],
    ids=lambda t: t[:12],
)
def test_cursor_decoder_bounds_size_and_depth(token: str) -> None:
    with pytest.raises(InvalidParameter, match="_cursor"):
        decode_cursor(token, [SortKey("x"), SortKey(ROW_COLUMN)], {"x": "string"}, "p")


# Hypothesis over the grammar

_INT_EDGES = [
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    10**30,
    0,
    2015,
]
_EDGE_TEXTS = [
    *map(str, _INT_EDGES),
    "1e308",
    "1.8e308",
    "-1e309",
    "1e-400",
    "nan",
    "Infinity",
    "14.6",
    "14,6",
    ".5",
    "5.",
    "0001-01-01",
    "9999-12-31",
    "2023-12-31",
    "2023-13-01",
    "true",
    "２０１６",
    "٢٠١٦",
    "¹",
    "",
    " ",
    "\x00",
    "[" * 300,
    "[" * 50 + "]" * 50,
    '["a", "b"]',
    "[2015, 2016]",
    "[9223372036854775808]",
    "x" * 1001,
]
values = st.one_of(
    st.sampled_from(_EDGE_TEXTS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
    st.lists(st.sampled_from(_EDGE_TEXTS[:12]), min_size=1, max_size=4).map(",".join),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str]]]:
    """A package, a target (API or page) and one to three filters with edgy values."""
    name = draw(st.sampled_from(sorted(FIELDS)))
    pairs = []
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(sorted(FIELDS[name])))
        op = draw(st.sampled_from([*Op, None]))
        key = field if op is None else f"{field}__{op.value}"
        pairs.append((key, draw(values)))
    if draw(st.booleans()):
        pairs.append(("_cursor", draw(st.one_of(st.sampled_from(GARBAGE[:-4]), st.text()))))
    if draw(st.booleans()):
        sort = draw(st.lists(st.sampled_from(sorted(FIELDS[name])), min_size=1, max_size=3))
        pairs.append(("_sort", ",".join(f"-{f}" if draw(st.booleans()) else f for f in sort)))
    if draw(st.booleans()):
        pairs.append(("_size", draw(st.sampled_from(["1", "10000", "10001", "0", "²", "-1"]))))
    target = draw(st.sampled_from([*API_TARGETS, "page"]))
    return name, target, pairs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=requests())
def test_no_query_string_is_a_server_error(api: Client, case: Any) -> None:
    name, target, pairs = case
    field = sorted(FIELDS[name])[0]
    url = _page_url(name, pairs) if target == "page" else _url(name, target, pairs, field)
    response = api.get(url)
    assert response.status_code < 500, (url, response.text[:300])
    if response.status_code == 400 and target != "page":
        detail = assert_problem(response)
        # The request limits (web/limits.py) answer for the whole query: too many filters, NUL.
        named = [k for k, _ in pairs] + ["Filterparameter", "NUL-Zeichen"]
        assert any(k[:40] in detail for k in named), detail


json_values = st.one_of(
    st.sampled_from([*_INT_EDGES, 10**400, 0.5, 1e308, -1e308, None, True, False, [], {}]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["2023-12-31", "0001-01-01", "9999-12-31", "2023-02-30", "", "\x00"]),
    st.text(max_size=12),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_forged_cursors_are_never_a_server_error(api: Client, data: st.DataObject) -> None:
    """A real cursor of a sorted query with some sort values replaced by any JSON value."""
    name = data.draw(st.sampled_from(sorted(FIELDS)))
    sort = ",".join(
        f"-{f}" if data.draw(st.booleans()) else f
        for f in data.draw(st.permutations(sorted(FIELDS[name])))
    )
    path = API.format(name=name) + "/rows"
    cursor = _real_cursor(api, path, sort)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(cursor["v"]) - 1))
        cursor["v"][position] = data.draw(json_values)
    pairs = [("_sort", sort), ("_cursor", _token(cursor))]
    target = data.draw(st.sampled_from(["rows", "rows.csv", "rows.xlsx", "rows.jsonstat", "page"]))
    url = _page_url(name, pairs) if target == "page" else _url(name, target, pairs)
    response = api.get(url)
    assert response.status_code in {200, 400}, (url, response.text[:300])
    if response.status_code == 400 and target != "page":
        assert_problem(response, "_cursor")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_an_unfiltered_count_has_no_where_clause(dialect: str) -> None:
    """A bare ``count(*)`` lets SQLite answer from the b-tree; ``WHERE 1 = 1`` would defeat it."""
    table = Table("t", MetaData(), Column("jahr", Integer))
    compiled = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}[dialect]
    bare = str(count_select(table, where_clause(table, [], dialect)).compile(dialect=compiled))
    assert "WHERE" not in bare
    query = parse_row_query({"jahr__gte": ["2020"]}, [FieldSpec("jahr", "integer")], max_size=10)
    filtered = count_select(table, where_clause(table, query.filters, dialect))
    assert "WHERE t.jahr >=" in str(filtered.compile(dialect=compiled))
