"""Jinja environment of the HTML pages: templates, filters and versioned static asset URLs.

Filters are the only formatting the templates do; they come from ``services.formatting`` and
are registered here, in one place.
"""

import hashlib
from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from opendata_sozial.formats.formatting import (
    format_bytes,
    format_count,
    format_date,
    format_number,
    format_period,
    format_period_range,
)

WEB_DIR: Final = Path(__file__).resolve().parent
TEMPLATES_DIR: Final = WEB_DIR / "templates"
STATIC_DIR: Final = WEB_DIR / "static"
STATIC_PREFIX: Final = "/static"


class StaticAssets:
    """URLs of the files in ``web/static`` with a content hash, so caches never go stale."""

    def __init__(self, directory: Path) -> None:
        """Hash every file below ``directory`` once, at start-up."""
        self._versions = {
            path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[
                :12
            ]
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }

    def url(self, name: str) -> str:
        """``/static/site.css?v=…``; an unknown name is a programming error."""
        return f"{STATIC_PREFIX}/{name}?v={self._versions[name]}"


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Templates from ``web/templates`` with autoescaping and strict undefined names."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        number=format_number,
        date=format_date,
        period=format_period,
        period_range=format_period_range,
        bytes=format_bytes,
        count=format_count,
    )
    environment.globals["static"] = StaticAssets(STATIC_DIR).url
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))
