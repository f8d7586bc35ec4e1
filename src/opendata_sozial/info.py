"""Human summary of one package for ``opendata-sozial info``."""

from rich.console import Console
from rich.table import Table

from opendata_sozial.ingest.package import PackageSource


def print_info(pkg: PackageSource, console: Console) -> None:
    """Print title, description, coverage, notes and the schema of each resource."""
    d = pkg.descriptor
    console.print(
        f"[bold]{d.get('title', pkg.name)}[/] ({pkg.name}, Version {d.get('version', '?')})"
    )
    console.print(str(d.get("description", "")))
    temporal = d.get("x_temporal") or {}
    spatial = d.get("x_spatial") or {}
    console.print(
        f"Zeitraum: {temporal.get('start')}–{temporal.get('end')}; Raum: {spatial.get('level')} {', '.join(spatial.get('keys', []))}"
    )
    console.print(f"Quelle: {', '.join(str(s.get('path')) for s in d.get('sources', []))}")
    console.print(f"Namensnennung: {d.get('x_attribution', '')}")
    for note in d.get("x_footnotes", []):
        console.print(f"Fußnote {note.get('marker')}: {note.get('text')}")
    for brk in d.get("x_breaks", []):
        console.print(f"Bruch {brk.get('period')}: {brk.get('description')}")
    for res in pkg.resources():
        table = Table(
            "Feld",
            "Typ",
            "Titel",
            "Einheit",
            title=f"Ressource {res.get('name')} ({res.get('path')}, {res.get('bytes')} Byte)",
            title_justify="left",
        )
        for field in (res.get("schema") or {}).get("fields", []):
            unit = field.get("x_unit") or (
                f"siehe {field['x_unit_field']}" if field.get("x_unit_field") else ""
            )
            table.add_row(
                str(field.get("name")), str(field.get("type")), str(field.get("title", "")), unit
            )
        console.print(table)
