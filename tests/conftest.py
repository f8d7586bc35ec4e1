"""Shared fixtures: repository paths, the catalog, the collected source data."""

import os
from pathlib import Path

import pytest

from opendata_sozial.catalog import CatalogInfo, load_catalog

ROOT = Path(__file__).resolve().parent.parent
DATAPACKAGES = ROOT / "datapackages"
CATALOG_FILE = ROOT / "catalog" / "catalog.yaml"


@pytest.fixture(scope="session")
def catalog() -> CatalogInfo:
    return load_catalog(CATALOG_FILE)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The collected source tables (``shared/data`` beside the checkout, or ODS_SHARED_DATA)."""
    path = Path(os.environ.get("ODS_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "sources").is_dir():
        pytest.skip(f"source tables not found at {path} (set ODS_SHARED_DATA to shared/data)")
    return path
