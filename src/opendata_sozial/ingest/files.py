"""File facts of a resource: safe paths, sha256 hash and byte counts."""

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def file_digest(path: Path) -> tuple[str, int]:
    """Return the ``sha256:<hex>`` hash and the byte count of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return f"sha256:{digest.hexdigest()}", size


def unsafe_path_reason(base: Path, relative: str) -> str | None:
    """Explain why ``relative`` may not be used inside the package at ``base``, or ``None``.

    A resource path must be relative, must not climb out with ``..``, and must not resolve
    (through a symbolic link) to a place outside the package folder.
    """
    if not relative or relative.strip() != relative:
        return "der Pfad ist leer oder hat Leerzeichen am Rand"
    candidate = Path(relative)
    if candidate.is_absolute() or relative.startswith(("/", "\\")) or ":" in relative:
        return "absolute Pfade und URLs sind nicht erlaubt"
    if ".." in candidate.parts:
        return "'..' verlässt den Paketordner"
    root = base.resolve()
    resolved = (base / candidate).resolve()
    if not resolved.is_relative_to(root):
        return "der Pfad zeigt (über einen symbolischen Link) aus dem Paketordner heraus"
    return None
