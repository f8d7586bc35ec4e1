"""Command line of the publisher: validate, init, list, info (and publish/serve)."""

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from opendata_sozial.catalog import CatalogInfo, load_catalog
from opendata_sozial.config import Settings
from opendata_sozial.errors import DatasetNotFound, OpendataError
from opendata_sozial.ingest.package import DescriptorError, find_packages, read_package
from opendata_sozial.ingest.validate import validate_paths
from opendata_sozial.report import print_report, report_to_json

if TYPE_CHECKING:
    from opendata_sozial.services.publish import PublishResult

logger = logging.getLogger(__name__)


class _Context:
    """Settings and consoles shared by the commands."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.out = Console(soft_wrap=True)
        self.err = Console(stderr=True, soft_wrap=True)

    def catalog(self) -> CatalogInfo:
        return load_catalog(self.settings.catalog_file)


pass_context = click.make_pass_decorator(_Context)


@click.group()
@click.option(
    "--catalog",
    "catalog_file",
    type=click.Path(path_type=Path),
    help="Katalogdatei (Standard: ODS_CATALOG_FILE oder catalog/catalog.yaml).",
)
@click.version_option(package_name="opendata-sozial")
@click.pass_context
def cli(ctx: click.Context, catalog_file: Path | None) -> None:
    """Opendata-sozial: Datenpakete der Sozialberichterstattung NRW prüfen, anlegen und veröffentlichen."""
    settings = Settings()
    if catalog_file is not None:
        settings = settings.model_copy(update={"catalog_file": catalog_file})
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx.obj = _Context(settings)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_context
def validate(context: _Context, paths: tuple[Path, ...], output: str) -> None:
    """Prüft Datenpakete (Standard: alle unter datapackages/). Exit 0 = gültig, 1 = Fehler."""
    targets = list(paths) or [context.settings.datapackages_dir]
    report = validate_paths(
        targets, context.catalog(), reference_dirs=context.settings.reference_dirs()
    )
    if output == "json":
        click.echo(report_to_json(report))
    else:
        print_report(report, context.out)
    sys.exit(0 if report.is_valid else 1)


@cli.command(name="list")
@pass_context
def list_packages(context: _Context) -> None:
    """Listet die Datenpakete unter datapackages/ mit Titel, Zeitraum und Kapitel.

    Im Terminal als Tabelle; in eine Datei oder Pipe eine Zeile je Paket, Spalten durch
    Tabulatoren getrennt und nie gekürzt.
    """
    from rich.table import Table

    from opendata_sozial.model.dataset import Period
    from opendata_sozial.model.parse import parse_dataset

    header = ("Name", "Titel", "Zeitraum", "Kapitel")
    lines: list[tuple[str, str, str, str]] = []
    for folder in find_packages([context.settings.datapackages_dir]):
        try:
            pkg = read_package(folder)
        except DescriptorError as exc:
            lines.append((folder.name, f"Fehler: {exc.issue.message}", "", ""))
            continue
        dataset = parse_dataset(pkg.descriptor)
        period = dataset.period or Period("?", "?")
        lines.append((pkg.name, dataset.title, f"{period.start}–{period.end}", dataset.chapter))
    if not context.out.is_terminal:
        for line in (header, *lines):
            click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in line))
        return
    table = Table(*header)
    for line in lines:
        table.add_row(*(escape(cell) for cell in line))
    context.out.print(table)


@cli.command()
@click.argument("name")
@pass_context
def info(context: _Context, name: str) -> None:
    """Zeigt Metadaten, Ressourcen und Felder eines Pakets."""
    from opendata_sozial.info import print_info

    folders = {folder.name: folder for folder in find_packages([context.settings.datapackages_dir])}
    if name not in folders:
        raise DatasetNotFound(
            f"Paket {name!r} gibt es in {context.settings.datapackages_dir} nicht; "
            f"vorhanden: {', '.join(sorted(folders))}"
        )
    print_info(read_package(folders[name]), context.out)


def main() -> None:
    """Entry point: run the CLI, turning expected errors into one clear line and exit 1."""
    try:
        cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except DescriptorError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]Fehler:[/] {escape(exc.issue.location())}: {escape(exc.issue.message)}"
        )
        sys.exit(1)
    except OpendataError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]Fehler ({exc.code}):[/] {escape(str(exc))}"
        )
        sys.exit(1)


@cli.command()
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--name", help="Paketname (Standard: aus dem Dateinamen).")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Zielordner (Standard: datapackages/NAME)."
)
@click.option("--sheet", help="XLSX: Name oder Nummer (ab 1) des Tabellenblatts.")
@click.option(
    "--skip-rows",
    type=int,
    default=0,
    show_default=True,
    help="Titelzeilen vor der Kopfzeile überspringen.",
)
@click.option(
    "--delimiter", help="CSV-Trennzeichen (Standard: erkennen; ';' bei deutschen Excel-Exporten)."
)
@click.option(
    "--decimal",
    type=click.Choice([",", "."]),
    default=",",
    show_default=True,
    help="Dezimaltrennzeichen der Quelle.",
)
@click.option(
    "--encoding",
    help="Zeichenkodierung der Quelle (Standard: UTF-8 mit/ohne BOM, sonst Windows-1252).",
)
@click.option("--force", is_flag=True, help="Vorhandenen Zielordner überschreiben.")
@click.option(
    "--license",
    "license_name",
    help="Lizenz des Pakets, z. B. dl-de-by-2.0 (Standard: license der Katalogdatei).",
)
@click.option(
    "--text",
    "text_columns",
    multiple=True,
    help="Spalte (Überschrift) als Text übernehmen, auch wenn sie überwiegend Zahlen enthält.",
)
@click.option(
    "--accept-ambiguous",
    is_flag=True,
    help="Mehrdeutige Zahlen (z. B. 4,572 unter ganzen Zahlen) mit --decimal lesen.",
)
@pass_context
def init(  # noqa: PLR0913, PLR0917  # one parameter per CLI option
    context: _Context,
    source: Path,
    name: str | None,
    out: Path | None,
    sheet: str | None,
    skip_rows: int,
    delimiter: str | None,
    decimal: str,
    encoding: str | None,
    force: bool,
    license_name: str | None,
    text_columns: tuple[str, ...],
    accept_ambiguous: bool,
) -> None:
    """Legt aus einer Rohtabelle (CSV oder XLSX) ein neues Datenpaket an."""
    from opendata_sozial.ingest.licenses import choose_license
    from opendata_sozial.ingest.scaffold import ScaffoldOptions, scaffold_package

    default = None if license_name else str(context.catalog().license)
    lic, licence_note = choose_license(license_name, default)
    options = ScaffoldOptions(
        name=name,
        sheet=sheet,
        skip_rows=skip_rows,
        delimiter=delimiter,
        decimal=decimal,
        encoding=encoding,
        force=force,
        license=lic,
        text_columns=text_columns,
        accept_ambiguous=accept_ambiguous,
    )
    folder = scaffold_package(source, out, options, packages_dir=context.settings.datapackages_dir)
    context.out.print(
        f"Paket angelegt: {folder}. {licence_note} Nächster Schritt: fehlende Metadaten ergänzen, dann `opendata-sozial validate {folder}`.",
        markup=False,
    )


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--notes", default="", help="Notiz zum Release (Änderungen, Anlass).")
@click.option(
    "--withdraw",
    "withdraw",
    multiple=True,
    metavar="NAME",
    help="Datensatz aus dem neuen Release entfernen (wiederholbar). Ohne diese Angabe bleiben "
    "alle anderen Datensätze des laufenden Releases erhalten.",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Das neue Release enthält genau die angegebenen Pakete; alle anderen werden "
    "zurückgezogen.",
)
@click.option(
    "--dry-run", is_flag=True, help="Nur den Plan zeigen; die Datenbank bleibt unverändert."
)
@pass_context
def publish(
    context: _Context,
    paths: tuple[Path, ...],
    notes: str,
    withdraw: tuple[str, ...],
    exact: bool,
    dry_run: bool,
) -> None:
    """Prüft Datenpakete und veröffentlicht sie als neues Release; andere Datensätze bleiben.

    Vor dem Umschalten zeigt publish den Plan (neu, geändert, unverändert, zurückgezogen).
    Bei Fehlern ändert sich nichts: das bisherige Release bleibt in Betrieb.
    """
    from rich.progress import Progress

    from opendata_sozial.db.engine import create_db_engine
    from opendata_sozial.errors import PackageInvalid, PublishRefused
    from opendata_sozial.services.faults import pause_from_environment
    from opendata_sozial.services.publish import Selection
    from opendata_sozial.services.publish import publish as run_publish

    # `publish --withdraw NAME` alone withdraws; bare `publish` publishes datapackages/.
    targets = list(paths) or ([] if withdraw else [context.settings.datapackages_dir])
    checkpoint = pause_from_environment(os.environ)
    engine = create_db_engine(
        context.settings.database_url, pooler=context.settings.database_pooler
    )
    selection = Selection(withdraw=withdraw, exact=exact, dry_run=dry_run)
    with Progress(console=context.err, transient=True) as bar:
        task = bar.add_task("Laden", total=None)
        try:
            result = run_publish(
                targets,
                engine=engine,
                catalog=context.catalog(),
                reference_dirs=context.settings.reference_dirs(),
                notes=notes,
                selection=selection,
                announce=lambda plan: _print_plan(context, plan.lines()),
                progress=lambda name, rows: bar.update(
                    task, description=f"{name}: {rows} Zeilen", advance=1
                ),
                checkpoint=checkpoint,
            )
        except PackageInvalid as exc:
            bar.stop()
            report = validate_paths(
                targets, context.catalog(), reference_dirs=context.settings.reference_dirs()
            )
            print_report(report, context.err)
            context.err.print(
                f"[red]Nicht veröffentlicht:[/] {exc}. Das bisherige Release bleibt in Betrieb."
            )
            sys.exit(1)
        except PublishRefused as exc:
            bar.stop()
            context.err.print(
                f"Nicht veröffentlicht: {exc}. Das bisherige Release bleibt in Betrieb.",
                markup=False,
            )
            sys.exit(1)
        finally:
            engine.dispose()
    _print_outcome(context, result)


def _print_plan(context: _Context, lines: list[str]) -> None:
    for line in lines:
        context.out.print(line, markup=False, highlight=False)


def _print_outcome(context: _Context, result: "PublishResult") -> None:
    if result.is_dry_run:
        context.out.print(
            "Probelauf (--dry-run): nichts veröffentlicht, die Datenbank ist unverändert.",
            markup=False,
        )
    elif result.is_unchanged:
        context.out.print(
            f"Unverändert: {result.datasets} Datensätze, kein neues Release ({result.seconds:.1f} s)."
        )
    else:
        context.out.print(
            f"Release {result.release}: {result.datasets} Datensätze ({len(result.changed)} geändert), {result.rows} Zeilen geladen in {result.seconds:.1f} s."
        )


@cli.command()
@click.argument(
    "packages", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False)
)
@click.option("--dry-run", is_flag=True, help="Nur zeigen, was sich geändert hat.")
@pass_context
def refresh(context: _Context, packages: tuple[Path, ...], dry_run: bool) -> None:
    """Liest die Datendateien neu (Größe, Hash, Spalten, Zeilen); alle Metadaten bleiben.

    Nach einer Korrektur in data/*.csv ersetzt refresh das Abschreiben von Hashes von Hand.
    Danach prüft refresh das Paket wie validate.
    """
    from opendata_sozial.ingest.refresh import RefreshError, refresh_lines, refresh_package

    failed = False
    for folder in packages:
        try:
            report = refresh_package(folder, dry_run=dry_run)
        except (RefreshError, DescriptorError) as exc:
            context.err.print(f"Nicht aktualisiert: {exc}", markup=False)
            failed = True
            continue
        for line in refresh_lines(report):
            context.out.print(line, markup=False, highlight=False)
        rows = sum(r.rows for r in report.resources)
        live = _published_rows(context, report.package)
        if live is not None:
            context.out.print(
                f"{report.package}: {live} Zeilen im laufenden Release, jetzt {rows}."
            )
    if failed:
        sys.exit(1)
    if not dry_run:
        result = validate_paths(
            list(packages), context.catalog(), reference_dirs=context.settings.reference_dirs()
        )
        print_report(result, context.out)
        if not result.is_valid:
            sys.exit(1)


def _published_rows(context: _Context, name: str) -> int | None:
    """Rows of ``name`` in the served release, if a database is there to ask (never creates one)."""
    from sqlalchemy.exc import SQLAlchemyError

    from opendata_sozial.db.engine import create_db_engine, missing_sqlite_file
    from opendata_sozial.services.publish import published_rows

    url = context.settings.database_url
    if missing_sqlite_file(url) is not None:
        return None
    engine = create_db_engine(url, read_only=True, pooler=context.settings.database_pooler)
    try:
        return published_rows(engine, name)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


SERVER_PROTOCOL = "opendata_sozial.web.server:BoundedHttpToolsProtocol"
"""uvicorn's httptools protocol with a bound on the request head (named, not imported: the CLI
never imports ``web``)."""


@cli.command()
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, was entfernt würde; nichts ändern.")
@pass_context
def gc(context: _Context, dry_run: bool) -> None:
    """Entfernt, was kein Release mehr verwendet (Tabellen, Dateien, abgebrochene Läufe).

    Datentabellen, gespeicherte Originaldateien und Reste abgebrochener publish-Läufe; alle
    fertigen Releases bleiben abrufbar. Wartet, solange ein publish läuft (dieselbe Sperre).
    """
    from opendata_sozial.db.engine import check_readable, create_db_engine
    from opendata_sozial.db.schema import publish_lock
    from opendata_sozial.services.publish import clean_up_interrupted
    from opendata_sozial.services.storage import collect, describe, find_garbage

    check_readable(context.settings.database_url)  # gc never creates a database
    engine = create_db_engine(
        context.settings.database_url, pooler=context.settings.database_pooler
    )
    try:
        with publish_lock(engine):
            garbage = find_garbage(engine)
            if not dry_run and garbage.has_catalog and not garbage.is_empty:
                clean_up_interrupted(engine)
                collect(engine)
    finally:
        engine.dispose()
    if garbage.is_empty:
        reason = (
            describe(garbage)[0]
            if not garbage.has_catalog
            else "jedes Objekt gehört zu einem Release."
        )
        context.out.print(f"Nichts zu entfernen: {reason}", markup=False)
        return
    context.out.print("Würde entfernt:" if dry_run else "Entfernt:", markup=False)
    for line in describe(garbage):
        context.out.print(f"  {line}" if not line.startswith("Zusammen") else line, markup=False)


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104  # compared with, never bound here


def base_url_mismatch(base_url: str, host: str, port: int) -> str | None:
    """Why links minted from ``base_url`` would not reach a server on ``host:port`` (None: fine).

    Behind a reverse proxy the public address differs on purpose; the caller only warns.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(base_url)
        link_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        link_port = None
        parts = urlsplit("")
    if parts.scheme not in {"http", "https"} or not parts.hostname or link_port is None:
        return f"ODS_BASE_URL={base_url!r} ist keine http(s)-Adresse"
    link_host = parts.hostname.lower()
    same_host = (
        host in _ANY_ADDRESS
        or link_host == host.lower().strip("[]")
        or (link_host in _LOOPBACK and host in _LOOPBACK)
    )
    if link_port != port:
        return f"ODS_BASE_URL={base_url} zeigt auf Port {link_port}, der Server lauscht auf {port}"
    if not same_host:
        return f"ODS_BASE_URL={base_url} zeigt auf {link_host}, der Server lauscht auf {host}"
    return None


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@pass_context
def serve(context: _Context, host: str, port: int, workers: int) -> None:
    """Startet den API-Server (uvicorn) für das veröffentlichte Release.

    Eine SQLite-Datenbank muss es geben und sie muss lesbar sein (der Server liest sie nur und
    legt nie eine leere an); PostgreSQL darf beim Start noch fehlen (Antwort 503).
    """
    import uvicorn

    from opendata_sozial.db.engine import check_readable

    mismatch = base_url_mismatch(context.settings.base_url, host, port)
    if mismatch is not None:
        click.echo(
            f"Warnung: {mismatch}; absolute Links führen dorthin "
            "(richtig hinter einem Proxy, sonst ODS_BASE_URL anpassen).",
            err=True,
        )
    proxies = context.settings.trusted_proxies
    check_readable(context.settings.database_url)
    uvicorn.run(
        "opendata_sozial.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=context.settings.log_level.lower(),  # WARNING: no access log
        http=SERVER_PROTOCOL,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )
