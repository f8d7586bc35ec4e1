"""Uncached engine paths of issue 17, in process: the rows service without HTTP or caches.

    PYTHONPATH=src python bench/engine_paths.py sqlite:///var/bench/ods.sqlite

Runs each scenario against a database that holds the synthetic scale package
(``make_scale_package.py``) and prints the median wall and CPU milliseconds of this process
(SQLite runs inside it; PostgreSQL's own CPU is not counted). Keyset paging follows ``next``
cursors exactly as a client would. Compare two code versions on the same machine in the same
minute: the machine is shared and wall times are noisy.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.services.catalog import CatalogService
from opendata_sozial.services.rows import ReleaseRows, RowService

NAME = "gemeinde-indikatoren-synthetisch"
Params = dict[str, list[str]]


def _timed(action: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``runs`` calls (after one warm-up call)."""
    action()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def _cursor_of_page(rows: ReleaseRows, params: Params, page: int) -> Params:
    """The parameters of page ``page`` (1-based), reached through the ``next`` cursors."""
    current = dict(params)
    for _ in range(page - 1):
        cursor = rows.page(NAME, NAME, current).next_cursor
        if cursor is None:
            raise RuntimeError(f"fewer than {page} pages for {params}")
        current = {**params, "_cursor": [cursor]}
    return current


def scenarios(rows: ReleaseRows) -> dict[str, Callable[[], Any]]:
    """The uncached paths: range + sort, keyset page 1 and 50, distinct values."""
    default: Params = {"_size": ["100"]}
    by_value: Params = {"_sort": ["-wert"], "_size": ["100"]}
    page50 = _cursor_of_page(rows, default, 50)
    sorted50 = _cursor_of_page(rows, by_value, 50)
    ranged: Params = {"wert__gte": ["20"], "_sort": ["-wert"], "_size": ["100"]}
    return {
        "range filter + sort on the measure": lambda: rows.page(NAME, NAME, ranged),
        "keyset page 1, default order": lambda: rows.page(NAME, NAME, default),
        "keyset page 50, default order": lambda: rows.page(NAME, NAME, page50),
        "keyset page 1, sorted by -wert": lambda: rows.page(NAME, NAME, by_value),
        "keyset page 50, sorted by -wert": lambda: rows.page(NAME, NAME, sorted50),
        "distinct values of ags, unfiltered": lambda: rows.values(NAME, NAME, "ags", {}),
        "distinct values of ags, jahr=2015": lambda: rows.values(
            NAME, NAME, "ags", {"jahr": ["2015"]}
        ),
    }


def main() -> None:
    """Print one line per scenario: median wall and CPU milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL with the scale package published")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    engine = create_db_engine(args.url)
    catalog = CatalogService(engine)
    service = RowService(engine, catalog, default_size=100, max_size=10_000)
    rows = service.at(catalog.current_release_info())
    for label, action in scenarios(rows).items():
        wall, cpu = _timed(action, args.runs)
        print(f"{label:40s} wall {wall:8.1f} ms   cpu {cpu:8.1f} ms", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
