"""Protocol and file formats: DCAT, CKAN, JSON-stat, exports, citation, schema.org."""
