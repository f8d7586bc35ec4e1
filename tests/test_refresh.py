"""`opendata-sozial refresh`: new size, hash, columns and types from the data file; metadata kept."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from opendata_sozial.ingest.file_facts import file_digest
from tests.conftest import CATALOG_FILE, DATAPACKAGES


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE), *args],
        cwd=cwd,
        env={
            "PATH": "/usr/bin:/bin",
            "ODS_DATAPACKAGES_DIR": str(DATAPACKAGES),
            "ODS_DATABASE_URL": f"sqlite:///{cwd / 'none.sqlite'}",
            "COLUMNS": "1000",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def copy(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "lebensformen"
    shutil.copytree(DATAPACKAGES / "lebensformen", folder)
    return folder, folder / "data" / "lebensformen.csv"


def descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def without_files(d: dict) -> dict:
    return {**d, "resources": [{**r, "hash": None, "bytes": None} for r in d["resources"]]}


def test_a_corrected_value_gets_a_new_hash_and_keeps_every_metadata_field(tmp_path: Path) -> None:
    folder, data = copy(tmp_path)
    before = descriptor(folder)
    data.write_text(data.read_text(encoding="utf-8").replace(",2123,", ",2124,"), encoding="utf-8")
    stale = cli(tmp_path, "validate", str(folder))
    assert stale.returncode == 1
    done = cli(tmp_path, "refresh", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lebensformen: Datei geändert (data/lebensformen.csv, 5713 → 5713 Bytes, 80 Zeilen)" in (
        done.stdout
    )
    after = descriptor(folder)
    assert (after["resources"][0]["hash"], after["resources"][0]["bytes"]) == file_digest(data)
    assert without_files(after) == without_files(before)
    assert after["resources"][0]["hash"] != before["resources"][0]["hash"]
    again = cli(tmp_path, "refresh", str(folder))
    assert "nichts zu tun" in again.stdout
    assert descriptor(folder) == after


def test_dry_run_only_reports(tmp_path: Path) -> None:
    folder, data = copy(tmp_path)
    before = (folder / "datapackage.json").read_bytes()
    data.write_text(data.read_text(encoding="utf-8").replace(",2123,", ",2124,"), encoding="utf-8")
    done = cli(tmp_path, "refresh", "--dry-run", str(folder))
    assert done.returncode == 0, done.stderr
    assert "Probelauf (--dry-run): der Deskriptor bleibt unverändert." in done.stdout
    assert (folder / "datapackage.json").read_bytes() == before


def test_new_and_dropped_columns_and_decimals_in_an_integer_column(tmp_path: Path) -> None:
    folder = tmp_path / "verbraucherinsolvenzen"
    shutil.copytree(DATAPACKAGES / "verbraucherinsolvenzen", folder)
    data = folder / "data" / "verbraucherinsolvenzen.csv"
    before = descriptor(folder)
    rows = [line.split(",") for line in data.read_text(encoding="utf-8").splitlines()]
    rows[0] = [*rows[0][:-1], "quelle_seite"]  # einheit dropped, a page number added
    rows[1:] = [[*cells[:-1], "17"] for cells in rows[1:]]
    rows[1][2] = "2387.5"
    data.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    done = cli(tmp_path, "refresh", str(folder))
    assert "verbraucherinsolvenzen: neue Spalte quelle_seite" in done.stdout
    assert "verbraucherinsolvenzen: Spalte einheit entfällt" in done.stdout
    assert "verbraucherinsolvenzen: Spalte wert jetzt number statt integer" in done.stdout
    fields = {f["name"]: f for f in descriptor(folder)["resources"][0]["schema"]["fields"]}
    assert list(fields) == ["jahr", "merkmal", "wert", "wert_status", "quelle_seite"]
    assert fields["quelle_seite"] == {
        "name": "quelle_seite",
        "type": "integer",
        "title": "quelle_seite",
    }
    assert fields["wert"]["type"] == "number"
    old = {f["name"]: f for f in before["resources"][0]["schema"]["fields"]}
    assert fields["jahr"] == old["jahr"]
    assert fields["merkmal"] == old["merkmal"]


def test_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    folder, data = copy(tmp_path)
    data.unlink()
    done = cli(tmp_path, "refresh", str(folder))
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"Nicht aktualisiert: {data}: Datendatei fehlt (Pfad aus datapackage.json)"
    )
