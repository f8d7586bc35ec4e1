"""The command lines of the README: ``make serve`` publishes, then serves over real HTTP."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import frictionless
import pytest

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.cli import base_url_mismatch
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.services.publish import publish
from tests.conftest import DATAPACKAGES, ROOT
from tests.servers import get, serving

WARNING = "Warnung: ODS_BASE_URL="
ANY = "0.0.0.0"  # noqa: S104  # only compared with, never bound


def _without_base_url() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.upper() != "ODS_BASE_URL"}


def test_make_serve_publishes_and_links_to_the_port_it_serves(
    database_url: str, tmp_path: Path
) -> None:
    """``make serve PORT=…`` as the README says; the links follow PORT (they stayed on 8000).

    ``-o .venv/.installed`` and ``BIN`` make the recipe use this interpreter's environment
    without reinstalling it; the recipe's own commands (publish, serve) run unchanged.
    """
    env = {**_without_base_url(), "ODS_DATABASE_URL": database_url}
    make = ["make", "--no-print-directory", "-o", ".venv/.installed", "serve"]
    bin_dir = Path(sys.executable).parent
    with serving(lambda port: [*make, f"PORT={port}", f"BIN={bin_dir}"], env, tmp_path) as port:
        base = f"http://127.0.0.1:{port}"
        status, body = get(f"{base}/api/v1/datasets")
        assert status == 200
        assert json.loads(body)["total"] == _shipped()
        names = [item["name"] for item in json.loads(body)["datasets"]]
        status, descriptor = get(f"{base}/api/v1/datasets/{names[0]}/datapackage.json")
        assert status == 200
        assert f'"{base}/api/v1/datasets/{names[0]}/' in descriptor.decode()
        assert ":8000/" not in descriptor.decode()
        for name in names:  # every resource path is an absolute link that must answer
            remote = frictionless.Package(f"{base}/api/v1/datasets/{name}/datapackage.json")
            report = remote.validate()
            assert report.valid, (name, report.flatten(["rowNumber", "fieldName", "type", "note"]))
    assert f"Release 1: {_shipped()} Datensätze" in (tmp_path / "stdout").read_text(
        encoding="utf-8"
    )
    assert WARNING not in (tmp_path / "stderr").read_text(encoding="utf-8")


def _shipped() -> int:
    """The packages ``make serve`` publishes: the tables and the boundaries."""
    folders = [DATAPACKAGES, ROOT / "geography"]
    return sum(len(list(folder.glob("*/datapackage.json"))) for folder in folders)


def _serve_on_taken_port(base_url: str, host: str, tmp_path: Path) -> str:
    """stderr of ``serve`` on a port another socket listens on: it warns (or not), then exits.

    The server never comes up, so nothing has to be stopped; uvicorn exits when it cannot bind.
    """
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        sqlite3.connect(tmp_path / "ods.sqlite").close()  # serve refuses a missing database
        env = {
            **os.environ,
            "ODS_DATABASE_URL": f"sqlite:///{tmp_path / 'ods.sqlite'}",
            "ODS_BASE_URL": base_url.format(port=port),
        }
        result = subprocess.run(
            [sys.executable, "-m", "opendata_sozial", "serve", "--host", host, "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert "address already in use" in result.stderr
    return result.stderr


def test_serve_warns_in_one_line_when_the_base_url_names_another_port(tmp_path: Path) -> None:
    stderr = _serve_on_taken_port("http://127.0.0.1:8000", "127.0.0.1", tmp_path)
    [line] = [line for line in stderr.splitlines() if "ODS_BASE_URL" in line]
    port = stderr.split("lauscht auf ")[1].split(";")[0]
    assert line == (
        f"{WARNING}http://127.0.0.1:8000 zeigt auf Port 8000, der Server lauscht auf {port}; "
        "absolute Links führen dorthin (richtig hinter einem Proxy, sonst ODS_BASE_URL anpassen)."
    )


def test_serve_does_not_warn_when_the_base_url_matches(tmp_path: Path) -> None:
    stderr = _serve_on_taken_port("http://localhost:{port}", "127.0.0.1", tmp_path)
    assert "ODS_BASE_URL" not in stderr


@pytest.mark.parametrize(
    ("base_url", "host", "port", "problem"),
    [
        ("http://127.0.0.1:8790", "127.0.0.1", 8790, None),
        ("http://localhost:8790/", "::1", 8790, None),
        ("http://[::1]:8790", "::1", 8790, None),
        ("http://localhost:8000", ANY, 8000, None),  # the Dockerfile's
        ("http://daten.example.org:8000", ANY, 8000, None),
        ("http://daten.example.org", ANY, 80, None),
        ("http://127.0.0.1:8000", "127.0.0.1", 8790, "zeigt auf Port 8000, der Server lauscht auf 8790"),
        ("https://daten.example.org", "127.0.0.1", 8000, "zeigt auf Port 443, der Server lauscht auf 8000"),
        ("http://daten.example.org:8000", "127.0.0.1", 8000, "zeigt auf daten.example.org, der Server lauscht auf 127.0.0.1"),
        ("http://127.0.0.1:80a", "127.0.0.1", 8000, "ist keine http(s)-Adresse"),
        ("127.0.0.1:8000", "127.0.0.1", 8000, "ist keine http(s)-Adresse"),
    ],
)  # fmt: skip
def test_base_url_mismatch(base_url: str, host: str, port: int, problem: str | None) -> None:
    found = base_url_mismatch(base_url, host, port)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_publish_refuses_invalid_package_with_exit_1(tmp_path: Path) -> None:
    env = {**os.environ, "ODS_DATABASE_URL": f"sqlite:///{tmp_path / 'ods.sqlite'}"}
    result = subprocess.run(
        [sys.executable, "-m", "opendata_sozial", "publish", str(tmp_path / "missing")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "descriptor-missing" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_log_level_warning_turns_the_access_log_off(tmp_path: Path, catalog: CatalogInfo) -> None:
    """docs/deployment.md advises ``ODS_LOG_LEVEL=WARNING`` at high rates; serve logged anyway."""
    url = f"sqlite:///{tmp_path / 'ods.sqlite'}"
    engine = create_db_engine(url)
    try:
        publish([DATAPACKAGES / "lebensformen"], engine=engine, catalog=catalog)
    finally:
        engine.dispose()
    logs = {}
    command = [sys.executable, "-m", "opendata_sozial", "serve"]
    for level in ("INFO", "WARNING"):
        env = {**_without_base_url(), "ODS_DATABASE_URL": url, "ODS_LOG_LEVEL": level}
        with serving(lambda port: [*command, "--port", str(port)], env, tmp_path / level) as port:
            assert get(f"http://127.0.0.1:{port}/api/v1/datasets")[0] == 200
        logs[level] = "".join(
            (tmp_path / level / name).read_text(encoding="utf-8") for name in ("stdout", "stderr")
        )
    assert '"GET /api/v1/datasets HTTP/1.1" 200' in logs["INFO"]
    assert "GET /" not in logs["WARNING"]
