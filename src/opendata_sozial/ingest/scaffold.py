"""Scaffold a new package from a raw table (``opendata-sozial init``). Implemented in progress."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ScaffoldOptions:
    """How to read the raw table."""

    name: str | None = None
    sheet: str | None = None
    skip_rows: int = 0
    delimiter: str | None = None
    decimal: str = ","
    encoding: str | None = None
    force: bool = False


def scaffold_package(source: Path, out: Path | None, options: ScaffoldOptions, *, packages_dir: Path) -> Path:
    """Create the package folder for ``source`` and return it."""
    raise NotImplementedError
