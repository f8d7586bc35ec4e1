"""CKAN Action API: protocol through the in-process client (both databases), the real client live.

Expected values are computed from the descriptors in datapackages/, not written down.
"""

import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata_sozial.formats.ckan.actions import ACTIONS
from opendata_sozial.formats.ckan.packages import ckan_time, organization_name
from tests.conftest import CATALOG_FILE, DATAPACKAGES, REFERENCE_DIRS, ROOT
from tests.servers import serving

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient

    Client = TestClient[Litestar]

BASE = "http://testserver.local"
CKAN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
DESCRIPTORS: dict[str, dict[str, Any]] = {
    d["name"]: d
    for d in (
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DATAPACKAGES.glob("*/datapackage.json"))
    )
}
FORMATS_PER_TABLE = 6  # original CSV, CSV, CSV for Excel, JSON, NDJSON, XLSX


def _publisher(descriptor: dict[str, Any]) -> str:
    return next(c["title"] for c in descriptor["contributors"] if "publisher" in c["roles"])


def _groups(descriptor: dict[str, Any]) -> set[str]:
    return {t.lower() for t in descriptor["x_themes"]} | {f"kapitel-{descriptor['x_chapter']}"}


def _call(api: "Client", action: str, **params: Any) -> Any:
    response = api.get(f"/api/3/action/{action}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def _search(api: "Client", **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = _call(api, "package_search", rows=1000, **params)
    return result


def _names(result: dict[str, Any]) -> list[str]:
    return [p["name"] for p in result["results"]]


# Pure mapping


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Ministerium für Arbeit, Gesundheit und Soziales (MAGS NRW)", "mags-nrw"),
        ("Information und Technik Nordrhein-Westfalen (IT.NRW), Statistisches Landesamt", "it-nrw"),
        ("Landtag Nordrhein-Westfalen", "landtag-nordrhein-westfalen"),
        (
            "Statistische Ämter des Bundes und der Länder",
            "statistische-aemter-des-bundes-und-der-laender",
        ),
        ("Amt (–)", "amt"),
    ],
)
def test_organization_name_is_the_abbreviation_or_the_title(title: str, name: str) -> None:
    assert organization_name(title) == name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-27T06:16:16.435205+00:00", "2026-11-27T06:16:16.435205"),
        ("2026-11-27T07:16:16+01:00", "2026-11-27T06:16:16.000000"),
        ("2026-11-27T06:16:16", "2026-11-27T06:16:16.000000"),
    ],
)
def test_ckan_time_is_naive_utc_with_microseconds(value: str, expected: str) -> None:
    assert ckan_time(value) == expected


# Envelope


MINIMAL_PARAMS: dict[str, dict[str, str]] = {
    "package_show": {"id": "lebensformen"},
    "resource_show": {"id": "<resource>"},
    "organization_show": {"id": "<organization>"},
    "group_show": {"id": "soci"},
    "help_show": {"name": "package_search"},
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_ckan_every_action_answers_in_the_envelope(api: "Client", action: str) -> None:
    params = dict(MINIMAL_PARAMS.get(action, {}))
    if params.get("id") == "<resource>":
        params["id"] = _call(api, "package_show", id="lebensformen")["resources"][0]["id"]
    if params.get("id") == "<organization>":
        params["id"] = _call(api, "organization_list")[0]
    response = api.get(f"/api/3/action/{action}", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"help", "success", "result"}
    assert body["help"] == f"{BASE}/api/3/action/help_show?name={action}"
    assert body["success"] is True


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("package_search", {"q": "Armut", "fq": "groups:soci", "rows": 3, "sort": "name asc"}),
        ("package_show", {"id": "lebensformen"}),
        ("organization_list", {"all_fields": True}),
        ("tag_list", {"query": "armut"}),
    ],
)
def test_ckan_post_json_and_get_give_the_same_answer(
    api: "Client", action: str, params: dict[str, Any]
) -> None:
    got = api.get(f"/api/3/action/{action}", params=params).json()
    posted = api.post(f"/api/3/action/{action}", json=params)
    form = api.post(f"/api/action/{action}", data={k: str(v) for k, v in params.items()})
    assert posted.status_code == 200
    assert posted.json() == got
    assert form.json() == got


def test_ckan_unversioned_path_is_the_same_api(api: "Client") -> None:
    assert (
        api.get("/api/action/package_list").json() == api.get("/api/3/action/package_list").json()
    )
    assert api.get("/api/3").json() == {"version": 3}


def test_ckan_get_has_validators_and_answers_304(api: "Client") -> None:
    first = api.get("/api/3/action/package_list")
    assert first.headers["cache-control"].startswith("public")
    again = api.get("/api/3/action/package_list", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


# Packages


def test_ckan_package_list_names_every_package(api: "Client") -> None:
    assert _call(api, "package_list") == sorted(DESCRIPTORS)
    assert _call(api, "package_list", limit=3, offset=2) == sorted(DESCRIPTORS)[2:5]


@pytest.mark.parametrize("name", sorted(DESCRIPTORS))
def test_ckan_package_show_maps_the_descriptor(api: "Client", name: str) -> None:
    descriptor = DESCRIPTORS[name]
    package = _call(api, "package_show", id=name)
    assert package["name"] == name
    assert package["title"] == descriptor["title"]
    assert package["notes"] == descriptor["description"]
    english = descriptor["x_translations"]["en"]
    assert package["title_translated"] == {"de": package["title"], "en": english["title"]}
    assert package["notes_translated"] == {"de": package["notes"], "en": english["description"]}
    assert package["url"] == descriptor["homepage"]
    assert package["version"] == descriptor["version"]
    assert (package["state"], package["type"], package["private"]) == ("active", "dataset", False)
    assert package["license_id"] == descriptor["licenses"][0]["name"]
    assert package["license_url"] == descriptor["licenses"][0]["path"]
    assert package["maintainer"] == _publisher(descriptor)
    assert package["organization"]["name"] == organization_name(_publisher(descriptor))
    assert package["owner_org"] == package["organization"]["id"]
    assert [t["name"] for t in package["tags"]] == sorted(set(descriptor["keywords"]))
    assert package["num_tags"] == len(package["tags"])
    assert {g["name"] for g in package["groups"]} == _groups(descriptor)
    assert CKAN_TIME.match(package["metadata_created"])
    assert CKAN_TIME.match(package["metadata_modified"])
    assert package["metadata_created"] <= package["metadata_modified"]
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["temporal_start"].startswith(descriptor["x_temporal"]["start"][:4])
    assert extras["temporal_end"].startswith(descriptor["x_temporal"]["end"][:4])
    assert extras["spatial_level"] == descriptor["x_spatial"]["level"]
    assert json.loads(extras["spatial_keys"]) == descriptor["x_spatial"]["keys"]
    assert extras["chapter"] == descriptor["x_chapter"]
    assert extras["licenseAttributionByText"] == descriptor["x_attribution"]
    assert all(isinstance(value, str) for value in extras.values())


@pytest.mark.parametrize("name", sorted(DESCRIPTORS))
def test_ckan_resources_are_the_download_links_of_the_dataset(api: "Client", name: str) -> None:
    package = _call(api, "package_show", id=name)
    detail = api.get(f"/api/v1/datasets/{name}").json()
    expected = [
        (download["url"], download["media_type"])
        for table in detail["links"]["resources"]
        for download in table["downloads"].values()
    ]
    resources = package["resources"]
    assert [(r["url"], r["mimetype"]) for r in resources] == expected
    assert len(resources) == FORMATS_PER_TABLE * len(DESCRIPTORS[name]["resources"])
    assert package["num_resources"] == len(resources)
    assert [r["position"] for r in resources] == list(range(len(resources)))
    assert {r["format"] for r in resources} == {"CSV", "JSON", "NDJSON", "XLSX"}
    assert {r["package_id"] for r in resources} == {package["id"]}
    originals = [r for r in resources if "/rows" not in r["url"]]
    assert [(r["size"], r["hash"]) for r in originals] == [
        (t["bytes"], t["hash"]) for t in DESCRIPTORS[name]["resources"]
    ]


def test_ckan_package_show_accepts_the_id_and_resource_show_the_resource_id(
    api: "Client",
) -> None:
    package = _call(api, "package_show", id="lebensformen")
    assert _call(api, "package_show", id=package["id"]) == package
    resource = package["resources"][2]
    assert _call(api, "resource_show", id=resource["id"]) == resource


def test_ckan_current_package_list_is_newest_first_and_pages(api: "Client") -> None:
    everything = _call(api, "current_package_list_with_resources")
    keys = [(p["metadata_modified"], p["name"]) for p in everything]
    assert keys == sorted(sorted(keys, key=lambda k: k[1]), key=lambda k: k[0], reverse=True)
    assert {p["name"] for p in everything} == set(DESCRIPTORS)
    page = _call(api, "current_package_list_with_resources", limit=4, offset=3)
    assert page == everything[3:7]
    assert all(p["resources"] for p in page)


# Search


def _has_tag(tag: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: tag in d["keywords"]


FQ_CASES: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("tags:armut", _has_tag("armut")),
    ('tags:"sgb ii"', _has_tag("sgb ii")),
    ("groups:soci", lambda d: "SOCI" in d["x_themes"]),
    ("groups:kapitel-7", lambda d: d["x_chapter"] == "7"),
    ("organization:mags-nrw", lambda d: organization_name(_publisher(d)) == "mags-nrw"),
    ("res_format:XLSX", lambda d: True),
    ("res_format:PDF", lambda d: False),
    ('res_format:"CSV" tags:armut', _has_tag("armut")),
    ("tags:armut groups:kapitel-7", lambda d: _has_tag("armut")(d) and d["x_chapter"] == "7"),
    ("+tags:armut -groups:econ", lambda d: _has_tag("armut")(d) and "ECON" not in d["x_themes"]),
    (
        "tags:armut AND NOT groups:econ",
        lambda d: "armut" in d["keywords"] and "ECON" not in d["x_themes"],
    ),
    (
        "organization:it-nrw OR organization:mags-nrw",
        lambda d: organization_name(_publisher(d)) in {"it-nrw", "mags-nrw"},
    ),
    ("tags:(armut OR reichtum)", lambda d: {"armut", "reichtum"} & set(d["keywords"])),
    ("tags:(armut AND mikrozensus)", lambda d: {"armut", "mikrozensus"} <= set(d["keywords"])),
    ("tags:armut*", lambda d: any(k.startswith("armut") for k in d["keywords"])),
    ("metadata_modified:[2000-01-01T00:00:00Z TO *]", lambda d: True),
    ("metadata_modified:[* TO 2000-01-01T00:00:00.000Z]", lambda d: False),
    ("num_resources:[7 TO *]", lambda d: len(d["resources"]) > 1),
    (
        "license_id:dl-de-by-2.0 capacity:public",
        lambda d: d["licenses"][0]["name"] == "dl-de-by-2.0",
    ),
    ("*:*", lambda d: True),
    ("", lambda d: True),
]


@pytest.mark.parametrize(("fq", "keep"), FQ_CASES, ids=[case[0] or "empty" for case in FQ_CASES])
def test_ckan_package_search_fq_filters_like_the_descriptors(
    api: "Client", fq: str, keep: Callable[[dict[str, Any]], bool]
) -> None:
    result = _search(api, fq=fq, sort="name asc")
    expected = sorted(name for name, d in DESCRIPTORS.items() if keep(d))
    assert _names(result) == expected
    assert result["count"] == len(expected)


def test_ckan_package_search_q_is_the_full_text_search(api: "Client") -> None:
    v1 = api.get("/api/v1/datasets", params={"q": "Armut", "_size": 500}).json()
    result = _search(api, q="Armut")
    assert _names(result) == [d["name"] for d in v1["datasets"]]  # score = relevance order
    assert result["count"] == v1["total"] > 0
    fielded = _search(api, q="Armut tags:armut", sort="name asc")
    assert _names(fielded) == sorted(
        d["name"] for d in v1["datasets"] if "armut" in DESCRIPTORS[d["name"]]["keywords"]
    )
    assert _search(api, q="*:*")["count"] == len(DESCRIPTORS)


@pytest.mark.parametrize(
    ("sort", "key", "is_reversed"),
    [
        ("name asc", lambda p: p["name"], False),
        ("name desc", lambda p: p["name"], True),
        ("id asc", lambda p: p["id"], False),
        ("num_resources desc, name asc", lambda p: (-p["num_resources"], p["name"]), False),
        ("metadata_modified desc, name desc", lambda p: (p["metadata_modified"], p["name"]), True),
    ],
)
def test_ckan_package_search_sorts(
    api: "Client", sort: str, key: Callable[[dict[str, Any]], Any], is_reversed: bool
) -> None:
    result = _search(api, sort=sort)
    assert result["sort"] == sort
    assert result["results"] == sorted(result["results"], key=key, reverse=is_reversed)
    assert len(result["results"]) == len(DESCRIPTORS)


def test_ckan_package_search_default_sort_and_rows(api: "Client") -> None:
    result = _call(api, "package_search")
    assert result["sort"] == "score desc, metadata_modified desc"
    assert len(result["results"]) == 10
    assert result["count"] == len(DESCRIPTORS)
    assert _call(api, "package_search", rows=5000)["count"] == len(DESCRIPTORS)
    assert _call(api, "package_search", rows=0)["results"] == []


def test_ckan_package_search_pages_visit_every_package_once(api: "Client") -> None:
    seen: list[str] = []
    start = 0
    while page := _call(api, "package_search", sort="id asc", rows=4, start=start)["results"]:
        seen += [p["name"] for p in page]
        start += 4
    assert sorted(seen) == sorted(DESCRIPTORS)
    assert len(seen) == len(set(seen))


def test_ckan_harvester_incremental_query(api: "Client") -> None:
    """The query ckanext-harvest's CKANHarvester sends: orgs OR-ed, modified since, by id."""
    organizations = sorted({organization_name(_publisher(d)) for d in DESCRIPTORS.values()})[:2]
    modified = [p["metadata_modified"] for p in _search(api)["results"]]
    since = min(modified)[:19]
    terms = [" OR ".join(f"organization:{o}" for o in organizations)]
    params = {"rows": "1000", "start": "0", "sort": "id asc"}
    everything = _call(
        api, "package_search", **params, fq=" ".join([*terms, f"metadata_modified:[{since}Z TO *]"])
    )
    expected = [
        n for n, d in DESCRIPTORS.items() if organization_name(_publisher(d)) in organizations
    ]
    assert sorted(_names(everything)) == sorted(expected)
    assert [p["id"] for p in everything["results"]] == sorted(
        p["id"] for p in everything["results"]
    )
    later = _call(
        api, "package_search", **params, fq=f"metadata_modified:[{max(modified)[:19]}.999999Z TO *]"
    )
    assert later["count"] == 0


def test_ckan_package_search_facets_count_the_hits(api: "Client") -> None:
    fields = ["tags", "groups", "organization", "res_format", "license_id"]
    result = _search(api, fq="groups:soci", **{"facet.field": json.dumps(fields)})
    hits = [DESCRIPTORS[name] for name in _names(result)]
    expected = {
        "tags": Counter(k for d in hits for k in set(d["keywords"])),
        "groups": Counter(g for d in hits for g in _groups(d)),
        "organization": Counter(organization_name(_publisher(d)) for d in hits),
        "res_format": Counter({f: len(hits) for f in ("CSV", "JSON", "NDJSON", "XLSX")}),
        "license_id": Counter(d["licenses"][0]["name"] for d in hits),
    }
    for field in fields:
        counts = result["facets"][field]
        ranked = sorted(expected[field].items(), key=lambda item: (-item[1], item[0]))[:50]
        assert list(counts.items()) == ranked, field
        items = result["search_facets"][field]["items"]
        assert result["search_facets"][field]["title"] == field
        assert {i["name"]: i["count"] for i in items} == counts
        assert [i["display_name"] for i in items] == sorted(
            (i["display_name"] for i in items), reverse=True
        )
    titles = {o["name"]: o["title"] for o in _call(api, "organization_list", all_fields=True)}
    for item in result["search_facets"]["organization"]["items"]:
        assert item["display_name"] == titles[item["name"]]


def test_ckan_package_search_facet_limit_and_unknown_field(api: "Client") -> None:
    result = _call(
        api, "package_search", **{"facet.field": '["tags", "no_such_field"]', "facet.limit": 3}
    )
    assert len(result["facets"]["tags"]) == 3
    assert result["facets"]["no_such_field"] == {}
    assert _call(api, "package_search")["facets"] == {}


# Organizations, groups, tags, licences, status


def test_ckan_organizations_are_the_publishers(api: "Client") -> None:
    publishers = Counter(organization_name(_publisher(d)) for d in DESCRIPTORS.values())
    organizations = _call(api, "organization_list", all_fields=True, sort="name asc")
    assert [o["name"] for o in organizations] == sorted(publishers)
    assert {o["name"]: o["package_count"] for o in organizations} == publishers
    assert all(o["is_organization"] and o["type"] == "organization" for o in organizations)
    shown = _call(api, "organization_show", id=organizations[0]["id"], include_datasets=True)
    assert shown["name"] == organizations[0]["name"]
    assert len(shown["packages"]) == shown["package_count"]


def test_ckan_groups_are_eu_themes_and_chapters(api: "Client") -> None:
    chapters = Counter(f"kapitel-{d['x_chapter']}" for d in DESCRIPTORS.values())
    themes = Counter(t.lower() for d in DESCRIPTORS.values() for t in d["x_themes"])
    groups = {g["name"]: g for g in _call(api, "group_list", all_fields=True)}
    for name, count in (chapters + themes).items():
        assert groups[name]["package_count"] == count, name
    assert set(_call(api, "group_list")) == set(groups)
    by_count = _call(api, "group_list", sort="package_count desc", limit=1)
    assert by_count == [max(chapters + themes, key=lambda n: (chapters + themes)[n])]
    shown = _call(api, "group_show", id="soci", include_datasets="true")
    assert sorted(p["name"] for p in shown["packages"]) == sorted(
        n for n, d in DESCRIPTORS.items() if "SOCI" in d["x_themes"]
    )


def test_ckan_tag_list_lists_every_keyword(api: "Client") -> None:
    keywords = sorted({k for d in DESCRIPTORS.values() for k in d["keywords"]})
    assert _call(api, "tag_list") == keywords
    assert _call(api, "tag_list", query="ARMUT") == [k for k in keywords if "armut" in k]
    tags = _call(api, "tag_list", all_fields=True)
    assert [t["name"] for t in tags] == keywords
    assert set(tags[0]) >= {"id", "name", "display_name", "vocabulary_id"}


def test_ckan_license_list_and_status_show(api: "Client") -> None:
    licences = {d["licenses"][0]["name"]: d["licenses"][0] for d in DESCRIPTORS.values()}
    listed = _call(api, "license_list")
    assert [(lic["id"], lic["url"]) for lic in listed] == [
        (name, licences[name]["path"]) for name in sorted(licences)
    ]
    status = _call(api, "status_show")
    assert status["ckan_version"].startswith("2.10.")
    assert status["site_url"] == BASE
    assert status["extensions"] == ["opendata_sozial"]
    assert status["locale_default"] == "de"


# Errors


ERROR_CASES: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("package_show", {"id": "gibt-es-nicht"}, 404, "Not Found Error", "message"),
    ("package_show", {}, 409, "Validation Error", "id"),
    ("resource_show", {"id": "x"}, 404, "Not Found Error", "message"),
    ("organization_show", {"id": "x"}, 404, "Not Found Error", "message"),
    ("group_show", {"id": "x"}, 404, "Not Found Error", "message"),
    ("help_show", {"name": "x"}, 404, "Not Found Error", "message"),
    ("tag_list", {"vocabulary_id": "x"}, 404, "Not Found Error", "message"),
    ("package_search", {"rows": "abc"}, 409, "Validation Error", "rows"),
    ("package_search", {"rows": "-1"}, 409, "Validation Error", "rows"),
    ("package_search", {"start": "1.5"}, 409, "Validation Error", "start"),
    ("package_search", {"facet.field": '["tags"'}, 409, "Validation Error", "facet.field"),
    ("package_search", {"facet.field": "[1]"}, 409, "Validation Error", "facet.field"),
    ("package_search", {"q": ["a", "b"]}, 409, "Validation Error", "q"),
    ("package_search", {"sort": "size asc"}, 400, "Search Query Error", "message"),
    ("package_search", {"sort": "name"}, 400, "Search Query Error", "message"),
    ("package_search", {"fq": "colour:red"}, 409, "Search Error", "message"),
    ("package_search", {"fq": "tags:(armut"}, 409, "Search Error", "message"),
    ("package_search", {"fq": "tags:armut OR"}, 409, "Search Error", "message"),
    ("package_search", {"fq": "just words"}, 409, "Search Error", "message"),
    ("package_search", {"fq": "metadata_modified:[gestern TO *]"}, 409, "Search Error", "message"),
    ("package_search", {"q": "title:x colour:red"}, 409, "Search Error", "message"),
    ("package_list", {"limit": "viele"}, 409, "Validation Error", "limit"),
    ("organization_list", {"sort": "size"}, 409, "Validation Error", "sort"),
    ("group_list", {"all_fields": "vielleicht"}, 409, "Validation Error", "all_fields"),
]


@pytest.mark.parametrize(("action", "params", "status", "kind", "key"), ERROR_CASES)
def test_ckan_errors_are_ckan_error_envelopes(
    api: "Client", action: str, params: dict[str, Any], status: int, kind: str, key: str
) -> None:
    response = api.get(f"/api/3/action/{action}", params=params)
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["help"] == f"{BASE}/api/3/action/help_show?name={action}"
    assert body["success"] is False
    assert body["error"]["__type"] == kind
    assert body["error"][key]
    if kind == "Not Found Error":
        assert body["error"]["message"].startswith("Nicht gefunden: ")


def test_ckan_unknown_action_is_a_bad_request_string(api: "Client") -> None:
    for method in (api.get, api.post):
        response = method("/api/3/action/package_create")
        assert response.status_code == 400
        assert response.json() == "Bad request - Action name not known: package_create"


@pytest.mark.parametrize(
    "body", [b"{kaputt", b"[1, 2]", b'"text"', b"[" * 100_000, b"\xff\xfe{}", b"null"]
)
def test_ckan_unreadable_post_body_is_a_bad_request(api: "Client", body: bytes) -> None:
    response = api.post(
        "/api/3/action/package_search", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json().startswith("Bad request - JSON Error: ")


def test_ckan_post_with_wrongly_typed_values_is_a_validation_error(api: "Client") -> None:
    response = api.post("/api/3/action/package_search", json={"rows": {"n": 1}, "q": 5})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "__type": "Validation Error",
        "rows": ["Ungültige Ganzzahl"],
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    q=st.text(alphabet='Armut tags:"()*-ORNOT\\', max_size=30),
    fq=st.text(alphabet='tagsorun:"()[]{}*+- TOANDOR\\az0', max_size=40),
    sort=st.text(alphabet="name ascdes,score", max_size=20),
)
def test_ckan_search_never_fails_on_bad_input(api: "Client", q: str, fq: str, sort: str) -> None:
    params = {"q": q, "fq": fq, "sort": sort}
    response = api.get("/api/3/action/package_search", params=params)
    assert response.status_code in {200, 400, 409}, response.text
    assert "success" in response.json()


def test_ckan_docs_name_every_action() -> None:
    text = (ROOT / "docs" / "ckan.md").read_text(encoding="utf-8")
    for action in ACTIONS:
        assert f"`{action}`" in text, action
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "/api/3/action/" in readme


# The real client against a live server


SERVE = [sys.executable, "-m", "opendata_sozial", "serve", "--host", "127.0.0.1"]


def _fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  # loopback test server
            return int(response.status), response.headers["Content-Type"], bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


@pytest.fixture(scope="module")
def ckan_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server (``opendata-sozial serve``) over a freshly published SQLite file."""
    from opendata_sozial.catalog import load_catalog
    from opendata_sozial.db.engine import create_db_engine
    from opendata_sozial.services.publish import publish

    folder = tmp_path_factory.mktemp("ckan")
    database_url = f"sqlite:///{folder / 'ods.sqlite'}"
    engine = create_db_engine(database_url)
    try:
        publish(
            [DATAPACKAGES],
            engine=engine,
            catalog=load_catalog(CATALOG_FILE),
            reference_dirs=REFERENCE_DIRS,
        )
    finally:
        engine.dispose()

    def env(port: int) -> dict[str, str]:
        return {
            **os.environ,
            "ODS_DATABASE_URL": database_url,
            "ODS_BASE_URL": f"http://127.0.0.1:{port}",
        }

    with serving(lambda port: [*SERVE, "--port", str(port), "--workers", "1"], env, folder) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.slow
@pytest.mark.parametrize("get_only", [False, True], ids=["post", "get"])
def test_ckanapi_client_reads_the_catalog(ckan_url: str, get_only: bool) -> None:
    import ckanapi

    with ckanapi.RemoteCKAN(ckan_url, get_only=get_only) as ckan:
        found = ckan.action.package_search(q="Armut")
        v1 = json.loads(_fetch(f"{ckan_url}/api/v1/datasets?q=Armut&_size=500")[2])
        assert found["count"] == v1["total"] > 0
        assert [p["name"] for p in found["results"]] == [d["name"] for d in v1["datasets"]][:10]
        assert ckan.action.package_list() == sorted(DESCRIPTORS)
        first = found["results"][0]
        assert ckan.action.package_show(id=first["name"]) == first
        publishers = {organization_name(_publisher(d)) for d in DESCRIPTORS.values()}
        assert set(ckan.action.organization_list()) == publishers
        assert {"soci", "kapitel-7"} <= set(ckan.action.group_list())
        assert "armut" in ckan.action.tag_list()
        assert [lic["id"] for lic in ckan.action.license_list()] == ["cc-by", "dl-de-by-2.0"]
        assert ckan.action.status_show()["site_url"] == ckan_url
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="gibt-es-nicht")
        with pytest.raises(ckanapi.ValidationError):
            ckan.action.package_search(rows="viele")


@pytest.mark.slow
def test_ckanapi_resource_urls_download(ckan_url: str) -> None:
    import ckanapi

    with ckanapi.RemoteCKAN(ckan_url) as ckan:
        package = ckan.action.package_search(q="Armut", rows=1)["results"][0]
    assert package["resources"]
    for resource in package["resources"]:
        assert resource["url"].startswith(f"{ckan_url}/")
        status, content_type, body = _fetch(resource["url"])
        assert status == 200, resource["url"]
        assert content_type.split(";")[0] == resource["mimetype"], resource["url"]
        assert body
        if resource["size"] is not None:
            assert len(body) == resource["size"]


GOVDATA_DL_BY_2 = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
"""GovData's CKAN licence id (ckanext-dcatde ``examples/dcat_licenses.json``), see docs/ckan.md."""


def test_license_id_maps_to_govdatas_licence_iri(api: "TestClient[Litestar]") -> None:
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS

    from opendata_sozial.formats.dcat.vocab import LICENSES

    assert LICENSES["dl-de-by-2.0"] == GOVDATA_DL_BY_2
    packages = api.get("/api/3/action/current_package_list_with_resources?limit=1000").json()
    for package in packages["result"]:
        licence = DESCRIPTORS[package["name"]]["licenses"][0]["name"]
        assert package["license_id"] == licence, package["name"]
        assert licence == "dl-de-by-2.0" or (package["name"], licence) in {
            ("nrw-geometrie", "geonutzv-de-2013-03-19"),
            ("koeln-bevoelkerung-stadtteile", "cc-by"),  # Stadt Köln: CC BY, no version stated
        }
        graph = Graph().parse(
            data=api.get(f"/datasets/{package['name']}.ttl").text, format="turtle"
        )
        assert set(graph.objects(None, DCTERMS.license)) == {URIRef(LICENSES[licence])}
