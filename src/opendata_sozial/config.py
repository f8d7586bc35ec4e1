"""Settings from environment variables (prefix ``ODS_``). Pure: nothing is read at import."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; build it once in the entry point and pass it down."""

    model_config = SettingsConfigDict(env_prefix="ODS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/opendata-sozial.sqlite",
        description="SQLAlchemy URL of the database: a SQLite file (default) or PostgreSQL "
        "(`postgresql://user@host:5432/db`).",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public base URL of the service; all absolute links (downloads, DCAT IRIs) "
        "are minted from it.",
    )
    datapackages_dir: Path = Field(
        default=Path("datapackages"),
        description="Folder with one data package per sub-folder; default input of `validate` "
        "and `publish`.",
    )
    catalog_file: Path = Field(
        default=Path("catalog/catalog.yaml"),
        description="Catalog-level metadata (title, publisher, themes, chapters).",
    )
    cache_dir: Path = Field(
        default=Path("var/cache"),
        description="Local cache of original files and pre-rendered exports (safe to delete).",
    )
    default_page_size: int = Field(default=100, ge=1, description="Rows per page by default.")
    max_page_size: int = Field(
        default=10_000, ge=1, description="Largest `_size` a rows query accepts."
    )
    log_level: str = Field(default="INFO", description="Python log level.")
    release_poll_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a server process reuses its lookup of the current release (for "
        "ETag and Last-Modified) before asking the database again; 0 asks on every request.",
    )
