"""Region keys without hand work: ``init`` adds the AGS, ``validate`` checks keys by period.

``init`` reads a German Excel-style CSV with NRW region names in the usual spellings and adds
the key column from ``nrw-regionen``; names it cannot map to exactly one unit are an error that
lists the candidates. ``validate`` and ``publish`` refuse a key outside its validity (the former
Kreis Aachen 05354 and kreisfreie Stadt Aachen 05313, replaced by the Städteregion Aachen 05334
on 21 October 2009), in key columns and in ``x_spatial``.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.cli import cli
from opendata_sozial.errors import SourceError
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.ingest.regions import RegionNameError, split_name
from opendata_sozial.ingest.scaffold import ScaffoldOptions, scaffold_package
from opendata_sozial.ingest.validate import validate_paths
from tests.conftest import CATALOG_FILE, DATAPACKAGES
from tests.table_digest import table_digests

REGIONAL = DATAPACKAGES / "altersstruktur-kreisfreie-staedte"
REGIONAL_CSV = "data/altersstruktur-kreisfreie-staedte.csv"


def _init(tmp_path: Path, lines: list[str], name: str = "kreistabelle") -> Path:
    """Run ``init`` on a cp1252, semicolon-separated table (as Excel saves it)."""
    source = tmp_path / f"{name}.csv"
    source.write_bytes("\r\n".join(lines).encode("cp1252"))
    return scaffold_package(source, tmp_path / "out", ScaffoldOptions(), packages_dir=DATAPACKAGES)


def _rows(folder: Path, name: str = "kreistabelle") -> list[list[str]]:
    with (folder / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


# init --------------------------------------------------------------------------------------


def test_init_adds_ags_column_for_kreis_names_in_varied_spellings(tmp_path: Path) -> None:
    folder = _init(
        tmp_path,
        [
            "Kreis/kreisfreie Stadt;Jahr;Leistungsbezieher",
            "Nordrhein-Westfalen;2015;1 234 567",
            "Reg.-Bez. Köln;2015;300 000",
            "Regierungsbezirk Düsseldorf;2015;400 000",
            "Köln, Stadt;2015;12 345",
            "Kreisfreie Stadt Düsseldorf;2015;9 876",
            "Duisburg, kreisfreie Stadt;2015;8 765",
            "Aachen, Städteregion;2015;5 432",
            "StädteRegion Aachen;2016;5 500",
            "Rhein-Sieg-Kreis;2015;4 321",
            "Mülheim an der Ruhr;2015;3 210",
            "Mülheim a.d. Ruhr;2016;3 300",
            "Mülheim a. d. Ruhr;2017;3 400",
            "Kreis Kleve;2015;2 109",
            "Kleve, Kreis;2016;2 200",
            "Moenchengladbach;2015;1 098",
            "Dueren;2015;987",
            "Märkischer Kreis;2015;876",
            "Gütersloh;2015;765",
            "Solingen, Klingenstadt;2015;654",
            "Hagen, Stadt der FernUniversität;2015;543",
        ],
    )
    rows = _rows(folder)
    assert rows[0] == [
        "kreis_kreisfreie_stadt",
        "ags",
        "jahr",
        "leistungsbezieher",
        "leistungsbezieher_status",
    ]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("Nordrhein-Westfalen", "05"),
        ("Reg.-Bez. Köln", "053"),
        ("Regierungsbezirk Düsseldorf", "051"),
        ("Köln, Stadt", "05315"),
        ("Kreisfreie Stadt Düsseldorf", "05111"),
        ("Duisburg, kreisfreie Stadt", "05112"),
        ("Aachen, Städteregion", "05334"),
        ("StädteRegion Aachen", "05334"),
        ("Rhein-Sieg-Kreis", "05382"),
        ("Mülheim an der Ruhr", "05117"),
        ("Mülheim a.d. Ruhr", "05117"),
        ("Mülheim a. d. Ruhr", "05117"),
        ("Kreis Kleve", "05154"),
        ("Kleve, Kreis", "05154"),
        ("Moenchengladbach", "05116"),
        ("Dueren", "05358"),
        ("Märkischer Kreis", "05962"),
        ("Gütersloh", "05754"),
        ("Solingen, Klingenstadt", "05122"),
        ("Hagen, Stadt der FernUniversität", "05914"),
    ]
    assert rows[4][2:] == ["2015", "12345", ""]  # the other columns are read as before
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["x_foreign_keys"] == [
        {
            "resource": "kreistabelle",
            "fields": ["ags"],
            "reference": {"package": "nrw-regionen", "resource": "regionen", "fields": ["ags"]},
        }
    ]
    assert descriptor["x_spatial"] == {
        "level": "administrativeDistrict",
        "keys": sorted({row[1] for row in rows[1:]}),
    }
    fields = descriptor["resources"][0]["schema"]["fields"]
    assert fields[1] == {"name": "ags", "type": "string", "title": "Amtlicher Regionalschlüssel"}


def test_init_maps_gemeinde_names_to_eight_digit_keys(tmp_path: Path) -> None:
    folder = _init(
        tmp_path,
        [
            "Gemeinde;Anzahl",
            "Ahaus;1",
            "Jüchen, Stadt;2",
            "Langenfeld (Rheinland);3",
            "Kleve, Stadt;4",
            "Schloss Holte-Stukenbrock;5",
            "Köln;6",
            "Düsseldorf;7",
        ],
        name="gemeinden",
    )
    assert [(row[0], row[1]) for row in _rows(folder, "gemeinden")[1:]] == [
        ("Ahaus", "05554004"),
        ("Jüchen, Stadt", "05162012"),
        ("Langenfeld (Rheinland)", "05158020"),
        ("Kleve, Stadt", "05154036"),
        ("Schloss Holte-Stukenbrock", "05754036"),
        ("Köln", "05315000"),
        ("Düsseldorf", "05111000"),  # namensvarianten ties it to 05111, the Kreis level
    ]
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["x_spatial"]["level"] == "municipality"


def test_init_refuses_ambiguous_and_unknown_names_listing_candidates(tmp_path: Path) -> None:
    with pytest.raises(RegionNameError) as caught:
        _init(
            tmp_path,
            [
                "Region;Jahr;Anzahl",
                "Köln;2007;1",
                "Aachen;2007;2",
                "Düsseldorf;2007;3",
                "Herfort;2007;4",
                "Kölle am Rhein;2007;5",
                "Aachen, Kreis;2007;6",
            ],
        )
    assert str(caught.value) == (
        "kreistabelle.csv: Spalte 'Region' enthält NRW-Regionsnamen (Kreisebene), aber 3 lassen "
        "sich keinem Schlüssel eindeutig zuordnen: "
        "'Aachen' (Zeile 3) ist mehrdeutig: 05313 Aachen, kreisfreie Stadt (bis 20.10.2009); "
        "05354 Aachen, Kreis (bis 20.10.2009) | "
        "'Herfort' (Zeile 5) ist unbekannt, ähnlich: 05758 Herford | "
        "'Kölle am Rhein' (Zeile 6) ist unbekannt, kein ähnlicher Name. "
        "Namen in der Quelldatei eindeutig schreiben (z. B. „Kreis Kleve“, „Köln, Stadt“, "
        "„Städteregion Aachen“) oder die Schreibweise in nrw-regionen/namensvarianten ergänzen"
    )
    assert not (tmp_path / "out").exists()  # nothing written
    assert isinstance(caught.value, SourceError)  # the command line ends with exit code 1


def test_init_command_line_names_the_one_ambiguous_name(tmp_path: Path) -> None:
    """The real command line (as in test_init.py): exit 1, one error line, nothing written."""
    source = tmp_path / "kreise.csv"
    source.write_text("Region;Jahr;Anzahl\nKöln;2007;1\nAachen;2007;2\nDüsseldorf;2007;3\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ODS_")}
    env |= {"COLUMNS": "1000", "ODS_DATAPACKAGES_DIR": str(DATAPACKAGES)}
    command = [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE), "init"]
    result = subprocess.run(
        [*command, str(source), "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Fehler")]
    assert errors == [
        "Fehler (region-name-unmatched): kreise.csv: Spalte 'Region' enthält NRW-Regionsnamen "
        "(Kreisebene), aber 1 lässt sich keinem Schlüssel eindeutig zuordnen: 'Aachen' (Zeile 3) "
        "ist mehrdeutig: 05313 Aachen, kreisfreie Stadt (bis 20.10.2009); 05354 Aachen, Kreis "
        "(bis 20.10.2009). Namen in der Quelldatei "
        "eindeutig schreiben (z. B. „Kreis Kleve“, „Köln, Stadt“, „Städteregion Aachen“) oder die "
        "Schreibweise in nrw-regionen/namensvarianten ergänzen"
    ]
    assert not (tmp_path / "out").exists()


def test_init_matches_aachen_by_the_year_of_the_row(tmp_path: Path) -> None:
    """Of several units only those valid in the row's year count; a former kreisfreie Stadt
    named after its end is the Gemeinde, as the Regionaldatenbank lists it beside the Kreise."""
    folder = _init(
        tmp_path,
        [
            "Region;Jahr;Anzahl",
            "Aachen;2015;1",
            "Aachen, Stadt;2023;2",
            "Aachen, Stadt;2007;3",
            "Aachen, Kreis;2007;4",
            "Köln, Stadt;2015;5",
            "Kreis Düren;2015;6",
        ],
    )
    assert [(row[0], row[1], row[2]) for row in _rows(folder)[1:]] == [
        ("Aachen", "05334", "2015"),
        ("Aachen, Stadt", "05334002", "2023"),
        ("Aachen, Stadt", "05313", "2007"),
        ("Aachen, Kreis", "05354", "2007"),
        ("Köln, Stadt", "05315", "2015"),
        ("Kreis Düren", "05358", "2015"),
    ]


def test_init_without_a_year_lists_every_aachen(tmp_path: Path) -> None:
    with pytest.raises(RegionNameError) as caught:
        _init(tmp_path, ["Region;Anzahl", "Köln;1", "Aachen;2", "Düsseldorf;3"])
    assert (
        "'Aachen' (Zeile 3) ist mehrdeutig: 05334 Städteregion Aachen (seit 21.10.2009); "
        "05313 Aachen, kreisfreie Stadt (bis 20.10.2009); 05354 Aachen, Kreis (bis 20.10.2009)."
    ) in str(caught.value)


def test_init_keeps_a_key_outside_its_validity_for_validate_to_name(tmp_path: Path) -> None:
    """The only unit of a name is its match even in the wrong year; validate then says why."""
    folder = _init(tmp_path, ["Region;Jahr;Anzahl", "Aachen, Kreis;2015;1", "Köln;2015;2"])
    assert [row[1] for row in _rows(folder)[1:]] == ["05354", "05315"]


def test_init_leaves_a_table_of_laender_alone(tmp_path: Path) -> None:
    folder = _init(
        tmp_path,
        ["Land;Quote", "Bayern;11,9", "Nordrhein-Westfalen;18,1", "Berlin;19,4", "Hessen;15,8"],
        name="laender",
    )
    assert _rows(folder, "laender")[0] == ["land", "quote", "quote_status"]
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert "x_foreign_keys" not in descriptor


@pytest.mark.parametrize(
    ("file", "time"),
    [
        ("regional/nrw_kreise_arbeitslose_13211-02-05-4_2023_2025.csv", "jahr"),
        ("regional/nrw_kreise_bevoelkerung_altersgruppen_12411-02-03-4_2023_2024.csv", "stichtag"),
        ("regional/nrw_kreise_verfuegbares_einkommen_82411-01-03-4_2021.csv", "jahr"),
    ],
)
def test_init_finds_the_official_keys_of_the_regionaldatenbank_tables(
    tmp_path: Path, shared_data: Path, file: str, time: str
) -> None:
    """The Regionaldatenbank tables in shared/data carry their own keys: init, given only the
    names ("Kleve, Kreis", "Köln, kreisfreie Stadt", "Städteregion Aachen, Kreis",
    "Düsseldorf, Regierungsbezirk", "Aachen, Stadt" …), finds the same key in every row."""
    with (shared_data / file).open(encoding="utf-8", newline="") as handle:
        source = list(csv.DictReader(handle))
    header = f"Region;{time.capitalize()};Wert"  # "Jahr" is read as year, "Stichtag" as date
    # a German export: decimal comma (init reads `14.9` in such a file as a mistyped number)
    lines = [header] + [f"{r['region']};{r[time]};{r['wert'].replace('.', ',')}" for r in source]
    folder = _init(tmp_path, lines)
    assert [row[1] for row in _rows(folder)[1:]] == [r["ags"] for r in source]


def test_init_finds_the_keys_of_the_hand_made_name_table(tmp_path: Path, shared_data: Path) -> None:
    """The three regional report tables get the keys the seed packages hold (built by hand
    through scripts/seed/region_names.csv)."""
    for name in [
        "altersstruktur-kreisfreie-staedte",
        "grundsicherung-sitz-des-traegers",
        "sgb2-hilfequoten-kinder-kreise",
    ]:
        with (DATAPACKAGES / name / "data" / f"{name}.csv").open(encoding="utf-8") as handle:
            shipped = list(csv.reader(handle))
        at = shipped[0].index("ags")
        lines = ["Region;Anzahl"] + [f"{row[at - 1]};1" for row in shipped[1:]]
        (tmp_path / name).mkdir()
        folder = _init(tmp_path / name, lines)
        assert [row[1] for row in _rows(folder)[1:]] == [row[at] for row in shipped[1:]], name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Köln, Stadt", ("koeln", "stadt")),
        ("Kreisfreie Stadt Köln", ("koeln", "stadt")),
        ("Köln, kreisfreie Stadt", ("koeln", "stadt")),
        ("Köln-Stadt", ("koeln", "stadt")),
        ("Aachen, Städteregion", ("aachen", "staedteregion")),
        ("StädteRegion Aachen", ("aachen", "staedteregion")),
        ("Städteregion Aachen, Kreis", ("aachen", "staedteregion")),
        ("Rhein-Sieg-Kreis", ("rhein sieg", "kreis")),
        ("Mülheim a.d. Ruhr", ("muelheim an der ruhr", None)),
        ("Kreis Kleve", ("kleve", "kreis")),
        ("Kleve, Kreis", ("kleve", "kreis")),
        ("Reg.-Bez. Köln", ("koeln", "rb")),
        ("Köln, Regierungsbezirk", ("koeln", "rb")),
        ("NRW", ("nordrhein westfalen", None)),
    ],
)
def test_name_spellings_fold_to_one_form(name: str, expected: tuple[str, str | None]) -> None:
    assert split_name(name) == expected


# validate: keys and their validity ---------------------------------------------------------


def _regional(
    tmp_path: Path, year: int, keys: dict[int, str], spatial: list[str] | None = None
) -> Path:
    """A copy of the Kreis table of 2008 moved to ``year``, with keys set per CSV line."""
    folder = tmp_path / REGIONAL.name
    shutil.copytree(REGIONAL, folder)
    path = folder / REGIONAL_CSV
    lines = path.read_text(encoding="utf-8").split("\n")
    for number in range(1, len(lines)):
        if lines[number]:
            lines[number] = lines[number].replace("2008,", f"{year},", 1)
    for number, key in keys.items():
        cells = lines[number - 1].split(",")
        cells[3] = key
        lines[number - 1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8", newline="")
    descriptor: dict[str, Any] = json.loads((folder / "datapackage.json").read_text("utf-8"))
    descriptor["x_temporal"] = {"start": str(year), "end": str(year)}
    if spatial is not None:
        descriptor["x_spatial"]["keys"] = spatial
    resource = descriptor["resources"][0]
    resource["hash"], resource["bytes"] = file_digest(path)
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (folder / "datapackage.json").write_text(text, encoding="utf-8")
    return folder


def _errors(folder: Path, catalog: CatalogInfo) -> list[tuple[str, int | None, str | None, str]]:
    report = validate_paths([folder], catalog, reference_dirs=[DATAPACKAGES])
    return [(i.code, i.row, i.field, i.message) for i in report.errors()]


def test_table_of_2007_validates_with_the_keys_of_2007(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    folder = _regional(tmp_path, 2007, {2: "05354", 3: "05313"})
    assert _errors(folder, catalog) == []


def test_table_of_2008_with_current_keys_is_unchanged_and_valid(catalog: CatalogInfo) -> None:
    assert _errors(REGIONAL, catalog) == []


def test_former_key_after_its_end_names_row_year_and_successor(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    folder = _regional(tmp_path, 2015, {2: "05354", 5: "05313"})
    assert _errors(folder, catalog) == [
        (
            "region-key-period",
            2,
            "ags",
            "Schlüssel 05354 (Aachen, Kreis) galt nur bis 20.10.2009, die Angabe "
            "betrifft 2015; Nachfolger ist 05334 Städteregion Aachen",
        ),
        (
            "region-key-period",
            5,
            "ags",
            "Schlüssel 05313 (Aachen, kreisfreie Stadt) galt nur bis 20.10.2009, die "
            "Angabe betrifft 2015; Nachfolger ist 05334 Städteregion Aachen",
        ),
    ]


def test_new_key_before_its_start_names_the_former_keys(
    tmp_path: Path, catalog: CatalogInfo
) -> None:
    folder = _regional(tmp_path, 2007, {4: "05334"})
    assert _errors(folder, catalog) == [
        (
            "region-key-period",
            4,
            "ags",
            "Schlüssel 05334 (Städteregion Aachen) gilt erst ab 21.10.2009, die Angabe "
            "betrifft 2007; vorher galten 05313 Aachen, kreisfreie Stadt, 05354 Aachen, Kreis",
        )
    ]


def test_year_2009_accepts_old_and_new_keys(tmp_path: Path, catalog: CatalogInfo) -> None:
    """Data for 2009 may be on either side of 21 October: both keys held that year."""
    folder = _regional(tmp_path, 2009, {2: "05354", 3: "05334"})
    assert _errors(folder, catalog) == []


def test_x_spatial_keys_are_checked_like_column_keys(tmp_path: Path, catalog: CatalogInfo) -> None:
    folder = _regional(tmp_path, 2007, {}, spatial=["05111", "05334", "05999"])
    assert _errors(folder, catalog) == [
        (
            "region-key-period",
            None,
            "x_spatial.keys",
            "Schlüssel 05334 (Städteregion Aachen) gilt erst ab 21.10.2009, die Angabe betrifft "
            "2007; vorher galten 05313 Aachen, kreisfreie Stadt, 05354 Aachen, Kreis",
        ),
        (
            "region-key-unknown",
            None,
            "x_spatial.keys",
            "Regionalschlüssel 05999 in x_spatial fehlt in nrw-regionen",
        ),
    ]


def test_x_spatial_former_key_after_its_end(tmp_path: Path, catalog: CatalogInfo) -> None:
    folder = _regional(tmp_path, 2015, {}, spatial=["05111", "05354"])
    assert _errors(folder, catalog) == [
        (
            "region-key-period",
            None,
            "x_spatial.keys",
            "Schlüssel 05354 (Aachen, Kreis) galt nur bis 20.10.2009, die Angabe betrifft 2015; "
            "Nachfolger ist 05334 Städteregion Aachen",
        )
    ]


# publish refuses, and the database stays as it was -----------------------------------------


def _publish_cli(url: str, folder: Path) -> tuple[int, str, BaseException | None]:
    env = {"ODS_DATABASE_URL": url, "ODS_DATAPACKAGES_DIR": str(DATAPACKAGES), "COLUMNS": "250"}
    result = CliRunner().invoke(
        cli, ["--catalog", str(CATALOG_FILE), "publish", str(folder)], env=env
    )
    return result.exit_code, result.output, result.exception


@pytest.mark.parametrize(
    "broken",
    [
        lambda tmp: _regional(tmp, 2015, {2: "05354"}),
        lambda tmp: _regional(tmp, 2007, {4: "05334"}),
        lambda tmp: _regional(tmp, 2007, {}, spatial=["05334"]),
    ],
    ids=["former-key-2015", "new-key-2007", "x-spatial-2007"],
)
def test_publish_refuses_key_outside_its_validity_and_changes_nothing(
    published_url: str, tmp_path: Path, broken: Callable[[Path], Path]
) -> None:
    folder = broken(tmp_path)
    before = table_digests(published_url)
    exit_code, output, exception = _publish_cli(published_url, folder)
    assert exit_code == 1, output
    assert isinstance(exception, SystemExit), exception
    assert "Traceback" not in output
    assert "Nicht veröffentlicht" in output
    assert "region-key-period" in output
    assert table_digests(published_url) == before
