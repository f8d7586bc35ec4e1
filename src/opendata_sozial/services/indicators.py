"""Which tables hold figures per place, and how their columns make indicators.

A table holds figures per place when its package declares, in ``x_foreign_keys``, a region
column referencing ``nrw-regionen/regionen`` (``ags``): the typed model's ``Resource.region_key``,
or a municipality's own areas (``gebiete``/``schluessel`` of a geography package,
``Resource.area_key``; docs/areas.md).
Its other columns are read from the resource's fields and primary key (``region_tables``):

- the **period**: the first primary-key field typed ``year``, ``date`` or ``yearmonth``, else the
  first primary-key field named like a period (``jahr``, ``stichtag``, ``zeitbezug``, ``stand`` …);
- the **value**: ``wert``, else the first ``number``/``integer`` field outside the primary key;
  its **unit** from the field named by ``x_unit_field`` (or ``einheit``), else ``x_unit``; its
  **status** from ``wert_status`` (``<value>_status``);
- the **dimensions**: the other primary-key fields, plus ``indikator`` where there is one,
  except fields that name the place (a region's name in the source's spelling: at most one value
  per place and several in all; the service finds them in the data).

One **indicator** is then a table plus one combination of dimension values and one unit; its
figures are one per place and period. A table without a primary key or a value field is not
split into indicators.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from opendata_sozial.model.dataset import Dataset, Field, Resource

REGION_REFERENCE: Final = ("nrw-regionen", "regionen", ["ags"])
"""(package, resource, fields) a region column references."""
PERIOD_TYPES: Final = ("year", "date", "yearmonth")
PERIOD_NAMES: Final = (
    "jahr",
    "berichtsjahr",
    "stichtag",
    "datum",
    "monat",
    "zeitraum",
    "zeitbezug",
    "stand",
)
VALUE_NAME: Final = "wert"
UNIT_NAME: Final = "einheit"
INDICATOR_NAME: Final = "indikator"
NUMBER_TYPES: Final = ("number", "integer")


@dataclass(frozen=True, slots=True)
class RegionTable:
    """A table with figures per place, and the role of its columns."""

    dataset: str
    title: str
    resource: str
    key_field: str
    period: str | None
    value: str
    unit_field: str | None
    unit: str | None
    status: str | None
    dimensions: tuple[str, ...]
    """Candidate dimensions; ``without`` drops those found to name the place."""

    def columns(self) -> list[str]:
        """The columns the service reads: key, dimensions, period, value, unit, status."""
        extra = [self.period, self.value, self.unit_field, self.status]
        return [self.key_field, *self.dimensions, *(c for c in extra if c is not None)]

    def without(self, labels: Sequence[str]) -> "RegionTable":
        """The same table with the place-naming fields ``labels`` left out of the dimensions."""
        dims = tuple(d for d in self.dimensions if d not in labels)
        return RegionTable(
            self.dataset,
            self.title,
            self.resource,
            self.key_field,
            self.period,
            self.value,
            self.unit_field,
            self.unit,
            self.status,
            dims,
        )


def period_field(fields: Mapping[str, Field], key: Sequence[str]) -> str | None:
    """The period column among the primary-key fields ``key`` (see the module docstring)."""
    typed = [name for name in key if fields[name].type in PERIOD_TYPES]
    named = [name for name in PERIOD_NAMES if name in key]
    found = typed or named
    return found[0] if found else None


def _value(fields: Mapping[str, Field], key: Sequence[str]) -> str | None:
    if VALUE_NAME in fields and fields[VALUE_NAME].type in NUMBER_TYPES:
        return VALUE_NAME
    numbers = [n for n, f in fields.items() if f.type in NUMBER_TYPES and n not in key]
    return numbers[0] if numbers else None


def _table(dataset: Dataset, resource: Resource, key_field: str) -> RegionTable | None:
    fields = {f.name: f for f in resource.fields}
    key = [k for k in resource.primary_key if k in fields]
    value = _value(fields, key)
    if key_field not in fields or not key or value is None:
        return None
    period = period_field(fields, [k for k in key if k != key_field])
    unit_field = fields[value].unit_field or (UNIT_NAME if UNIT_NAME in fields else None)
    status = f"{value}_status" if f"{value}_status" in fields else None
    taken = {key_field, period, value, unit_field, status}
    dims = [k for k in key if k not in taken]
    if INDICATOR_NAME in fields and INDICATOR_NAME not in {*dims, *taken}:
        dims.insert(0, INDICATOR_NAME)
    return RegionTable(
        dataset=dataset.name,
        title=dataset.title or dataset.name,
        resource=resource.name,
        key_field=key_field,
        period=period,
        value=value,
        unit_field=unit_field if unit_field in fields else None,
        unit=fields[value].unit,
        status=status,
        dimensions=tuple(dims),
    )


def region_tables(dataset: Dataset) -> list[RegionTable]:
    """The tables of a dataset with a region column (official or own areas' keys)."""
    tables: list[RegionTable] = []
    for resource in dataset.resources:
        key = resource.region_key or resource.area_key
        if key is None:
            continue
        table = _table(dataset, resource, key)
        if table is not None:
            tables.append(table)
    return tables
