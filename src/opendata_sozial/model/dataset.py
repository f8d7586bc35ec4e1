"""Frozen records of a dataset: what every output (DCAT, CKAN, pages, exports) reads.

Built only by ``model.parse.parse_dataset``; optional descriptor keys become ``None``, ``""``
or empty tuples there, so consumers never supply their own defaults.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any, Final

REGION_PACKAGE: Final = ("nrw-regionen", "regionen")
"""(package, resource) of the region table that AGS keys point at."""
AREA_RESOURCE: Final = "gebiete"
"""The table of a municipality's own areas in a geography package (``x_areas``)."""
AREA_LEVELS: Final = ("stadtbezirk", "stadtteil", "sozialraum", "quartier")
"""The levels a municipality may define below itself, top down (docs/areas.md)."""
AREA_KEY: Final = "schluessel"
"""The key field of that table; a foreign key onto it makes a column a key of own areas."""


@dataclass(frozen=True, slots=True)
class Contributor:
    """A Data Package contributor: an organisation (or person) with its roles."""

    title: str
    path: str | None = None
    roles: tuple[str, ...] = ()
    email: str | None = None

    def has_role(self, *roles: str) -> bool:
        """Whether the contributor has any of ``roles``."""
        return any(role in self.roles for role in roles)


@dataclass(frozen=True, slots=True)
class Licence:
    """A licence of the package (``licenses[]``)."""

    name: str
    title: str | None = None
    path: str | None = None

    @property
    def label(self) -> str:
        """The title, else the short name."""
        return self.title or self.name


@dataclass(frozen=True, slots=True)
class Source:
    """Where the numbers come from (``sources[]``)."""

    title: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """The time covered (``x_temporal``): ISO years, months or days; ``""`` when open."""

    start: str = ""
    end: str = ""


@dataclass(frozen=True, slots=True)
class Spatial:
    """The area covered (``x_spatial``): the geocoding level and the official keys (AGS)."""

    level: str | None = None
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Footnote:
    """A footnote of the source table; ``scope == "table"`` applies to the whole table."""

    marker: str
    text: str
    scope: str | None = None

    @property
    def is_table_wide(self) -> bool:
        """Whether the footnote applies to the whole table."""
        return self.scope == "table"


@dataclass(frozen=True, slots=True)
class Break:
    """A break in the time series (``x_breaks[]``): from which period, and why."""

    period: str
    description: str


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A reference from ``fields`` to ``reference_fields`` of another resource (or package)."""

    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]
    package: str | None = None
    source_resource: str | None = None
    """For a package-level key (``x_foreign_keys``): the resource the key belongs to."""


@dataclass(frozen=True, slots=True)
class Field:
    """A column of a Table Schema."""

    name: str
    type: str
    title: str | None = None
    description: str = ""
    unit: str | None = None
    unit_field: str | None = None
    categories: tuple[str, ...] | None = None
    """The allowed values (``categories``; the ``value`` of ``{value, label}`` objects)."""

    @property
    def label(self) -> str:
        """The title, else the name."""
        return self.title or self.name

    @property
    def is_numeric(self) -> bool:
        """Whether the column holds numbers (``integer`` or ``number``)."""
        return self.type in {"number", "integer"}


@dataclass(frozen=True, slots=True)
class Resource:
    """A table resource: its file, its Table Schema and where its region key is."""

    name: str
    path: str
    title: str | None = None
    description: str = ""
    format: str | None = None
    media_type: str | None = None
    encoding: str | None = None
    bytes: int | None = None
    hash: str = ""
    fields: tuple[Field, ...] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    region_key: str | None = None
    """The field holding official region keys, if a foreign key points at the region table."""
    area_key: str | None = None
    """The field holding keys of a municipality's own areas (a foreign key onto ``gebiete``)."""
    table_schema: dict[str, Any] | None = None
    """The Table Schema as stored (for table building and hashing, not for reading fields)."""

    def field(self, name: str) -> Field | None:
        """The field called ``name``."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class Areas:
    """A geography package of own areas (``x_areas``): table ``gebiete``, optional boundaries."""

    geometry: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    """A data package of the catalog with everything its outputs show."""

    name: str
    title: str
    description: str = ""
    version: str | None = None
    created: str | None = None
    homepage: str | None = None
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    chapter: str = ""
    contributors: tuple[Contributor, ...] = ()
    licences: tuple[Licence, ...] = ()
    sources: tuple[Source, ...] = ()
    attribution: str | None = None
    period: Period | None = None
    spatial: Spatial | None = None
    accrual_periodicity: str | None = None
    completeness: str | None = None
    footnotes: tuple[Footnote, ...] = ()
    breaks: tuple[Break, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    resources: tuple[Resource, ...] = ()
    translations: tuple["Translation", ...] = ()
    """The package's texts in other languages (``x_translations``); the fields above are German."""

    def translation(self, language: str) -> "Translation | None":
        """The translation into ``language``, if the package has one."""
        return next((t for t in self.translations if t.language == language), None)

    def translated(self, language: str) -> "Dataset":
        """This dataset with its texts in ``language`` where translated (German otherwise)."""
        found = self.translation(language)
        return self if found is None else found.apply(self)

    areas: Areas | None = None
    """Set for a geography package of own areas (``x_areas``)."""

    def with_role(self, *roles: str) -> tuple[Contributor, ...]:
        """The contributors having any of ``roles``, in their order."""
        return tuple(c for c in self.contributors if c.has_role(*roles))

    @property
    def publishers(self) -> tuple[Contributor, ...]:
        """The contributors with the role ``publisher``."""
        return self.with_role("publisher")

    @property
    def producers(self) -> tuple[Contributor, ...]:
        """The contributors with the role ``producer`` (the statistical office)."""
        return self.with_role("producer")

    @property
    def licence(self) -> Licence | None:
        """The first licence (the one harvesters show), if any."""
        return self.licences[0] if self.licences else None

    def resource(self, name: str) -> Resource | None:
        """The resource called ``name``."""
        return next((r for r in self.resources if r.name == name), None)


@dataclass(frozen=True, slots=True)
class Texts:
    """Title and description of a package, resource or field in one language (``None``: none)."""

    title: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Translation:
    """The texts of a package in another language (``x_translations``); what is missing stays."""

    language: str
    package: Texts = Texts()
    keywords: tuple[str, ...] | None = None
    footnotes: Mapping[str, str] = dataclass_field(default_factory=dict)
    """Footnote marker -> text."""
    breaks: Mapping[str, str] = dataclass_field(default_factory=dict)
    """Break period -> description."""
    resources: Mapping[str, Texts] = dataclass_field(default_factory=dict)
    fields: Mapping[tuple[str, str], Texts] = dataclass_field(default_factory=dict)
    """(resource name, field name) -> texts."""

    def apply(self, dataset: "Dataset") -> "Dataset":
        """``dataset`` with every text this translation has replaced (the rest unchanged)."""
        return replace(
            dataset,
            title=self.package.title or dataset.title,
            description=self.package.description or dataset.description,
            keywords=dataset.keywords if self.keywords is None else self.keywords,
            footnotes=tuple(
                replace(n, text=self.footnotes.get(n.marker, n.text)) for n in dataset.footnotes
            ),
            breaks=tuple(
                replace(b, description=self.breaks.get(b.period, b.description))
                for b in dataset.breaks
            ),
            resources=tuple(self._resource(r) for r in dataset.resources),
        )

    def _resource(self, resource: Resource) -> Resource:
        texts = self.resources.get(resource.name, Texts())
        return replace(
            resource,
            title=texts.title or resource.title,
            description=texts.description or resource.description,
            fields=tuple(self._field(resource.name, f) for f in resource.fields),
        )

    def _field(self, resource: str, column: Field) -> Field:
        texts = self.fields.get((resource, column.name), Texts())
        return replace(
            column,
            title=texts.title or column.title,
            description=texts.description or column.description,
        )
