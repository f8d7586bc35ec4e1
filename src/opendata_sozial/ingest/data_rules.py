"""House rules on the data: cells, categories, status symbols, footnote markers, foreign keys."""

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from opendata_sozial.domain import FOOTNOTE_FIELD, STATUS_CODES, WITHHELD_STATUS, Issue, Severity
from opendata_sozial.ingest.number_rules import NumberWatch
from opendata_sozial.ingest.package import PackageSource, objects_in
from opendata_sozial.ingest.resource_rules import STATUS_SUFFIX, resource_issue

MAX_ISSUES_PER_RESOURCE = 200
MAX_CELL_CHARS = 1_000
"""Longest cell accepted; the longest in the shipped packages has under 100 characters."""
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters (NUL and friends) that no cell may contain; tab and line breaks may."""
Reporter = Callable[[int, str | None, str | None, str, str, str], None]
KeySets = Mapping[tuple[str, str, str], frozenset[str]]
"""Known key values by (package, resource, field), for foreign keys into other packages."""


@dataclass(slots=True)
class ColumnPlan:
    """What to check in each column, prepared once per resource."""

    categories: dict[int, frozenset[str]] = field(default_factory=dict)
    status: dict[int, int] = field(default_factory=dict)  # status column -> value column
    footnote: int | None = None
    foreign: dict[int, tuple[str, frozenset[str]]] = field(default_factory=dict)


def plan_columns(
    header: list[str], fields: list[dict[str, Any]], foreign: dict[str, tuple[str, frozenset[str]]]
) -> ColumnPlan:
    """Which column positions have categories, status symbols, footnotes and foreign keys."""
    plan = ColumnPlan()
    index = {name: i for i, name in enumerate(header)}
    for spec in fields:
        name = str(spec.get("name"))
        if name not in index:
            continue
        categories = spec.get("categories")
        if isinstance(categories, list) and not name.endswith(STATUS_SUFFIX):
            plan.categories[index[name]] = frozenset(
                str(c.get("value") if isinstance(c, dict) else c) for c in categories
            )
        value_name = name.removesuffix(STATUS_SUFFIX)
        if name.endswith(STATUS_SUFFIX) and value_name in index:
            plan.status[index[name]] = index[value_name]
    plan.footnote = index.get(FOOTNOTE_FIELD)
    plan.foreign = {index[name]: ref for name, ref in foreign.items() if name in index}
    return plan


def check_data(
    pkg: PackageSource, res: dict[str, Any], file: Path, key_sets: KeySets
) -> list[Issue]:
    """Check every row of one CSV resource; stop after ``MAX_ISSUES_PER_RESOURCE`` findings."""
    schema = res.get("schema")
    fields = objects_in(schema.get("fields")) if isinstance(schema, dict) else []
    notes = [
        n for n in objects_in(pkg.descriptor.get("x_footnotes")) if isinstance(n.get("marker"), str)
    ]
    markers = {n["marker"] for n in notes}
    foreign = foreign_lookup(pkg, str(res.get("name")), key_sets)
    issues: list[Issue] = []
    used: set[str] = set()

    def report(
        row: int, col: str | None, value: str | None, code: str, message: str, hint: str
    ) -> None:
        issues.append(
            resource_issue(pkg, res, message, hint, code, col, row=row, value=value, file=file)
        )

    header = [str(f.get("name")) for f in fields]
    with file.open(encoding="utf-8-sig", newline="") as handle:  # a BOM is reported by check_file
        reader = csv.reader(handle)
        try:
            if next(reader, []) != header:
                return []  # reported by frictionless (label checks) with the exact difference
            plan = plan_columns(header, fields, foreign)
            watch = NumberWatch(header, fields)
            complete = _scan(reader, header, plan, markers, used, report, issues, watch)
        except UnicodeDecodeError:
            complete = False  # check_file reports the first invalid byte with its line
        except csv.Error as exc:
            complete = False
            report(
                reader.line_num,
                None,
                None,
                "source-error",
                f"CSV in Zeile {reader.line_num} nicht lesbar: {exc}",
                "Anführungszeichen schließen und überlange Zellen kürzen",
            )
    if not complete:
        return issues  # unused footnotes and column verdicts are only known after the last row
    make = partial(Issue, package=pkg.name, resource=str(res.get("name")), file=str(file))
    return issues + watch.issues(make) + unused_footnotes(pkg, res, used)


def unused_footnotes(
    pkg: PackageSource, res: dict[str, Any], used: AbstractSet[str]
) -> list[Issue]:
    """Warnings for row footnotes (scope other than ``table``) that no row of ``res`` uses."""
    notes = [
        n for n in objects_in(pkg.descriptor.get("x_footnotes")) if isinstance(n.get("marker"), str)
    ]
    row_markers = {n["marker"] for n in notes if n.get("scope") != "table"}
    return [
        Issue(
            code="footnote-unused",
            message=f"Fußnote {marker!r} wird in keiner Zeile verwendet",
            package=pkg.name,
            resource=str(res.get("name")),
            field="x_footnotes",
            hint="Marker in der Spalte fussnote setzen, Fußnote entfernen oder mit scope: table als Fußnote zur Tabelle kennzeichnen",
            severity=Severity.WARNING,
        )
        for marker in sorted(row_markers - used)
    ]


def _scan(
    reader: Iterator[list[str]],
    header: list[str],
    plan: ColumnPlan,
    markers: set[str],
    used: set[str],
    report: Reporter,
    issues: list[Issue],
    watch: NumberWatch,
) -> bool:
    """Check the rows after the header; False when stopped early at the issue limit."""
    for number, row in enumerate(reader, start=2):
        if _check_cells(row, number, header, report) and len(row) == len(header):
            _check_row(row, number, header, plan, markers, used, report)
            watch.observe(row, number)
        if len(issues) >= MAX_ISSUES_PER_RESOURCE:
            return False
    return True


def clip(text: str, limit: int = 60) -> str:
    """Shorten ``text`` for a report: the first ``limit`` characters and the total length."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} Zeichen)"


def _check_cells(row: list[str], number: int, header: list[str], report: Reporter) -> bool:
    """Overlong cells and control characters; True when the row is clean enough to check on."""
    clean = True
    for col, cell in enumerate(row):
        name = header[col] if col < len(header) else None
        if len(cell) > MAX_CELL_CHARS:
            clean = False
            report(
                number,
                name,
                clip(cell),
                "cell-too-long",
                f"Zelle hat {len(cell)} Zeichen, höchstens {MAX_CELL_CHARS} sind erlaubt",
                "Zelle kürzen; fehlt ein Zeilenumbruch oder ein schließendes Anführungszeichen?",
            )
        elif match := CONTROL_CHARACTERS.search(cell):
            clean = False
            report(
                number,
                name,
                clip(
                    CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", cell)
                ),  # printable
                "control-character",
                f"Steuerzeichen {match.group()!r} an Stelle {match.start() + 1} der Zelle",
                "Steuerzeichen (z. B. NUL-Bytes aus Exporten) entfernen",
            )
    return clean


def _check_row(
    row: list[str],
    number: int,
    header: list[str],
    plan: ColumnPlan,
    markers: set[str],
    used: set[str],
    report: Reporter,
) -> None:
    for col, allowed in plan.categories.items():
        if row[col] and row[col] not in allowed:
            report(
                number,
                header[col],
                row[col],
                "category-error",
                f"Wert {row[col]!r} ist keine der zulässigen Ausprägungen",
                f"eine der {len(allowed)} Ausprägungen in 'categories' verwenden oder sie dort ergänzen",
            )
    for col, value_col in plan.status.items():
        _check_status(row[col], row[value_col], number, header[col], report)
    if plan.footnote is not None and row[plan.footnote]:
        for marker in row[plan.footnote].split(";"):
            used.add(marker)
            if marker not in markers:
                report(
                    number,
                    FOOTNOTE_FIELD,
                    marker,
                    "footnote-unresolved",
                    f"Fußnotenmarker {marker!r} hat keinen Text in 'x_footnotes'",
                    "Fußnote in x_footnotes ergänzen",
                )
    for col, (target, keys) in plan.foreign.items():
        if row[col] and row[col] not in keys:
            report(
                number,
                header[col],
                row[col],
                "foreign-key-error",
                f"Schlüssel {row[col]!r} fehlt in {target}",
                "amtlichen Schlüssel verwenden, der in der Referenztabelle steht",
            )


def _check_status(status: str, value: str, number: int, name: str, report: Reporter) -> None:
    if status and status not in STATUS_CODES:
        report(
            number,
            name,
            status,
            "status-error",
            f"unbekanntes Zeichen {status!r}",
            f"eines von {list(STATUS_CODES)} oder leer",
        )
    elif not value and status not in WITHHELD_STATUS:
        report(
            number,
            name,
            status,
            "status-missing",
            "leerer Wert ohne erklärendes Zeichen",
            f"Zeichen aus {sorted(WITHHELD_STATUS)} in die Statusspalte setzen",
        )
    elif value and status in WITHHELD_STATUS - {"-"}:
        report(
            number,
            name,
            status,
            "status-error",
            f"Zeichen {status!r} steht für einen fehlenden Wert, die Zelle hat aber einen",
            "Wert leeren oder Zeichen korrigieren",
        )


def foreign_lookup(
    pkg: PackageSource, resource: str, key_sets: KeySets
) -> dict[str, tuple[str, frozenset[str]]]:
    """Own column -> (target name, known keys) for each foreign key of ``resource``."""
    lookup: dict[str, tuple[str, frozenset[str]]] = {}
    for fk in pkg.foreign_keys():
        if fk.get("resource") != resource:
            continue
        ref = fk["reference"]
        for own, theirs in zip(fk.get("fields") or [], ref.get("fields") or [], strict=False):
            target = (str(ref.get("package")), str(ref.get("resource")), str(theirs))
            if target in key_sets:
                lookup[str(own)] = ("/".join(target), key_sets[target])
    return lookup
