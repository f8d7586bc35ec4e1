"""How to cite a dataset: plain text (German), BibTeX, RIS and CSL-JSON.

``citation(dataset, release, urls, accessed, style)`` is the one entry point; the web pages
show all three styles and an API endpoint can serve them as they are. Every style names the
title, the publisher, the year, the release, the URL of the dataset page and the access date.
"""

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from typing import Final

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.formatting import format_date
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.urls import Urls

STYLE_MEDIA: Final = {
    "text": "text/plain",
    "bibtex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
    "csl": "application/vnd.citationstyles.csl+json",
}
"""Citation style -> media type of its answer."""
STYLES: Final = tuple(STYLE_MEDIA)
UNNAMED_PUBLISHER: Final = "Land Nordrhein-Westfalen"
"""Named as publisher when a package names none (``validate`` refuses such packages)."""
_BIBTEX_SPECIAL: Final = str.maketrans(
    {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_"}
    | {"{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
)


@dataclass(frozen=True, slots=True)
class CitationFacts:
    """What every citation style needs, taken from the dataset model."""

    key: str
    title: str
    publisher: str
    producers: list[str]
    year: str
    published: str
    release: int
    version: str
    url: str
    license: str
    accessed: date


def citation_facts(
    dataset: DatasetRecord, release: int, urls: Urls, accessed: date
) -> CitationFacts:
    """The facts of a citation; the year is that of the first release with this content."""
    model = dataset.model
    publishers = [c.title for c in model.publishers] or [UNNAMED_PUBLISHER]
    return CitationFacts(
        key=f"{dataset.name}-r{release}",
        title=model.title or dataset.title,
        publisher="; ".join(publishers),
        producers=[c.title for c in model.producers],
        year=dataset.modified[:4],
        published=dataset.modified[:10],
        release=release,
        version=model.version or "",
        url=urls.page(dataset.name),
        license=model.licence.label if model.licence else "",
        accessed=accessed,
    )


def _text(facts: CitationFacts) -> str:
    source = f" Datenquelle: {'; '.join(facts.producers)}." if facts.producers else ""
    version = f", Version {facts.version}" if facts.version else ""
    return (
        f"{facts.publisher} ({facts.year}): {facts.title}. Datensatz, Veröffentlichung {facts.release}"
        f"{version}.{source} Lizenz: {facts.license}. {facts.url} "
        f"(abgerufen am {format_date(facts.accessed)})."
    )


def _bibtex_value(text: str) -> str:
    return text.translate(_BIBTEX_SPECIAL)


def _bibtex(facts: CitationFacts) -> str:
    fields = {
        "author": "{" + _bibtex_value(facts.publisher) + "}",
        "title": _bibtex_value(facts.title),
        "publisher": _bibtex_value(facts.publisher),
        "year": facts.year,
        "version": _bibtex_value(f"Veröffentlichung {facts.release}, Version {facts.version}"),
        "url": facts.url,
        "urldate": facts.accessed.isoformat(),
        "note": _bibtex_value(f"Datensatz; Lizenz: {facts.license}"),
        "language": "german",
    }
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@misc{{{facts.key},\n{body}\n}}"


def _ris(facts: CitationFacts) -> str:
    lines = [
        ("TY", "DATA"),
        ("TI", facts.title),
        ("AU", facts.publisher),
        ("PB", facts.publisher),
        ("PY", facts.year),
        ("DA", facts.published.replace("-", "/")),
        ("ET", f"Veröffentlichung {facts.release}, Version {facts.version}"),
        ("UR", facts.url),
        ("Y2", facts.accessed.strftime("%Y/%m/%d")),
        ("LA", "de"),
        ("N1", f"Lizenz: {facts.license}"),
        ("ER", ""),
    ]
    return "\n".join(f"{tag}  - {value}" for tag, value in lines)


def _csl(facts: CitationFacts) -> str:
    """CSL-JSON (one item), as citation managers such as Zotero import it."""
    year, month, day = (int(part) for part in facts.published.split("-"))
    item = {
        "id": facts.key,
        "type": "dataset",
        "title": facts.title,
        "publisher": facts.publisher,
        "author": [{"literal": facts.publisher}],
        "issued": {"date-parts": [[year, month, day]]},
        "accessed": {
            "date-parts": [[facts.accessed.year, facts.accessed.month, facts.accessed.day]]
        },
        "version": f"Veröffentlichung {facts.release}, Version {facts.version}",
        "URL": facts.url,
        "language": "de",
        "note": f"Lizenz: {facts.license}",
    }
    return json.dumps([item], ensure_ascii=False, indent=2)


def citation(  # the facts of one citation
    dataset: DatasetRecord,
    release: int,
    urls: Urls,
    accessed: date,
    style: str,
    *,
    url: str | None = None,
) -> str:
    """The citation of ``dataset`` in ``style`` (``text``, ``bibtex``, ``ris`` or ``csl``).

    ``url`` replaces the dataset page as the cited address (e.g. a release-pinned URL).

    ``urls`` are the service's links (the dataset page is cited), ``accessed`` the access date the reader
    should cite. RIS lines are separated by line feeds; an unknown style raises ``InvalidParameter``.
    """
    facts = citation_facts(dataset, release, urls, accessed)
    if url is not None:
        facts = dataclasses.replace(facts, url=url)
    if style == "csl":
        return _csl(facts)
    if style == "text":
        return _text(facts)
    if style == "bibtex":
        return _bibtex(facts)
    if style == "ris":
        return _ris(facts)
    raise InvalidParameter(f"style: {style!r} ist ungültig; gültig: {', '.join(STYLES)}")
