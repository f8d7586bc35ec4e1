"""File facts of a resource: safe paths, sha256 hash, byte counts and UTF-8 well-formedness."""

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opendata_sozial.domain import TABLEDIALECT_PROFILE

_CHUNK = 1 << 20
UTF8_BOM = codecs.BOM_UTF8


@dataclass(frozen=True, slots=True)
class Utf8Fault:
    """Where a file stops being valid UTF-8."""

    offset: int
    """Byte offset of the first invalid byte (from 0)."""
    line: int
    """Line of that byte (from 1, as CSV row numbers count when no cell spans lines)."""
    data: bytes
    """The invalid byte sequence."""


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
    if any(ord(char) < 32 for char in relative):
        return "der Pfad enthält Steuerzeichen (z. B. NUL)"
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


def starts_with_bom(path: Path) -> bool:
    """True when the file begins with the UTF-8 byte order mark."""
    with path.open("rb") as handle:
        return handle.read(len(UTF8_BOM)) == UTF8_BOM


def utf8_fault(path: Path) -> Utf8Fault | None:
    """Locate the first byte sequence that is not valid UTF-8, reading in chunks; else ``None``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines = 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's carried-over partial sequence (no newline) + chunk
                start = offset + len(chunk) - len(exc.object) + exc.start
                line = lines + exc.object.count(b"\n", 0, exc.start)
                return Utf8Fault(
                    offset=start, line=line, data=bytes(exc.object[exc.start : exc.end])
                )
            if not chunk:
                return None
            offset += len(chunk)
            lines += chunk.count(b"\n")


def canonical_dialect() -> dict[str, Any]:
    """The v2 dialect of every canonical CSV (UTF-8, comma, double quotes, LF, header)."""
    return {
        "$schema": TABLEDIALECT_PROFILE,
        "header": True,
        "delimiter": ",",
        "quoteChar": '"',
        "doubleQuote": True,
        "lineTerminator": "\n",
    }


def csv_resource(name: str, folder: Path, relative: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Descriptor of a canonical CSV resource in ``folder``, with its hash and byte count."""
    digest, size = file_digest(folder / relative)
    return {
        "name": name,
        "type": "table",
        "path": relative,
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": size,
        "hash": digest,
        "dialect": canonical_dialect(),
        "schema": schema,
    }
