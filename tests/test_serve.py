"""The command lines of the README and the Dockerfile: publish, then serve over real HTTP."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import frictionless

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  # loopback test server
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_publish_and_serve_commands(database_url: str) -> None:
    env = {**os.environ, "ODS_DATABASE_URL": database_url}
    cli = [sys.executable, "-m", "opendata_sozial"]
    published = subprocess.run(
        [*cli, "publish", "datapackages"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert published.returncode == 0, published.stderr
    assert "Release 1: 27 Datensätze" in published.stdout
    port = _free_port()
    env["ODS_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline and status != 200:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/health/ready")
            except OSError:
                time.sleep(0.2)
        assert status == 200
        status, body = _get(f"http://127.0.0.1:{port}/api/v1/datasets")
        assert status == 200
        assert json.loads(body)["total"] == 27
        for item in json.loads(body)["datasets"]:
            remote = frictionless.Package(
                f"http://127.0.0.1:{port}/api/v1/datasets/{item['name']}/datapackage.json"
            )
            report = remote.validate()
            assert report.valid, (
                item["name"],
                report.flatten(["rowNumber", "fieldName", "type", "note"]),
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


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
