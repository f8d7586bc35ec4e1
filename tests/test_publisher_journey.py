"""A statistics office adds two new tables and fixes a value, as docs/packages.md tells it to.

The journey runs the real command line (``python -m opendata_sozial`` as a subprocess) against a
catalog that already serves every shipped package, on SQLite and PostgreSQL:

1. a German Excel CSV (Windows-1252, ``;``, decimal comma, region names without keys), built
   from the SGB II child rates per Kreis in ``shared/data``, and an XLSX workbook with a title
   row, built from the poverty-risk rates by characteristic;
2. ``init`` for both (licence chosen explicitly), the steward's metadata, ``validate``;
3. ``publish --dry-run`` (nothing changes), then ``publish`` of only the two new packages: every
   other dataset stays served;
4. one value of the CSV is corrected, ``refresh`` recomputes size, hash and row count and keeps
   the metadata, a second ``publish`` serves the corrected value and the change is listed.

Every served value is compared with the source table it came from.
"""

import csv
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from opendata_sozial.config import Settings
from opendata_sozial.web.app import create_app
from tests import cli
from tests.cli import ok
from tests.conftest import DATAPACKAGES
from tests.table_digest import table_digests

SGB2_SOURCE = "sources/14_fwnrw_sgb2_hilfequoten_kinder_kreise_teil.csv"
ARM_SOURCE = "sources/01_sbnrw_7_3a_armutsrisikoquoten_merkmale_2005_2019.csv"
SGB2 = "sgb2-quoten-kinder-2021"
ARM = "armutsrisiko-merkmale-2005-2019"
VALUE = "quote_in_prozent"


def run_cli(cwd: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line against ``url``, with nrw-regionen found in datapackages/."""
    return cli.run_cli(cwd, *args, url=url)


def source_rows(shared_data: Path, name: str) -> list[dict[str, str]]:
    with (shared_data / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_german_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """What Excel writes for "CSV (Trennzeichen-getrennt)" on a German Windows machine."""
    lines = ["Kreis/kreisfreie Stadt;Merkmal;Quote in %"]
    lines += [
        f"{r['kreis_kreisfreie_stadt']};{r['merkmal']};{r['wert'].replace('.', ',')}" for r in rows
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def write_workbook(path: Path, rows: list[dict[str, str]]) -> Path:
    """A workbook as offices ship it: a title row above the header, typed number cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Tabelle 7.3a"
    sheet.append(["Armutsrisikoquoten nach soziodemografischen Merkmalen, Nordrhein-Westfalen"])
    sheet.append(["Merkmalsgruppe", "Merkmal", "Jahr", "Quote in %", "Fußnote"])
    for r in rows:
        note = r["fussnote"] or None
        sheet.append([r["merkmal_gruppe"], r["merkmal"], int(r["jahr"]), float(r["wert"]), note])
    workbook.save(path)
    return path


def read_descriptor(folder: Path) -> dict[str, Any]:
    descriptor: dict[str, Any] = json.loads((folder / "datapackage.json").read_text("utf-8"))
    return descriptor


def write_descriptor(folder: Path, descriptor: dict[str, Any]) -> None:
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (folder / "datapackage.json").write_text(text, encoding="utf-8")


FIELD_TEXTS = {
    "kreis_kreisfreie_stadt": "Name des Kreises oder der kreisfreien Stadt wie in der Quelle.",
    "ags": "Amtlicher Gemeindeschlüssel des Kreises oder der kreisfreien Stadt.",
    "merkmal": "Gruppe, für die die Quote gilt.",
    "merkmalsgruppe": "Art des Merkmals, nach dem die Bevölkerung gegliedert ist.",
    "jahr": "Berichtsjahr.",
    VALUE: "Quote in Prozent der jeweiligen Bevölkerungsgruppe.",
    f"{VALUE}_status": "Zeichen der amtlichen Statistik zum Wert, leer wenn keines gilt.",
    "fussnote": "Fußnotenzeichen der Quelle.",
}


def fill_metadata(folder: Path, texts: dict[str, Any]) -> None:
    """What the data steward writes after ``init``: texts, coverage, units, categories."""
    descriptor = read_descriptor(folder)
    descriptor.update(
        {
            "homepage": "https://www.sozialberichte.nrw.de",
            "contributors": [
                {"title": "MAGS NRW", "roles": ["publisher"], "path": "https://www.mags.nrw"},
                {"title": "IT.NRW", "roles": ["producer"], "path": "https://www.it.nrw"},
            ],
            "x_attribution": "Datenquelle: IT.NRW, MAGS NRW; Datenlizenz Deutschland – "
            "Namensnennung – Version 2.0",
            "x_themes": ["SOCI"],
            "x_chapter": "7",
            "x_completeness": "complete",
            "x_accrual_periodicity": "ANNUAL",
            **texts,
        }
    )
    resource = descriptor["resources"][0]
    values = _column_values(folder / resource["path"])
    for field in resource["schema"]["fields"]:
        field["description"] = FIELD_TEXTS[field["name"]]
        if field["name"] == VALUE:
            field["x_unit"] = "%"
        if field["type"] == "string" and field["name"] in {"ags", "merkmal", "merkmalsgruppe"}:
            constraints = field.setdefault("constraints", {})
            constraints.pop("enum", None)
            field["categories"] = sorted(set(values[field["name"]]))
    if "ags" in values:
        descriptor["x_spatial"] = {
            "level": "administrativeDistrict",
            "keys": sorted(set(values["ags"])),
        }
    if "fussnote" in values:
        markers = {m for cell in values["fussnote"] if cell for m in cell.split(";")}
        descriptor["x_footnotes"] = [
            {"marker": marker, "text": f"Hinweis {marker} der Quelltabelle."}
            for marker in sorted(markers)
        ]
    write_descriptor(folder, descriptor)


def _column_values(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [row[name] for row in rows] for name in rows[0]}


SGB2_TEXTS = {
    "title": "SGB II-Hilfequoten von Kindern nach Kreisen in NRW, November 2021",
    "description": "Anteil der Kinder unter 18 Jahren (nach Altersgruppen) und aller Menschen "
    "unter der Regelaltersgrenze, die Leistungen nach dem SGB II beziehen, je Kreis und "
    "kreisfreier Stadt in Nordrhein-Westfalen (Testpaket der Veröffentlichungsstrecke).",
    "keywords": ["SGB II", "Kinderarmut", "Kreise"],
    "sources": [
        {"title": "Freie Wohlfahrtspflege NRW", "path": "https://freiewohlfahrtspflege-nrw.de"}
    ],
    "x_temporal": {"start": "2021-11", "end": "2021-11"},
}
ARM_TEXTS = {
    "title": "Armutsrisikoquoten nach Merkmalen in NRW 2005 bis 2019",
    "description": "Anteil der Menschen mit einem Einkommen unter der Armutsrisikoschwelle nach "
    "Geschlecht, Alter, Haushaltstyp, Erwerbsstatus und weiteren Merkmalen in "
    "Nordrhein-Westfalen (Testpaket der Veröffentlichungsstrecke).",
    "keywords": ["Armutsrisiko", "Armutsgefährdung"],
    "sources": [{"title": "IT.NRW, Mikrozensus", "path": "https://www.it.nrw"}],
    "x_temporal": {"start": "2005", "end": "2019"},
    "x_spatial": {"level": "state", "keys": ["05"]},
}


@pytest.fixture
def catalog_of_many(database_url: str, tmp_path: Path) -> str:
    """The database with every shipped package published, as a live service has it."""
    ok(run_cli(tmp_path, database_url, "publish", str(DATAPACKAGES)))
    return database_url


def client(url: str) -> "TestClient[Litestar]":
    settings = Settings(database_url=url, base_url="http://testserver.local", rate_limit_requests=0)
    return TestClient(create_app(settings))


def served_rows(http: "TestClient[Litestar]", name: str) -> list[dict[str, Any]]:
    """Every row of the dataset's one resource, following ``next`` links to the end."""
    resource = http.get(f"/api/v1/datasets/{name}").json()["resources"][0]["name"]
    url: str | None = f"/api/v1/datasets/{name}/resources/{resource}/rows?_size=100"
    rows: list[dict[str, Any]] = []
    while url:
        answer = http.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["rows"]
        url = body["next"]
    return rows


def shipped_ags() -> dict[str, str]:
    """Kreis name → AGS as the shipped package of the same table keys them."""
    path = DATAPACKAGES / "sgb2-hilfequoten-kinder-kreise" / "data"
    with (path / "sgb2-hilfequoten-kinder-kreise.csv").open(encoding="utf-8") as handle:
        return {r["kreis_kreisfreie_stadt"]: r["ags"] for r in csv.DictReader(handle)}


def assert_sgb2_served(rows: list[dict[str, Any]], source: list[dict[str, str]]) -> None:
    keys = shipped_ags()
    expected = {
        (keys[r["kreis_kreisfreie_stadt"]], r["merkmal"]): Decimal(r["wert"]) for r in source
    }
    served = {(r["ags"], r["merkmal"]): Decimal(str(r[VALUE])) for r in rows}
    assert served == expected


def assert_arm_served(rows: list[dict[str, Any]], source: list[dict[str, str]]) -> None:
    expected = {
        (r["merkmal_gruppe"], r["merkmal"], r["jahr"]): (Decimal(r["wert"]), r["fussnote"] or None)
        for r in source
    }
    served = {
        (r["merkmalsgruppe"], r["merkmal"], str(r["jahr"])): (
            Decimal(str(r[VALUE])),
            r["fussnote"],
        )
        for r in rows
    }
    assert served == expected


def test_publisher_adds_two_tables_and_fixes_a_value(
    catalog_of_many: str, tmp_path: Path, shared_data: Path
) -> None:
    url = catalog_of_many
    sgb2_source = source_rows(shared_data, SGB2_SOURCE)
    arm_source = source_rows(shared_data, ARM_SOURCE)
    raw_csv = write_german_csv(tmp_path / f"{SGB2}.csv", sgb2_source)
    raw_xlsx = write_workbook(tmp_path / f"{ARM}.xlsx", arm_source)
    with client(url) as http:
        shipped = {d["name"] for d in http.get("/api/v1/datasets?_size=100").json()["datasets"]}

    # 1-2: init, metadata, validate
    sgb2, arm = tmp_path / "pakete" / SGB2, tmp_path / "pakete" / ARM
    ok(
        run_cli(
            tmp_path, url, "init", str(raw_csv), "--out", str(sgb2), "--license", "dl-de-by-2.0"
        )
    )
    ok(
        run_cli(
            tmp_path, url, "init", str(raw_xlsx), "--out", str(arm), "--skip-rows", "1",
            "--license", "dl-de-by-2.0",
        )
    )  # fmt: skip
    header = (sgb2 / "data" / f"{SGB2}.csv").read_text("utf-8").splitlines()[0]
    assert header.split(",")[:2] == ["kreis_kreisfreie_stadt", "ags"]
    not_yet = run_cli(tmp_path, url, "validate", str(sgb2))
    assert not_yet.returncode == 1
    assert "metadata-missing" in not_yet.stdout
    fill_metadata(sgb2, SGB2_TEXTS)
    fill_metadata(arm, ARM_TEXTS)
    ok(run_cli(tmp_path, url, "validate", str(sgb2), str(arm)))

    # 3: the plan first, then publish only the two new packages
    before = table_digests(url)
    plan = ok(run_cli(tmp_path, url, "publish", "--dry-run", str(sgb2), str(arm)))
    assert f"neu:          {SGB2} ({len(sgb2_source)} Zeilen)" in plan
    assert f"neu:          {ARM} ({len(arm_source)} Zeilen)" in plan
    assert "zurückgezogen" not in plan
    assert table_digests(url) == before
    ok(run_cli(tmp_path, url, "publish", str(sgb2), str(arm)))
    with client(url) as http:
        listed = {d["name"] for d in http.get("/api/v1/datasets?_size=100").json()["datasets"]}
        assert listed == shipped | {SGB2, ARM}
        assert_sgb2_served(served_rows(http, SGB2), sgb2_source)
        assert_arm_served(served_rows(http, ARM), arm_source)

    fix_a_value_and_publish_again(url, tmp_path, sgb2, (shipped, sgb2_source, arm_source))


def fix_a_value_and_publish_again(
    url: str,
    tmp_path: Path,
    sgb2: Path,
    expected: tuple[set[str], list[dict[str, str]], list[dict[str, str]]],
) -> None:
    """Step 4: a value is corrected in the data file; refresh keeps the metadata."""
    shipped, sgb2_source, arm_source = expected
    data = sgb2 / "data" / f"{SGB2}.csv"
    lines = data.read_text("utf-8").splitlines(keepends=True)
    wrong = next(i for i, line in enumerate(lines) if line.startswith('"Bochum, Stadt"'))
    cells = next(csv.reader([lines[wrong]]))
    corrected = str(Decimal(cells[3]) + Decimal("0.1"))
    cells[3] = corrected
    lines[wrong] = ",".join(f'"{c}"' if "," in c else c for c in cells) + "\n"
    data.write_text("".join(lines), encoding="utf-8")
    kept = {k: v for k, v in read_descriptor(sgb2).items() if k != "resources"}
    refreshed_out = ok(run_cli(tmp_path, url, "refresh", str(sgb2)))
    assert "Datei geändert" in refreshed_out
    assert "alle übrigen Metadaten bleiben erhalten" in refreshed_out
    refreshed = read_descriptor(sgb2)
    assert {k: v for k, v in refreshed.items() if k != "resources"} == kept
    ok(run_cli(tmp_path, url, "validate", str(sgb2)))
    ok(run_cli(tmp_path, url, "publish", str(sgb2)))

    bochum = ("05911", cells[2])
    fixed = [
        {**r, "wert": corrected}
        if (shipped_ags()[r["kreis_kreisfreie_stadt"]], r["merkmal"]) == bochum
        else r
        for r in sgb2_source
    ]
    with client(url) as http:
        listed = {d["name"] for d in http.get("/api/v1/datasets?_size=100").json()["datasets"]}
        assert listed == shipped | {SGB2, ARM}
        assert_sgb2_served(served_rows(http, SGB2), fixed)
        assert_arm_served(served_rows(http, ARM), arm_source)
        changes = http.get("/api/v1/changes").json()
    item = next(i for i in changes["items"] if i["_opendata_sozial"]["dataset"] == SGB2)
    rows_url = item["_opendata_sozial"]["rows_url"].removeprefix("http://testserver.local")
    with client(url) as http:
        listed = http.get(rows_url).json()
    assert listed["counts"]["changed"] == 1
    assert [r["key"]["ags"] for r in listed["rows"]] == ["05911"]
    assert listed["rows"][0]["new"] == {VALUE: float(corrected)}
