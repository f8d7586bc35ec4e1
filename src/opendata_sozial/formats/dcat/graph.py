"""Data packages and the catalog file as DCAT-AP.de graphs (pure; the mapping is docs/dcat.md).

IRIs are minted by ``Urls`` (``opendata_sozial.urls``) only: the catalog is ``{base}/catalog``, a dataset
``{base}/datasets/{name}`` (also its ``dct:identifier``), a distribution
``{base}/datasets/{name}#{resource}-{format}``.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from rdflib.term import Node

from opendata_sozial.catalog import CatalogInfo, Organisation
from opendata_sozial.domain import mailto_url, rfc3339, web_url
from opendata_sozial.formats.dcat.paging import CatalogPage, DatasetEntry
from opendata_sozial.formats.dcat.vocab import (
    ACCESS_RIGHT,
    AVAILABILITY,
    CONTRIBUTOR_ROLES,
    DATA_THEME,
    DCAT_VERSION,
    DCATAP,
    DCATDE,
    FEDERAL_SPATIAL,
    FILE_TYPE,
    FREQUENCY,
    GEOCODING_LEVEL,
    HYDRA,
    LANGUAGE,
    LICENSES,
    PUBLISHER_TYPE,
    VCARD,
    DownloadFormat,
    file_downloads,
    media_type_iri,
    new_graph,
)
from opendata_sozial.media import file_format
from opendata_sozial.model.dataset import Contributor, Dataset, Period, Resource, Spatial
from opendata_sozial.model.parse import publisher
from opendata_sozial.model.vocab import geocoding_iris as shared_geocoding_iris
from opendata_sozial.urls import Urls

LANG = "de"
NO_PLACES: Mapping[str, str] = MappingProxyType({})
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


def _text(value: str, language: str = LANG) -> Literal:
    return Literal(value, lang=language)


def _add_translated(
    graph: Graph, node: URIRef, predicate: URIRef, texts: Iterable[tuple[str, str | None]]
) -> None:
    """One ``predicate`` literal per (language, text) that has a text."""
    for language, text in texts:
        if text:
            graph.add((node, predicate, _text(text, language)))


# Catalog


def catalog_graph(
    page: CatalogPage[Any],
    *,
    catalog: CatalogInfo,
    urls: Urls,
    modified: datetime,
    places: Mapping[str, str] = NO_PLACES,
) -> Graph:
    """One self-contained page of the catalog.

    It holds the catalog, its datasets on this page with their distributions and agents, and
    the Hydra paging view. ``places`` names the official keys (``dct:spatial`` labels).
    """
    graph = new_graph()
    node = catalog_iri(urls)
    _add_catalog(graph, node, catalog, modified)
    for entry in page.entries:
        graph.add((node, DCAT.dataset, dataset_iri(urls, entry.name)))
        _add_dataset(graph, entry, catalog=catalog, urls=urls, places=places)
    _add_hydra(graph, page)
    return graph


def _add_catalog(graph: Graph, node: URIRef, catalog: CatalogInfo, modified: datetime) -> None:
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, _text(catalog.title)))
    graph.add((node, DCTERMS.description, _text(catalog.description.strip())))
    for language, texts in catalog.translations.items():
        graph.add((node, DCTERMS.title, _text(texts.title, language)))
        graph.add((node, DCTERMS.description, _text(texts.description.strip(), language)))
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


def dataset_graph(
    entry: DatasetEntry,
    *,
    catalog: CatalogInfo,
    urls: Urls,
    places: Mapping[str, str] = NO_PLACES,
) -> Graph:
    """One dataset with its distributions, publisher and contact point."""
    graph = new_graph()
    _add_dataset(graph, entry, catalog=catalog, urls=urls, places=places)
    return graph


def _add_dataset(
    graph: Graph,
    entry: DatasetEntry,
    *,
    catalog: CatalogInfo,
    urls: Urls,
    places: Mapping[str, str] = NO_PLACES,
) -> None:
    dataset = entry.model
    node = dataset_iri(urls, entry.name)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(node))))
    graph.add((node, DCTERMS.title, _text(dataset.title)))
    graph.add((node, DCTERMS.description, _text(dataset.description)))
    for keyword in dataset.keywords:
        graph.add((node, DCAT.keyword, _text(keyword)))
    for found in dataset.translations:
        _add_translated(graph, node, DCTERMS.title, [(found.language, found.package.title)])
        texts = [(found.language, found.package.description)]
        _add_translated(graph, node, DCTERMS.description, texts)
        keywords = [(found.language, keyword) for keyword in found.keywords or ()]
        _add_translated(graph, node, DCAT.keyword, keywords)
    for theme in dataset.themes:
        graph.add((node, DCAT.theme, DATA_THEME[theme]))
    _add_dates(graph, node, dataset, entry.modified)
    _add_temporal(graph, node, dataset.period)
    _add_spatial(graph, node, dataset.spatial, places)
    _add_dataset_agents(graph, node, dataset, catalog)
    _add_dataset_links(graph, node, entry.name, dataset, catalog=catalog, urls=urls)
    for index, resource in enumerate(dataset.resources):
        _add_distributions(graph, node, entry, index, resource, catalog=catalog, urls=urls)


def _add_dates(graph: Graph, node: URIRef, dataset: Dataset, modified: str) -> None:
    if dataset.created:
        graph.add((node, DCTERMS.issued, date_time_literal(dataset.created)))
    graph.add((node, DCTERMS.modified, date_time_literal(modified)))
    if dataset.version:
        graph.add((node, DCAT_VERSION, Literal(dataset.version)))
    if frequency := dataset.accrual_periodicity:
        _add_typed(graph, node, DCTERMS.accrualPeriodicity, FREQUENCY[frequency], DCTERMS.Frequency)


def _add_temporal(graph: Graph, node: URIRef, temporal: Period | None) -> None:
    if temporal is None:
        return
    period = BNode()
    graph.add((node, DCTERMS.temporal, period))
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    if temporal.start:
        graph.add((period, DCAT.startDate, period_literal(temporal.start)))
    if temporal.end:
        graph.add((period, DCAT.endDate, period_literal(temporal.end)))


def geocoding_iris(spatial: Spatial) -> list[URIRef]:
    """Political geocoding IRIs of the AGS keys; a federal table without keys is Germany."""
    iris = [URIRef(iri) for iri in shared_geocoding_iris(spatial.keys)]
    if not iris and spatial.level == "federal":
        return [GEOCODING_LEVEL["federal"]]
    return iris


def _add_spatial(
    graph: Graph, node: URIRef, spatial: Spatial | None, places: Mapping[str, str]
) -> None:
    """``dcatde:politicalGeocodingURI`` mirrored in ``dct:spatial`` (K08, K11), plus the level.

    A place whose key ``places`` knows carries its name as ``skos:prefLabel``.
    """
    if spatial is None:
        return
    for iri in geocoding_iris(spatial):
        graph.add((node, DCATDE.politicalGeocodingURI, iri))
        location = FEDERAL_SPATIAL if iri == GEOCODING_LEVEL["federal"] else iri
        _add_typed(graph, node, DCTERMS.spatial, location, DCTERMS.Location)
        if name := places.get(str(iri).rsplit("/", 1)[-1]):
            graph.add((location, SKOS.prefLabel, _text(name)))
    if spatial.level:
        graph.add((node, DCATDE.politicalGeocodingLevelURI, GEOCODING_LEVEL[spatial.level]))


def _add_dataset_links(
    graph: Graph,
    node: URIRef,
    name: str,
    dataset: Dataset,
    *,
    catalog: CatalogInfo,
    urls: Urls,
) -> None:
    _add_typed(graph, node, DCAT.landingPage, landing_page(urls, name), FOAF.Document)
    if homepage := web_url(dataset.homepage):
        _add_typed(graph, node, FOAF.page, URIRef(homepage), FOAF.Document)
    _add_typed(graph, node, DCTERMS.language, LANGUAGE[catalog.language], DCTERMS.LinguisticSystem)
    _add_typed(graph, node, DCTERMS.accessRights, ACCESS_RIGHT.PUBLIC, DCTERMS.RightsStatement)
    if catalog.contributor_id is not None:
        graph.add((node, DCATDE.contributorID, URIRef(str(catalog.contributor_id))))
    for index, resource in enumerate(dataset.resources):
        if file_format(resource) is not None:  # a file without a Table Schema
            continue
        _add_typed(graph, node, DCTERMS.conformsTo, schema_iri(urls, name, index), DCTERMS.Standard)


def _add_typed(graph: Graph, node: Node, predicate: URIRef, value: URIRef, cls: URIRef) -> None:
    """``node predicate value`` plus ``value a cls``: DCAT-AP 3 checks the class of values."""
    graph.add((node, predicate, value))
    graph.add((value, RDF.type, cls))


# Agents


def _add_dataset_agents(graph: Graph, node: URIRef, dataset: Dataset, catalog: CatalogInfo) -> None:
    """Publisher, creators and contributors as ``foaf:Agent``; the contact point as vCard.

    An organisation listed in ``catalog.yaml`` is its IRI; another one is its ``path`` as IRI,
    and only one without any address stays a blank node.
    """
    _add_agent(graph, node, DCTERMS.publisher, publisher(dataset, catalog), catalog)
    for predicate, roles in CONTRIBUTOR_ROLES.items():
        for person in dataset.with_role(*roles):
            _add_agent(graph, node, predicate, person, catalog)
    contact = next((c for c in dataset.with_role("contact") if mailto_url(c.email)), None)
    if contact is not None and contact.email is not None:
        _add_contact_point(graph, node, name=contact.title, email=contact.email, url=None)
    else:
        point = catalog.contact_point
        url = None if point.url is None else str(point.url)
        _add_contact_point(graph, node, name=point.name, email=point.email, url=url)


def _add_agent(
    graph: Graph,
    node: URIRef,
    predicate: URIRef,
    person: Contributor,
    catalog: CatalogInfo,
) -> None:
    """``node predicate <agent>`` for a Data Package contributor (``a foaf:Agent``, a name)."""
    organisation = catalog.organisation_named(person.title, person.path)
    if organisation is not None:
        graph.add((node, predicate, _add_organisation(graph, organisation)))
        return
    homepage = web_url(person.path)
    agent = URIRef(homepage) if homepage else BNode()
    graph.add((node, predicate, agent))
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.set((agent, FOAF.name, _text(person.title)))


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
    resource: Resource,
    *,
    catalog: CatalogInfo,
    urls: Urls,
) -> None:
    """One ``dcat:Distribution`` per download format of the resource."""
    model = entry.model
    title = resource.title or model.title
    is_file = file_format(resource) is not None
    for download in file_downloads(file_format(resource)):
        node = distribution_iri(urls, entry.name, resource.name, download)
        graph.add((dataset, DCAT.distribution, node))
        graph.add((node, RDF.type, DCAT.Distribution))
        graph.add((node, DCTERMS.title, _text(f"{title} – {download.title}")))
        for language, translated in _translated_titles(model, resource):
            graph.add((node, DCTERMS.title, _text(f"{translated} – {download.title_en}", language)))
        url = URIRef(download_url(urls, entry.name, resource.name, download))
        graph.add((node, DCAT.accessURL, url))  # K39: the same URL for a direct download
        graph.add((node, DCAT.downloadURL, url))
        _add_file_type(graph, node, download)
        _add_rights(graph, node, _licence(model, catalog), model.attribution)
        graph.add((node, DCTERMS.modified, date_time_literal(entry.modified)))
        graph.add((node, DCATAP.availability, AVAILABILITY.STABLE))
        if not is_file:
            schema = schema_iri(urls, entry.name, index)
            _add_typed(graph, node, DCTERMS.conformsTo, schema, DCTERMS.Standard)
        if download.is_original:
            graph.add((node, DCTERMS.description, _text(original_description(resource))))
            for language, _ in _translated_titles(model, resource):
                english = original_description(resource, language)
                graph.add((node, DCTERMS.description, _text(english, language)))


def _translated_titles(dataset: Dataset, resource: Resource) -> list[tuple[str, str]]:
    """(language, title) of a resource's distributions in each language the package has."""
    titles = []
    for found in dataset.translations:
        texts = found.resources.get(resource.name)
        title = (texts.title if texts else None) or found.package.title
        if title:
            titles.append((found.language, title))
    return titles


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


def _licence(dataset: Dataset, catalog: CatalogInfo) -> URIRef:
    """The DCAT-AP.de IRI of the package's first known licence, else the catalog's licence."""
    names: Iterable[str] = (lic.name.lower() for lic in dataset.licences)
    return URIRef(next((LICENSES[n] for n in names if n in LICENSES), str(catalog.license)))


_ORIGINAL: Final = {
    LANG: ("Die Datei des Datenpakets, byte-identisch wie veröffentlicht", "Bytes"),
    "en": ("The file of the data package, byte for byte as published", "bytes"),
}


def original_description(resource: Resource, language: str = LANG) -> str:
    """What the original file is, with its size and SHA-256 as text.

    ``dcat:byteSize`` and ``spdx:checksum`` cannot pass DCAT-AP.de 2.0 and 3.0 at once
    (``xsd:decimal`` against ``xsd:nonNegativeInteger``; the dcat-ap.de hash list against
    ``spdx:checksumAlgorithm_sha256``), so both stay in the description (docs/dcat.md).
    """
    text, unit = _ORIGINAL[language]
    parts = [text]
    if resource.bytes is not None:
        parts.append(f"{resource.bytes} {unit}")
    file_hash = resource.hash
    if file_hash.startswith("sha256:"):
        parts.append(f"SHA-256 {file_hash.removeprefix('sha256:')}")
    return "; ".join(parts) + "."
