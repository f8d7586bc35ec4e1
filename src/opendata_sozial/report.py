"""Render validation reports for people (rich) and machines (JSON)."""

import json
from dataclasses import asdict
from itertools import groupby
from typing import Any

from rich.console import Console
from rich.table import Table

from opendata_sozial.domain import Severity
from opendata_sozial.ingest.validate import ValidationReport


def report_to_json(report: ValidationReport) -> str:
    """The report as a JSON document: validity per package and every issue."""
    document: dict[str, Any] = {
        "valid": report.is_valid,
        "packages": [
            {
                "name": result.name,
                "path": str(result.folder),
                "valid": result.is_valid,
                "issues": [asdict(issue) for issue in result.issues],
            }
            for result in report.packages
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def print_report(report: ValidationReport, console: Console) -> None:
    """Print issues grouped by package and resource, then a one-line summary."""
    for result in report.packages:
        mark = "[green]gültig[/]" if result.is_valid else "[red]ungültig[/]"
        console.print(f"[bold]{result.name}[/] ({result.folder}): {mark}")
        for resource, issues in groupby(result.issues, key=lambda i: i.resource or "(Paket)"):
            table = Table(title=f"{result.name} / {resource}", title_justify="left", expand=False)
            for column in ("Stufe", "Code", "Ort", "Wert", "Meldung", "Hinweis"):
                table.add_column(column, overflow="fold", no_wrap=column == "Code")
            for issue in issues:
                level = (
                    "[red]Fehler[/]" if issue.severity is Severity.ERROR else "[yellow]Warnung[/]"
                )
                table.add_row(
                    level,
                    issue.code,
                    issue.location(),
                    issue.value or "",
                    issue.message,
                    issue.hint or "",
                )
            console.print(table)
    errors = len(report.errors())
    valid = sum(result.is_valid for result in report.packages)
    colour = "green" if report.is_valid else "red"
    console.print(
        f"[{colour}]{valid} von {len(report.packages)} Paketen gültig, {errors} Fehler.[/]"
    )
