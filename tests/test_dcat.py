"""DCAT-AP.de catalog on both databases: round trip, SHACL, Hydra paging, negotiation, caching.

The SHACL check runs pyshacl exactly as ``shared/dcat/validate.py`` does (shapes of one profile
in one graph; ontologies and the used code-list concepts merged into the data graph) over the
shapes and vocabularies vendored in ``tests/data/shacl`` (see its ``PROVENANCE.tsv``).
"""

import functools
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pyshacl import validate
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from opendata_sozial.catalog import CatalogInfo, load_catalog
from opendata_sozial.config import Settings
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.db.schema import upgrade_schema
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.dcat.graph import dataset_graph
from opendata_sozial.formats.dcat.paging import parse_modified_since
from opendata_sozial.formats.dcat.serialize import negotiate
from opendata_sozial.formats.dcat.vocab import LICENSES
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.urls import Urls
from opendata_sozial.web.app import create_app
from tests.conftest import CATALOG_FILE, ROOT

BASE = "http://testserver.local"
SHACL = ROOT / "tests" / "data" / "shacl"
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
SMALL_PAGE = 10
FORMATS = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "jsonld": "application/ld+json"}
CONTENT_TYPES = {
    "ttl": "text/turtle; charset=utf-8",
    "rdf": "application/rdf+xml; charset=utf-8",
    "jsonld": "application/ld+json",
}
PROFILES = {  # as shared/dcat/validate.py (GovData's ITB validator configuration)
    "de3": [
        "dcat-ap-de-3.0/dcat-ap-SHACL.ttl",
        "dcat-ap-de-3.0/dcat-ap-SHACL-DE.ttl",
        "dcat-ap-de-3.0/dcat-ap-de-deprecated.ttl",
        "dcat-ap-de-3.0/dcat-ap-spec-german-additions.ttl",
        "dcat-ap-de-3.0/dcat-ap-de-controlledvocabularies.ttl",
    ],
    "de2-conv": [
        "dcat-ap-de-2.0/dcat-ap_2.1.1_shacl_shapes.ttl",
        "dcat-ap-de-2.0/dcat-ap-spec-german-messages.ttl",
        "dcat-ap-de-2.0/dcat-ap-spec-german-additions.ttl",
        "dcat-ap-de-2.0/dcat-ap-de-deprecated.ttl",
        "dcat-ap-de-2.0/dcat-ap-konventionen.ttl",
    ],
    "eu3": ["dcat-ap-eu-3.0.1/dcat-ap-SHACL.ttl"],
    "eu3-full": [
        "dcat-ap-eu-3.0.1/dcat-ap-SHACL.ttl",
        "dcat-ap-eu-3.0.1/ranges.ttl",
        "dcat-ap-eu-3.0.1/mdr-vocabularies.shape.ttl",
    ],
}
# Warnings that remain, by profile: (constraint component, path); docs/dcat.md gives reasons.
KNOWN_WARNINGS = {
    "de3": {
        (
            "HasValueConstraintComponent",
            str(URIRef("http://www.w3.org/2004/02/skos/core#inScheme")),
        ),
        ("MaxCountConstraintComponent", str(DCATDE.politicalGeocodingURI)),
    },
    "de2-conv": {
        ("HasValueConstraintComponent", "http://www.w3.org/2004/02/skos/core#inScheme"),
        ("NodeConstraintComponent", str(DCATDE.politicalGeocodingURI)),
        ("MinCountConstraintComponent", "(dcat:bbox | dcat:centroid | locn:geometry)"),
    },
    "eu3": set(),
    "eu3-full": {
        # Publishers are not in the EU corporate-body table (it lists EU institutions).
        ("NodeConstraintComponent", str(DCTERMS.publisher)),
        # The dcat-ap.de geocoding IRIs are not in the EU country/place tables.
        ("NodeConstraintComponent", str(DCTERMS.spatial)),
    },
}


# SHACL, as shared/dcat/validate.py


def _parse(files: list[Path]) -> Graph:
    graph = Graph()
    for path in files:
        graph.parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
    return graph


@functools.cache
def _shapes(profile: str) -> Graph:
    shapes = _parse([SHACL / name for name in PROFILES[profile]])
    # SEMIC's 3.0.1 ranges.ttl names one property shape that is defined nowhere; pyshacl aborts
    # on it, the ITB validator ignores it. Drop such dangling references, as validate.py does.
    for shape, prop in list(shapes.subject_objects(SH.property)):
        if isinstance(prop, URIRef) and (prop, SH.path, None) not in shapes:
            shapes.remove((shape, SH.property, prop))
    return shapes


@functools.cache
def _ontologies() -> Graph:
    return _parse(sorted((SHACL / "vocab" / "ontologies").iterdir()))


@functools.cache
def _code_lists() -> dict[URIRef, list[tuple[Any, Any]]]:
    """{concept IRI: [(predicate, object)]} over every vendored code list."""
    files = [p for d in ("eu-nal", "dcat-ap-de", "adms") for p in (SHACL / "vocab" / d).iterdir()]
    index: dict[URIRef, list[tuple[Any, Any]]] = {}
    for s, p, o in _parse(sorted(files)):
        if isinstance(s, URIRef) and not isinstance(o, BNode):
            index.setdefault(s, []).append((p, o))
    return index


def _path(shapes: Graph, node: Any) -> str:
    alternatives = shapes.value(node, SH.alternativePath) if isinstance(node, BNode) else None
    if alternatives is None:
        return str(node)
    return (
        "("
        + " | ".join(shapes.namespace_manager.normalizeUri(n) for n in shapes.items(alternatives))
        + ")"
    )


def shacl_results(data: Graph, profile: str) -> list[tuple[str, str, str, str]]:
    """(severity, constraint component, path, focus) of every top-level result."""
    target = Graph()
    for triple in data:
        target.add(triple)
    for triple in _ontologies():
        target.add(triple)
    index = _code_lists()
    for iri in {o for o in data.objects() if isinstance(o, URIRef)}:
        for p, o in index.get(iri, ()):
            target.add((iri, p, o))
    shapes = _shapes(profile)
    _, report, _ = validate(
        target,
        shacl_graph=shapes,
        ont_graph=None,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        meta_shacl=False,
        advanced=False,
        do_owl_imports=False,
    )
    return [
        (
            str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            _path(shapes, report.value(r, SH.resultPath)),
            str(report.value(r, SH.focusNode)),
        )
        for r in report.objects(None, SH.result)
    ]


# Helpers


def _graph(response: Any) -> Graph:
    """Parse like ckanext-dcat: the rdflib format from Content-Type before ';'."""
    media = response.headers["content-type"].split(";", 1)[0]
    return Graph().parse(data=response.content, format=media)


def _vary(response: Any) -> set[str]:
    return {token.strip().lower() for token in response.headers.get("vary", "").split(",")}


def _pages(client: TestClient[Litestar], url: str) -> Iterator[Graph]:
    """Every page, following ``hydra:next`` (else ``hydra:nextPage``) as ckanext-dcat does."""
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        assert next_url not in seen, f"paging loops at {next_url}"
        seen.add(next_url)
        response = client.get(next_url.removeprefix(BASE))
        assert response.status_code == 200, response.text
        page = _graph(response)
        yield page
        views = set(page.subjects(RDF.type, HYDRA.PartialCollectionView)) | set(
            page.subjects(RDF.type, HYDRA.PagedCollection)
        )
        assert len(views) == 1
        view = views.pop()
        target = page.value(view, HYDRA.next) or page.value(view, HYDRA.nextPage)
        next_url = None if target is None else str(target)


def _datasets(page: Graph) -> list[str]:
    return sorted(str(s) for s in page.subjects(RDF.type, DCAT.Dataset))


@pytest.fixture(scope="module")
def small_pages(published_url: str) -> Iterator[TestClient[Litestar]]:
    """The published catalog with 10 datasets per page, so that several pages exist."""
    settings = Settings(database_url=published_url, base_url=BASE, dcat_page_size=SMALL_PAGE)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def names(api: TestClient[Litestar]) -> list[str]:
    return sorted(d["name"] for d in api.get("/api/v1/datasets?_size=500").json()["datasets"])


# Content negotiation and HTTP


def test_catalog_without_accept_is_turtle(small_pages: TestClient[Litestar]) -> None:
    response = small_pages.get("/catalog", headers={"Accept": ""})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    assert "accept" in _vary(response)
    assert (URIRef(f"{BASE}/catalog"), RDF.type, DCAT.Catalog) in _graph(response)


@pytest.mark.parametrize(
    ("accept", "extension"),
    [
        ("text/turtle", "ttl"),
        ("application/rdf+xml", "rdf"),
        ("application/ld+json", "jsonld"),
        ("application/ld+json;q=0.5, application/rdf+xml;q=0.9", "rdf"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "ttl"),
        ("application/json", "ttl"),  # nothing acceptable: still RDF, never an error page
    ],
)
def test_catalog_negotiates_by_accept(
    small_pages: TestClient[Litestar], accept: str, extension: str
) -> None:
    response = small_pages.get("/catalog", headers={"Accept": accept})
    assert response.headers["content-type"] == CONTENT_TYPES[extension]
    assert _datasets(_graph(response))


@pytest.mark.parametrize("extension", FORMATS)
def test_catalog_files_have_their_content_type(
    small_pages: TestClient[Litestar], extension: str
) -> None:
    response = small_pages.get(f"/catalog.{extension}", headers={"Accept": "text/turtle"})
    assert response.headers["content-type"] == CONTENT_TYPES[extension]
    assert "accept" not in _vary(response)


@pytest.mark.parametrize("url", ["/catalog", "/catalog.ttl", "/datasets/lebensformen.rdf"])
def test_rdf_answers_head(small_pages: TestClient[Litestar], url: str) -> None:
    get, head = small_pages.get(url), small_pages.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_catalog_file_has_etag_and_answers_304(small_pages: TestClient[Litestar]) -> None:
    first = small_pages.get("/catalog.ttl")
    assert first.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=300"
    etag = first.headers["etag"]
    again = small_pages.get("/catalog.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert small_pages.get("/catalog.rdf").headers["etag"] != etag


def test_backend_failure_is_a_5xx_problem(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade_schema(engine)  # tables, but nothing published
    finally:
        engine.dispose()
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        for url in ("/catalog", "/catalog.ttl", "/datasets/lebensformen.ttl"):
            response = client.get(url)
            assert response.status_code == 503, url
            assert response.headers["content-type"] == "application/problem+json"


def test_unreachable_database_is_a_5xx_problem(tmp_path: Path) -> None:
    (tmp_path / "ods.sqlite").mkdir()  # there, but no database (a missing one: not-published)
    url = f"sqlite:///{tmp_path / 'ods.sqlite'}"
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.get("/catalog.ttl")
    assert response.status_code == 503
    assert response.json()["type"].endswith("/problems/database-unavailable")


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (None, 303),
        ("*/*", 303),
        ("text/html,application/xhtml+xml,*/*;q=0.8", 303),
        ("text/turtle", 200),
        ("application/rdf+xml, text/html;q=0.5", 200),
        ("application/ld+json", 200),
    ],
)
def test_dataset_iri_negotiates(api: TestClient[Litestar], accept: str | None, status: int) -> None:
    headers = {"Accept": accept} if accept else {"Accept": ""}
    response = api.get("/datasets/lebensformen", headers=headers, follow_redirects=False)
    assert response.status_code == status
    assert "accept" in _vary(response)
    if status == 303:
        assert response.headers["location"] == f"{BASE}/datensaetze/lebensformen"
    else:
        assert response.headers["content-type"].split(";")[0] == accept.split(",")[0]
        assert (URIRef(f"{BASE}/datasets/lebensformen"), RDF.type, DCAT.Dataset) in _graph(response)


@pytest.mark.parametrize("url", ["/datasets/gibtsnicht", "/datasets/gibtsnicht.ttl"])
def test_unknown_dataset_is_404_problem(api: TestClient[Litestar], url: str) -> None:
    response = api.get(url, headers={"Accept": "text/turtle"}, follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["type"].endswith("/problems/dataset-not-found")


def test_json_api_links_its_rdf(api: TestClient[Litestar]) -> None:
    turtle = f"{BASE}/datasets/lebensformen.ttl"
    alternate = f'<{turtle}>; rel="alternate"; type="text/turtle"'
    detail = api.get("/api/v1/datasets/lebensformen")
    assert detail.headers["link"] == alternate
    assert detail.json()["links"]["dcat"] == {
        "turtle": turtle,
        "rdf_xml": f"{BASE}/datasets/lebensformen.rdf",
        "json_ld": f"{BASE}/datasets/lebensformen.jsonld",
    }
    assert api.get("/api/v1/datasets/lebensformen/datapackage.json").headers["link"] == alternate
    catalog = f'<{BASE}/catalog.ttl>; rel="alternate"; type="text/turtle"'
    assert api.get("/api/v1/datasets").headers["link"] == catalog
    for key in ("turtle", "rdf_xml", "json_ld"):
        assert api.get(detail.json()["links"]["dcat"][key].removeprefix(BASE)).status_code == 200


# Paging and modified_since


def test_hydra_paging_visits_every_dataset_once(
    small_pages: TestClient[Litestar], names: list[str]
) -> None:
    pages = list(_pages(small_pages, f"{BASE}/catalog.ttl"))
    visited = [d for page in pages for d in _datasets(page)]
    assert sorted(visited) == [f"{BASE}/datasets/{name}" for name in names]
    assert len(pages) == math.ceil(len(names) / SMALL_PAGE) > 1
    for number, page in enumerate(pages, start=1):
        view = URIRef(f"{BASE}/catalog.ttl?page={number}")
        assert (view, RDF.type, HYDRA.PartialCollectionView) in page
        assert (view, RDF.type, HYDRA.PagedCollection) in page
        assert page.value(view, HYDRA.totalItems).toPython() == len(names)
        assert page.value(view, HYDRA.itemsPerPage).toPython() == SMALL_PAGE
        assert page.value(view, HYDRA.first) == URIRef(f"{BASE}/catalog.ttl?page=1")
        assert page.value(view, HYDRA.lastPage) == Literal(f"{BASE}/catalog.ttl?page={len(pages)}")
        assert (page.value(view, HYDRA.previous) is None) == (number == 1)
        next_page = page.value(view, HYDRA.nextPage)  # piveau reads it as a string
        assert next_page is None or isinstance(next_page, Literal)


def test_every_page_is_self_contained(small_pages: TestClient[Litestar]) -> None:
    for page in _pages(small_pages, f"{BASE}/catalog.jsonld"):
        catalog = URIRef(f"{BASE}/catalog")
        assert page.value(catalog, DCTERMS.title) is not None
        for dataset in page.subjects(RDF.type, DCAT.Dataset):
            assert (catalog, DCAT.dataset, dataset) in page
            assert page.value(page.value(dataset, DCTERMS.publisher), FOAF.name) is not None
            assert page.value(page.value(dataset, DCAT.contactPoint), VCARD.hasEmail) is not None
            for distribution in page.objects(dataset, DCAT.distribution):
                assert page.value(distribution, DCAT.accessURL) is not None


def test_catalog_title_and_description_are_german_and_english(
    api: TestClient[Litestar], catalog: CatalogInfo
) -> None:
    page = _graph(api.get("/catalog.ttl"))
    node = URIRef(f"{BASE}/catalog")
    english = catalog.translations["en"]
    assert _texts(page, node, DCTERMS.title) == {"de": catalog.title, "en": english.title}
    texts = _texts(page, node, DCTERMS.description)
    assert texts == {"de": catalog.description.strip(), "en": english.description.strip()}


def test_default_page_holds_the_whole_catalog(api: TestClient[Litestar], names: list[str]) -> None:
    pages = list(_pages(api, f"{BASE}/catalog"))
    assert len(pages) == 1
    assert _datasets(pages[0]) == [f"{BASE}/datasets/{name}" for name in names]
    assert list(pages[0].objects(None, HYDRA.itemsPerPage)) == [Literal(100, datatype=XSD.integer)]


SHIPPED = len(list((ROOT / "datapackages").glob("*/datapackage.json")))


@pytest.mark.parametrize("page", ["0", str(-(-SHIPPED // SMALL_PAGE) + 1), "-1"])
def test_page_outside_the_catalog_is_400(small_pages: TestClient[Litestar], page: str) -> None:
    response = small_pages.get(f"/catalog.ttl?page={page}")
    assert response.status_code == 400
    assert "page" in response.json()["detail"]


def test_modified_since_filters_and_is_kept_in_links(
    small_pages: TestClient[Litestar], api: TestClient[Litestar], names: list[str]
) -> None:
    modified = sorted(
        d["modified"] for d in api.get("/api/v1/datasets?_size=500").json()["datasets"]
    )
    since = modified[-1].replace("+00:00", "Z")
    url = f"{BASE}/catalog.ttl?modified_since={since}"
    visited = [d for page in _pages(small_pages, url) for d in _datasets(page)]
    assert len(visited) == modified.count(modified[-1])
    everything = f"{BASE}/catalog.ttl?modified_since=2000-01-01"
    pages = list(_pages(small_pages, everything))
    assert sum(len(_datasets(page)) for page in pages) == len(names)
    nexts = [str(o) for page in pages for o in page.objects(None, HYDRA.next)]
    assert nexts
    assert all("modified_since=2000-01-01" in link for link in nexts)


def test_modified_since_in_the_future_is_an_empty_catalog(
    small_pages: TestClient[Litestar],
) -> None:
    page = _graph(small_pages.get("/catalog.ttl?modified_since=2999-01-01"))
    assert _datasets(page) == []
    assert page.value(URIRef(f"{BASE}/catalog"), DCTERMS.title) is not None
    assert list(page.objects(None, HYDRA.totalItems)) == [Literal(0, datatype=XSD.integer)]


@pytest.mark.parametrize("value", ["gestern", "2025-13-01", "2025-02-30", "31.01.2025", "20250131"])
def test_bad_modified_since_is_400(small_pages: TestClient[Litestar], value: str) -> None:
    response = small_pages.get(f"/catalog.ttl?modified_since={value}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/problems/invalid-parameter")
    assert "modified_since" in response.json()["detail"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-31", "2025-01-31T00:00:00+00:00"),
        ("2025-01-31T10:00:00Z", "2025-01-31T10:00:00+00:00"),
        ("2025-01-31T10:00:00", "2025-01-31T10:00:00+00:00"),
        ("2025-01-31T10:00:00+01:00", "2025-01-31T10:00:00+01:00"),
        ("2025-01-31T10:00:00 01:00", "2025-01-31T10:00:00+01:00"),  # unencoded '+'
    ],
)
def test_parse_modified_since(value: str, expected: str) -> None:
    parsed = parse_modified_since(value)
    assert parsed is not None
    assert parsed.isoformat() == expected


def test_parse_modified_since_rejects_nonsense() -> None:
    with pytest.raises(InvalidParameter, match="modified_since"):
        parse_modified_since("bald")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("", "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/*", "application/rdf+xml"),
        ("application/ld+json, text/turtle;q=0.1", "application/ld+json"),
        ("text/turtle;q=0, */*;q=0.1", "application/rdf+xml"),
        ("image/png", None),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


# SHACL


@pytest.mark.slow
@pytest.mark.parametrize("extension", FORMATS)
def test_every_page_has_no_shacl_violation(
    small_pages: TestClient[Litestar], extension: str
) -> None:
    for page in _pages(small_pages, f"{BASE}/catalog.{extension}"):
        for profile, known in KNOWN_WARNINGS.items():
            results = shacl_results(page, profile)
            violations = [r for r in results if r[0] == "Violation"]
            assert violations == [], (profile, violations[:5])
            warnings = {(component, path) for severity, component, path, _ in results}
            assert warnings <= known, (profile, warnings - known)


@pytest.mark.slow
def test_every_agent_is_an_iri_and_eu_shapes_accept_the_publishers(
    api: TestClient[Litestar],
) -> None:
    graph = _graph(api.get("/catalog.ttl"))
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) >= 27
    for dataset in datasets:
        publishers = list(graph.objects(dataset, DCTERMS.publisher))
        assert len(publishers) == 1, dataset
        assert isinstance(publishers[0], URIRef), (dataset, publishers[0])
    for predicate in (DCTERMS.publisher, DCTERMS.creator, DCTERMS.contributor):
        for agent in graph.objects(None, predicate):
            assert isinstance(agent, URIRef), (predicate, agent)
            assert len(list(graph.objects(agent, FOAF.name))) == 1, agent
    for profile in ("eu3", "eu3-full"):
        about_publishers = [
            r for r in shacl_results(graph, profile) if r[2] == str(DCTERMS.publisher)
        ]
        kinds = {component for _, component, _, _ in about_publishers}
        assert "NodeKindConstraintComponent" not in kinds, profile
        if profile == "eu3":
            assert about_publishers == []


def test_every_organisation_of_the_packages_is_in_the_catalog(catalog: CatalogInfo) -> None:
    for descriptor in sorted((ROOT / "datapackages").glob("*/datapackage.json")):
        package = json.loads(descriptor.read_text(encoding="utf-8"))
        for contributor in package.get("contributors", []):
            if set(contributor.get("roles", [])) - {"contact"}:
                assert catalog.organisation(contributor) is not None, (descriptor, contributor)


# The mapping of details the shipped packages do not exercise


def test_dataset_graph_maps_roles_contacts_and_federal_tables(catalog: CatalogInfo) -> None:
    descriptor = {
        "name": "probe",
        "title": "Probe",
        "description": "Probe.",
        "x_temporal": {"start": "2021-11", "end": "2022-03-31"},
        "x_spatial": {"level": "federal", "keys": []},
        "contributors": [
            {"title": "Amt", "roles": ["publisher"], "path": "https://amt.example"},
            {"title": "Statistik", "roles": ["producer", "creator"]},
            {"title": "Hilfe", "roles": ["contributor"]},
            {"title": "Auskunft", "roles": ["contact"], "email": "auskunft@amt.example"},
        ],
        "licenses": [{"name": "dl-de-zero-2.0"}],
        "resources": [{"name": "probe", "bytes": 12, "hash": "md5:abc"}],
    }
    entry = DatasetRecord(
        name="probe",
        title="Probe",
        release=1,
        modified="2025-01-31T10:00:00",
        descriptor=descriptor,
    )
    graph = dataset_graph(entry, catalog=catalog, urls=Urls.of(BASE))
    node = URIRef(f"{BASE}/datasets/probe")
    assert len(list(graph.objects(node, DCTERMS.creator))) == 1
    assert len(list(graph.objects(node, DCTERMS.contributor))) == 1
    publisher = _first(graph, node, DCTERMS.publisher)
    assert graph.value(publisher, DCTERMS.type) is None  # not the catalog's publisher
    card = _first(graph, node, DCAT.contactPoint)
    assert _first(graph, card, VCARD.hasEmail) == URIRef("mailto:auskunft@amt.example")
    assert set(graph.objects(node, DCTERMS.spatial)) == {URIRef(f"{EU}country/DEU")}
    period = _first(graph, node, DCTERMS.temporal)
    assert _first(graph, period, DCAT.startDate).datatype == XSD.gYearMonth
    assert _first(graph, period, DCAT.endDate).datatype == XSD.date
    licences = set(graph.objects(None, DCTERMS.license))
    assert licences == {URIRef("http://dcat-ap.de/def/licenses/dl-zero-de/2.0")}
    original = _first(graph, URIRef(f"{node}#probe-original"), DCTERMS.description)
    assert "12 Bytes" in str(original)
    assert "SHA-256" not in str(original)  # only sha256 hashes are named


# Round trip


def _first(graph: Graph, subject: Any, predicate: URIRef) -> Any:
    value = graph.value(subject, predicate)
    assert value is not None, (subject, predicate)
    return value


def _texts(graph: Graph, subject: Any, predicate: URIRef) -> dict[str, str]:
    """Language tag -> the one text of ``predicate`` in that language."""
    found = [(o.language, str(o)) for o in graph.objects(subject, predicate)]
    assert len(found) == len({language for language, _ in found}), found
    return dict(found)


def test_round_trip_equals_package_metadata(api: TestClient[Litestar], names: list[str]) -> None:
    for name in names:
        descriptor = api.get(f"/api/v1/datasets/{name}/datapackage.json").json()
        detail = api.get(f"/api/v1/datasets/{name}").json()
        graph = _graph(api.get(f"/datasets/{name}.ttl"))
        _assert_dataset(graph, descriptor, detail)
        _assert_distributions(graph, descriptor, detail)


def _assert_dataset(graph: Graph, descriptor: dict[str, Any], detail: dict[str, Any]) -> None:
    node = URIRef(f"{BASE}/datasets/{descriptor['name']}")
    assert _first(graph, node, DCTERMS.identifier) == Literal(str(node))
    english = descriptor["x_translations"]["en"]
    for predicate, key in ((DCTERMS.title, "title"), (DCTERMS.description, "description")):
        assert _texts(graph, node, predicate) == {"de": descriptor[key], "en": english[key]}
    keywords = {(k.language, str(k)) for k in graph.objects(node, DCAT.keyword)}
    assert keywords == {("de", k) for k in descriptor["keywords"]} | {
        ("en", k) for k in english["keywords"]
    }
    themes = {str(t).removeprefix(f"{EU}data-theme/") for t in graph.objects(node, DCAT.theme)}
    assert themes == set(descriptor["x_themes"])
    period = _first(graph, node, DCTERMS.temporal)
    for key, predicate in (("start", DCAT.startDate), ("end", DCAT.endDate)):
        value = _first(graph, period, predicate)
        assert str(value) == descriptor["x_temporal"][key]
        assert value.datatype == {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(str(value))]
    _assert_spatial(graph, node, descriptor["x_spatial"])
    frequency = f"{EU}frequency/{descriptor['x_accrual_periodicity']}"
    assert _first(graph, node, DCTERMS.accrualPeriodicity) == URIRef(frequency)
    publisher = next(c for c in descriptor["contributors"] if "publisher" in c["roles"])
    organisation = load_catalog(CATALOG_FILE).organisation(publisher)
    assert organisation is not None
    agent = _first(graph, node, DCTERMS.publisher)
    assert agent == URIRef(str(organisation.uri))
    assert str(_first(graph, agent, FOAF.name)) == organisation.name
    assert (
        node,
        DCATDE.contributorID,
        URIRef("http://dcat-ap.de/def/contributors/openNRW"),
    ) in graph
    assert _first(graph, node, DCTERMS.issued).datatype == XSD.dateTime
    modified = datetime.fromisoformat(detail["modified"])
    modified = modified if modified.tzinfo else modified.replace(tzinfo=UTC)
    assert _first(graph, node, DCTERMS.modified).toPython() == modified
    email = _first(graph, _first(graph, node, DCAT.contactPoint), VCARD.hasEmail)
    assert str(email).startswith("mailto:")


def _assert_spatial(graph: Graph, node: URIRef, spatial: dict[str, Any]) -> None:
    level = _first(graph, node, DCATDE.politicalGeocodingLevelURI)
    assert level == URIRef(f"http://dcat-ap.de/def/politicalGeocoding/Level/{spatial['level']}")
    keys = {str(u).rsplit("/", 1)[1] for u in graph.objects(node, DCATDE.politicalGeocodingURI)}
    if spatial.get("keys"):
        assert keys == set(spatial["keys"])
        assert set(graph.objects(node, DCTERMS.spatial)) == set(
            graph.objects(node, DCATDE.politicalGeocodingURI)
        )
    else:  # federal: the level itself, and Germany as dct:spatial (Konventionenhandbuch K11)
        assert spatial["level"] == "federal"
        assert set(graph.objects(node, DCTERMS.spatial)) == {URIRef(f"{EU}country/DEU")}


def _assert_distributions(graph: Graph, descriptor: dict[str, Any], detail: dict[str, Any]) -> None:
    node = URIRef(f"{BASE}/datasets/{descriptor['name']}")
    distributions = set(graph.objects(node, DCAT.distribution))
    expected_urls = {
        d["url"] for r in detail["links"]["resources"] for d in r["downloads"].values()
    }
    assert len(distributions) == len(expected_urls) == 6 * len(descriptor["resources"])
    urls = set()
    for distribution in distributions:
        url = _first(graph, distribution, DCAT.downloadURL)
        assert _first(graph, distribution, DCAT.accessURL) == url  # K39
        urls.add(str(url))
        licence = _first(graph, distribution, DCTERMS.license)
        assert licence == URIRef(LICENSES[descriptor["licenses"][0]["name"]])
        attribution = _first(graph, distribution, DCATDE.licenseAttributionByText)
        assert attribution == Literal(descriptor["x_attribution"], lang="de")
        assert str(_first(graph, distribution, DCTERMS.format)).startswith(f"{EU}file-type/")
        assert set(_texts(graph, distribution, DCTERMS.title)) == {"de", "en"}
    assert urls == expected_urls
    for resource in descriptor["resources"]:
        original = URIRef(f"{node}#{resource['name']}-original")
        texts = _texts(graph, original, DCTERMS.description)
        assert f"{resource['bytes']} Bytes" in texts["de"]
        assert f"{resource['bytes']} bytes" in texts["en"]
        assert all(resource["hash"].removeprefix("sha256:") in text for text in texts.values())
        media = _first(graph, original, DCAT.mediaType)
        assert media == URIRef("https://www.iana.org/assignments/media-types/text/csv")
