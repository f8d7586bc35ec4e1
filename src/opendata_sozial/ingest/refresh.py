"""Refresh a package after its data file changed: new size, hash and columns, same metadata.

A publisher who corrects a value (or appends a year) in ``data/*.csv`` runs ``refresh``: every
resource's ``bytes`` and ``hash`` are recomputed, columns that appeared or disappeared are
added to or removed from the schema, an ``integer`` column that now holds decimals becomes a
``number``, and every other metadata field stays as it was. ``validate`` then checks the rest.
"""

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata_sozial.ingest.file_facts import file_digest, unsafe_path_reason
from opendata_sozial.ingest.package import DESCRIPTOR_NAME, read_package

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class RefreshError(ValueError):
    """A package whose data cannot be refreshed (unreadable file, unsafe path, no header)."""


@dataclass(slots=True)
class ResourceRefresh:
    """What changed in one resource's data file since the descriptor was written."""

    resource: str
    path: str
    rows: int
    bytes_before: int | None
    bytes_after: int
    hash_changed: bool
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    retyped: list[tuple[str, str, str]] = field(default_factory=list)
    """(field, old type, new type)."""

    @property
    def is_changed(self) -> bool:
        """True when the descriptor needs an update for this resource."""
        return self.hash_changed or bool(self.added or self.removed or self.retyped)

    def lines(self) -> list[str]:
        """What changed, in German, for the terminal."""
        if not self.is_changed:
            return [f"{self.resource}: unverändert ({self.rows} Zeilen)"]
        out = [
            f"{self.resource}: Datei geändert ({self.path}, {self.bytes_before} → "
            f"{self.bytes_after} Bytes, {self.rows} Zeilen); Hash neu berechnet"
        ]
        out += [f"{self.resource}: neue Spalte {name}" for name in self.added]
        out += [f"{self.resource}: Spalte {name} entfällt" for name in self.removed]
        out += [
            f"{self.resource}: Spalte {n} jetzt {new} statt {old}" for n, old, new in self.retyped
        ]
        return out


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """The refresh of one package."""

    package: str
    descriptor_path: Path
    resources: list[ResourceRefresh]
    written: bool

    @property
    def is_changed(self) -> bool:
        """True when at least one resource changed."""
        return any(r.is_changed for r in self.resources)


def refresh_package(folder: Path, *, dry_run: bool = False) -> RefreshReport:
    """Bring the descriptor of ``folder`` in line with its data files, keeping all metadata."""
    pkg = read_package(folder)
    descriptor = pkg.descriptor
    results = [
        _refresh_resource(folder, resource)
        for resource in pkg.resources()
        if isinstance(resource.get("path"), str)
    ]
    changed = any(r.is_changed for r in results)
    if changed and not dry_run:
        text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
        (folder / DESCRIPTOR_NAME).write_text(text, encoding="utf-8", newline="\n")
    return RefreshReport(pkg.name, folder / DESCRIPTOR_NAME, results, changed and not dry_run)


def _refresh_resource(folder: Path, resource: dict[str, Any]) -> ResourceRefresh:
    """Update ``resource`` in place (hash, bytes, schema fields) and say what changed."""
    relative = str(resource["path"])
    reason = unsafe_path_reason(folder, relative)
    if reason is not None:
        raise RefreshError(f"{folder / DESCRIPTOR_NAME}: Ressource {relative!r}: {reason}")
    path = folder / relative
    if not path.is_file():
        raise RefreshError(f"{path}: Datendatei fehlt (Pfad aus {DESCRIPTOR_NAME})")
    digest, size = file_digest(path)
    header, columns, rows = _read_columns(path)
    result = ResourceRefresh(
        resource=str(resource.get("name", relative)),
        path=relative,
        rows=rows,
        bytes_before=resource.get("bytes"),
        bytes_after=size,
        hash_changed=resource.get("hash") != digest or resource.get("bytes") != size,
    )
    resource["hash"], resource["bytes"] = digest, size
    schema = resource.get("schema")
    if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
        _refresh_schema(schema, header, columns, result)
    return result


def _read_columns(path: Path) -> tuple[list[str], dict[str, list[str]], int]:
    """Header, the non-empty cells of each column, and the number of data rows."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise RefreshError(f"{path}: die Datei hat keine Kopfzeile")
            cells: dict[str, list[str]] = {name: [] for name in header}
            rows = 0
            for rows, row in enumerate(reader, start=1):  # noqa: B007  # counted
                for name, cell in zip(header, row, strict=False):
                    if cell:
                        cells[name].append(cell)
    except UnicodeDecodeError as exc:
        raise RefreshError(
            f"{path}: kein UTF-8 (Byte {exc.start}); die Datendatei eines Pakets ist UTF-8"
        ) from exc
    return header, cells, rows


def _refresh_schema(
    schema: dict[str, Any],
    header: list[str],
    cells: dict[str, list[str]],
    result: ResourceRefresh,
) -> None:
    fields = {f["name"]: f for f in schema["fields"] if isinstance(f, dict) and "name" in f}
    result.removed = [name for name in fields if name not in header]
    result.added = [name for name in header if name not in fields]
    if result.added or result.removed:
        schema["fields"] = [
            fields.get(name) or {"name": name, "type": _infer(cells[name]), "title": name}
            for name in header
        ]
        key = schema.get("primaryKey")
        if isinstance(key, list):
            schema["primaryKey"] = [k for k in key if k not in result.removed]
    for spec in schema["fields"]:
        values = cells.get(spec["name"], [])
        if spec.get("type") == "integer" and _infer(values) == "number":
            result.retyped.append((spec["name"], "integer", "number"))
            spec["type"] = "number"


def _infer(values: list[str]) -> str:
    if _all(values, _INTEGER):
        return "integer"
    return "number" if _all(values, _NUMBER) else "string"


def _all(values: list[str], pattern: re.Pattern[str]) -> bool:
    return bool(values) and all(pattern.fullmatch(v) for v in values)


def refresh_lines(report: RefreshReport) -> Iterator[str]:
    """The report in German, line by line."""
    for resource in report.resources:
        yield from resource.lines()
    if not report.is_changed:
        yield f"{report.package}: nichts zu tun, der Deskriptor stimmt mit den Daten überein."
    elif report.written:
        yield f"{report.descriptor_path} aktualisiert; alle übrigen Metadaten bleiben erhalten."
    else:
        yield "Probelauf (--dry-run): der Deskriptor bleibt unverändert."
