"""The real command line as a subprocess, for tests that act as a publisher would."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CATALOG_FILE, DATAPACKAGES, GEOGRAPHY


def run_cli(
    cwd: Path, *args: str, url: str | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """``python -m opendata_sozial --catalog … ARGS`` in ``cwd``; no inherited ``ODS_`` settings.

    With ``url`` the database is ``url`` and referenced packages are found in datapackages/
    and geography/ (nrw-regionen, koeln-gebiete); wide
    ``COLUMNS`` keep rich from wrapping messages.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("ODS_")}
    env["COLUMNS"] = "1000"
    if url is not None:
        env.update(
            {
                "ODS_DATABASE_URL": url,
                "ODS_DATAPACKAGES_DIR": str(DATAPACKAGES),
                "ODS_GEOGRAPHY_PACKAGES_DIR": str(GEOGRAPHY),
            }
        )
    return subprocess.run(
        [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """The standard output of a command that must succeed (else both outputs in the failure)."""
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout
