"""``parse_dataset``: the one place that reads a stored Data Package descriptor.

The descriptor passed ``opendata-sozial validate`` before it was published, so parsing does
not check it again; it only decides, once, what a missing optional key means. Every default
of every output is here:

- text that is missing is ``""`` (description, field description, footnote and break text),
  a missing optional value is ``None`` (version, created, homepage, attribution, licence title);
- lists that are missing are empty tuples; ``x_temporal``/``x_spatial`` that are missing or
  empty are ``None``;
- a package without ``x_translations`` has no translations; a text a translation leaves out
  is ``None`` in its ``Texts`` (``Dataset.translated`` then keeps the German one);
- the publisher of a package without one is the catalog's publisher (``catalog.yaml``),
  see ``publisher``.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from opendata_sozial.catalog import CatalogInfo
from opendata_sozial.model.dataset import (
    AREA_KEY,
    AREA_RESOURCE,
    REGION_PACKAGE,
    Areas,
    Break,
    Contributor,
    Dataset,
    Field,
    Footnote,
    ForeignKey,
    Licence,
    Period,
    Resource,
    Source,
    Spatial,
    Texts,
    Translation,
)

Descriptor = Mapping[str, Any]


def _text(value: object, default: str = "") -> str:
    return default if value is None else str(value)


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def _objects(value: object) -> Iterable[Descriptor]:
    """The objects of a list (anything else in it, or a missing list, is skipped)."""
    items = value if isinstance(value, list) else []
    return (item for item in items if isinstance(item, Mapping))


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def parse_dataset(descriptor: Descriptor) -> Dataset:
    """The typed ``Dataset`` of a ``datapackage.json`` (as published and stored)."""
    d = descriptor
    foreign_keys = tuple(_foreign_key(fk) for fk in _objects(d.get("x_foreign_keys")))
    return Dataset(
        name=_text(d.get("name")),
        title=_text(d.get("title")),
        description=_text(d.get("description")),
        version=_optional(d.get("version")),
        created=_optional(d.get("created")) or None,
        homepage=_optional(d.get("homepage")),
        keywords=_strings(d.get("keywords")),
        themes=_strings(d.get("x_themes")),
        chapter=_text(d.get("x_chapter")),
        contributors=tuple(_contributor(c) for c in _objects(d.get("contributors"))),
        licences=tuple(_licence(x) for x in _objects(d.get("licenses"))),
        sources=tuple(
            Source(title=_text(s.get("title")), path=_optional(s.get("path")))
            for s in _objects(d.get("sources"))
        ),
        attribution=_optional(d.get("x_attribution")),
        period=_period(d.get("x_temporal")),
        spatial=_spatial(d.get("x_spatial")),
        accrual_periodicity=_optional(d.get("x_accrual_periodicity")) or None,
        completeness=_optional(d.get("x_completeness")),
        footnotes=tuple(
            Footnote(
                marker=_text(n.get("marker")),
                text=_text(n.get("text")),
                scope=_optional(n.get("scope")),
            )
            for n in _objects(d.get("x_footnotes"))
        ),
        breaks=tuple(
            Break(period=_text(b.get("period")), description=_text(b.get("description")))
            for b in _objects(d.get("x_breaks"))
        ),
        foreign_keys=foreign_keys,
        resources=tuple(_resource(r, foreign_keys) for r in _objects(d.get("resources"))),
        translations=_translations(d.get("x_translations")),
        areas=_areas(d.get("x_areas")),
    )


def _areas(value: object) -> Areas | None:
    if not isinstance(value, Mapping):
        return None
    return Areas(geometry=_optional(value.get("geometry")) or None)


def _contributor(c: Descriptor) -> Contributor:
    return Contributor(
        title=_text(c.get("title")),
        path=_optional(c.get("path")),
        roles=_strings(c.get("roles")),
        email=_optional(c.get("email")),
    )


def _licence(x: Descriptor) -> Licence:
    return Licence(
        name=_text(x.get("name")), title=_optional(x.get("title")), path=_optional(x.get("path"))
    )


def _period(value: object) -> Period | None:
    if not isinstance(value, Mapping) or not value:
        return None
    return Period(start=_text(value.get("start")), end=_text(value.get("end")))


def _spatial(value: object) -> Spatial | None:
    if not isinstance(value, Mapping) or not value:
        return None
    return Spatial(level=_optional(value.get("level")) or None, keys=_strings(value.get("keys")))


def _foreign_key(fk: Descriptor) -> ForeignKey:
    reference = fk.get("reference")
    ref: Descriptor = reference if isinstance(reference, Mapping) else {}
    fields, ref_fields = fk.get("fields"), ref.get("fields")
    return ForeignKey(
        fields=(fields,) if isinstance(fields, str) else _strings(fields),
        resource=_text(ref.get("resource")),
        reference_fields=(ref_fields,) if isinstance(ref_fields, str) else _strings(ref_fields),
        package=_optional(ref.get("package")),
        source_resource=_optional(fk.get("resource")),
    )


def _categories(items: list[Any]) -> tuple[str, ...]:
    """Category values: plain strings, or the ``value`` of ``{value, label}`` objects."""
    return tuple(str(c.get("value")) if isinstance(c, Mapping) else str(c) for c in items)


def _field(f: Descriptor) -> Field:
    categories = f.get("categories")
    return Field(
        name=_text(f.get("name")),
        type=_text(f.get("type"), "string"),
        title=_optional(f.get("title")),
        description=_text(f.get("description")),
        unit=_optional(f.get("x_unit")),
        unit_field=_optional(f.get("x_unit_field")),
        categories=_categories(categories) if isinstance(categories, list) else None,
    )


def _region_key(name: str, keys: Iterable[ForeignKey]) -> str | None:
    """The first field of a key into the region table (``nrw-regionen``/``regionen``)."""
    package, resource = REGION_PACKAGE
    for fk in keys:
        if fk.source_resource in (None, name) and (fk.package, fk.resource) == (package, resource):
            return fk.fields[0] if fk.fields else None
    return None


def _area_key(name: str, keys: Iterable[ForeignKey]) -> str | None:
    """The first field of a key onto a municipality's area table (``gebiete``/``schluessel``)."""
    for fk in keys:
        if (
            fk.source_resource in (None, name)
            and (fk.resource, fk.reference_fields) == (AREA_RESOURCE, (AREA_KEY,))
            and fk.fields
        ):
            return fk.fields[0]
    return None


def _resource(r: Descriptor, package_keys: tuple[ForeignKey, ...]) -> Resource:
    name = _text(r.get("name"))
    raw_schema = r.get("schema")
    schema: Descriptor = raw_schema if isinstance(raw_schema, Mapping) else {}
    size = r.get("bytes")
    key = schema.get("primaryKey")
    own_keys = tuple(_foreign_key(fk) for fk in _objects(schema.get("foreignKeys")))
    return Resource(
        name=name,
        path=_text(r.get("path")),
        title=_optional(r.get("title")) or None,
        description=_text(r.get("description")),
        format=_optional(r.get("format")),
        media_type=_optional(r.get("mediatype")),
        encoding=_optional(r.get("encoding")),
        bytes=None if size is None else int(size),
        hash=_text(r.get("hash")),
        fields=tuple(_field(f) for f in _objects(schema.get("fields"))),
        primary_key=(key,) if isinstance(key, str) else _strings(key),
        foreign_keys=own_keys,
        region_key=_region_key(name, (*package_keys, *own_keys)),
        area_key=_area_key(name, (*package_keys, *own_keys)),
        table_schema=raw_schema if isinstance(raw_schema, dict) else None,
    )


def parse_table(name: str, schema: Descriptor) -> Resource:
    """A resource known only by its name and stored Table Schema (no file facts)."""
    return _resource({"name": name, "schema": schema}, ())


def publisher(dataset: Dataset, catalog: CatalogInfo) -> Contributor:
    """The dataset's first publisher, else the catalog's publisher (``catalog.yaml``)."""
    found = dataset.publishers
    if found:
        return found[0]
    return Contributor(
        title=catalog.publisher.name, path=str(catalog.publisher.uri), roles=("publisher",)
    )


def _mapping(value: object) -> Descriptor:
    return value if isinstance(value, Mapping) else {}


def _texts(value: object) -> Texts:
    d = _mapping(value)
    return Texts(
        title=_optional(d.get("title")) or None, description=_optional(d.get("description")) or None
    )


def _translations(value: object) -> tuple[Translation, ...]:
    """``x_translations``: language -> texts (docs/packages.md); validated before publishing."""
    return tuple(
        _translation(str(language), _mapping(entry)) for language, entry in _mapping(value).items()
    )


def _translation(language: str, d: Descriptor) -> Translation:
    keywords = d.get("keywords")
    resources = _mapping(d.get("resources"))
    return Translation(
        language=language,
        package=_texts(d),
        keywords=_strings(keywords) if isinstance(keywords, list) else None,
        footnotes={str(k): str(v) for k, v in _mapping(d.get("footnotes")).items()},
        breaks={str(k): str(v) for k, v in _mapping(d.get("breaks")).items()},
        resources={str(name): _texts(r) for name, r in resources.items()},
        fields={
            (str(name), str(column)): _texts(f)
            for name, r in resources.items()
            for column, f in _mapping(_mapping(r).get("fields")).items()
        },
    )
