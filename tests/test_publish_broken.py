"""``publish`` refuses every broken package of the corpus: exit 1, the issue named, no change.

The corpus is ``tests/broken_packages.py`` (the same cases ``validate`` is tested with). One
database per backend holds a published release; every case runs the real command line against
it (in-process, through click's runner) and compares a digest of every table, catalog and data
tables alike, before and after.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata_sozial.cli import cli
from tests.broken_packages import CASES, VALID, Flat, copy_valid
from tests.conftest import BACKENDS, CATALOG_FILE, DATAPACKAGES, published_database
from tests.table_digest import table_digests


@pytest.fixture(scope="module", params=BACKENDS)
def published_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per backend with the valid package published as release 1."""
    folder, name = tmp_path_factory.mktemp("broken"), f"ods_broken_{os.getpid()}"
    with published_database(request.param, folder, name, [VALID]) as url:
        yield url


def _publish_cli(url: str, folder: Path) -> tuple[int, str, BaseException | None]:
    env = {
        "ODS_DATABASE_URL": url,
        "ODS_DATAPACKAGES_DIR": str(DATAPACKAGES),
        "COLUMNS": "250",  # rich wraps table cells to the terminal width
    }
    result = CliRunner().invoke(
        cli, ["--catalog", str(CATALOG_FILE), "publish", str(folder)], env=env
    )
    return result.exit_code, result.output, result.exception


@pytest.mark.parametrize(("mutate", "expected", "fragment"), CASES)
def test_publish_broken_package_exits_1_and_changes_nothing(
    published_db: str,
    tmp_path: Path,
    mutate: Callable[[Path], None],
    expected: list[Flat],
    fragment: str,
) -> None:
    folder = copy_valid(tmp_path)
    mutate(folder)
    before = table_digests(published_db)
    assert any(name.startswith("data_") and name != "data_table" for name in before)
    exit_code, output, exception = _publish_cli(published_db, folder)
    assert exit_code == 1, output
    assert isinstance(exception, SystemExit), exception  # a refusal, not a crash
    assert "Traceback" not in output
    assert "Nicht veröffentlicht" in output
    for code, _row, _field, _value in expected:
        assert code in output, code
    assert table_digests(published_db) == before


def test_publish_valid_copy_is_unchanged_and_exits_0(published_db: str, tmp_path: Path) -> None:
    """The control case: the same command line accepts the unbroken copy (no new release)."""
    exit_code, output, _ = _publish_cli(published_db, copy_valid(tmp_path))
    assert exit_code == 0, output
    assert "Unverändert" in output
