"""One way to build a URL: absolute URLs come from ``opendata_sozial.urls.Urls`` only.

Outside ``urls.py`` (the ``Urls`` object) and ``web/links.py`` (which makes it from the
settings per request), no module may read the configured base URL or glue a path of this
service onto a base by hand; and no module may read the request's release from a context
variable: the release of a request is resolved once and passed on explicitly.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "opendata_sozial"
ALLOWED = {SRC / "urls.py", SRC / "web" / "links.py"}
SERVICE_PATHS = ("/api", "/datensaetze", "/datasets", "/problems", "/catalog", "/static")
"""Paths of this service: an f-string that starts with a value and then one of these glues a
URL together by hand."""
SETTING_USERS = {SRC / "config.py", SRC / "cli.py"}
"""``config.py`` declares ``base_url``; ``cli serve`` compares it with the listening address."""


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p not in ALLOWED)


def _glued_urls(tree: ast.AST) -> list[int]:
    """Lines of f-strings like ``f"{base}/api/v1/…"``: a value, then a path of this service."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr) or len(node.values) < 2:
            continue
        first, second = node.values[0], node.values[1]
        if (
            isinstance(first, ast.FormattedValue)
            and isinstance(second, ast.Constant)
            and isinstance(second.value, str)
            and second.value.startswith(SERVICE_PATHS)
        ):
            lines.append(node.lineno)
    return lines


def _base_url_reads(tree: ast.AST) -> list[int]:
    """Lines that name ``base_url`` (the setting, or a parameter carrying it)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr == "base_url")
        or (isinstance(node, ast.Name) and node.id == "base_url")
        or (isinstance(node, ast.arg) and node.arg == "base_url")
        or (isinstance(node, ast.keyword) and node.arg == "base_url")
    ]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_url_is_built_outside_urls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    glued = _glued_urls(tree)
    assert not glued, f"{path.name}: URL von Hand gebaut in Zeile {glued}; Urls verwenden"
    if path not in SETTING_USERS:
        reads = _base_url_reads(tree)
        assert not reads, f"{path.name}: base_url in Zeile {reads}; Urls übergeben"


def test_rule_catches_a_hand_built_url() -> None:
    tree = ast.parse('url = f"{base}/api/v1/datasets/{name}"\nx = settings.base_url')
    assert _glued_urls(tree) == [1]
    assert _base_url_reads(tree) == [2]


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_release_in_a_context_variable(path: Path) -> None:
    """The request's release is an argument (``web/request_release.py``), never ambient state."""
    assert "ContextVar" not in path.read_text(encoding="utf-8"), path.name
