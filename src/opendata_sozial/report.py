"""Render validation reports for people (rich tables or plain lines) and machines (JSON).

On a terminal the issues of each resource form a table. Elsewhere (a file, a pipe, a log of a
scheduled job) every issue is one unwrapped line with the same facts, so that nothing is cut
at 80 columns and ``grep`` finds the whole message.
"""

import json
from dataclasses import asdict
from itertools import groupby
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from opendata_sozial.domain import Issue, Severity
from opendata_sozial.ingest.validate import ValidationReport

LEVELS = {Severity.ERROR: "Fehler", Severity.WARNING: "Warnung"}


def _count(issues: list[Issue], severity: Severity) -> int:
    return sum(issue.severity is severity for issue in issues)


def report_to_json(report: ValidationReport) -> str:
    """The report as a JSON document: validity and counts per package and every issue."""
    every = [issue for result in report.packages for issue in result.issues]
    document: dict[str, Any] = {
        "valid": report.is_valid,
        "errors": _count(every, Severity.ERROR),
        "warnings": _count(every, Severity.WARNING),
        "packages": [
            {
                "name": result.name,
                "path": str(result.folder),
                "valid": result.is_valid,
                "errors": _count(result.issues, Severity.ERROR),
                "warnings": _count(result.issues, Severity.WARNING),
                "issues": [asdict(issue) for issue in result.issues],
            }
            for result in report.packages
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def issue_line(issue: Issue) -> str:
    """One issue as one line: level, code, place, value, message and hint."""
    value = f", Wert {issue.value!r}" if issue.value is not None else ""
    hint = f" Hinweis: {issue.hint}" if issue.hint else ""
    return (
        f"{LEVELS[issue.severity]} [{issue.code}] {issue.location()}{value}: {issue.message}.{hint}"
    )


def print_report(report: ValidationReport, console: Console) -> None:
    """Print issues grouped by package (tables on a terminal, else lines), then a summary."""
    for result in report.packages:
        verdict = "gültig" if result.is_valid else "ungültig"
        if console.is_terminal:
            colour = "green" if result.is_valid else "red"
            console.print(
                f"[bold]{escape(result.name)}[/] ({escape(str(result.folder))}): [{colour}]{verdict}[/]"
            )
            _print_tables(result.name, result.issues, console)
        else:
            _plain(console, f"{result.name} ({result.folder}): {verdict}")
            for issue in result.issues:
                _plain(console, f"  {issue_line(issue)}")
    every = [issue for result in report.packages for issue in result.issues]
    valid = sum(result.is_valid for result in report.packages)
    summary = f"{valid} von {len(report.packages)} Paketen gültig, {_count(every, Severity.ERROR)} Fehler, {_count(every, Severity.WARNING)} Warnungen."
    if console.is_terminal:
        console.print(f"[{'green' if report.is_valid else 'red'}]{summary}[/]")
    else:
        _plain(console, summary)


def _plain(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True, emoji=False)


def _print_tables(name: str, issues: list[Issue], console: Console) -> None:
    for resource, group in groupby(issues, key=lambda i: i.resource or "(Paket)"):
        table = Table(title=f"{name} / {resource}", title_justify="left", expand=False)
        for column in ("Stufe", "Code", "Ort", "Wert", "Meldung", "Hinweis"):
            table.add_column(column, overflow="fold", no_wrap=column == "Code")
        for issue in group:
            level = "[red]Fehler[/]" if issue.severity is Severity.ERROR else "[yellow]Warnung[/]"
            table.add_row(
                level,
                escape(issue.code),
                escape(issue.location()),
                escape(issue.value or ""),
                escape(issue.message),
                escape(issue.hint or ""),
            )
        console.print(table)
