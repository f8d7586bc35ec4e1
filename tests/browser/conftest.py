"""Browser fixtures: a real server over a published SQLite database, Debian's Chromium, axe-core.

The server runs the README's command (``opendata-sozial serve``) as a subprocess on a free
loopback port (``tests/servers.py``: another port if that one was taken meanwhile). Chromium is Debian's ``/usr/bin/chromium`` (Playwright's own browser downloads
fail here); axe-core comes from the npm registry (``npm ci`` in this folder). Where either is
missing the tests are skipped, naming the missing path.
"""

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import ROOT
from tests.servers import serving

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


def published_server(folder: Path, packages: Sequence[str]) -> Iterator[str]:
    """``opendata-sozial publish`` of ``packages`` into a fresh SQLite file in ``folder``, then
    ``serve`` it on a free port (links follow the port); yields its base URL."""
    database = f"sqlite:///{folder / 'ods.sqlite'}"
    cli = [sys.executable, "-m", "opendata_sozial"]
    published = subprocess.run(
        [*cli, "publish", *packages],
        cwd=ROOT,
        env={**os.environ, "ODS_DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert published.returncode == 0, published.stderr

    def env(port: int) -> dict[str, str]:
        return {
            **os.environ,
            "ODS_DATABASE_URL": database,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
        }

    def serve(port: int) -> list[str]:
        return [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]

    with serving(serve, env, folder / "logs") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    """``opendata-sozial publish`` (packages and geography) into a fresh SQLite file, then ``serve``."""
    # as `make serve`: boundaries too
    yield from published_server(tmp_path_factory.mktemp("browser"), ["datapackages", "geography"])


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
