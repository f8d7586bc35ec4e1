"""House rules on ``x_translations``: the package's texts in other languages (docs/packages.md).

A translation may only name what the package has (resources, fields, footnote markers, break
periods), and every text is a non-empty string; each problem names its path in the descriptor,
for example ``x_translations.en.resources.regionen.fields.agz``.
"""

from collections.abc import Collection, Iterator
from typing import Any

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.domain import TRANSLATION_LANGUAGES, Issue
from opendata_sozial.ingest.package import PackageSource, descriptor_issue, objects_in

_LANGUAGE_KEYS = ("title", "description", "keywords", "footnotes", "breaks", "resources")
_RESOURCE_KEYS = ("title", "description", "fields")
_FIELD_KEYS = ("title", "description")
_TEXT_KEYS = frozenset({"title", "description"})


def _invalid(pkg: PackageSource, where: str, message: str, hint: str) -> Issue:
    return descriptor_issue(pkg, where, message, hint, "translation-invalid")


def _names(items: Collection[str]) -> str:
    return ", ".join(repr(item) for item in items) or "(keine)"


def _entries(
    pkg: PackageSource,
    where: str,
    value: object,
    known: Collection[str],
    what: str,
    unknown: str = "gibt es im Paket nicht",
) -> tuple[list[Issue], list[tuple[str, Any]]]:
    """Problems of a JSON object keyed by ``known`` names, and its entries with known keys."""
    if not isinstance(value, dict):
        return [_invalid(pkg, where, f"{where!r} ist kein Objekt", f"{{{what}: …}} angeben")], []
    issues, entries = [], []
    for key, item in value.items():
        if key in known:
            entries.append((key, item))
        else:
            issues.append(
                _invalid(
                    pkg,
                    f"{where}.{key}",
                    f"{what} {key!r} {unknown}",
                    f"eine(n) von {_names(known)} angeben",
                )
            )
    return issues, entries


def _text(pkg: PackageSource, where: str, value: object) -> Iterator[Issue]:
    if not isinstance(value, str) or not value.strip():
        yield _invalid(pkg, where, f"{where!r} ist kein Text", "nicht leeren Text angeben")


def _texts(
    pkg: PackageSource, where: str, value: object, known: Collection[str], what: str
) -> Iterator[Issue]:
    """An object of texts keyed by ``known`` names (footnote markers, break periods)."""
    issues, entries = _entries(pkg, where, value, known, what)
    yield from issues
    for key, text in entries:
        yield from _text(pkg, f"{where}.{key}", text)


def _keywords(pkg: PackageSource, where: str, value: object) -> Iterator[Issue]:
    if not isinstance(value, list) or not all(isinstance(k, str) and k.strip() for k in value):
        yield _invalid(pkg, where, f"{where!r} ist keine Liste von Texten", "['poverty', …]")


def _with_texts(
    pkg: PackageSource, where: str, value: object, keys: tuple[str, ...]
) -> tuple[list[Issue], list[tuple[str, Any]]]:
    """Problems of an object with the given keys (texts checked here), and its other entries."""
    issues, entries = _entries(pkg, where, value, keys, "Angabe")
    issues += [
        i for key, text in entries if key in _TEXT_KEYS for i in _text(pkg, f"{where}.{key}", text)
    ]
    return issues, [(key, item) for key, item in entries if key not in _TEXT_KEYS]


def _resource(
    pkg: PackageSource, where: str, value: object, resource: dict[str, Any]
) -> Iterator[Issue]:
    issues, entries = _with_texts(pkg, where, value, _RESOURCE_KEYS)
    yield from issues
    schema = resource.get("schema")
    fields = [
        f.get("name")
        for f in objects_in(schema.get("fields") if isinstance(schema, dict) else None)
    ]
    for _, translated in entries:  # only "fields"
        field_issues, field_entries = _entries(
            pkg, f"{where}.fields", translated, [str(f) for f in fields], "Feld"
        )
        yield from field_issues
        for name, field in field_entries:
            yield from _with_texts(pkg, f"{where}.fields.{name}", field, _FIELD_KEYS)[0]


def _language(pkg: PackageSource, where: str, value: object) -> Iterator[Issue]:
    d = pkg.descriptor
    issues, entries = _with_texts(pkg, where, value, _LANGUAGE_KEYS)
    yield from issues
    resources = {str(r.get("name")): r for r in objects_in(d.get("resources"))}
    for key, item in entries:
        at = f"{where}.{key}"
        if key == "keywords":
            yield from _keywords(pkg, at, item)
        elif key == "footnotes":
            markers = [str(n.get("marker")) for n in objects_in(d.get("x_footnotes"))]
            yield from _texts(pkg, at, item, markers, "Fußnotenmarker")
        elif key == "breaks":
            periods = [str(b.get("period")) for b in objects_in(d.get("x_breaks"))]
            yield from _texts(pkg, at, item, periods, "Bruch ab")
        else:
            resource_issues, found = _entries(pkg, at, item, list(resources), "Ressource")
            yield from resource_issues
            for name, entry in found:
                yield from _resource(pkg, f"{at}.{name}", entry, resources[name])


def check_translations(pkg: PackageSource, _catalog: CatalogInfo) -> Iterator[Issue]:
    """``x_translations`` (optional) names only languages, resources and fields that exist."""
    value = pkg.descriptor.get("x_translations")
    if value is None:
        return
    issues, entries = _entries(
        pkg, "x_translations", value, TRANSLATION_LANGUAGES, "Sprache", "wird nicht unterstützt"
    )
    yield from issues
    for language, entry in entries:
        yield from _language(pkg, f"x_translations.{language}", entry)
