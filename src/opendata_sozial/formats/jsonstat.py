"""JSON-stat 2.0 datasets from a rows query: dimensions from the key, status from the symbols."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from opendata_sozial.domain import STATUS_CODES
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.formatting import plain_number
from opendata_sozial.model.dataset import Dataset, Field, Resource

MAX_CELLS: Final = 2_000_000
"""Largest dense cube we build; beyond it the client must filter."""
EMPTY_CATEGORY: Final = "_"
"""Category id for an empty dimension cell (JSON-stat ids must be strings)."""


@dataclass(frozen=True, slots=True)
class _Cube:
    """The collected cells of a query, keyed by category ids in key order."""

    keys: list[str]
    measure: Field
    categories: dict[str, dict[str, None]]
    sizes: list[int]
    cells: dict[tuple[str, ...], tuple[Any, Any]]


def _category_id(value: Any) -> str:  # noqa: ANN401  # any dimension type
    if value is None:
        return EMPTY_CATEGORY
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _dimension(field: Field, ids: list[str], units: dict[str, str] | None) -> dict[str, Any]:
    labels = {i: ("(leer)" if i == EMPTY_CATEGORY else i) for i in ids}
    category: dict[str, Any] = {"index": {i: n for n, i in enumerate(ids)}, "label": labels}
    if units is not None:
        category["unit"] = {i: {"label": units.get(i, "")} for i in ids}
    dimension: dict[str, Any] = {"label": field.label, "category": category}
    if field.description:
        dimension["extension"] = {"description": field.description}
    return dimension


def _value_field(fields: Sequence[Field]) -> Field:
    for field in fields:
        if field.unit is not None or field.unit_field is not None:
            return field
    raise InvalidParameter(
        "Diese Tabelle hat keine Wertspalte mit Einheit; JSON-stat braucht eine Messgröße"
    )


def jsonstat_dataset(
    *,
    dataset: Dataset,
    resource: Resource,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    href: str,
    updated: str,
) -> dict[str, Any]:
    """Build a JSON-stat 2.0 dataset (dense value and status arrays) from query rows.

    Dimensions are the primary-key fields in schema order; the measure is the field with a unit.
    A unit column that is part of the key becomes the metric dimension with units per category.
    """
    fields = {f.name: f for f in resource.fields}
    keys = [k for k in resource.primary_key if k in columns]
    measure = _value_field(resource.fields)
    status_name = f"{measure.name}_status"
    position = {name: i for i, name in enumerate(columns)}
    if measure.name not in position:
        raise InvalidParameter(f"JSON-stat braucht die Wertspalte {measure.name!r} in _select")
    cells: dict[tuple[str, ...], tuple[Any, Any]] = {}
    categories: dict[str, dict[str, None]] = {k: {} for k in keys}
    for row in rows:
        key = tuple(_category_id(row[position[k]]) for k in keys)
        for name, cid in zip(keys, key, strict=True):
            categories[name].setdefault(cid, None)
        status = row[position[status_name]] if status_name in position else None
        value = row[position[measure.name]]
        cells[key] = (plain_number(value) if isinstance(value, float) else value, status)
    sizes = [len(categories[k]) for k in keys]
    total = 1
    for size in sizes:
        total *= size
    if total > MAX_CELLS:
        raise InvalidParameter(
            f"Der JSON-stat-Würfel hätte {total} Zellen (höchstens {MAX_CELLS}); bitte filtern"
        )
    cube = _Cube(keys=keys, measure=measure, categories=categories, sizes=sizes, cells=cells)
    return _assemble(dataset, fields, cube, href, updated)


def _assemble(
    dataset: Dataset,
    fields: dict[str, Field],
    cube: _Cube,
    href: str,
    updated: str,
) -> dict[str, Any]:
    keys, measure, sizes = cube.keys, cube.measure, cube.sizes
    ids = {k: list(cube.categories[k]) for k in keys}
    strides = [1] * len(keys)
    for i in range(len(keys) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    total = strides[0] * sizes[0] if keys else 1
    values: list[Any] = [None] * total
    status: dict[str, str] = {}
    index = {k: {cid: n for n, cid in enumerate(ids[k])} for k in keys}
    for key, (value, symbol) in cube.cells.items():
        offset = sum(index[k][cid] * s for k, cid, s in zip(keys, key, strides, strict=True))
        values[offset] = value
        if symbol:
            status[str(offset)] = symbol
    unit_field = measure.unit_field
    dimension = {
        k: _dimension(fields[k], ids[k], {c: c for c in ids[k]} if k == unit_field else None)
        for k in keys
    }
    document: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "href": href,
        "label": dataset.title,
        "source": dataset.attribution or "",
        "updated": updated,
        "id": keys,
        "size": sizes,
        "dimension": dimension,
        "value": values,
        "extension": {
            "measure": measure.name,
            "unit": measure.unit or f"siehe Dimension {unit_field}",
            "status_codes": STATUS_CODES,
        },
    }
    if unit_field in keys:
        document["role"] = {"metric": [unit_field]}
    if status:
        document["status"] = status
    notes = [f"{n.marker} {n.text}" for n in dataset.footnotes]
    if notes:
        document["note"] = notes
    return document
