"""Human summary of one package for ``opendata-sozial info``."""

from rich.console import Console
from rich.table import Table

from opendata_sozial.ingest.package import PackageSource
from opendata_sozial.model.dataset import Period, Spatial
from opendata_sozial.model.parse import parse_dataset


def print_info(pkg: PackageSource, console: Console) -> None:
    """Print title, description, coverage, notes and the schema of each resource."""
    d = parse_dataset(pkg.descriptor)
    console.print(f"[bold]{d.title or pkg.name}[/] ({pkg.name}, Version {d.version or '?'})")
    console.print(d.description)
    period = d.period or Period()
    spatial = d.spatial or Spatial()
    console.print(
        f"Zeitraum: {period.start}–{period.end}; Raum: {spatial.level} {', '.join(spatial.keys)}"
    )
    console.print(f"Quelle: {', '.join(str(s.path) for s in d.sources)}")
    console.print(f"Namensnennung: {d.attribution or ''}")
    for note in d.footnotes:
        console.print(f"Fußnote {note.marker}: {note.text}")
    for brk in d.breaks:
        console.print(f"Bruch {brk.period}: {brk.description}")
    for res in d.resources:
        table = Table(
            "Feld",
            "Typ",
            "Titel",
            "Einheit",
            title=f"Ressource {res.name} ({res.path}, {res.bytes} Byte)",
            title_justify="left",
        )
        for field in res.fields:
            unit = field.unit or (f"siehe {field.unit_field}" if field.unit_field else "")
            table.add_row(field.name, field.type, field.title or "", unit)
        console.print(table)
