"""Data packages and the catalog file as DCAT-AP.de graphs (pure; the mapping is docs/dcat.md).

IRIs are minted by ``Urls`` (``opendata_sozial.urls``) only: the catalog is ``{base}/catalog``, a dataset
``{base}/datasets/{name}`` (also its ``dct:identifier``), a distribution
``{base}/datasets/{name}#{resource}-{format}``.
"""

import re
from collections.abc import Iterable, Mapping, Set
from datetime import datetime
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from rdflib.term import Node

from opendata_sozial.catalog import CatalogInfo, Organisation
from opendata_sozial.domain import mailto_url, rfc3339, web_url
from opendata_sozial.formats.dcat.paging import CatalogPage, DatasetEntry
from opendata_sozial.formats.dcat.vocab import (
    ACCESS_RIGHT,
    AGS_SCHEMES,
    AVAILABILITY,
    CONTRIBUTOR_ROLES,
    DATA_THEME,
    DCAT_VERSION,
    DCATAP,
    DCATDE,
    DOWNLOADS,
    FEDERAL_SPATIAL,
    FILE_TYPE,
    FREQUENCY,
    GEOCODING,
    GEOCODING_LEVEL,
    HYDRA,
    LANGUAGE,
    LICENSES,
    PUBLISHER_TYPE,
    VCARD,
    DownloadFormat,
    media_type_iri,
    new_graph,
)
from opendata_sozial.urls import Urls

LANG = "de"
_PERIOD_TYPES = (
    (re.compile(r"^\d{4}$"), XSD.gYear),
    (re.compile(r"^\d{4}-\d{2}$"), XSD.gYearMonth),
)


# IRIs and URLs


def catalog_iri(urls: Urls) -> URIRef:
    """The catalog's IRI: ``{base}/catalog``."""
    return URIRef(urls.catalog_record())


def dataset_iri(urls: Urls, name: str) -> URIRef:
    """The dataset's IRI, also its ``dct:identifier``: ``{base}/datasets/{name}``."""
    return URIRef(urls.dataset_record(name))


def distribution_iri(urls: Urls, name: str, resource: str, download: DownloadFormat) -> URIRef:
    """A stable IRI per resource and download format (harvesters match resources by it)."""
    return URIRef(f"{dataset_iri(urls, name)}#{resource}-{download.key}")


def download_url(urls: Urls, name: str, resource: str, download: DownloadFormat) -> str:
    """The download URL, as ``GET /api/v1/datasets/{name}`` links it."""
    return urls.download(name, resource, download.suffix)


def schema_iri(urls: Urls, name: str, index: int) -> URIRef:
    """The Table Schema of resource ``index``: a JSON pointer into the served descriptor."""
    return URIRef(f"{urls.datapackage(name)}#/resources/{index}/schema")


def landing_page(urls: Urls, name: str) -> URIRef:
    """The dataset's HTML page."""
    return URIRef(urls.page(name))


# Literals


def period_literal(period: str) -> Literal:
    """An ISO period as ``xsd:gYear`` (2005), ``xsd:gYearMonth`` (2021-11) or ``xsd:date``."""
    for pattern, datatype in _PERIOD_TYPES:
        if pattern.match(period):
            return Literal(period, datatype=datatype)
    return Literal(period, datatype=XSD.date)


def date_time_literal(value: str | datetime) -> Literal:
    """An ISO time as ``xsd:dateTime`` in UTC (naive times are UTC)."""
    return Literal(rfc3339(value), datatype=XSD.dateTime)


def _text(value: str) -> Literal:
    return Literal(value, lang=LANG)


# Catalog


def catalog_graph(
    page: CatalogPage[Any], *, catalog: CatalogInfo, urls: Urls, modified: datetime
) -> Graph:
    """One self-contained page of the catalog.

    It holds the catalog, its datasets on this page with their distributions and agents, and
    the Hydra paging view.
    """
    graph = new_graph()
    node = catalog_iri(urls)
    _add_catalog(graph, node, catalog, modified)
    for entry in page.entries:
        graph.add((node, DCAT.dataset, dataset_iri(urls, entry.name)))
        _add_dataset(graph, entry, catalog=catalog, urls=urls)
    _add_hydra(graph, page)
    return graph


def _add_catalog(graph: Graph, node: URIRef, catalog: CatalogInfo, modified: datetime) -> None:
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, _text(catalog.title)))
    graph.add((node, DCTERMS.description, _text(catalog.description.strip())))
    _add_catalog_publisher(graph, node, catalog)
    _add_typed(graph, node, FOAF.homepage, URIRef(str(catalog.homepage)), FOAF.Document)
    _add_typed(graph, node, DCTERMS.language, LANGUAGE[catalog.language], DCTERMS.LinguisticSystem)
    _add_typed(graph, node, DCTERMS.license, URIRef(str(catalog.license)), DCTERMS.LicenseDocument)
    taxonomy = URIRef(str(DATA_THEME).rstrip("/"))
    _add_typed(graph, node, DCAT.themeTaxonomy, taxonomy, SKOS.ConceptScheme)
    graph.add((taxonomy, DCTERMS.title, Literal("Data theme", lang="en")))
    graph.add((node, DCTERMS.modified, date_time_literal(modified)))
    point = catalog.contact_point
    url = None if point.url is None else str(point.url)
    _add_contact_point(graph, node, name=point.name, email=point.email, url=url)


def _add_catalog_publisher(graph: Graph, node: URIRef, catalog: CatalogInfo) -> None:
    """The catalog's publisher keeps the IRI ``catalog.yaml`` gives it."""
    graph.add((node, DCTERMS.publisher, _add_organisation(graph, catalog.publisher)))


def _add_organisation(graph: Graph, organisation: Organisation) -> URIRef:
    """An organisation of ``catalog.yaml`` under its IRI, with one name and its ADMS type."""
    agent = URIRef(str(organisation.uri))
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.set((agent, FOAF.name, _text(organisation.name)))
    if organisation.homepage is not None and organisation.homepage != organisation.uri:
        _add_typed(graph, agent, FOAF.homepage, URIRef(str(organisation.homepage)), FOAF.Document)
    graph.set((agent, DCTERMS.type, PUBLISHER_TYPE[organisation.type]))
    return agent


def _add_hydra(graph: Graph, page: CatalogPage[Any]) -> None:
    """``hydra:PartialCollectionView`` and the older ``hydra:PagedCollection`` on one node.

    The Hydra link properties (``next`` …) are IRIs; the deprecated ``nextPage`` … forms are
    string literals, as ckanext-dcat emits them and piveau reads them.
    """
    query, number = page.query, page.query.number
    view = URIRef(query.link(number))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.totalItems, Literal(page.total, datatype=XSD.integer)))
    graph.add((view, HYDRA.itemsPerPage, Literal(query.size, datatype=XSD.integer)))
    links = {"first": 1, "last": page.last}
    if number > 1:
        links["previous"] = number - 1
    if number < page.last:
        links["next"] = number + 1
    for relation, target in links.items():
        graph.add((view, HYDRA[relation], URIRef(query.link(target))))
        graph.add((view, HYDRA[f"{relation}Page"], Literal(query.link(target))))


# Dataset


def dataset_graph(entry: DatasetEntry, *, catalog: CatalogInfo, urls: Urls) -> Graph:
    """One dataset with its distributions, publisher and contact point."""
    graph = new_graph()
    _add_dataset(graph, entry, catalog=catalog, urls=urls)
    return graph


def _add_dataset(graph: Graph, entry: DatasetEntry, *, catalog: CatalogInfo, urls: Urls) -> None:
    descriptor = entry.descriptor
    node = dataset_iri(urls, entry.name)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(node))))
    graph.add((node, DCTERMS.title, _text(descriptor["title"])))
    graph.add((node, DCTERMS.description, _text(descriptor["description"])))
    for keyword in descriptor.get("keywords", []):
        graph.add((node, DCAT.keyword, _text(keyword)))
    for theme in descriptor.get("x_themes", []):
        graph.add((node, DCAT.theme, DATA_THEME[theme]))
    _add_dates(graph, node, descriptor, entry.modified)
    _add_temporal(graph, node, descriptor.get("x_temporal"))
    _add_spatial(graph, node, descriptor.get("x_spatial"))
    _add_dataset_agents(graph, node, descriptor, catalog)
    _add_dataset_links(graph, node, entry.name, descriptor, catalog=catalog, urls=urls)
    for index, resource in enumerate(descriptor.get("resources", [])):
        _add_distributions(graph, node, entry, index, resource, catalog=catalog, urls=urls)


def _add_dates(graph: Graph, node: URIRef, descriptor: Mapping[str, Any], modified: str) -> None:
    if created := descriptor.get("created"):
        graph.add((node, DCTERMS.issued, date_time_literal(created)))
    graph.add((node, DCTERMS.modified, date_time_literal(modified)))
    if version := descriptor.get("version"):
        graph.add((node, DCAT_VERSION, Literal(version)))
    if frequency := descriptor.get("x_accrual_periodicity"):
        _add_typed(graph, node, DCTERMS.accrualPeriodicity, FREQUENCY[frequency], DCTERMS.Frequency)


def _add_temporal(graph: Graph, node: URIRef, temporal: Mapping[str, str] | None) -> None:
    if not temporal:
        return
    period = BNode()
    graph.add((node, DCTERMS.temporal, period))
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    if start := temporal.get("start"):
        graph.add((period, DCAT.startDate, period_literal(start)))
    if end := temporal.get("end"):
        graph.add((period, DCAT.endDate, period_literal(end)))


def geocoding_iris(spatial: Mapping[str, Any]) -> list[URIRef]:
    """Political geocoding IRIs of the AGS keys; a federal table without keys is Germany."""
    keys = [str(k) for k in spatial.get("keys", []) if len(str(k)) in AGS_SCHEMES]
    if not keys and spatial.get("level") == "federal":
        return [GEOCODING_LEVEL["federal"]]
    return [URIRef(f"{GEOCODING}{AGS_SCHEMES[len(k)]}/{k}") for k in keys]


def _add_spatial(graph: Graph, node: URIRef, spatial: Mapping[str, Any] | None) -> None:
    """``dcatde:politicalGeocodingURI`` mirrored in ``dct:spatial`` (K08, K11), plus the level."""
    if not spatial:
        return
    for iri in geocoding_iris(spatial):
        graph.add((node, DCATDE.politicalGeocodingURI, iri))
        location = FEDERAL_SPATIAL if iri == GEOCODING_LEVEL["federal"] else iri
        _add_typed(graph, node, DCTERMS.spatial, location, DCTERMS.Location)
    if level := spatial.get("level"):
        graph.add((node, DCATDE.politicalGeocodingLevelURI, GEOCODING_LEVEL[level]))


def _add_dataset_links(
    graph: Graph,
    node: URIRef,
    name: str,
    descriptor: Mapping[str, Any],
    *,
    catalog: CatalogInfo,
    urls: Urls,
) -> None:
    _add_typed(graph, node, DCAT.landingPage, landing_page(urls, name), FOAF.Document)
    if homepage := web_url(descriptor.get("homepage")):
        _add_typed(graph, node, FOAF.page, URIRef(homepage), FOAF.Document)
    _add_typed(graph, node, DCTERMS.language, LANGUAGE[catalog.language], DCTERMS.LinguisticSystem)
    _add_typed(graph, node, DCTERMS.accessRights, ACCESS_RIGHT.PUBLIC, DCTERMS.RightsStatement)
    if catalog.contributor_id is not None:
        graph.add((node, DCATDE.contributorID, URIRef(str(catalog.contributor_id))))
    for index, _resource in enumerate(descriptor.get("resources", [])):
        _add_typed(graph, node, DCTERMS.conformsTo, schema_iri(urls, name, index), DCTERMS.Standard)


def _add_typed(graph: Graph, node: Node, predicate: URIRef, value: URIRef, cls: URIRef) -> None:
    """``node predicate value`` plus ``value a cls``: DCAT-AP 3 checks the class of values."""
    graph.add((node, predicate, value))
    graph.add((value, RDF.type, cls))


# Agents


def _contributors(descriptor: Mapping[str, Any], roles: Set[str]) -> list[Mapping[str, Any]]:
    """The package's contributors having any of ``roles``, in their order."""
    return [c for c in descriptor.get("contributors", []) if roles & set(c.get("roles", []))]


def _add_dataset_agents(
    graph: Graph, node: URIRef, descriptor: Mapping[str, Any], catalog: CatalogInfo
) -> None:
    """Publisher, creators and contributors as ``foaf:Agent``; the contact point as vCard.

    An organisation listed in ``catalog.yaml`` is its IRI; another one is its ``path`` as IRI,
    and only one without any address stays a blank node.
    """
    publisher = next(iter(_contributors(descriptor, {"publisher"})), None)
    if publisher is None:
        publisher = {"title": catalog.publisher.name, "path": str(catalog.publisher.uri)}
    _add_agent(graph, node, DCTERMS.publisher, publisher, catalog)
    for predicate, roles in CONTRIBUTOR_ROLES.items():
        for person in _contributors(descriptor, roles):
            _add_agent(graph, node, predicate, person, catalog)
    contact = next(
        (c for c in _contributors(descriptor, {"contact"}) if mailto_url(c.get("email"))), None
    )
    if contact is not None:
        _add_contact_point(graph, node, name=contact["title"], email=contact["email"], url=None)
    else:
        point = catalog.contact_point
        url = None if point.url is None else str(point.url)
        _add_contact_point(graph, node, name=point.name, email=point.email, url=url)


def _add_agent(
    graph: Graph,
    node: URIRef,
    predicate: URIRef,
    person: Mapping[str, Any],
    catalog: CatalogInfo,
) -> None:
    """``node predicate <agent>`` for a Data Package contributor (``a foaf:Agent``, a name)."""
    organisation = catalog.organisation(person)
    if organisation is not None:
        graph.add((node, predicate, _add_organisation(graph, organisation)))
        return
    homepage = web_url(person.get("path"))
    agent = URIRef(homepage) if homepage else BNode()
    graph.add((node, predicate, agent))
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.set((agent, FOAF.name, _text(person["title"])))


def _add_contact_point(
    graph: Graph, node: URIRef, *, name: str, email: str, url: str | None
) -> None:
    card = BNode()
    graph.add((node, DCAT.contactPoint, card))
    graph.add((card, RDF.type, VCARD.Organization))
    graph.add((card, VCARD.fn, _text(name)))
    graph.add((card, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    if url is not None:
        graph.add((card, VCARD.hasURL, URIRef(url)))


# Distributions


def _add_distributions(
    graph: Graph,
    dataset: URIRef,
    entry: DatasetEntry,
    index: int,
    resource: Mapping[str, Any],
    *,
    catalog: CatalogInfo,
    urls: Urls,
) -> None:
    """One ``dcat:Distribution`` per download format of the resource."""
    descriptor = entry.descriptor
    title = resource.get("title") or descriptor["title"]
    for download in DOWNLOADS:
        node = distribution_iri(urls, entry.name, resource["name"], download)
        graph.add((dataset, DCAT.distribution, node))
        graph.add((node, RDF.type, DCAT.Distribution))
        graph.add((node, DCTERMS.title, _text(f"{title} – {download.title}")))
        url = URIRef(download_url(urls, entry.name, resource["name"], download))
        graph.add((node, DCAT.accessURL, url))  # K39: the same URL for a direct download
        graph.add((node, DCAT.downloadURL, url))
        _add_file_type(graph, node, download)
        _add_rights(graph, node, _licence(descriptor, catalog), descriptor.get("x_attribution"))
        graph.add((node, DCTERMS.modified, date_time_literal(entry.modified)))
        graph.add((node, DCATAP.availability, AVAILABILITY.STABLE))
        schema = schema_iri(urls, entry.name, index)
        _add_typed(graph, node, DCTERMS.conformsTo, schema, DCTERMS.Standard)
        if download.is_original:
            graph.add((node, DCTERMS.description, _text(original_description(resource))))


def _add_file_type(graph: Graph, node: URIRef, download: DownloadFormat) -> None:
    file_type = FILE_TYPE[download.file_type]
    _add_typed(graph, node, DCTERMS.format, file_type, DCTERMS.MediaTypeOrExtent)
    if download.media_type:
        media = media_type_iri(download.media_type)
        _add_typed(graph, node, DCAT.mediaType, media, DCTERMS.MediaType)


def _add_rights(graph: Graph, node: URIRef, licence: URIRef, attribution: str | None) -> None:
    _add_typed(graph, node, DCTERMS.license, licence, DCTERMS.LicenseDocument)
    if attribution:
        graph.add((node, DCATDE.licenseAttributionByText, _text(attribution)))


def _licence(descriptor: Mapping[str, Any], catalog: CatalogInfo) -> URIRef:
    """The DCAT-AP.de IRI of the package's first known licence, else the catalog's licence."""
    names: Iterable[str] = (
        str(lic.get("name", "")).lower() for lic in descriptor.get("licenses", [])
    )
    return URIRef(next((LICENSES[n] for n in names if n in LICENSES), str(catalog.license)))


def original_description(resource: Mapping[str, Any]) -> str:
    """What the original file is, with its size and SHA-256 as text.

    ``dcat:byteSize`` and ``spdx:checksum`` cannot pass DCAT-AP.de 2.0 and 3.0 at once
    (``xsd:decimal`` against ``xsd:nonNegativeInteger``; the dcat-ap.de hash list against
    ``spdx:checksumAlgorithm_sha256``), so both stay in the description (docs/dcat.md).
    """
    parts = ["Die Datei des Datenpakets, byte-identisch wie veröffentlicht"]
    if resource.get("bytes") is not None:
        parts.append(f"{int(resource['bytes'])} Bytes")
    file_hash = str(resource.get("hash") or "")
    if file_hash.startswith("sha256:"):
        parts.append(f"SHA-256 {file_hash.removeprefix('sha256:')}")
    return "; ".join(parts) + "."
