"""The read-only commands `list` and `info` on the shipped packages."""

import subprocess
import sys

from tests.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env_cmd = [sys.executable, "-m", "opendata_sozial", *args]
    return subprocess.run(
        env_cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"COLUMNS": "200", "PATH": ""},
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


def test_info_unknown_package_names_the_valid_ones() -> None:
    result = _run("info", "gibtsnicht")
    assert result.returncode == 1
    assert "lebensformen" in result.stderr
    assert "Traceback" not in result.stderr
