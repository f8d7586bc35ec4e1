"""The row query language: parse parameters into filters and sort keys, build SQL from them."""
