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
PINNED_PREFIX = f"{API_PREFIX}/releases/{{number}}"
"""The pinned prefix as an OpenAPI path template (``/api/v1/releases/{number}``)."""
PAGE_PREFIX = "/datensaetze"
"""The HTML pages of the datasets."""


def pinned_template(path: str) -> str:
    """A pinnable path (``/api/v1/datasets…``) as the path template of its pinned form."""
    return f"{PINNED_PREFIX}{path.removeprefix(API_PREFIX)}"


def page_path(name: str) -> str:
    """The path of a dataset's HTML page (``/datensaetze/{name}``)."""
    return f"{PAGE_PREFIX}/{name}"


def versions_path(name: str) -> str:
    """The path of a dataset's page of changed rows (``/datensaetze/{name}/versionen``)."""
    return f"{page_path(name)}/versionen"


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

    @classmethod
    def of(cls, base_url: str, release: int | None = None) -> "Urls":
        """The links under ``base_url`` (a trailing slash is dropped), pinned to ``release``."""
        return cls(str(base_url).rstrip("/"), release)

    def unpinned(self) -> "Urls":
        """The same links for the current release (DCAT records, feeds, release history)."""
        return Urls(self.base) if self.is_pinned else self

    def pinned_to(self, release: int) -> "Urls":
        """The same links for release ``release`` (``/api/v1/releases/{release}/…``)."""
        return Urls(self.base, release)

    def public_path(self, path: str) -> str:
        """A routed path as the client asked for it: the pin put back on dataset paths."""
        return pinned_path(path, self.release)

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

    def region_profile(self, key: str, suffix: str = "", **query: str) -> str:
        """Every indicator of a region (``suffix`` ``.csv``, ``.xlsx``: the same as a file)."""
        extra = f"?{urlencode(query)}" if query else ""
        return f"{self.region(key)}/profile{suffix}{extra}"

    def region_compare(self, keys: Sequence[str], suffix: str = "", **query: str) -> str:
        """Several regions side by side (``suffix`` ``.csv``, ``.xlsx``: as a file)."""
        pairs = urlencode({"keys": ",".join(keys), **query}, safe=",")
        return f"{self.base}{API_PREFIX}/regions/compare{suffix}?{pairs}"

    def region_geometry(self, key: str) -> str:
        """The boundary of one region as a GeoJSON Feature."""
        return f"{self.region(key)}/geometry.geojson"

    def level_geometry(self, level: str, gemeinde: str | None = None) -> str:
        """The boundaries of every region of a level (an own level: of one Gemeinde, if given)."""
        url = f"{self.base}{API_PREFIX}/regions/geometry/{quote(level, safe='')}.geojson"
        return f"{url}?{urlencode([('gemeinde', gemeinde)])}" if gemeinde else url

    def topology(self) -> str:
        """Every level's boundaries as one TopoJSON file."""
        return f"{self.base}{API_PREFIX}/regions/geometry.topojson"

    def region_map(self, suffix: str, query: Sequence[tuple[str, str]]) -> str:
        """Map data (``suffix`` ``""``: GeoJSON with values, ``.json``: values by key)."""
        return f"{self.base}{API_PREFIX}/regions/map{suffix}?{urlencode(list(query))}"

    def region_index(self, suffix: str, query: Sequence[tuple[str, str]]) -> str:
        """An index of several indicators (``suffix`` ``""``: JSON, ``.csv``: the same as CSV)."""
        return f"{self.base}{API_PREFIX}/regions/index{suffix}?{urlencode(list(query))}"

    def region_index_indicators(self, level: str) -> str:
        """The indicators a level holds, with their ids for the index builder."""
        return f"{self.base}{API_PREFIX}/regions/index/indicators?{urlencode({'ebene': level})}"

    def current_dataset(self, name: str) -> str:
        """A dataset's API URL in the current release, whatever the pin (CKAN, DCAT)."""
        return self.unpinned().dataset(name)

    def download(self, name: str, resource: str, suffix: str) -> str:
        """A download of a resource of the current release (``.csv``, ``/rows.xlsx`` …)."""
        return f"{self.unpinned().resource(name, resource)}{suffix}"

    def datapackage(self, name: str) -> str:
        """The Data Package descriptor of a dataset of the current release."""
        return f"{self.current_dataset(name)}/datapackage.json"

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

    def region_index_page(self, query: Sequence[tuple[str, str]]) -> str:
        """The index builder page (``query``: the index API's parameters)."""
        extra = f"?{urlencode(list(query))}" if query else ""
        return f"{self.base}/regionen/index{extra}"

    def diff(self, name: str, old: int, new: int) -> str:
        """What changed in a dataset between two releases (names its releases: never pinned)."""
        return f"{self.base}{PINNABLE_PREFIX}/{name}/diff?from={old}&to={new}"

    def diff_rows(self, name: str, old: int, new: int, **query: str | int) -> str:
        """The changed rows between two releases, with further query parameters (paging)."""
        extra = f"&{urlencode(query)}" if query else ""
        return f"{self.base}{PINNABLE_PREFIX}/{name}/diff/rows?from={old}&to={new}{extra}"

    def versions_page(self, name: str, old: int, new: int) -> str:
        """The web page of the changed rows between two releases."""
        return f"{self.base}{versions_path(name)}?von={old}&bis={new}"

    # Pages, records and other resources of the service (never pinned)

    def home(self) -> str:
        """The start page (the catalog's landing page, with a trailing slash)."""
        return f"{self.base}/"

    def page(self, name: str) -> str:
        """A dataset's HTML page (DCAT landing page, citation URL)."""
        return f"{self.base}{page_path(name)}"

    def current_path(self, path: str) -> str:
        """An absolute URL of a path as routed, never pinned (the DCAT documents)."""
        return f"{self.base}{path}"

    def catalog_record(self) -> str:
        """The DCAT catalog's IRI (``/catalog``)."""
        return f"{self.base}/catalog"

    def dataset_record(self, name: str) -> str:
        """A dataset's DCAT IRI and ``dct:identifier`` (``/datasets/{name}``)."""
        return f"{self.base}/datasets/{name}"

    def dataset_record_file(self, name: str, suffix: str) -> str:
        """A dataset's DCAT record in one RDF syntax (``suffix``: ``ttl``, ``rdf``, ``jsonld``)."""
        return f"{self.dataset_record(name)}.{suffix}"

    def problem_type(self, code: str) -> str:
        """The RFC 9457 ``type`` of a problem: its documentation page."""
        return f"{self.base}/problems/{code}"

    def api_root(self) -> str:
        """The root of the API (``/api/v1``)."""
        return f"{self.base}{API_PREFIX}"

    def release_api(self, number: int) -> str:
        """A release's summary in the API (its datasets are ``pinned_to(number).datasets()``)."""
        return f"{self.base}{API_PREFIX}/releases/{number}"

    def release_change(self, number: int, dataset: str) -> str:
        """The ID of a dataset's change in a release (feeds)."""
        return f"{self.release_api(number)}#{dataset}"

    def changes_feed(self) -> str:
        """The change feed as JSON Feed."""
        return f"{self.base}{API_PREFIX}/changes"

    def changes_atom(self) -> str:
        """The change feed as Atom."""
        return f"{self.base}{API_PREFIX}/changes.atom"

    def ckan_help(self, action: str) -> str:
        """The CKAN ``help`` link of an action (``help_show``)."""
        return f"{self.base}/api/3/action/help_show?name={action}"

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
