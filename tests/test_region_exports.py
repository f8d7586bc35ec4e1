"""Downloads of a profile and a comparison (CSV excel-de, XLSX), on both backends.

Every figure of a download is compared with the JSON answer of the same place; the workbook is
read back with openpyxl and must be the same bytes on every request of a release.
"""

import csv
import io
import zipfile
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook

from tests.json_links import BASE, follow_every_link, get_json

GELSENKIRCHEN = "05513"
KOELN_GEMEINDE = "05315000"
COMPARED = ["05513", "05562", "05913"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _json_figures(profile: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(indikator, zeitraum, wert) of the place's series and of its parents, in file order."""
    found: list[tuple[str, str, Any]] = []
    for i in profile["indicators"]:
        found += [(i["label"], str(p["period"]), p["value"]) for p in i["series"]]
        found += [(i["label"], str(p["period"]), p["value"]) for p in i["parents"]]
    return found


def _german_number(text: str) -> Any:  # a number, or None for an empty cell
    if not text:
        return None
    plain = text.replace(",", ".")
    return float(plain) if "." in plain else int(plain)


def _sheet(body: bytes, name: str) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(body))  # not read-only: that drops empty trailing cells
    return [list(row) for row in workbook[name].iter_rows(values_only=True)]


def _workbook(api: TestClient[Litestar], path: str) -> bytes:
    response = api.get(path)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith("attachment;")
    return response.content


@pytest.mark.parametrize("key", [GELSENKIRCHEN, KOELN_GEMEINDE])
def test_profile_xlsx_has_the_numbers_of_the_json_profile(
    api: TestClient[Litestar], key: str
) -> None:
    profile = get_json(api, f"/api/v1/regions/{key}/profile")
    body = _workbook(api, f"/api/v1/regions/{key}/profile.xlsx")
    header, *rows = _sheet(body, "Daten")
    assert header[:4] == ["ags", "region", "ebene", "bezug"]
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(c["indikator"], str(c["zeitraum"]), c["wert"]) for c in cells] == _json_figures(
        profile
    )
    ranked = [c["rang"] for c in cells if c["rang"] is not None]
    assert ranked == [i["peers"]["rank"] for i in profile["indicators"] if i["peers"]]


def test_profile_xlsx_is_the_same_bytes_on_every_request(api: TestClient[Litestar]) -> None:
    path = f"/api/v1/regions/{GELSENKIRCHEN}/profile.xlsx"
    first, second = _workbook(api, path), _workbook(api, path)
    assert first == second
    stamps = {info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert len(stamps) == 1  # every member carries the release's time, not the time of writing


def test_profile_xlsx_metadata_names_sources_licences_and_address(
    api: TestClient[Litestar],
) -> None:
    profile = get_json(api, f"/api/v1/regions/{GELSENKIRCHEN}/profile")
    body = _workbook(api, f"/api/v1/regions/{GELSENKIRCHEN}/profile.xlsx")
    meta = {(row[0], row[1]) for row in _sheet(body, "Metadaten") if row and row[0]}
    labels = {label for label, _ in meta}
    assert {"Titel", "Release", "Abgerufen von", "Quelle", "Lizenz", "Namensnennung"} <= labels
    assert ("Abgerufen von", f"{BASE}/api/v1/regions/{GELSENKIRCHEN}/profile.xlsx") in meta
    assert ("Release", str(profile["release"])) in meta
    for dataset in {i["dataset"] for i in profile["indicators"]}:
        assert ("Datensatz", dataset) in meta


def test_profile_excel_de_csv_has_the_numbers_of_the_json_profile(
    api: TestClient[Litestar],
) -> None:
    profile = get_json(api, f"/api/v1/regions/{GELSENKIRCHEN}/profile")
    assert profile["links"]["csv_excel"].endswith("/profile.csv?profile=excel-de")
    response = api.get(profile["links"]["csv_excel"].removeprefix(BASE))
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="profil-05513-excel.csv"' in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [(r["indikator"], r["zeitraum"], _german_number(r["wert"])) for r in rows] == (
        _json_figures(profile)
    )
    assert any("," in r["wert"] for r in rows)  # decimal comma, not point
    follow_every_link(api, profile)


def test_comparison_downloads_have_the_numbers_of_the_json_comparison(
    api: TestClient[Litestar],
) -> None:
    body = get_json(api, "/api/v1/regions/compare", keys=",".join(COMPARED))
    expected = [
        (i["label"], v["key"], str(v["period"]), v["value"])
        for i in body["indicators"]
        for v in i["values"]
    ]
    workbook = _workbook(api, body["links"]["xlsx"].removeprefix(BASE))
    assert workbook == _workbook(api, body["links"]["xlsx"].removeprefix(BASE))
    header, *rows = _sheet(workbook, "Daten")
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(c["indikator"], c["ags"], str(c["zeitraum"]), c["wert"]) for c in cells] == expected
    excel = api.get(body["links"]["csv_excel"].removeprefix(BASE)).content.decode("utf-8-sig")
    found = list(csv.DictReader(io.StringIO(excel), delimiter=";"))
    assert [
        (r["indikator"], r["ags"], r["zeitraum"], _german_number(r["wert"])) for r in found
    ] == expected
    follow_every_link(api, body)


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        (f"/api/v1/regions/{GELSENKIRCHEN}/profile.csv?profile=excel", 400, ["'profile'"]),
        ("/api/v1/regions/05999/profile.xlsx", 404, ["'05999'"]),
        ("/api/v1/regions/compare.xlsx?keys=05513", 400, ["2 bis 10"]),
        ("/api/v1/regions/compare.csv?keys=05513,05999", 404, ["'05999'"]),
    ],
)
def test_bad_download_requests_are_german_problems(
    api: TestClient[Litestar], path: str, status: int, words: list[str]
) -> None:
    response = api.get(path)
    assert response.status_code == status
    assert all(word in response.text for word in words), response.text
