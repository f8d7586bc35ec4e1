"""House rules on descriptor metadata: what DCAT-AP.de and our catalog need from a package."""

import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.domain import (
    DATAPACKAGE_PROFILE,
    EU_THEMES,
    FREQUENCIES,
    GEOCODING_LEVELS,
    Issue,
    mailto_url,
    web_url,
)
from opendata_sozial.ingest.licenses import LICENSES, license_choices
from opendata_sozial.ingest.package import (
    PackageSource,
    descriptor_issue,
    find_control_character,
    is_foreign_key,
    is_list_of,
)
from opendata_sozial.ingest.translation_rules import check_translations

NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_PERIOD = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_AGS = re.compile(r"^05(\d|\d{3}|\d{6})?$|^00$")

Rule = Callable[[PackageSource, CatalogInfo], Iterator[Issue]]


def _bad(pkg: PackageSource, key: str, message: str, hint: str) -> Issue:
    """'metadata-missing' when ``key`` is absent, else 'metadata-invalid' with the given value."""
    value = pkg.descriptor.get(key)
    if value is None:
        return descriptor_issue(pkg, key, message, hint)
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return descriptor_issue(pkg, key, message, hint, "metadata-invalid", shown)


def _text(pkg: PackageSource, key: str, min_length: int = 1) -> Iterator[Issue]:
    value = pkg.descriptor.get(key)
    if not isinstance(value, str) or len(value.strip()) < min_length:
        yield descriptor_issue(
            pkg,
            key,
            f"'{key}' fehlt oder ist zu kurz (mindestens {min_length} Zeichen)",
            f"'{key}' als deutschen Text angeben",
        )


def check_basics(pkg: PackageSource, _catalog: CatalogInfo) -> Iterator[Issue]:
    """Profile, name, title, description, homepage, version, created, keywords."""
    d = pkg.descriptor
    if d.get("$schema") != DATAPACKAGE_PROFILE:
        yield descriptor_issue(
            pkg,
            "$schema",
            f"'$schema' ist {d.get('$schema')!r}",
            f"'{DATAPACKAGE_PROFILE}' (Data Package v2) angeben",
            "metadata-invalid",
        )
    name = d.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        yield descriptor_issue(
            pkg,
            "name",
            f"'name' {name!r} ist kein gültiger Name",
            "Kleinbuchstaben, Ziffern und Bindestriche, z. B. 'armutsrisikoquoten-merkmale'",
            "metadata-invalid",
        )
    yield from _text(pkg, "title", 5)
    yield from _text(pkg, "description", 80)
    yield from _text(pkg, "homepage", 1)  # what it holds: check_urls
    yield from _text(pkg, "version", 1)
    created = d.get("created")
    if not isinstance(created, str) or not _is_datetime(created):
        yield descriptor_issue(
            pkg,
            "created",
            f"'created' {created!r} ist kein ISO-8601-Zeitpunkt",
            "z. B. '2026-11-27T00:00:00Z'",
        )
    keywords = d.get("keywords")
    if (
        not isinstance(keywords, list)
        or not keywords
        or not all(isinstance(k, str) and k.strip() for k in keywords)
    ):
        yield descriptor_issue(
            pkg,
            "keywords",
            "'keywords' fehlt oder enthält leere Einträge",
            "Liste deutscher Schlagwörter angeben",
        )


def check_rights(pkg: PackageSource, _catalog: CatalogInfo) -> Iterator[Issue]:
    """Licence, attribution, sources and contributors with a publisher."""
    d = pkg.descriptor
    licenses = d.get("licenses")
    if not isinstance(licenses, list) or not licenses:
        yield _bad(
            pkg,
            "licenses",
            "'licenses' fehlt oder ist leer: das Paket nennt keine Lizenz (es gibt keine stillschweigende)",
            f"eine Lizenz ausdrücklich angeben: {license_choices()}; als [{{'name': …, 'path': …, 'title': …}}] (init --license schreibt sie)",
        )
    else:
        for index, lic in enumerate(licenses):
            yield from _check_license(pkg, f"licenses[{index}]", lic)
    yield from _text(pkg, "x_attribution", 5)
    yield from _list_of_objects(pkg, "sources", ("title", "path"))
    contributors = d.get("contributors")
    yield from _list_of_objects(pkg, "contributors", ("title",))
    if isinstance(contributors, list) and not any(
        isinstance(c, dict) and isinstance(c.get("roles"), list) and "publisher" in c["roles"]
        for c in contributors
    ):
        yield descriptor_issue(
            pkg,
            "contributors",
            "kein Beitragender mit der Rolle 'publisher'",
            "die veröffentlichende Stelle mit roles: ['publisher'] angeben",
        )
    files = d.get("x_source_files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) and f for f in files):
        yield descriptor_issue(
            pkg, "x_source_files", "'x_source_files' fehlt", "Dateinamen der Quelltabellen angeben"
        )


def _check_license(pkg: PackageSource, where: str, lic: object) -> Iterator[Issue]:
    """A known licence by name, with its own path and a title."""
    name = lic.get("name") if isinstance(lic, dict) else None
    known = LICENSES.get(name) if isinstance(name, str) else None
    if not isinstance(lic, dict) or known is None:
        shown = name if isinstance(name, str) else None
        yield descriptor_issue(
            pkg,
            f"{where}.name",
            f"Lizenz {name!r} ist keine der gültigen Lizenzen",
            f"'name' ist eine von: {license_choices()}",
            "metadata-invalid" if shown else "metadata-missing",
            shown,
        )
        return
    if lic.get("path") != known.path:
        yield descriptor_issue(
            pkg,
            f"{where}.path",
            f"'path' {lic.get('path')!r} passt nicht zur Lizenz {known.name}",
            f"'path': '{known.path}' angeben",
            "metadata-invalid",
        )
    if not isinstance(lic.get("title"), str) or not lic["title"].strip():
        yield descriptor_issue(
            pkg, f"{where}.title", "Lizenz ohne 'title'", f"'title': '{known.title}' angeben"
        )


def _list_of_objects(pkg: PackageSource, key: str, required: tuple[str, ...]) -> Iterator[Issue]:
    items = pkg.descriptor.get(key)
    if not isinstance(items, list) or not items:
        yield descriptor_issue(
            pkg,
            key,
            f"'{key}' fehlt oder ist leer",
            f"Liste von Objekten mit {', '.join(required)}",
        )
        return
    for index, item in enumerate(items):
        missing = [
            k
            for k in required
            if not (isinstance(item, dict) and isinstance(item.get(k), str) and item[k])
        ]
        if missing:
            yield descriptor_issue(
                pkg,
                f"{key}[{index}]",
                f"Eintrag ohne {', '.join(missing)}",
                f"{', '.join(required)} angeben",
            )


Link = tuple[str, object, str]
"""One URL-valued metadata entry: (where, value, kind), kind ``web``, ``contact`` or ``email``."""
URL_KINDS = {
    "web": "eine vollständige http(s)-Adresse, z. B. 'https://www.it.nrw/statistik'",
    "contact": "eine vollständige http(s)-Adresse, z. B. 'https://www.it.nrw', oder eine "
    "E-Mail-Adresse als 'mailto:name@example.de'",
    "email": "eine E-Mail-Adresse wie 'name@example.de' (ohne 'mailto:')",
}


def _sources(where: str, sources: object) -> Iterator[Link]:
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        if isinstance(source, dict) and "path" in source:
            yield f"{where}sources[{index}].path", source["path"], "web"


def metadata_links(descriptor: dict[str, object]) -> Iterator[Link]:
    """Every URL-valued entry of a descriptor that names a web page or a contact.

    ``homepage`` and ``sources[].path`` (also of each resource), contributors' ``path`` (a web
    page, or ``mailto:`` for a person) and ``email``. Licence paths are checked against the
    known licences instead; a resource's own ``path`` is its file.
    """
    if "homepage" in descriptor:
        yield "homepage", descriptor["homepage"], "web"
    yield from _sources("", descriptor.get("sources"))
    contributors = descriptor.get("contributors")
    for index, person in enumerate(contributors if isinstance(contributors, list) else []):
        if isinstance(person, dict):
            if "path" in person:
                yield f"contributors[{index}].path", person["path"], "contact"
            if "email" in person:
                yield f"contributors[{index}].email", person["email"], "email"
    resources = descriptor.get("resources")
    for index, res in enumerate(resources if isinstance(resources, list) else []):
        if isinstance(res, dict):
            if "homepage" in res:
                yield f"resources[{index}].homepage", res["homepage"], "web"
            yield from _sources(f"resources[{index}].", res.get("sources"))


def _is_valid_link(value: object, kind: str) -> bool:
    if kind == "email":
        return mailto_url(value) is not None
    return web_url(value, contact=kind == "contact") is not None


def check_urls(pkg: PackageSource, _catalog: CatalogInfo) -> Iterator[Issue]:
    """Links only to http(s) pages (contacts also ``mailto:``): they reach hrefs, DCAT, CKAN.

    ``javascript:``, ``data:``, ``file:``, relative paths and text with blanks would be
    rendered by harvesters and browsers as links; none of them passes.
    """
    for where, value, kind in metadata_links(pkg.descriptor):
        missing = where == "homepage" and not (isinstance(value, str) and value.strip())
        if missing or _is_valid_link(value, kind):
            continue  # a missing homepage is reported by check_basics
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        yield descriptor_issue(
            pkg,
            where,
            f"'{where}' {shown[:200]!r} ist keine gültige Adresse",
            f"{URL_KINDS[kind]} angeben",
            "url-invalid",
            shown[:200],
        )


def check_coverage(pkg: PackageSource, catalog: CatalogInfo) -> Iterator[Issue]:
    """Temporal and spatial coverage, themes, chapter, completeness and periodicity."""
    d = pkg.descriptor
    temporal = d.get("x_temporal")
    if not isinstance(temporal, dict) or not all(
        isinstance(temporal.get(k), str) and _PERIOD.match(temporal[k]) for k in ("start", "end")
    ):
        yield _bad(
            pkg,
            "x_temporal",
            f"'x_temporal' {temporal!r} ungültig",
            "{'start': '2005', 'end': '2019'} mit ISO-Perioden JJJJ, JJJJ-MM oder JJJJ-MM-TT",
        )
    elif temporal["start"] > temporal["end"]:
        yield descriptor_issue(
            pkg,
            "x_temporal",
            "Beginn liegt nach dem Ende",
            "start ≤ end angeben",
            "metadata-invalid",
            json.dumps(temporal, ensure_ascii=False),
        )
    yield from _check_spatial(pkg)
    themes = d.get("x_themes")
    if not is_list_of(themes, EU_THEMES):
        yield _bad(
            pkg,
            "x_themes",
            f"'x_themes' {themes!r} ungültig",
            f"EU-Datenthemen aus {sorted(EU_THEMES)}",
        )
    chapter = d.get("x_chapter")
    if not isinstance(chapter, str) or chapter not in catalog.chapter_ids():
        yield _bad(
            pkg,
            "x_chapter",
            f"'x_chapter' {chapter!r} ist kein Kapitel des Katalogs",
            f"eines von {sorted(catalog.chapter_ids(), key=int)} (catalog/catalog.yaml)",
        )
    if d.get("x_completeness") not in ("complete", "partial"):
        yield _bad(
            pkg,
            "x_completeness",
            f"'x_completeness' {d.get('x_completeness')!r} ungültig",
            "'complete' oder 'partial'",
        )
    if (
        not isinstance(d.get("x_accrual_periodicity"), str)
        or d["x_accrual_periodicity"] not in FREQUENCIES
    ):
        yield _bad(
            pkg,
            "x_accrual_periodicity",
            f"'x_accrual_periodicity' {d.get('x_accrual_periodicity')!r} ungültig",
            f"eines von {sorted(FREQUENCIES)}",
        )


def _check_spatial(pkg: PackageSource) -> Iterator[Issue]:
    spatial = pkg.descriptor.get("x_spatial")
    if not isinstance(spatial, dict) or str(spatial.get("level")) not in GEOCODING_LEVELS:
        yield _bad(
            pkg,
            "x_spatial",
            f"'x_spatial' {spatial!r} ungültig",
            f"{{'level': L, 'keys': [AGS…]}} mit L aus {sorted(GEOCODING_LEVELS)}",
        )
        return
    keys = spatial.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) and _AGS.match(k) for k in keys):
        yield descriptor_issue(
            pkg,
            "x_spatial.keys",
            f"Regionalschlüssel {keys!r} ungültig",
            "Liste amtlicher Schlüssel (AGS) als Text, z. B. ['05']",
        )


def check_notes(pkg: PackageSource, _catalog: CatalogInfo) -> Iterator[Issue]:
    """Footnote and break lists are well formed (markers are checked against the data)."""
    footnotes = pkg.descriptor.get("x_footnotes", [])
    markers: list[str] = []
    if not isinstance(footnotes, list):
        yield descriptor_issue(
            pkg,
            "x_footnotes",
            "'x_footnotes' ist keine Liste",
            "[{'marker': '1)', 'text': …}]",
            "metadata-invalid",
        )
    else:
        for index, note in enumerate(footnotes):
            if not (
                isinstance(note, dict)
                and isinstance(note.get("marker"), str)
                and isinstance(note.get("text"), str)
            ):
                yield descriptor_issue(
                    pkg,
                    f"x_footnotes[{index}]",
                    "Fußnote ohne 'marker' oder 'text'",
                    "beide als Text angeben",
                    "metadata-invalid",
                )
            else:
                markers.append(note["marker"])
    for marker in sorted({m for m in markers if markers.count(m) > 1}):
        yield descriptor_issue(
            pkg,
            "x_footnotes",
            f"Fußnotenmarker {marker!r} mehrfach definiert",
            "jeden Marker einmal angeben",
            "metadata-invalid",
        )
    breaks = pkg.descriptor.get("x_breaks", [])
    if not isinstance(breaks, list) or not all(
        isinstance(b, dict)
        and isinstance(b.get("period"), str)
        and isinstance(b.get("description"), str)
        for b in breaks
    ):
        yield descriptor_issue(
            pkg,
            "x_breaks",
            "'x_breaks' ungültig",
            "[{'period': '2020', 'description': …}]",
            "metadata-invalid",
        )


def check_foreign_keys(pkg: PackageSource, _catalog: CatalogInfo) -> Iterator[Issue]:
    """Each ``x_foreign_keys`` entry names resource, fields and a reference (targets: validate)."""
    entries = pkg.descriptor.get("x_foreign_keys", [])
    if not isinstance(entries, list):
        yield descriptor_issue(
            pkg,
            "x_foreign_keys",
            "'x_foreign_keys' ist keine Liste",
            "Liste von Fremdschlüsseln angeben oder weglassen",
            "metadata-invalid",
        )
        return
    for index, fk in enumerate(entries):
        if not (isinstance(fk, dict) and is_foreign_key(fk)):
            yield descriptor_issue(
                pkg,
                f"x_foreign_keys[{index}]",
                "Fremdschlüssel unvollständig",
                "{'resource': R, 'fields': ['ags'], 'reference': "
                "{'package': 'nrw-regionen', 'resource': 'regionen', 'fields': ['ags']}}",
                "metadata-invalid",
            )


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
    return True


def check_control_characters(pkg: PackageSource, _catalog: CatalogInfo) -> Iterator[Issue]:
    """No control character (NUL and friends) in any key or text of the descriptor."""
    if (found := find_control_character(pkg.descriptor)) is not None:
        where, char = found
        yield descriptor_issue(
            pkg,
            where,
            f"Steuerzeichen {char!r} in {where!r}",
            "Steuerzeichen (z. B. NUL, \\u0000) entfernen; PostgreSQL kann NUL nicht speichern",
            "control-character",
        )


METADATA_RULES: tuple[Rule, ...] = (
    check_control_characters,
    check_basics,
    check_rights,
    check_urls,
    check_coverage,
    check_notes,
    check_foreign_keys,
    check_translations,
)


def check_metadata(pkg: PackageSource, catalog: CatalogInfo) -> list[Issue]:
    """Run every metadata rule on one package."""
    return [issue for rule in METADATA_RULES for issue in rule(pkg, catalog)]
