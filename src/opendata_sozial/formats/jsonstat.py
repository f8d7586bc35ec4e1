"""JSON-stat 2.0 datasets from a rows query: dimensions from the key, status from the symbols."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from opendata_sozial.domain import STATUS_CODES
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.formatting import plain_number

MAX_CELLS: Final = 2_000_000
"""Largest dense cube we build; beyond it the client must filter."""
EMPTY_CATEGORY: Final = "_"
"""Category id for an empty dimension cell (JSON-stat ids must be strings)."""


@dataclass(frozen=True, slots=True)
class _Cube:
    """The collected cells of a query, keyed by category ids in key order."""

    keys: list[str]
    measure: dict[str, Any]
    categories: dict[str, dict[str, None]]
    sizes: list[int]
    cells: dict[tuple[str, ...], tuple[Any, Any]]


def _category_id(value: Any) -> str:  # noqa: ANN401  # any dimension type
    if value is None:
        return EMPTY_CATEGORY
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _dimension(
    field: dict[str, Any], ids: list[str], units: dict[str, str] | None
) -> dict[str, Any]:
    labels = {i: ("(leer)" if i == EMPTY_CATEGORY else i) for i in ids}
    category: dict[str, Any] = {"index": {i: n for n, i in enumerate(ids)}, "label": labels}
    if units is not None:
        category["unit"] = {i: {"label": units.get(i, "")} for i in ids}
    dimension: dict[str, Any] = {
        "label": str(field.get("title") or field["name"]),
        "category": category,
    }
    if field.get("description"):
        dimension["extension"] = {"description": field["description"]}
    return dimension


def _value_field(fields: Sequence[dict[str, Any]]) -> dict[str, Any]:
    for field in fields:
        if field.get("x_unit") is not None or field.get("x_unit_field") is not None:
            return field
    raise InvalidParameter(
        "Diese Tabelle hat keine Wertspalte mit Einheit; JSON-stat braucht eine Messgröße"
    )


def jsonstat_dataset(
    *,
    descriptor: dict[str, Any],
    schema: dict[str, Any],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    href: str,
    updated: str,
) -> dict[str, Any]:
    """Build a JSON-stat 2.0 dataset (dense value and status arrays) from query rows.

    Dimensions are the primary-key fields in schema order; the measure is the field with a unit.
    A unit column that is part of the key becomes the metric dimension with units per category.
    """
    fields = {f["name"]: f for f in schema["fields"]}
    keys = [k for k in schema.get("primaryKey") or [] if k in columns]
    measure = _value_field(list(fields.values()))
    status_name = f"{measure['name']}_status"
    position = {name: i for i, name in enumerate(columns)}
    if measure["name"] not in position:
        raise InvalidParameter(f"JSON-stat braucht die Wertspalte {measure['name']!r} in _select")
    cells: dict[tuple[str, ...], tuple[Any, Any]] = {}
    categories: dict[str, dict[str, None]] = {k: {} for k in keys}
    for row in rows:
        key = tuple(_category_id(row[position[k]]) for k in keys)
        for name, cid in zip(keys, key, strict=True):
            categories[name].setdefault(cid, None)
        status = row[position[status_name]] if status_name in position else None
        value = row[position[measure["name"]]]
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
    return _assemble(descriptor, fields, cube, href, updated)


def _assemble(
    descriptor: dict[str, Any],
    fields: dict[str, dict[str, Any]],
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
    unit_field = measure.get("x_unit_field")
    dimension = {
        k: _dimension(fields[k], ids[k], {c: c for c in ids[k]} if k == unit_field else None)
        for k in keys
    }
    document: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "href": href,
        "label": str(descriptor.get("title", "")),
        "source": str(descriptor.get("x_attribution", "")),
        "updated": updated,
        "id": keys,
        "size": sizes,
        "dimension": dimension,
        "value": values,
        "extension": {
            "measure": measure["name"],
            "unit": measure.get("x_unit") or f"siehe Dimension {unit_field}",
            "status_codes": STATUS_CODES,
        },
    }
    if unit_field in keys:
        document["role"] = {"metric": [unit_field]}
    if status:
        document["status"] = status
    notes = [f"{n['marker']} {n['text']}" for n in descriptor.get("x_footnotes", [])]
    if notes:
        document["note"] = notes
    return document
