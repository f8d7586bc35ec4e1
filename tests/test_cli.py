"""The read-only commands `list` and `info` on the shipped packages."""

import json
import subprocess
import sys

from tests.conftest import DATAPACKAGES, ROOT


def _run(*args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env_cmd = [sys.executable, "-m", "opendata_sozial", *args]
    return subprocess.run(
        env_cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"COLUMNS": str(columns), "PATH": ""},
    )


def test_list_shows_every_package_with_period() -> None:
    result = _run("list")
    assert result.returncode == 0, result.stderr
    assert "armutsrisikoquoten-merkmale" in result.stdout
    assert "2005–2019" in result.stdout
    assert result.stdout.count("\n") >= 27


def test_info_shows_metadata_footnotes_and_fields() -> None:
    result = _run("info", "lebensformen")
    assert result.returncode == 0, result.stderr
    assert "Fußnote *):" in result.stdout
    assert "wert_status" in result.stdout
    assert "Namensnennung:" in result.stdout


def test_list_into_a_pipe_cuts_nothing_even_on_a_narrow_terminal() -> None:
    result = _run("list", columns=40)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Name\tTitel\tZeitraum\tKapitel"
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    packages = sorted(p.parent for p in DATAPACKAGES.glob("*/datapackage.json"))
    assert sorted(rows) == [p.name for p in packages]
    for folder in packages:
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        assert rows[folder.name][1] == descriptor["title"]
        assert len(rows[folder.name]) == 4


def test_info_unknown_package_is_a_user_error_naming_the_valid_ones() -> None:
    result = _run("info", "gibtsnicht")
    assert result.returncode == 1  # as every user error of the CLI (validate, init, publish)
    assert "Paket 'gibtsnicht' gibt es in" in result.stderr
    assert "lebensformen" in result.stderr
    assert "internal-error" not in result.stderr
    assert "dataset-not-found" in result.stderr
    assert "Traceback" not in result.stderr
