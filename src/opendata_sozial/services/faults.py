"""Fault injection for the crash tests: named points in a publish where a test can stop it.

``publish`` calls its ``checkpoint`` with each name of ``PAUSE_POINTS`` as it passes there. The
CLI builds the checkpoint with ``pause_from_environment``, which reads ``ODS_TEST_PAUSE_AT``:
unset, it does nothing; set to a point, the process writes ``ods-paused-at NAME`` to stderr
there and sleeps until it is killed, so a test can send SIGKILL at exactly that point instead of
guessing with timers. The variable is read here only, not by ``config.Settings``: it is a test
switch, not a setting of the service.
"""

import sys
import time
from collections.abc import Callable, Mapping
from typing import Final

from opendata_sozial.errors import ConfigError

PAUSE_POINTS: Final = ("before-release", "data-load", "file-chunks", "before-switch")
"""In publish order: after the lock and clean-up, before the release row is written; inside the
transaction that fills a data table, after its first row; in the same transaction after the
original file's chunks are stored; after every table is loaded, before the switch."""
PAUSED_MARKER: Final = "ods-paused-at"
PAUSE_VARIABLE: Final = "ODS_TEST_PAUSE_AT"
"""The environment variable that names the pause point (crash tests only)."""

Checkpoint = Callable[[str], None]


def no_checkpoint(_point: str) -> None:
    """The production checkpoint: nothing happens."""


def pause_from_environment(environ: Mapping[str, str]) -> Checkpoint:
    """The checkpoint named by ``ODS_TEST_PAUSE_AT`` in ``environ`` (unset or empty: none)."""
    return pause_at(environ.get(PAUSE_VARIABLE) or None)


def pause_at(point: str | None) -> Checkpoint:
    """A checkpoint that stops the process at ``point`` until it is killed (``None``: never)."""
    if point is None:
        return no_checkpoint
    if point not in PAUSE_POINTS:
        raise ConfigError(
            f"{PAUSE_VARIABLE}={point!r} ist kein Haltepunkt; gültig: {', '.join(PAUSE_POINTS)}"
        )

    def checkpoint(name: str) -> None:
        if name != point:
            return
        sys.stderr.write(f"{PAUSED_MARKER} {name}\n")
        sys.stderr.flush()
        while True:  # the test sends SIGKILL; nothing else ends this
            time.sleep(3600)

    return checkpoint
