"""DCAT-AP.de RDF for the catalog: the only home of rdflib (see docs/dcat.md)."""
