"""docs/architecture.md draws the same layers and contracts that import-linter enforces."""

import re
import tomllib
from typing import Any

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "opendata_sozial"
NOT_LAYERED = {"__init__", "__main__", "migrations"}
"""Entry module, ``python -m`` shim and Alembic's scripts (run by Alembic, imported by none)."""


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _block(tag: str) -> list[str]:
    """The lines of the fenced block ```{tag} in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    match = re.search(rf"^```{tag}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/architecture.md has no ```{tag} block"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def test_the_drawn_layers_are_the_enforced_layers() -> None:
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    assert _block("layers") == [layer.replace("opendata_sozial.", "") for layer in layers]


def test_every_contract_is_named_in_the_document() -> None:
    assert _block("contracts") == [c["name"] for c in _contracts()]


def test_every_package_has_a_layer() -> None:
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    named = {m.strip() for layer in layers for m in re.split(r"[|:]", layer)}
    modules = {
        f"opendata_sozial.{path.stem}"
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
        and path.stem not in NOT_LAYERED
    }
    assert modules == named
