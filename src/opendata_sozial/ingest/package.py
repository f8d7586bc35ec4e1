"""Locate packages and read their descriptors strictly (no silent duplicate keys)."""

import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from opendata_sozial.domain import Issue

DESCRIPTOR_NAME = "datapackage.json"
MAX_DESCRIPTOR_BYTES = 5 << 20
"""Largest descriptor read; the shipped ones have under 40 KiB."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters no descriptor text may hold (PostgreSQL cannot even store NUL)."""


@dataclass(frozen=True, slots=True)
class PackageSource:
    """A package folder and its parsed descriptor."""

    folder: Path
    descriptor: dict[str, Any]

    @property
    def name(self) -> str:
        """The package name, or the folder name when the descriptor lacks one."""
        name = self.descriptor.get("name")
        return name if isinstance(name, str) and name else self.folder.name

    @property
    def descriptor_path(self) -> Path:
        """Path of ``datapackage.json``."""
        return self.folder / DESCRIPTOR_NAME

    def resources(self) -> list[dict[str, Any]]:
        """The resource descriptors that are objects (others are reported by the rules)."""
        return objects_in(self.descriptor.get("resources"))

    def foreign_keys(self) -> list[dict[str, Any]]:
        """The well-formed entries of ``x_foreign_keys`` (the metadata rules report the others)."""
        return [
            fk for fk in objects_in(self.descriptor.get("x_foreign_keys")) if is_foreign_key(fk)
        ]


def objects_in(value: Any) -> list[dict[str, Any]]:  # noqa: ANN401 - any JSON value
    """The objects in a JSON list; ``[]`` for anything that is not a list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> bool:  # noqa: ANN401 - any JSON value
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def is_foreign_key(fk: dict[str, Any]) -> bool:
    """True for ``{"resource", "fields", "reference": {"package", "resource", "fields"}}``."""
    ref = fk.get("reference")
    return (
        isinstance(fk.get("resource"), str)
        and _strings(fk.get("fields"))
        and isinstance(ref, dict)
        and isinstance(ref.get("package"), str)
        and isinstance(ref.get("resource"), str)
        and _strings(ref.get("fields"))
    )


class DescriptorError(ValueError):
    """The descriptor file cannot be turned into a JSON object."""

    def __init__(self, issue: Issue) -> None:
        """Carry the issue that explains the failure."""
        super().__init__(issue.message)
        self.issue = issue


def find_packages(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield package folders: a folder with a descriptor, or each sub-folder that has one.

    A path to a ``datapackage.json`` file stands for its folder. A path that is none of these
    is yielded as is, so that reading it reports the missing descriptor.
    """
    for path in paths:
        if path.name == DESCRIPTOR_NAME:
            yield path.parent
        elif (path / DESCRIPTOR_NAME).exists() or not path.is_dir():
            yield path
        else:
            children = sorted(child for child in path.iterdir() if child.is_dir())
            packages = [child for child in children if (child / DESCRIPTOR_NAME).exists()]
            yield from packages if packages else [path]


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKeyError(key)
        seen[key] = value
    return seen


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


Fail = Callable[..., "DescriptorError"]


def read_package(folder: Path) -> PackageSource:
    """Read ``folder/datapackage.json``; raise ``DescriptorError`` with a precise issue."""
    path = folder / DESCRIPTOR_NAME
    label = folder.name or str(folder)

    def fail(
        code: str, message: str, hint: str, row: int | None = None, value: str | None = None
    ) -> DescriptorError:
        return DescriptorError(
            Issue(
                code=code,
                message=message,
                package=label,
                file=str(path),
                row=row,
                value=value,
                hint=hint,
            )
        )

    descriptor = _parse_descriptor(_read_descriptor(folder, path, fail), fail)
    return PackageSource(folder=folder, descriptor=descriptor)


def _read_descriptor(folder: Path, path: Path, fail: Fail) -> bytes:
    """The descriptor's bytes: present, inside the folder, not oversized, without a BOM."""
    if not path.is_file():
        raise fail("descriptor-missing", f"{path} fehlt", "Jedes Paket braucht datapackage.json")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise fail(
            "unsafe-path",
            "datapackage.json zeigt über einen symbolischen Link aus dem Paketordner heraus",
            "den Deskriptor als Datei in den Paketordner legen",
        )
    if (size := path.stat().st_size) > MAX_DESCRIPTOR_BYTES:
        raise fail(
            "descriptor-too-large",
            f"datapackage.json hat {size} Byte, höchstens {MAX_DESCRIPTOR_BYTES} sind erlaubt",
            "Daten gehören in CSV-Dateien, nicht in den Deskriptor",
        )
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raise fail(
            "descriptor-encoding",
            "datapackage.json beginnt mit einem BOM",
            "Als UTF-8 ohne BOM speichern",
        )
    return raw


def _parse_descriptor(raw: bytes, fail: Fail) -> dict[str, Any]:
    """Strict JSON: UTF-8, no duplicate keys, not absurdly nested, an object at the top."""
    try:
        descriptor = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except UnicodeDecodeError as exc:
        raise fail(
            "descriptor-encoding", f"kein gültiges UTF-8 (Byte {exc.start})", "Als UTF-8 speichern"
        ) from exc
    except _DuplicateKeyError as exc:
        raise fail(
            "descriptor-duplicate-key",
            f"Schlüssel {exc.key!r} kommt in einem Objekt mehrfach vor",
            "Jeden Schlüssel nur einmal angeben",
            value=exc.key,
        ) from exc
    except json.JSONDecodeError as exc:
        raise fail(
            "descriptor-invalid-json",
            f"kein gültiges JSON: {exc.msg} (Spalte {exc.colno})",
            "JSON-Syntax prüfen",
            row=exc.lineno,
        ) from exc
    except RecursionError as exc:
        raise fail(
            "descriptor-invalid-json",
            "kein lesbares JSON: zu tief verschachtelt",
            "Verschachtelung auf das Nötige beschränken",
        ) from exc
    if not isinstance(descriptor, dict):
        raise fail(
            "descriptor-invalid-json",
            "die oberste Ebene ist kein JSON-Objekt",
            "Ein Objekt { … } erwartet",
        )
    return descriptor


def find_control_character(descriptor: dict[str, Any]) -> tuple[str, str] | None:
    """(where, character) of the first control character in any key or text, else ``None``."""
    pending: list[tuple[str, Any]] = [("", descriptor)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            if match := _CONTROL.search(value):
                return where or "(Wurzel)", match.group()
        elif isinstance(value, dict):
            for key, item in value.items():
                pending.append((f"{where}.{key}".lstrip("."), key))
                pending.append((f"{where}.{key}".lstrip("."), item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
    return None


def is_list_of(value: Any, allowed: Collection[str]) -> TypeGuard[list[str]]:  # noqa: ANN401 - any JSON value
    """True for a non-empty list of strings, each one of ``allowed``."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and v in allowed for v in value)
    )


def descriptor_issue(
    pkg: PackageSource,
    field: str,
    message: str,
    hint: str,
    code: str = "metadata-missing",
    value: str | None = None,
) -> Issue:
    """An issue located at ``field`` of the package's descriptor (``datapackage.json``)."""
    return Issue(
        code=code,
        message=message,
        package=pkg.name,
        file=str(pkg.descriptor_path),
        field=field,
        value=value,
        hint=hint,
    )
