"""Text cells a spreadsheet would run as a formula: accepted, but reported as a warning.

Such text (``=HYPERLINK(…)``, ``+49 …``, ``@SUMME``, ``-1+2``, also behind leading whitespace of
any kind, in full-width forms like ``＝``, or after a tab or line break) is legitimate data in a
CSV, so it does not block publishing; ``domain.is_formula_like`` is the one rule, for this
warning and for every export meant for spreadsheets: ``rows.csv?profile=excel-de`` prefixes an
apostrophe (``services.export.neutralise``), ``rows.xlsx`` writes a text cell. The original
file, plain CSV, JSON and NDJSON keep it byte for byte. The warning tells the publisher that
such cells exist, one per column, with the first row and the count.
"""

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from opendata_sozial.domain import Issue, Severity, is_formula_like
from opendata_sozial.ingest.package import PackageSource, objects_in

TEXT_TYPES = frozenset({"string"})


def check_formulas(pkg: PackageSource, res: dict[str, Any], file: Path) -> list[Issue]:
    """One warning per text column holding formula-like cells (first row, value and count)."""
    schema = res.get("schema")
    fields = objects_in(schema.get("fields")) if isinstance(schema, dict) else []
    header = [str(f.get("name")) for f in fields]
    text = {i for i, f in enumerate(fields) if f.get("type") in TEXT_TYPES}
    first: dict[int, tuple[int, str]] = {}
    counts: Counter[int] = Counter()
    with file.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        try:
            if next(reader, []) != header:
                return []  # the label checks report a header that differs
            for number, row in enumerate(reader, start=2):
                for col in text:
                    if col < len(row) and is_formula_like(row[col]):
                        first.setdefault(col, (number, row[col]))
                        counts[col] += 1
        except csv.Error:
            return []  # unreadable rows are reported by the data rules
    return [_warning(pkg, res, header[col], *first[col], counts[col]) for col in sorted(first)]


def _warning(  # the facts of one finding
    pkg: PackageSource, res: dict[str, Any], field: str, row: int, value: str, count: int
) -> Issue:
    return Issue(
        code="formula-like-text",
        message=f"{count} Zelle(n) beginnen wie eine Tabellenkalkulations-Formel "
        f"(=, +, -, @, auch in voller Breite, hinter Leerraum oder nach Tab/Zeilenumbruch), "
        f"zuerst {value[:60]!r}",
        package=pkg.name,
        resource=str(res.get("name")),
        file=str(res.get("path")),
        row=row,
        field=field,
        value=value[:60],
        hint="gewollt? Dann nichts tun: Excel-Exporte machen Text daraus (CSV mit ' davor, XLSX "
        "als Textzelle); sonst Text korrigieren",
        severity=Severity.WARNING,
    )
