"""RDF media types, content negotiation and serialisation."""

from typing import Final

from rdflib import Graph

from opendata_sozial.formats.dcat.vocab import PREFIXES
from opendata_sozial.media import JSON_LD, RDF_XML, TURTLE

FORMATS: Final[dict[str, str]] = {TURTLE: "turtle", RDF_XML: "xml", JSON_LD: "json-ld"}
"""Media type -> rdflib format; the first is the default (harvesters send no ``Accept``)."""

EXTENSIONS: Final[dict[str, str]] = {"ttl": TURTLE, "rdf": RDF_XML, "jsonld": JSON_LD}
"""File extension of the RDF URLs -> media type."""

CONTENT_TYPES: Final[dict[str, str]] = {
    TURTLE: "text/turtle",  # the web layer adds "; charset=utf-8" to every text/* type
    RDF_XML: "application/rdf+xml; charset=utf-8",
    JSON_LD: "application/ld+json",
}
"""The ``Content-Type`` sent; harvesters pick their parser from the part before ``;``."""


def _accepted(accept: str) -> list[tuple[str, float]]:
    """``(media range, q)`` pairs of an ``Accept`` header; malformed q counts as 1."""
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 1.0
        ranges.append((media.lower(), q))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The q of ``offer`` from its most specific matching range (0 when none matches)."""
    kind = offer.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for media, q in ranges:
        specificity = {offer: 2, f"{kind}/*": 1, "*/*": 0}.get(media, -1)
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def negotiate(accept: str | None, offers: tuple[str, ...] = tuple(FORMATS)) -> str | None:
    """The offer a client prefers by its ``Accept`` header; the first offer without one.

    ``None`` when the header accepts none of the offers. Ties go to the earlier offer.
    """
    if accept is None or not accept.strip():
        return offers[0]
    ranges = _accepted(accept)
    scored = [(_quality(offer, ranges), -index, offer) for index, offer in enumerate(offers)]
    quality, _, offer = max(scored)
    return offer if quality > 0 else None


def serialize(graph: Graph, media_type: str) -> bytes:
    """The graph in the format of ``media_type`` (one of ``FORMATS``), UTF-8."""
    fmt = FORMATS[media_type]
    if fmt == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        return graph.serialize(format=fmt, context=context, encoding="utf-8")
    return graph.serialize(format=fmt, encoding="utf-8")
