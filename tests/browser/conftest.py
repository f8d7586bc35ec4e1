"""Browser fixtures: a real server over a published SQLite database, Debian's Chromium, axe-core.

The server runs the README's command (``opendata-sozial serve``) as a subprocess on a free
loopback port. Chromium is Debian's ``/usr/bin/chromium`` (Playwright's own browser downloads
fail here); axe-core comes from the npm registry (``npm ci`` in this folder). Where either is
missing the tests are skipped, naming the missing path.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = ROOT / "test-artefacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
# Records CSP violations the browser reports to the page (in addition to console messages).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium (make browser-deps) to run the "
            "browser tests"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci` in tests/browser (make browser-deps)")
    return AXE.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=1) as response:  # noqa: S310  # loopback test server
            return int(response.status) == 200
    except (OSError, urllib.error.HTTPError):
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    """``opendata-sozial publish`` into a fresh SQLite file, then ``serve`` it; yields the URL."""
    database = tmp_path_factory.mktemp("browser") / "ods.sqlite"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ODS_DATABASE_URL": f"sqlite:///{database}", "ODS_BASE_URL": url}
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
    process = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not _is_ready(url):
            assert process.poll() is None, "server exited before it was ready"
            assert time.monotonic() < deadline, "server not ready after 30 s"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> "Iterator[Browser]":
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@dataclass
class Tab:
    """A page with what its console said about security policy and errors."""

    page: "Page"
    base: str
    console: list[str] = field(default_factory=list)

    def open(self, path: str) -> Any:  # playwright's Response
        """Go to ``path`` on the test server and wait until the page has loaded."""
        return self.page.goto(f"{self.base}{path}", wait_until="load")

    def csp_violations(self) -> list[str]:
        """CSP violations reported in the console or as ``securitypolicyviolation`` events."""
        reported: list[str] = self.page.evaluate("window.__cspViolations || []")
        return reported + [m for m in self.console if "Content Security Policy" in m]


def _tab(browser: "Browser", server: str, viewport: dict[str, int]) -> Iterator[Tab]:
    context = browser.new_context(viewport=viewport, locale="de-DE")  # type: ignore[arg-type]  # a ViewportSize dict
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    tab = Tab(page=page, base=server)

    def remember(message: "ConsoleMessage") -> None:
        tab.console.append(f"{message.type}: {message.text}")

    page.on("console", remember)
    yield tab
    context.close()


@pytest.fixture
def desktop(browser: "Browser", server: str) -> Iterator[Tab]:
    yield from _tab(browser, server, DESKTOP)


@pytest.fixture
def phone(browser: "Browser", server: str) -> Iterator[Tab]:
    yield from _tab(browser, server, PHONE)


@pytest.fixture(scope="session")
def artefacts() -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS
