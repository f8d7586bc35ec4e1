"""Parse rows-query parameters (``field__op=value``, ``_sort`` …) into a typed ``RowQuery``."""

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from opendata_sozial.errors import InvalidParameter

RESERVED = frozenset({"_select", "_sort", "_size", "_cursor", "_shape", "profile"})
TEXT_TYPES = frozenset({"string", "yearmonth"})


class Op(StrEnum):
    """Filter operators; ``field=value`` means ``exact``."""

    EXACT = "exact"
    NOT = "not"
    IN = "in"
    NOTIN = "notin"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    STARTSWITH = "startswith"
    ISNULL = "isnull"


LIST_OPS = frozenset({Op.IN, Op.NOTIN})
TEXT_OPS = frozenset({Op.CONTAINS, Op.STARTSWITH})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What the query layer needs to know of a column."""

    name: str
    type: str


@dataclass(frozen=True, slots=True)
class Filter:
    """One condition; ``value`` is typed (a tuple for in/notin, a bool for isnull)."""

    field: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort column and its direction."""

    field: str
    is_descending: bool = False


@dataclass(frozen=True, slots=True)
class RowQuery:
    """A parsed rows query."""

    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    select: tuple[str, ...] | None = None
    size: int | None = None
    cursor: str | None = None
    shape: str = "objects"
    extra: dict[str, str] = field(default_factory=dict)


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "ja", "yes"}:
        return True
    if lowered in {"0", "false", "nein", "no"}:
        return False
    raise ValueError(raw)


def _parse_int(raw: str) -> int:
    if not raw.strip().lstrip("-").isdigit():
        raise ValueError(raw)
    return int(raw)


def _parse_number(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


PARSERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "yearmonth": str,
    "integer": _parse_int,
    "year": _parse_int,
    "number": _parse_number,
    "date": date.fromisoformat,
    "boolean": _parse_bool,
}
EXAMPLES = {
    "integer": "42",
    "year": "2015",
    "number": "14.6 (Punkt als Dezimalzeichen)",
    "date": "2023-12-31",
    "boolean": "true oder false",
    "string": "Text",
    "yearmonth": "2021-04",
}


def parse_value(spec: FieldSpec, raw: str, parameter: str) -> Any:  # noqa: ANN401  # typed by the field
    """Parse ``raw`` by the field's type, or raise ``InvalidParameter`` with an example."""
    try:
        return PARSERS[spec.type](raw)
    except (ValueError, KeyError):
        raise InvalidParameter(
            f"Parameter {parameter!r}: {raw!r} ist kein gültiger Wert für Feld {spec.name!r} (Typ {spec.type}); Beispiel: {EXAMPLES.get(spec.type, 'Text')}"
        ) from None


def _split_list(raw: str, parameter: str) -> list[str]:
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
            raise InvalidParameter(f'Parameter {parameter!r}: JSON-Liste wie ["a", "b"] erwartet')
        return [str(i) for i in items]
    return raw.split(",")


def _parse_filter(key: str, raws: Sequence[str], fields: Mapping[str, FieldSpec]) -> list[Filter]:
    name, _, op_name = key.partition("__")
    if name not in fields:
        raise InvalidParameter(
            f"Unbekanntes Feld {name!r} in Parameter {key!r}; Felder: {', '.join(fields)}; reservierte Parameter: {', '.join(sorted(RESERVED))}"
        )
    try:
        op = Op(op_name or "exact")
    except ValueError:
        raise InvalidParameter(
            f"Unbekannter Operator {op_name!r} in {key!r}; gültig: {', '.join(o.value for o in Op)}"
        ) from None
    spec = fields[name]
    if op in TEXT_OPS and spec.type not in TEXT_TYPES:
        raise InvalidParameter(
            f"Operator {op.value!r} gilt nur für Textfelder; {name!r} hat Typ {spec.type}"
        )
    result = []
    for raw in raws:
        if op is Op.ISNULL:
            try:
                value: Any = _parse_bool(raw)
            except ValueError:
                raise InvalidParameter(
                    f"Parameter {key!r}: true oder false erwartet, nicht {raw!r}"
                ) from None
        elif op in LIST_OPS:
            value = tuple(parse_value(spec, item, key) for item in _split_list(raw, key))
        else:
            value = parse_value(spec, raw, key)
        result.append(Filter(field=name, op=op, value=value))
    return result


def _parse_sort(raws: Sequence[str], fields: Mapping[str, FieldSpec]) -> tuple[SortKey, ...]:
    keys = []
    for raw in raws:
        for part in filter(None, (p.strip() for p in raw.split(","))):
            name = part.removeprefix("-")
            if name not in fields:
                raise InvalidParameter(
                    f"_sort: unbekanntes Feld {name!r}; Felder: {', '.join(fields)} (mit '-' absteigend)"
                )
            keys.append(SortKey(field=name, is_descending=part.startswith("-")))
    return tuple(keys)


def _parse_select(raws: Sequence[str], fields: Mapping[str, FieldSpec]) -> tuple[str, ...] | None:
    if not raws:
        return None
    names = tuple(dict.fromkeys(n.strip() for raw in raws for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in fields]
    if unknown or not names:
        raise InvalidParameter(f"_select: unbekannte Felder {unknown}; Felder: {', '.join(fields)}")
    return names


def _parse_size(raws: Sequence[str], max_size: int) -> int | None:
    if not raws:
        return None
    raw = raws[-1]
    if not raw.isdigit() or not 1 <= int(raw) <= max_size:
        raise InvalidParameter(f"_size: {raw!r} ist ungültig; ganze Zahl von 1 bis {max_size}")
    return int(raw)


def parse_row_query(
    params: Mapping[str, Sequence[str]], fields: Sequence[FieldSpec], *, max_size: int
) -> RowQuery:
    """Turn query parameters into a ``RowQuery``; raise ``InvalidParameter`` on anything unclear."""
    by_name = {f.name: f for f in fields}
    filters: list[Filter] = []
    for key, raws in params.items():
        if key.startswith("_") and key not in RESERVED:
            raise InvalidParameter(
                f"Unbekannter Parameter {key!r}; reservierte Parameter: {', '.join(sorted(RESERVED))}"
            )
        if key not in RESERVED:
            filters.extend(_parse_filter(key, raws, by_name))
    shape = (params.get("_shape") or ["objects"])[-1]
    if shape not in {"objects", "arrays"}:
        raise InvalidParameter(f"_shape: {shape!r} ist ungültig; 'objects' oder 'arrays'")
    cursors = params.get("_cursor") or [""]
    return RowQuery(
        filters=tuple(filters),
        sort=_parse_sort(params.get("_sort") or [], by_name),
        select=_parse_select(params.get("_select") or [], by_name),
        size=_parse_size(params.get("_size") or [], max_size),
        cursor=cursors[-1] or None,
        shape=shape,
    )
