"""Every absolute URL the service hands out, built in one place from the base URL and the release.

A request pinned to release ``n`` (``/api/v1/releases/{n}/datasets/…``, see ``web/releases.py``)
gets a ``Urls`` with ``release=n``: every dataset URL keeps ``/releases/{n}``; links that cannot be
pinned (the DCAT records always describe the current release) are left out. The web layer makes
one ``Urls`` per request (``web/links.py``); services, formats and views receive it as an argument.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from opendata_sozial.media import TURTLE

API_PREFIX = "/api/v1"
PINNABLE_PREFIX = f"{API_PREFIX}/datasets"
"""Paths a release can pin (see ``web/releases.py:PINNED``)."""


def _rdf_links(base: str, name: str) -> dict[str, str]:
    """The DCAT records of a dataset (``base`` is the public base URL without a slash)."""
    url = f"{base}/datasets/{name}"
    return {"turtle": f"{url}.ttl", "rdf_xml": f"{url}.rdf", "json_ld": f"{url}.jsonld"}


def _alternate_link(url: str) -> str:
    """A ``Link`` header value naming the Turtle form of a JSON response."""
    return f'<{url}>; rel="alternate"; type="{TURTLE}"'


def pinned_path(path: str, release: int | None) -> str:
    """``/api/v1/datasets/…`` as release ``release`` serves it; other paths unchanged."""
    if release is None or not (path == PINNABLE_PREFIX or path.startswith(f"{PINNABLE_PREFIX}/")):
        return path
    return f"{API_PREFIX}/releases/{release}{path.removeprefix(API_PREFIX)}"


@dataclass(frozen=True, slots=True)
class Urls:
    """The links of one request: public base URL and, for pinned requests, the release."""

    base: str
    release: int | None = None

    @property
    def is_pinned(self) -> bool:
        """Whether the request is pinned to a release."""
        return self.release is not None

    def absolute(self, path: str) -> str:
        """An absolute URL of a path of this service; dataset paths keep the pin."""
        return f"{self.base}{pinned_path(path, self.release)}"

    def datasets(self) -> str:
        """The dataset list (search) of the API."""
        return self.absolute(PINNABLE_PREFIX)

    def dataset(self, name: str) -> str:
        """A dataset's API URL; its resources, rows and downloads hang below it."""
        return self.absolute(f"{PINNABLE_PREFIX}/{name}")

    def resource(self, name: str, resource: str) -> str:
        """A resource of a dataset (``….csv`` is its original file, ``…/rows`` its rows)."""
        return f"{self.dataset(name)}/resources/{resource}"

    def rows(self, name: str, resource: str, filters: Sequence[tuple[str, str]]) -> str:
        """The rows of a resource under ``filters`` (``(parameter, value)`` pairs, in order)."""
        query = f"?{urlencode(list(filters))}" if filters else ""
        return f"{self.resource(name, resource)}/rows{query}"

    def regions(self, **query: str | int) -> str:
        """The region search (never pinned: regions are read from the current release)."""
        extra = f"?{urlencode(query)}" if query else ""
        return f"{self.base}{API_PREFIX}/regions{extra}"

    def region(self, key: str) -> str:
        """A region: names, parents, children and the datasets holding it."""
        return f"{self.base}{API_PREFIX}/regions/{quote(key, safe='')}"

    def region_profile(self, key: str, suffix: str = "") -> str:
        """Every indicator of a region (``suffix`` ``.csv``: the same as CSV)."""
        return f"{self.region(key)}/profile{suffix}"

    def region_compare(self, keys: Sequence[str]) -> str:
        """Several regions side by side."""
        return f"{self.base}{API_PREFIX}/regions/compare?{urlencode({'keys': ','.join(keys)}, safe=',')}"

    # Region web pages (never pinned, like the region API)

    def regions_page(self, **query: str) -> str:
        """The region start page: search (``q``), list and map (``ebene``)."""
        extra = f"?{urlencode(query)}" if query else ""
        return f"{self.base}/regionen{extra}"

    def region_page(self, key: str, **query: str) -> str:
        """The Steckbrief (profile page) of a region, ``indikator`` chooses the map's figure."""
        extra = f"?{urlencode(query)}" if query else ""
        return f"{self.base}/regionen/{quote(key, safe='')}{extra}"

    def region_compare_page(self, keys: Sequence[str], **query: str) -> str:
        """The page comparing places side by side (``keys`` in the order shown)."""
        pairs = {"keys": ",".join(keys), **query} if keys else dict(query)
        extra = f"?{urlencode(pairs, safe=',')}" if pairs else ""
        return f"{self.base}/regionen/vergleich{extra}"

    def dataset_page(self, name: str) -> str:
        """The web page of a dataset (current release)."""
        return f"{self.base}/datensaetze/{quote(name, safe='')}"

    def diff(self, name: str, old: int, new: int) -> str:
        """What changed in a dataset between two releases (names its releases: never pinned)."""
        return f"{self.base}/api/v1/datasets/{name}/diff?from={old}&to={new}"

    def diff_rows(self, name: str, old: int, new: int, **query: str | int) -> str:
        """The changed rows between two releases, with further query parameters (paging)."""
        extra = f"&{urlencode(query)}" if query else ""
        return f"{self.base}/api/v1/datasets/{name}/diff/rows?from={old}&to={new}{extra}"

    def versions_page(self, name: str, old: int, new: int) -> str:
        """The web page of the changed rows between two releases."""
        return f"{self.base}/datensaetze/{name}/versionen?von={old}&bis={new}"

    def with_query(self, path: str, raw_query: str, **replace: str) -> str:
        """The URL of ``path`` with ``raw_query`` exactly as sent, but ``replace``'d parameters.

        The pairs keep their order, repetitions and blank values (taken from the raw query, not
        from a dict), so the URL means the same query; replaced parameters come last.
        """
        pairs = [
            (key, value)
            for key, value in parse_qsl(raw_query, keep_blank_values=True, encoding="utf-8")
            if key not in replace
        ]
        query = urlencode([*pairs, *replace.items()])
        return f"{self.absolute(path)}?{query}"

    def rdf(self, name: str) -> dict[str, str] | None:
        """The dataset's DCAT records; ``None`` when pinned (they describe the current release)."""
        return None if self.is_pinned else _rdf_links(self.base, name)

    def alternate(self, name: str | None = None) -> str | None:
        """``Link`` value naming the Turtle form of a dataset (or of the catalog without a name).

        ``None`` when pinned: the DCAT records are not the pinned release in another format.
        """
        if self.is_pinned:
            return None
        url = _rdf_links(self.base, name)["turtle"] if name else f"{self.base}/catalog.ttl"
        return _alternate_link(url)

    def link_header(self, *values: str | None) -> dict[str, str]:
        """A ``Link`` header from the given values (``None`` left out); none at all: no header."""
        present = [v for v in values if v]
        return {"Link": ", ".join(present)} if present else {}
