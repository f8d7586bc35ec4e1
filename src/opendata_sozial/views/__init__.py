"""Page models of the HTML pages, built from typed records (no HTTP, no templates)."""
