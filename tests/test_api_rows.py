"""Rows API against an independent pandas reference, on SQLite and PostgreSQL."""

import io
import json
import math
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.formats.export import neutralise
from opendata_sozial.ingest.package import find_packages, read_package
from tests.conftest import DATAPACKAGES

Client = TestClient[Litestar]
PACKAGES = sorted(p.name for p in find_packages([DATAPACKAGES]))
CONVERT = {
    "integer": int,
    "year": int,
    "number": float,
    "date": lambda v: date.fromisoformat(v).isoformat(),
    "string": str,
    "boolean": lambda v: v == "true",
}


@cache
def reference(name: str, resource: str) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The package CSV read by pandas, typed by its schema (None for empty cells)."""
    pkg = read_package(DATAPACKAGES / name)
    res = next(r for r in pkg.resources() if r["name"] == resource)
    types = {f["name"]: f["type"] for f in res["schema"]["fields"]}
    frame = pd.read_csv(pkg.folder / res["path"], dtype=str, keep_default_na=False)
    typed = pd.DataFrame(
        {
            c: pd.Series(
                [None if v == "" else CONVERT[types[c]](v) for v in frame[c]], dtype=object
            )
            for c in frame.columns
        }
    )
    return typed, types, list(res["schema"]["primaryKey"])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            for k, v in row.items()
        }
        for row in frame.to_dict(orient="records")
    ]


def _mask(series: pd.Series, op: str, value: Any) -> pd.Series:
    present = series.map(lambda x: x is not None)
    tests = {
        "exact": lambda x: x == value,
        "not": lambda x: x != value,
        "gt": lambda x: x is not None and x > value,
        "gte": lambda x: x is not None and x >= value,
        "lt": lambda x: x is not None and x < value,
        "lte": lambda x: x is not None and x <= value,
        "in": lambda x: x in value,
        "notin": lambda x: x not in value,
        "contains": lambda x: x is not None and value in x,
        "startswith": lambda x: x is not None and x.startswith(value),
        "isnull": lambda x: (x is None) == value,
    }
    result = series.map(tests[op]).astype(bool)
    return result if op in {"not", "notin", "isnull"} else result & present


def _fetch_all(
    api: Client, name: str, resource: str, params: list[tuple[str, str]]
) -> dict[str, Any]:
    """Every row of the query, following the answer's ``next`` links (a table may hold more
    rows than one page of 10,000, e.g. the Köln Stadtteile)."""
    query = urlencode([*params, ("_size", "10000")])
    url: str | None = f"/api/v1/datasets/{name}/resources/{resource}/rows?{query}"
    body: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    while url:
        response = api.get(url.removeprefix("http://testserver.local"))
        assert response.status_code == 200, response.text
        body = dict(response.json())
        rows.extend(body["rows"])
        url = body["next"]
    return {**body, "rows": rows}


def _wire(value: Any, op: str) -> str:
    if op in {"in", "notin"}:
        return json.dumps(list(value), ensure_ascii=False)
    if op == "isnull":
        return "true" if value else "false"
    return str(value)


@st.composite
def filters(draw: st.DrawFn) -> tuple[str, str, str, Any]:
    name = draw(st.sampled_from(PACKAGES))
    resource = read_package(DATAPACKAGES / name).resources()[0]["name"]
    frame, types, _ = reference(name, resource)
    column = draw(st.sampled_from(list(frame.columns)))
    kind = types[column]
    ops = ["exact", "not", "in", "notin", "isnull"] + (
        ["contains", "startswith"] if kind == "string" else ["gt", "gte", "lt", "lte"]
    )
    op = draw(st.sampled_from(ops))
    present = [v for v in frame[column] if v is not None] or ["x"]
    if op == "isnull":
        value: Any = draw(st.booleans())
    elif op in {"in", "notin"}:
        value = tuple(draw(st.lists(st.sampled_from(present), min_size=1, max_size=3)))
    elif op in {"contains", "startswith"}:
        text = draw(st.sampled_from(present))
        start = draw(st.integers(0, max(len(text) - 1, 0)))
        value = (
            text[: start + 1]
            if op == "startswith"
            else text[start : start + draw(st.integers(1, 4))]
        )
    else:
        value = draw(st.sampled_from(present))
    return name, resource, f"{column}__{op}", value


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=filters())
def test_filter_equals_pandas(api: Client, case: tuple[str, str, str, Any]) -> None:
    name, resource, key, value = case
    column, op = key.split("__")
    frame, _, _ = reference(name, resource)
    expected = _records(frame[_mask(frame[column], op, value)])
    body = _fetch_all(api, name, resource, [(key, _wire(value, op))])
    assert body["total"] == len(expected)
    assert body["rows"] == expected


def _reference_sort(
    rows: list[dict[str, Any]], keys: list[tuple[str, bool]]
) -> list[dict[str, Any]]:
    ordered = list(rows)
    for column, descending in reversed(keys):
        ordered.sort(key=lambda r, c=column: (r[c] is not None, r[c]), reverse=descending)
    return ordered


@pytest.mark.parametrize(
    ("name", "sort"),
    [
        ("lebensformen", "-wert"),
        ("lebensformen", "lebensform_gruppe,-jahr"),
        ("mindestsicherung-leistungssysteme-2005-2008", "untermerkmal,wert"),
        ("mindestsicherung-leistungssysteme-2005-2008", "-wert_status,-untermerkmal"),
        ("bevoelkerungsstand", "-stichtag"),
        ("sgb2-hilfequoten-kinder-kreise", "ags,-wert"),
        ("nrw-regionen", "-parent_ags"),
    ],
)
@pytest.mark.parametrize("size", [1, 7, 50])
def test_paging_returns_every_row_once_in_order(
    api: Client, name: str, sort: str, size: int
) -> None:
    resource = read_package(DATAPACKAGES / name).resources()[0]["name"]
    frame, _, primary_key = reference(name, resource)
    keys = [(k.lstrip("-"), k.startswith("-")) for k in sort.split(",")]
    keys += [(k, False) for k in primary_key if k not in {c for c, _ in keys}]
    expected = _reference_sort(_records(frame), keys)
    url: str | None = f"/api/v1/datasets/{name}/resources/{resource}/rows?_sort={sort}&_size={size}"
    seen: list[dict[str, Any]] = []
    while url:
        body = api.get(url.removeprefix("http://testserver.local")).json()
        assert body["total"] == len(expected)
        seen.extend(body["rows"])
        url = body["next"]
        if url:
            assert body["size"] == size
    assert seen == expected


def test_select_and_array_shape(api: Client) -> None:
    body = api.get(
        "/api/v1/datasets/lebensformen/resources/lebensformen/rows?_select=jahr,wert&_shape=arrays&_size=2"
    ).json()
    frame, _, _ = reference("lebensformen", "lebensformen")
    assert body["columns"] == ["jahr", "wert"]
    assert body["rows"] == [[frame["jahr"][i], frame["wert"][i]] for i in range(2)]


def test_next_link_header_and_total_header(api: Client) -> None:
    response = api.get("/api/v1/datasets/lebensformen/resources/lebensformen/rows?_size=5")
    assert response.headers["x-total-count"] == "80"
    alternate = (
        '<http://testserver.local/datasets/lebensformen.ttl>; rel="alternate"; type="text/turtle"'
    )
    assert response.headers["link"] == f'<{response.json()["next"]}>; rel="next", {alternate}'
    last = api.get("/api/v1/datasets/lebensformen/resources/lebensformen/rows?_size=80")
    assert last.headers["link"] == alternate
    values = api.get("/api/v1/datasets/lebensformen/resources/lebensformen/values/jahr")
    assert values.headers["link"] == alternate
    assert last.json()["next"] is None


def test_values_with_counts_under_filters(api: Client) -> None:
    body = api.get(
        "/api/v1/datasets/lebensformen/resources/lebensformen/values/einheit?jahr=2019"
    ).json()
    frame, _, _ = reference("lebensformen", "lebensformen")
    counts = frame[frame["jahr"] == 2019]["einheit"].value_counts()
    assert {v["value"]: v["count"] for v in body["values"]} == counts.to_dict()


EXPORT_QUERY = "jahr__gte=2017&_sort=-wert&_select=lebensform_gruppe,lebensform,jahr,wert,einheit"


def _as_json_rows(api: Client) -> list[dict[str, Any]]:
    return list(
        _fetch_all(
            api,
            "lebensformen",
            "lebensformen",
            [tuple(p.split("=")) for p in EXPORT_QUERY.split("&")],
        )["rows"]
    )


def _normalise(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # pandas' decimal="," parser is not correctly rounded (1,7 -> 1.7000000000000002): compare
    # numbers to 9 decimals; the exact text of every export is checked elsewhere.
    types: dict[str, Any] = {"jahr": int, "wert": lambda v: round(float(v), 9)}
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {
                k: (
                    None
                    if (v is None or (isinstance(v, float) and pd.isna(v)) or v == "")
                    else types.get(k, str)(v)
                )
                for k, v in row.items()
            }
        )
    return out


@pytest.mark.parametrize("fmt", ["csv", "csv-excel", "json", "ndjson", "xlsx"])
def test_every_export_equals_the_json_result(api: Client, fmt: str) -> None:
    suffix, profile = [*fmt.split("-"), ""][:2]
    url = f"/api/v1/datasets/lebensformen/resources/lebensformen/rows.{suffix}?{EXPORT_QUERY}" + (
        "&profile=excel-de" if profile else ""
    )
    response = api.get(url)
    assert response.status_code == 200
    expected = _as_json_rows(api)
    assert response.headers["x-row-count"] == str(len(expected))
    assert "attachment; filename=" in response.headers["content-disposition"]
    content = response.content
    if fmt == "csv":
        frame = pd.read_csv(
            io.BytesIO(content), dtype={"lebensform_gruppe": str}, keep_default_na=False
        )
    elif fmt == "csv-excel":
        assert content.startswith(b"\xef\xbb\xbf")
        assert b"\r\n" in content
        frame = pd.read_csv(
            io.BytesIO(content),
            sep=";",
            decimal=",",
            encoding="utf-8-sig",
            engine="python",
            keep_default_na=False,
        )
    elif fmt == "json":
        frame = pd.DataFrame(json.loads(content))
    elif fmt == "ndjson":
        frame = pd.read_json(io.BytesIO(content), lines=True, dtype=False)
    else:
        frame = pd.read_excel(io.BytesIO(content), sheet_name="Daten", keep_default_na=False)
        meta = pd.read_excel(io.BytesIO(content), sheet_name="Metadaten", header=None)
        assert "Namensnennung" in set(meta[0])
    assert _normalise(frame) == _normalise(pd.DataFrame(expected))


def test_full_export_is_never_truncated(api: Client) -> None:
    frame, _, _ = reference("nrw-regionen", "regionen")
    body = api.get("/api/v1/datasets/nrw-regionen/resources/regionen/rows.csv").content.decode()
    exported = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    assert len(exported) == len(frame) == 457  # 455 current units, 2 former keys
    assert list(exported["ags"]) == list(frame["ags"])


def test_excel_profile_text_keeps_leading_zeros_and_decimal_comma(api: Client) -> None:
    regions = api.get(
        "/api/v1/datasets/nrw-regionen/resources/regionen/rows.csv?profile=excel-de&ags=05111"
    )
    assert "\r\n05111;" in regions.content.decode("utf-8-sig")
    rates = api.get(
        "/api/v1/datasets/lebensformen/resources/lebensformen/rows.csv?profile=excel-de&jahr=2017&wert=1.7"
    )
    assert ";2017;1,7;;%;" in rates.content.decode("utf-8-sig")
    plain = api.get(
        "/api/v1/datasets/lebensformen/resources/lebensformen/rows.csv?jahr=2017&wert=1.7"
    )
    assert ",2017,1.7,,%," in plain.content.decode("utf-8")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=SUMME(A1)", "'=SUMME(A1)"),
        ("+49", "'+49"),
        ("@x", "'@x"),
        ("-1+2", "'-1+2"),
        ("-", "-"),
        ("()", "()"),
        ("Bonn", "Bonn"),
        (" =1+1", "' =1+1"),
        ("\u00a0+49", "'\u00a0+49"),
        ("\u3000@x", "'\u3000@x"),
        ("\u2003\u200b=1", "'\u2003\u200b=1"),
        ("＝1+1", "'＝1+1"),
        ("＋49", "'＋49"),
        ("－1", "'－1"),
        ("＠x", "'＠x"),
        ("\n=1", "'\n=1"),
        ("\nText", "'\nText"),
        ("\r1", "'\r1"),
        ("\tx", "'\tx"),
        ("  eingerückt", "  eingerückt"),
        (" -", " -"),
    ],
)
def test_spreadsheet_formulas_are_neutralised(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("jahr=abc", "'jahr'"),
        ("wert__gt=14,6", "Punkt"),
        ("foo=1", "Unbekanntes Feld 'foo'"),
        ("jahr__like=2019", "Unbekannter Operator 'like'"),
        ("jahr__contains=20", "nur für Textfelder"),
        ("_size=10001", "_size"),
        ("_size=0", "_size"),
        ("_sort=nope", "_sort"),
        ("_select=nope", "_select"),
        ("_shape=table", "_shape"),
        ("_cursor=abc", "_cursor"),
        ("_bogus=1", "_bogus"),
        ("jahr__in=[1", "JSON-Liste"),
        ("jahr__isnull=vielleicht", "true oder false"),
    ],
)
def test_bad_parameters_are_400_problems(api: Client, query: str, needle: str) -> None:
    response = api.get(f"/api/v1/datasets/lebensformen/resources/lebensformen/rows?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert needle in response.json()["detail"]


def test_cursor_of_another_query_is_rejected(api: Client) -> None:
    first = api.get(
        "/api/v1/datasets/lebensformen/resources/lebensformen/rows?_size=2&_sort=jahr"
    ).json()
    other = api.get(
        f"/api/v1/datasets/lebensformen/resources/lebensformen/rows?_size=2&_sort=-jahr&_cursor={first['next_cursor']}"
    )
    assert other.status_code == 400


def test_unknown_resource_and_field(api: Client) -> None:
    assert api.get("/api/v1/datasets/lebensformen/resources/nope/rows").status_code == 404
    assert (
        api.get("/api/v1/datasets/lebensformen/resources/lebensformen/values/nope").status_code
        == 400
    )
    assert (
        api.get(
            "/api/v1/datasets/lebensformen/resources/lebensformen/rows.csv?profile=lotus"
        ).status_code
        == 400
    )


def test_dataset_detail_links_every_download(api: Client) -> None:
    detail = api.get("/api/v1/datasets/lebensformen").json()
    assert {s["value"] for s in detail["status_codes"]} >= {"x", "()", "-", "."}
    assert detail["links"]["datapackage"].endswith("/lebensformen/datapackage.json")
    (resource,) = detail["links"]["resources"]
    for kind, link in resource["downloads"].items():
        response = api.get(link["url"].removeprefix("http://testserver.local"))
        assert response.status_code == 200, kind
        assert response.headers["content-type"].startswith(link["media_type"]), kind
    assert resource["downloads"]["original"]["bytes"] == len(
        api.get(
            resource["downloads"]["original"]["url"].removeprefix("http://testserver.local")
        ).content
    )


printable = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.one_of(
        st.sampled_from(
            [
                "jahr",
                "wert",
                "lebensform",
                "_sort",
                "_size",
                "_cursor",
                "_select",
                "_shape",
                "profile",
                "jahr__in",
                "wert__gt",
                "lebensform__contains",
                "jahr__isnull",
            ]
        ),
        printable,
    ),
    value=printable,
    path=st.sampled_from(["rows", "rows.csv", "rows.json", "values/jahr"]),
)
def test_no_input_produces_a_server_error(api: Client, key: str, value: str, path: str) -> None:
    response = api.get(
        f"/api/v1/datasets/lebensformen/resources/lebensformen/{path}", params={key: value}
    )
    assert response.status_code < 500, (key, value, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
