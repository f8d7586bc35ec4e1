"""One reader of ``datapackage.json``: outside ``model/parse.py`` nothing reads descriptor keys.

Every fact of a package reaches the outputs through the typed model (``model/dataset.py``),
parsed once in ``model/parse.py`` with one place for every default. A subscript or ``.get()``
of a descriptor key (``d["resources"]``, ``schema.get("primaryKey")`` …) anywhere else reads
the dict with its own defaults again. The exceptions below name why they are no such read.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "opendata_sozial"
PARSER = SRC / "model" / "parse.py"
KEYS = frozenset(
    {
        "resources",
        "schema",
        "fields",
        "primaryKey",
        "foreignKeys",
        "licenses",
        "sources",
        "contributors",
        "temporal",
        "spatial",
    }
)
"""Keys of a Data Package descriptor, its resources and their Table Schemas."""
EXCEPTIONS = {
    SRC / "ingest": "checks raw packages before they are known to be well formed (the typed "
    "model assumes they are) and writes new descriptors (init, refresh)",
    SRC / "web" / "api.py": "served_descriptor serves the stored JSON as it is, with absolute "
    "resource paths: a rewrite of the JSON, not a read of facts",
    SRC / "services" / "releases.py": "_resource_json picks a resource's stored JSON to diff it "
    "key by key (changes.metadata_changes), whatever keys it has",
    SRC / "formats" / "ckan": "reads CKAN package dicts (its own output, whose packages have "
    "'resources' too), not descriptors",
}
"""Path (module or package) -> why it may subscript these keys."""


def _excepted(path: Path) -> bool:
    return path == PARSER or any(path == p or p in path.parents for p in EXCEPTIONS)


def _descriptor_reads(tree: ast.AST) -> list[int]:
    """Lines that subscript or ``.get()`` a descriptor key given as a string literal."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            key = node.args[0]
        else:
            continue
        if isinstance(key, ast.Constant) and key.value in KEYS:
            lines.append(node.lineno)
    return sorted(lines)


def _reads(path: Path) -> list[int]:
    return _descriptor_reads(ast.parse(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "path",
    sorted(p for p in SRC.rglob("*.py") if not _excepted(p)),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_descriptor_keys_are_read_only_by_the_parser(path: Path) -> None:
    reads = _reads(path)
    assert not reads, (
        f"{path.relative_to(SRC)}: Deskriptor-Schlüssel gelesen in Zeile {reads}; "
        "das typisierte Modell (model/dataset.py, gelesen in model/parse.py) verwenden"
    )


@pytest.mark.parametrize("path", sorted(EXCEPTIONS), ids=lambda p: str(p.relative_to(SRC)))
def test_each_exception_still_needs_its_place(path: Path) -> None:
    """An exception that reads no descriptor key any more leaves the list."""
    modules = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    assert any(_reads(module) for module in modules), f"{path.relative_to(SRC)}: {EXCEPTIONS[path]}"


def test_rule_catches_subscripts_and_gets_but_not_writes() -> None:
    tree = ast.parse(
        'fields = schema["fields"]\n'
        'key = schema.get("primaryKey")\n'
        'schema["fields"] = []\n'
        'title = descriptor.get("title")\n'
    )
    assert _descriptor_reads(tree) == [1, 2]
