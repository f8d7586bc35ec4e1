"""First-request CSV exports in process: the database's path against the Python path (issue 17).

    PYTHONPATH=src python bench/export_paths.py sqlite:///var/bench/ods.sqlite

Renders the full and a filtered CSV export of the synthetic scale package
(``make_scale_package.py``) into a temporary file the way the server does
(``formats/export.render_rows``), once spelled by the database (``db/csv_export.py``:
``COPY … TO STDOUT`` on PostgreSQL, driver batches on SQLite) and once through the Python path
(the same stream without ``database_csv``), and prints per run the wall and CPU seconds of this
process (PostgreSQL's own CPU is not counted), rows/s, the growth of the peak RSS and whether
both paths gave the same bytes. The machine is shared: compare paths within one run.
"""

import argparse
import dataclasses
import hashlib
import tempfile
import time
from pathlib import Path
from typing import Any

from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.formats.export import render_rows
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.rows import ReleaseRows, RowService

NAME = "gemeinde-indikatoren-synthetisch"
QUERIES: dict[str, dict[str, list[str]]] = {
    "full": {},
    "filtered": {"indikator": ["Armutsgefährdungsquote"]},
}


def _peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _current_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run(rows: ReleaseRows, params: dict[str, list[str]], *, database: bool) -> dict[str, Any]:
    """One export into a temporary file: seconds, CPU, rows, size, digest, RSS growth."""
    _reset_peak()
    start_rss = _current_kib()
    wall, cpu = time.perf_counter(), time.process_time()
    stream = rows.stream(NAME, NAME, params)
    if not database:
        stream = dataclasses.replace(stream, database_csv=None)
    with tempfile.TemporaryDirectory() as folder:
        rendered = render_rows(stream, "csv", Path(folder))
        digest = hashlib.sha256()
        while chunk := rendered.file.read(1 << 20):
            digest.update(chunk)
        rendered.file.close()
    seconds = time.perf_counter() - wall
    return {
        "rows": stream.total,
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "rows_per_s": stream.total / seconds,
        "bytes": rendered.size,
        "sha256": digest.hexdigest()[:16],
        "rss_growth_mib": (_peak_kib() - start_rss) / 1024,
        "peak_rss_mib": _peak_kib() / 1024,
    }


def main() -> None:
    """Print one line per export and path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL with the scale package published")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    engine = create_db_engine(args.url)
    catalog = CatalogService(engine)
    service = RowService(engine, catalog, default_size=100, max_size=10_000)
    rows = service.at(catalog.current_release_info())
    for label, params in QUERIES.items():
        for database in (False, True):
            for _ in range(args.runs):
                r = run(rows, params, database=database)
                path = "database" if database else "python"
                print(
                    f"{label:8s} {path:8s} {r['rows']:>9,} rows {r['seconds']:6.2f} s "
                    f"cpu {r['cpu']:6.2f} s {r['rows_per_s']:>11,.0f} rows/s "
                    f"{r['bytes']:>11,} B sha256 {r['sha256']} "
                    f"peak RSS {r['peak_rss_mib']:.0f} MiB (+{r['rss_growth_mib']:.0f})",
                    flush=True,
                )
    engine.dispose()


if __name__ == "__main__":
    main()
