"""Settings from environment variables (prefix ``ODS_``). Pure: nothing is read at import."""

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; build it once in the entry point and pass it down."""

    model_config = SettingsConfigDict(env_prefix="ODS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/opendata-sozial.sqlite",
        description="SQLAlchemy URL of the database: a SQLite file (default) or PostgreSQL "
        "(`postgresql://user@host:5432/db`).",
    )
    database_pooler: Literal["none", "transaction"] = Field(
        default="none",
        description="What sits between the server and PostgreSQL: `none` (a server or replica "
        "directly), or `transaction` for a pooler such as PgBouncer in transaction (or session) "
        "mode: no prepared statements, no startup options, the statement time limit set per "
        "transaction.",
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
    geography_packages_dir: Path = Field(
        default=Path("geography"),
        description="Folder with the geography packages (boundaries, a municipality's own "
        "areas); `validate` and `publish` find referenced packages here and in "
        "`datapackages_dir`.",
    )
    catalog_file: Path = Field(
        default=Path("catalog/catalog.yaml"),
        description="Catalog-level metadata (title, publisher, themes, chapters).",
    )
    search_concepts_file: Path = Field(
        default=Path("catalog/search-concepts.yaml"),
        description="The search's concept list: synonyms, related readings and hints for "
        "concepts without a dataset (see docs/api.md).",
    )
    cache_dir: Path = Field(
        default=Path("var/cache"),
        description="Local cache of original files and pre-rendered exports (safe to delete); "
        "`spool/` in it holds the downloads being sent.",
    )
    response_cache_mb: int = Field(
        default=16,
        ge=0,
        description="Memory of each server process for API responses of up to 256 KiB, kept "
        "per (release, URL, content-coding); 0 turns it off.",
    )
    disk_cache_mb: int = Field(
        default=4096,
        ge=0,
        description="Disk space under `ODS_CACHE_DIR/responses` for larger API responses "
        "(exports, original files), kept per (release, URL, content-coding); 0 turns it off.",
    )
    default_page_size: int = Field(default=100, ge=1, description="Rows per page by default.")
    max_page_size: int = Field(
        default=10_000, ge=1, description="Largest `_size` a rows query accepts."
    )
    dcat_page_size: int = Field(
        default=100,
        ge=1,
        description="Datasets per page of the DCAT catalog (`/catalog.ttl` …, Hydra paging).",
    )
    log_level: str = Field(default="INFO", description="Python log level.")
    release_poll_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a server process reuses its lookup of the current release (for "
        "ETag and Last-Modified) before asking the database again; 0 asks on every request.",
    )
    connect_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long the server waits for a PostgreSQL connection before it answers "
        "503 (libpq rounds up to whole seconds, at least 2).",
    )
    pool_size: int = Field(
        default=20,
        ge=1,
        description="Most database connections one server process holds at once (its pool).",
    )
    pool_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How long a request waits for a free pooled connection before it answers "
        "503 `database-unavailable` (with Retry-After) instead of queueing.",
    )
    export_concurrency: int = Field(
        default=2,
        ge=1,
        description="Downloads (exports, original files) one server process renders from the "
        "database at once; each is written to a temporary file under `ODS_CACHE_DIR/spool` "
        "first and streamed from there, so no client ever holds a database connection.",
    )
    export_queue_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a download waits for a free rendering slot before it answers "
        "503 `exports-busy` (with Retry-After).",
    )
    query_timeout_seconds: float = Field(
        default=10.0,
        ge=0,
        description="Time limit of one database statement of the server (PostgreSQL "
        "`statement_timeout`, a SQLite progress handler); a query over it answers 503 "
        "`query-timeout`. 0 turns the limit off.",
    )
    max_filters: int = Field(
        default=32,
        ge=1,
        description="Most query parameters without a leading underscore (filters, `q`, `page`, "
        "`profile`) one request may carry; more answer 400.",
    )
    max_url_length: int = Field(
        default=8192,
        ge=256,
        description="Longest request target (path plus query) in bytes; longer answer 414.",
    )
    max_header_bytes: int = Field(
        default=16_384,
        ge=1024,
        description="Largest size in bytes of all request header fields together (names plus "
        "values); larger answer 431.",
    )
    max_header_count: int = Field(
        default=100,
        ge=8,
        description="Most request header fields one request may carry; more answer 431.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated IP addresses or networks (CIDR) of reverse proxies whose "
        "`X-Forwarded-For` and `X-Forwarded-Proto` are believed; empty believes no one, `*` "
        "every peer.",
    )
    rate_limit_requests: int = Field(
        default=1200,
        ge=0,
        description="Requests one client (IP address) may make per window and server process; "
        "more answer 429 with Retry-After. 0 turns rate limiting off. /health/* is never "
        "limited.",
    )
    rate_limit_window_seconds: int = Field(
        default=60, ge=1, description="Length of the rate-limit window in seconds."
    )

    def reference_dirs(self) -> list[Path]:
        """Where referenced packages are found: ``datapackages_dir`` and ``geography_packages_dir``."""
        return [self.datapackages_dir, self.geography_packages_dir]

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        entries = proxy_entries(value)
        for entry in entries:
            if entry != "*" and not _is_network(entry):
                raise ValueError(
                    f"ODS_TRUSTED_PROXIES: {entry!r} ist weder IP-Adresse noch Netz; gültig sind "
                    "durch Komma getrennte Adressen oder Netze wie 10.0.0.1,192.168.0.0/16, "
                    "oder * für jeden"
                )
        return ",".join(entries)


def proxy_entries(value: str) -> list[str]:
    """The entries of a comma-separated ``trusted_proxies`` value, without blanks."""
    return [entry.strip() for entry in value.split(",") if entry.strip()]


def _is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True
