"""Media types the service speaks, declared once (RDF formats of the DCAT records, downloads)."""

from typing import Final

TURTLE: Final = "text/turtle"
RDF_XML: Final = "application/rdf+xml"
JSON_LD: Final = "application/ld+json"
RDF: Final = (TURTLE, RDF_XML, JSON_LD)
"""Every RDF media type, the default first."""

CSV: Final = "text/csv"
JSON: Final = "application/json"
NDJSON: Final = "application/x-ndjson"
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
