"""CKAN Action API over the current release (``/api/3/action/{action}``), framework-free.

``CkanApi.answer(action, data)`` returns what CKAN 2.10 would answer: status and body, i.e. the
envelope ``{"help", "success", "result"}``, an error envelope (404 ``Not Found Error``, 409
``Validation Error`` and ``Search Error``, 400 ``Search Query Error``) or, for an unknown action
or unreadable request data, CKAN's bare JSON string ``"Bad request - …"``. Failures of the
service itself (nothing published, database down) are raised for the web edge to answer.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from opendata_sozial import __version__
from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.ckan.packages import CkanCatalog, build_catalog
from opendata_sozial.formats.ckan.params import (
    ActionError,
    Answer,
    Params,
    invalid,
    not_found,
    page,
)
from opendata_sozial.formats.ckan.search import (
    Filter,
    QueryError,
    SortError,
    count_facets,
    matches,
    order,
    parse_filter,
    parse_sort,
    split_query,
)
from opendata_sozial.services.catalog import CatalogService, ReleaseInfo
from opendata_sozial.services.search import MAX_SIZE, SearchQuery
from opendata_sozial.services.search_text import search_terms
from opendata_sozial.urls import Urls

CKAN_VERSION: Final = "2.10.0"
"""The CKAN release whose Action API we answer like (``status_show``)."""
EXTENSIONS: Final = ("opendata_sozial",)
"""``status_show`` extensions: none of CKAN's (no datastore, no DCAT plugin)."""
DEFAULT_ROWS: Final = 10
MAX_ROWS: Final = 1000
DEFAULT_SORT: Final = "score desc, metadata_modified desc"
DEFAULT_FACET_LIMIT: Final = 50


class CkanApi:
    """The read actions of CKAN's Action API, answered from the current release."""

    def __init__(
        self,
        catalog: CatalogService,
        *,
        info: CatalogInfo,
        urls: Urls,
        release: Callable[[], ReleaseInfo],
    ) -> None:
        """Answer from ``catalog`` about ``release()`` (asked only by actions that read data).

        Links come from ``urls`` (always the current release).
        """
        self._service = catalog
        self._release = release
        self._info = info
        self._urls = urls.unpinned()
        self._catalog: CkanCatalog | None = None

    def help_url(self, action: str) -> str:
        """CKAN's ``help`` link of an action (always the v3 path)."""
        return self._urls.ckan_help(action)

    def answer(self, action: str, data: Mapping[str, Any] | str) -> Answer:
        """Run ``action`` on ``data`` (a message instead when the request data was unreadable)."""
        if action not in ACTIONS:
            return Answer(400, f"Bad request - Action name not known: {action}")
        if isinstance(data, str):
            return Answer(400, f"Bad request - JSON Error: {data}")
        envelope: dict[str, Any] = {"help": self.help_url(action)}
        try:
            result = ACTIONS[action].run(self, Params(data))
        except ActionError as exc:
            return Answer(exc.status, {**envelope, "success": False, "error": exc.error})
        return Answer(200, {**envelope, "success": True, "result": result})

    def ckan_catalog(self) -> CkanCatalog:
        """Every package, organization and group of the current release (built once)."""
        if self._catalog is None:
            self._catalog = build_catalog(
                self._service.list_datasets(self._release()), info=self._info, urls=self._urls
            )
        return self._catalog

    # Packages

    def package_list(self, params: Params) -> list[str]:
        """Names of all datasets, sorted; ``limit`` and ``offset`` page them."""
        return page([p["name"] for p in self.ckan_catalog().packages], params)

    def package_show(self, params: Params) -> dict[str, Any]:
        """One dataset by name or id."""
        key = params.required("id")
        package = self.ckan_catalog().package(key)
        if package is None:
            raise not_found(f"Datensatz {key!r} gibt es nicht (package_list nennt alle)")
        return package

    def resource_show(self, params: Params) -> dict[str, Any]:
        """One resource (a download format of a table) by id."""
        key = params.required("id")
        for package in self.ckan_catalog().packages:
            for resource in package["resources"]:
                if resource["id"] == key:
                    return dict(resource)
        raise not_found(f"Ressource {key!r} gibt es nicht")

    def current_package_list_with_resources(self, params: Params) -> list[dict[str, Any]]:
        """Full dataset dicts, most recently modified first; ``limit``/``offset`` (or ``page``)."""
        packages = sorted(self.ckan_catalog().packages, key=lambda p: p["name"])
        packages.sort(key=lambda p: p["metadata_modified"], reverse=True)
        if params.has("page") and not params.has("offset"):
            limit = params.natural("limit", 0)
            start = (max(params.natural("page", 1), 1) - 1) * limit
            return packages[start : start + limit] if limit else packages
        return page(packages, params)

    def package_search(self, params: Params) -> dict[str, Any]:
        """Full text ``q``, filters ``fq``, ``sort``, ``rows``/``start`` and facets."""
        rows = min(params.natural("rows", DEFAULT_ROWS), MAX_ROWS)
        start = params.natural("start", 0)
        sort_text = params.text("sort").strip() or DEFAULT_SORT
        fields = params.strings("facet.field")
        limit = params.integer("facet.limit", DEFAULT_FACET_LIMIT)
        mincount = params.natural("facet.mincount", 1)
        try:
            sort = parse_sort(sort_text)
        except SortError as exc:
            raise ActionError(
                400, {"__type": "Search Query Error", "message": f"Search Query is invalid: {exc}"}
            ) from None
        q_filter, text = self._split_q(params.text("q"))
        filters = [
            q_filter,
            *(self._fq(f) for f in [params.text("fq"), *params.strings("fq_list")]),
        ]
        scores = self._text_scores(text)
        catalog = self.ckan_catalog()
        hits = [
            p
            for p in catalog.packages
            if (scores is None or p["name"] in scores) and all(matches(f, p) for f in filters)
        ]
        facets, search_facets = count_facets(
            hits, fields, limit=limit, mincount=mincount, labels=_facet_labels(catalog)
        )
        return {
            "count": len(hits),
            "facets": facets,
            "results": order(hits, sort, scores or {})[start : start + rows],
            "sort": sort_text,
            "search_facets": search_facets,
        }

    @staticmethod
    def _split_q(q: str) -> tuple[Filter, str]:
        try:
            return split_query(q)
        except QueryError as exc:
            _search_error("q", exc)

    @staticmethod
    def _fq(fq: str) -> Filter:
        try:
            return parse_filter(fq)
        except QueryError as exc:
            _search_error("fq", exc)

    def _text_scores(self, text: str) -> dict[str, float] | None:
        """Full-text hits by name with a score from their relevance rank; ``None``: no words."""
        if not search_terms(text):
            return None
        chapters = {c.id: c.label for c in self._info.chapters}
        names: list[str] = []
        page = 1
        while True:
            query = SearchQuery(q=text, sort="relevance", size=MAX_SIZE, page=page)
            try:
                result = self._service.search(
                    self._release(), query, chapters=chapters, url=self._urls.datasets()
                )
            except InvalidParameter as exc:
                raise invalid("q", str(exc)) from None
            names += [d.name for d in result.datasets]
            if page >= result.pages:
                return {name: float(len(names) - i) for i, name in enumerate(names)}
            page += 1

    # Organizations, groups, tags, licences, status

    def organization_list(self, params: Params) -> list[Any]:
        """Organization names, or full dicts with ``all_fields``."""
        catalog = self.ckan_catalog()
        return _group_list(catalog.organizations, _counts(catalog, "organization"), params)

    def organization_show(self, params: Params) -> dict[str, Any]:
        """One organization by name or id; ``include_datasets`` adds its packages."""
        catalog = self.ckan_catalog()
        found = _find(catalog.organizations, params.required("id"), "Organisation")
        packages = [p for p in catalog.packages if p["organization"]["name"] == found["name"]]
        return _group_show(found, packages, params)

    def group_list(self, params: Params) -> list[Any]:
        """Group names (EU themes and report chapters), or full dicts with ``all_fields``."""
        catalog = self.ckan_catalog()
        return _group_list(catalog.groups, _counts(catalog, "groups"), params)

    def group_show(self, params: Params) -> dict[str, Any]:
        """One group by name or id; ``include_datasets`` adds its packages."""
        catalog = self.ckan_catalog()
        found = _find(catalog.groups, params.required("id"), "Gruppe")
        packages = [
            p for p in catalog.packages if found["name"] in {g["name"] for g in p["groups"]}
        ]
        return _group_show(found, packages, params)

    def tag_list(self, params: Params) -> list[Any]:
        """Tag names (keywords), filtered by ``query`` (part of the name, any case)."""
        if params.text("vocabulary_id"):
            raise not_found(f"Vokabular {params.text('vocabulary_id')!r} gibt es nicht")
        query = (params.text("query") or params.text("q")).casefold()
        tags = {t["name"]: t for p in self.ckan_catalog().packages for t in p["tags"]}
        chosen = [tags[name] for name in sorted(tags) if query in name.casefold()]
        if params.flag("all_fields"):
            return chosen
        return [t["name"] for t in chosen]

    def license_list(self, params: Params) -> list[dict[str, Any]]:
        """The licences the datasets use."""
        return self.ckan_catalog().licenses

    def status_show(self, params: Params) -> dict[str, Any]:
        """Site information in CKAN's shape."""
        return {
            "site_title": self._info.title,
            "site_description": self._info.description,
            "site_url": self._urls.base,
            "ckan_version": CKAN_VERSION,
            "error_emails_to": None,
            "locale_default": "de",
            "extensions": list(EXTENSIONS),
            "opendata_sozial_version": __version__,
        }

    def help_show(self, params: Params) -> str:
        """The help text of an action."""
        name = params.required("name")
        if name not in ACTIONS:
            raise not_found(f"Aktion {name!r} gibt es nicht; vorhanden: {', '.join(ACTIONS)}")
        return ACTIONS[name].help


def _search_error(parameter: str, exc: QueryError) -> NoReturn:
    raise ActionError(
        409, {"__type": "Search Error", "message": f"Search error: {parameter}: {exc}"}
    ) from None


def _facet_labels(catalog: CkanCatalog) -> dict[str, dict[str, str]]:
    return {
        "groups": {g["name"]: g["display_name"] for g in catalog.groups},
        "organization": {o["name"]: o["title"] for o in catalog.organizations},
        "license_id": {lic["id"]: lic["title"] for lic in catalog.licenses},
    }


def _counts(catalog: CkanCatalog, field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for package in catalog.packages:
        names = [g["name"] for g in package["groups"]] if field == "groups" else []
        names = names or ([package["organization"]["name"]] if field == "organization" else [])
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _find(items: Sequence[dict[str, Any]], key: str, kind: str) -> dict[str, Any]:
    for item in items:
        if key in (item["name"], item["id"]):
            return item
    names = ", ".join(item["name"] for item in items)
    raise not_found(f"{kind} {key!r} gibt es nicht; vorhanden: {names}")


def _full(item: Mapping[str, Any], count: int) -> dict[str, Any]:
    """A group or organization as ``*_list`` with ``all_fields`` shows it."""
    full = {key: value for key, value in item.items() if key != "homepage"}
    return {
        **full,
        "display_name": item["title"],
        "image_display_url": "",
        "image_url": "",
        "is_organization": item.get("is_organization", False),
        "type": item.get("type", "group"),
        "approval_status": "approved",
        "state": "active",
        "num_followers": 0,
        "package_count": count,
    }


_GROUP_SORTS: Final[dict[str, Callable[[dict[str, Any]], Any]]] = {
    "name": lambda i: i["name"],
    "title": lambda i: i["title"].casefold(),
    "package_count": lambda i: i["package_count"],
}


def _group_sort(params: Params) -> tuple[str, bool]:
    """CKAN's group sort: ``field [asc|desc]``; ``package_count`` alone sorts descending."""
    words = (params.text("sort").strip() or "title asc").split()
    direction = words[1] if len(words) == 2 else ("desc" if words == ["package_count"] else "asc")
    if words[0] not in _GROUP_SORTS or len(words) > 2 or direction not in ("asc", "desc"):
        raise invalid("sort", f"sortierbar nach {', '.join(_GROUP_SORTS)}, mit asc oder desc")
    return words[0], direction == "desc"


def _group_list(
    items: Sequence[dict[str, Any]], counts: Mapping[str, int], params: Params
) -> list[Any]:
    """CKAN's ``group_list``/``organization_list``: ``sort``, ``q``, ``limit``/``offset``."""
    field, is_descending = _group_sort(params)
    wanted = params.strings("organizations") + params.strings("groups")
    q = params.text("q").casefold()
    full = [
        _full(item, counts.get(item["name"], 0))
        for item in items
        if (not wanted or item["name"] in wanted)
        and (q in item["name"] or q in item["title"].casefold())
    ]
    full.sort(key=lambda i: i["name"])
    full.sort(key=_GROUP_SORTS[field], reverse=is_descending)
    chosen = page(full, params)
    return chosen if params.flag("all_fields") else [i["name"] for i in chosen]


def _group_show(
    item: Mapping[str, Any], packages: Sequence[dict[str, Any]], params: Params
) -> dict[str, Any]:
    homepage = item.get("homepage")
    shown: dict[str, Any] = {
        **_full(item, len(packages)),
        "extras": [{"key": "url", "value": homepage}] if homepage else [],
        "groups": [],
        "tags": [],
        "users": [],
    }
    if params.flag("include_datasets"):
        shown["packages"] = list(packages)
    return shown


@dataclass(frozen=True, slots=True)
class Action:
    """An action: the method that answers it and its ``help_show`` text."""

    run: Callable[[CkanApi, Params], Any]
    help: str


def _action(method: Callable[[CkanApi, Params], Any]) -> Action:
    return Action(run=method, help=(method.__doc__ or "").strip())


ACTIONS: Final[dict[str, Action]] = {
    name: _action(getattr(CkanApi, name))
    for name in (
        "package_list",
        "package_show",
        "package_search",
        "current_package_list_with_resources",
        "resource_show",
        "organization_list",
        "organization_show",
        "group_list",
        "group_show",
        "tag_list",
        "license_list",
        "status_show",
        "help_show",
    )
}
"""Every action we answer; any other name is CKAN's 400 ``Action name not known``."""
