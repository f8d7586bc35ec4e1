"""opendata-sozial: open data packages, catalog and query API for the Sozialberichterstattung NRW."""

__all__ = ["__version__"]

__version__ = "0.1.0"
