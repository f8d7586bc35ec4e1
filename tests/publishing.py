"""Publish in-process, make new package versions, kill a publish at a pause point.

The steps many tests share."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, event

from opendata_sozial.catalog import CatalogInfo, load_catalog
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.ingest.file_facts import file_digest
from opendata_sozial.services.faults import PAUSED_MARKER
from opendata_sozial.services.publish import PublishResult, publish
from tests.conftest import CATALOG_FILE, DATAPACKAGES, REFERENCE_DIRS, ROOT

SCALE_NAME = "gemeinde-indikatoren-synthetisch"
Statement = tuple[str, Any]
"""A statement sent to the database driver: SQL text and parameters."""

FIGURE = ",2123,"
"""A figure of lebensformen.csv (one cell, with its separators) that a new version changes."""


def publish_into(
    url: str, paths: Sequence[Path], *, catalog: CatalogInfo | None = None, notes: str = ""
) -> PublishResult:
    """Publish ``paths`` into the database at ``url``, as ``opendata-sozial publish`` does.

    The shipped ``datapackages/`` are the reference folder (nrw-regionen for region keys), as
    the command's default ``ODS_DATAPACKAGES_DIR``; the engine is disposed of afterwards.
    """
    engine = create_db_engine(url)
    try:
        return publish(
            paths,
            engine=engine,
            catalog=catalog or load_catalog(CATALOG_FILE),
            reference_dirs=REFERENCE_DIRS,
            notes=notes,
        )
    finally:
        engine.dispose()


def change_figure(folder: Path, figure: int = 2124) -> None:
    """Set one figure of the lebensformen package in ``folder``; hash and size follow."""
    csv = folder / "data" / "lebensformen.csv"
    text = csv.read_text(encoding="utf-8")
    assert FIGURE in text, csv
    csv.write_text(text.replace(FIGURE, f",{figure},"), encoding="utf-8")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["hash"], descriptor["resources"][0]["bytes"] = file_digest(csv)
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False), encoding="utf-8"
    )


def changed_copy(target: Path, figure: int = 2124) -> Path:
    """A copy of lebensformen at ``target`` with one figure changed: a valid new version."""
    shutil.copytree(DATAPACKAGES / "lebensformen", target)
    change_figure(target, figure)
    return target


def _lines_into(stream: IO[str], lines: "queue.Queue[str]") -> None:
    for line in stream:
        lines.put(line)


def kill_publish_at(url: str, packages: Path, point: str) -> None:
    """Run ``publish`` until it reports the pause at ``point``, then SIGKILL it."""
    env = {
        **os.environ,
        "ODS_DATABASE_URL": url,
        "ODS_DATAPACKAGES_DIR": str(DATAPACKAGES),
        "ODS_TEST_PAUSE_AT": point,
    }
    command = [sys.executable, "-m", "opendata_sozial", "--catalog", str(CATALOG_FILE)]
    process = subprocess.Popen(
        [*command, "publish", str(packages)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_lines_into, args=(process.stderr, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while f"{PAUSED_MARKER} {point}" not in "".join(seen):
            seen.append(lines.get(timeout=60))
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=10)
        reader.join(timeout=10)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def scale_package(folder: Path, rows: int) -> Path:
    """The bench's synthetic Gemeinde package (``bench/make_scale_package.py``) with ``rows``."""
    out = folder / SCALE_NAME
    script = str(ROOT / "bench" / "make_scale_package.py")
    subprocess.run(
        [sys.executable, script, "--rows", str(rows), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@contextmanager
def recording_statements() -> Iterator[list[Statement]]:
    """Every statement any engine sends to its driver meanwhile (SQLAlchemy's event)."""
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append((sql, params))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
