"""House rules on the data: categories, status symbols, footnote markers and foreign keys."""

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata_sozial.domain import STATUS_CODES, WITHHELD_STATUS, Issue, Severity
from opendata_sozial.ingest.package import PackageSource
from opendata_sozial.ingest.resource_rules import FOOTNOTE_FIELD, STATUS_SUFFIX

MAX_ISSUES_PER_RESOURCE = 200
KeySets = Mapping[tuple[str, str, str], frozenset[str]]
"""Known key values by (package, resource, field), for foreign keys into other packages."""


@dataclass(slots=True)
class _Plan:
    """What to check in each column, prepared once per resource."""

    categories: dict[int, frozenset[str]] = field(default_factory=dict)
    status: dict[int, int] = field(default_factory=dict)  # status column -> value column
    footnote: int | None = None
    foreign: dict[int, tuple[str, frozenset[str]]] = field(default_factory=dict)


def _plan(header: list[str], fields: list[dict[str, Any]], foreign: dict[str, tuple[str, frozenset[str]]]) -> _Plan:
    plan = _Plan()
    index = {name: i for i, name in enumerate(header)}
    for spec in fields:
        name = str(spec.get("name"))
        if name not in index:
            continue
        categories = spec.get("categories")
        if isinstance(categories, list) and not name.endswith(STATUS_SUFFIX):
            plan.categories[index[name]] = frozenset(str(c.get("value") if isinstance(c, dict) else c) for c in categories)
        value_name = name.removesuffix(STATUS_SUFFIX)
        if name.endswith(STATUS_SUFFIX) and value_name in index:
            plan.status[index[name]] = index[value_name]
    plan.footnote = index.get(FOOTNOTE_FIELD)
    plan.foreign = {index[name]: ref for name, ref in foreign.items() if name in index}
    return plan


def check_data(pkg: PackageSource, res: dict[str, Any], file: Path, key_sets: KeySets) -> list[Issue]:
    """Check every row of one CSV resource; stop after ``MAX_ISSUES_PER_RESOURCE`` findings."""
    fields = [f for f in (res.get("schema") or {}).get("fields", []) if isinstance(f, dict)]
    notes = [n for n in pkg.descriptor.get("x_footnotes", []) if isinstance(n, dict) and isinstance(n.get("marker"), str)]
    markers = {n["marker"] for n in notes}
    row_markers = {n["marker"] for n in notes if n.get("scope") != "table"}
    foreign = _foreign_lookup(pkg, str(res.get("name")), key_sets)
    issues: list[Issue] = []
    used: set[str] = set()

    def report(row: int, col: str | None, value: str | None, code: str, message: str, hint: str) -> None:
        issues.append(Issue(code=code, message=message, package=pkg.name, resource=str(res.get("name")), file=str(file), row=row, field=col, value=value, hint=hint))

    try:
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            if header != [str(f.get("name")) for f in fields]:
                return []  # reported by frictionless (label checks) with the exact difference
            plan = _plan(header, fields, foreign)
            for row_number, row in enumerate(reader, start=2):
                if len(row) == len(header):
                    _check_row(row, row_number, header, plan, markers, used, report)
                if len(issues) >= MAX_ISSUES_PER_RESOURCE:
                    break
    except UnicodeDecodeError as exc:
        report(0, None, None, "encoding-error", f"kein gültiges UTF-8 (Byte {exc.start})", "Datei als UTF-8 ohne BOM speichern")
    except csv.Error as exc:
        report(0, None, None, "source-error", f"CSV nicht lesbar: {exc}", "Steuerzeichen (z. B. NUL-Bytes) entfernen")
    for marker in sorted(row_markers - used):
        issues.append(Issue(code="footnote-unused", message=f"Fußnote {marker!r} wird in keiner Zeile verwendet", package=pkg.name, resource=str(res.get("name")), field="x_footnotes", hint="Marker in der Spalte fussnote setzen, Fußnote entfernen oder mit scope: table als Fußnote zur Tabelle kennzeichnen", severity=Severity.WARNING))
    return issues


def _check_row(row: list[str], number: int, header: list[str], plan: _Plan, markers: set[str], used: set[str], report: Any) -> None:
    for col, allowed in plan.categories.items():
        if row[col] and row[col] not in allowed:
            report(number, header[col], row[col], "category-error", f"Wert {row[col]!r} ist keine der zulässigen Ausprägungen", f"eine der {len(allowed)} Ausprägungen in 'categories' verwenden oder sie dort ergänzen")
    for col, value_col in plan.status.items():
        _check_status(row[col], row[value_col], number, header[col], report)
    if plan.footnote is not None and row[plan.footnote]:
        for marker in row[plan.footnote].split(";"):
            used.add(marker)
            if marker not in markers:
                report(number, FOOTNOTE_FIELD, marker, "footnote-unresolved", f"Fußnotenmarker {marker!r} hat keinen Text in 'x_footnotes'", "Fußnote in x_footnotes ergänzen")
    for col, (target, keys) in plan.foreign.items():
        if row[col] and row[col] not in keys:
            report(number, header[col], row[col], "foreign-key-error", f"Schlüssel {row[col]!r} fehlt in {target}", "amtlichen Schlüssel verwenden, der in der Referenztabelle steht")


def _check_status(status: str, value: str, number: int, name: str, report: Any) -> None:
    if status and status not in STATUS_CODES:
        report(number, name, status, "status-error", f"unbekanntes Zeichen {status!r}", f"eines von {list(STATUS_CODES)} oder leer")
    elif not value and status not in WITHHELD_STATUS:
        report(number, name, status, "status-missing", "leerer Wert ohne erklärendes Zeichen", f"Zeichen aus {sorted(WITHHELD_STATUS)} in die Statusspalte setzen")
    elif value and status in WITHHELD_STATUS - {"-"}:
        report(number, name, status, "status-error", f"Zeichen {status!r} steht für einen fehlenden Wert, die Zelle hat aber einen", "Wert leeren oder Zeichen korrigieren")


def _foreign_lookup(pkg: PackageSource, resource: str, key_sets: KeySets) -> dict[str, tuple[str, frozenset[str]]]:
    lookup: dict[str, tuple[str, frozenset[str]]] = {}
    for fk in pkg.descriptor.get("x_foreign_keys", []) or []:
        if not isinstance(fk, dict) or fk.get("resource") != resource:
            continue
        ref = fk.get("reference") or {}
        for own, theirs in zip(fk.get("fields") or [], ref.get("fields") or [], strict=False):
            target = (str(ref.get("package")), str(ref.get("resource")), str(theirs))
            if target in key_sets:
                lookup[str(own)] = ("/".join(target), key_sets[target])
    return lookup
