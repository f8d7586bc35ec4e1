"""The CKAN Action API (read-only) over the catalog."""
