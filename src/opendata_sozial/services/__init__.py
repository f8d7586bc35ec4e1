"""Use cases: publish packages into a release, read the catalog, query rows."""
