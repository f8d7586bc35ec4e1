"""Parse rows-query parameters (``field__op=value``, ``_sort`` …) into a typed ``RowQuery``."""

import json
import math
import re
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


MAX_VALUE_LENGTH = 1_000
"""Characters of one filter value (longer than any cell of the shipped packages)."""
MAX_LIST_ITEMS = 1_000
"""Items of one in/notin list."""
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "integer": (-(2**63), 2**63 - 1),
    "year": (-(2**31), 2**31 - 1),
    "row": (1, 2**31 - 1),
}
"""Value ranges of the integer columns (``db.data_tables``: BIGINT, INTEGER; ``row`` is the
hidden file position ``_row``), the same on SQLite and PostgreSQL."""

# ASCII only: other Unicode digits (full-width ``２０１６``, Arabic-Indic …) are rejected, never
# normalised, so that every value has one spelling in URLs, cursors and caches.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_int(raw: str) -> int:
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise ValueError(raw)
    return int(text)


def _parse_number(raw: str) -> float:
    text = raw.strip()
    if not _NUMBER.fullmatch(text):
        raise ValueError(raw)
    return float(text)


def _parse_date(raw: str) -> date:
    text = raw.strip()
    if not DATE_TEXT.fullmatch(text):
        raise ValueError(raw)
    return date.fromisoformat(text)


PARSERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "yearmonth": str,
    "integer": _parse_int,
    "year": _parse_int,
    "number": _parse_number,
    "date": _parse_date,
    "boolean": _parse_bool,
}
EXAMPLES = {
    "integer": "42",
    "year": "2015",
    "number": "14.6 (Punkt als Dezimalzeichen)",
    "date": "2023-12-31 (JJJJ-MM-TT)",
    "boolean": "true oder false",
    "string": "Text",
    "yearmonth": "2021-04",
}


def shown(text: str, limit: int = 40) -> str:
    """``text`` for an error message: quoted, cut to ``limit`` characters."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text)} Zeichen)"


def domain_error(field_type: str, value: Any) -> str | None:  # noqa: ANN401  # typed by the field
    """Why a typed ``value`` cannot be stored in a column of ``field_type``, or None if it can.

    The one range check for filter values and cursor positions: integers within their column's
    range, numbers finite, text without NUL and encodable as UTF-8.
    """
    if field_type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[field_type]
        if not low <= value <= high:
            return f"außerhalb des Wertebereichs; ganze Zahl von {low} bis {high}"
    elif field_type == "number":
        if not math.isfinite(value):
            return "außerhalb des Zahlenbereichs; endliche Zahl, Betrag höchstens 1.7976931348623157e308"
    elif isinstance(value, str):
        if "\x00" in value:
            return "enthält das Zeichen NUL (U+0000), das nicht erlaubt ist"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "ist kein gültiger Unicode-Text (einzelne Ersatzzeichen, Surrogate)"
    return None


def _format_hint(raw: str, field_type: str) -> str:
    if not raw.strip():
        return "leerer Wert; für leere Zellen feld__isnull=true verwenden; "
    if not raw.isascii():
        return "enthält Zeichen außerhalb von ASCII (etwa Vollbreiten-Ziffern wie ２); nur die Ziffern 0-9 verwenden; "
    if field_type == "date" and DATE_TEXT.fullmatch(raw.strip()):
        return "kein Tag des Kalenders von 0001-01-01 bis 9999-12-31; "
    return ""


def parse_value(spec: FieldSpec, raw: str, parameter: str) -> Any:  # noqa: ANN401  # typed by the field
    """Parse ``raw`` by the field's type and check its range, or raise ``InvalidParameter``.

    The message names the parameter, the value and what would be valid.
    """
    start = f"Parameter {shown(parameter)}: {shown(raw)} ist kein gültiger Wert für Feld {spec.name!r} (Typ {spec.type})"
    example = f"Beispiel: {EXAMPLES.get(spec.type, 'Text')}"
    if len(raw) > MAX_VALUE_LENGTH:
        raise InvalidParameter(f"{start}: zu lang; höchstens {MAX_VALUE_LENGTH} Zeichen")
    if raw == "":
        raise InvalidParameter(f"{start}; {_format_hint(raw, spec.type)}{example}")
    parser = PARSERS.get(spec.type, str)
    try:
        value = parser(raw)
    except ValueError:
        raise InvalidParameter(f"{start}; {_format_hint(raw, spec.type)}{example}") from None
    if (problem := domain_error(spec.type, value)) is not None:
        raise InvalidParameter(f"{start}: {problem}")
    return value


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (strings skipped), in one pass.

    Checked before ``json.loads``, whose recursion a deeply nested text would exhaust.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:  # noqa: ANN401  # json.loads hook
    raise ValueError(name)


def load_json(text: str | bytes, max_depth: int) -> Any:  # noqa: ANN401  # JSON
    """``json.loads`` for untrusted text: at most ``max_depth`` levels, no NaN/Infinity.

    Raises ``ValueError`` for anything else (too deep, malformed, numbers beyond Python's limit).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if json_depth(text) > max_depth:
        raise ValueError("zu tief verschachtelt")
    return json.loads(text, parse_constant=_no_constant)


def split_list(raw: str, parameter: str) -> list[str]:
    """The items of an ``in``/``notin`` value: ``a,b`` or a JSON list ``["a, b", "c"]``."""
    if raw.startswith("["):
        try:
            items = load_json(raw, max_depth=1)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
            raise InvalidParameter(
                f'Parameter {shown(parameter)}: {shown(raw)} ist keine JSON-Liste; erwartet wie ["a", "b"] '
                "(Texte oder Zahlen, nicht verschachtelt)"
            )
        listed = [json.dumps(i) if isinstance(i, bool) else str(i) for i in items]
    else:
        listed = raw.split(",")
    if len(listed) > MAX_LIST_ITEMS:
        raise InvalidParameter(
            f"Parameter {shown(parameter)}: {len(listed)} Werte in der Liste; höchstens {MAX_LIST_ITEMS}"
        )
    return listed


def _parse_filter(key: str, raws: Sequence[str], fields: Mapping[str, FieldSpec]) -> list[Filter]:
    name, _, op_name = key.partition("__")
    if name not in fields:
        raise InvalidParameter(
            f"Unbekanntes Feld {shown(name)} in Parameter {shown(key)}; Felder: {', '.join(fields)}; reservierte Parameter: {', '.join(sorted(RESERVED))}",
            english=f"Unknown field {shown(name)} in parameter {shown(key)}; fields: "
            f"{', '.join(fields)}; reserved parameters: {', '.join(sorted(RESERVED))}",
        )
    try:
        op = Op(op_name or "exact")
    except ValueError:
        raise InvalidParameter(
            f"Unbekannter Operator {shown(op_name)} in {shown(key)}; gültig: {', '.join(o.value for o in Op)}",
            english=f"Unknown operator {shown(op_name)} in {shown(key)}; valid: "
            f"{', '.join(o.value for o in Op)}",
        ) from None
    spec = fields[name]
    if op in TEXT_OPS and spec.type not in TEXT_TYPES:
        raise InvalidParameter(
            f"Parameter {shown(key)}: Operator {op.value!r} gilt nur für Textfelder; {name!r} hat Typ {spec.type}"
        )
    result = []
    for raw in raws:
        if op is Op.ISNULL:
            try:
                value: Any = _parse_bool(raw)
            except ValueError:
                raise InvalidParameter(
                    f"Parameter {shown(key)}: true oder false erwartet, nicht {shown(raw)}"
                ) from None
        elif op in LIST_OPS:
            value = tuple(parse_value(spec, item, key) for item in split_list(raw, key))
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
                    f"_sort: unbekanntes Feld {shown(name)}; Felder: {', '.join(fields)} (mit '-' absteigend)",
                    english=f"_sort: unknown field {shown(name)}; fields: {', '.join(fields)} "
                    "('-' in front for descending)",
                )
            keys.append(SortKey(field=name, is_descending=part.startswith("-")))
    return tuple(keys)


def _parse_select(raws: Sequence[str], fields: Mapping[str, FieldSpec]) -> tuple[str, ...] | None:
    if not raws:
        return None
    names = tuple(dict.fromkeys(n.strip() for raw in raws for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in fields]
    if unknown or not names:
        raise InvalidParameter(
            f"_select: unbekannte Felder {unknown}; Felder: {', '.join(fields)}",
            english=f"_select: unknown fields {unknown}; fields: {', '.join(fields)}",
        )
    return names


def _parse_size(raws: Sequence[str], max_size: int) -> int | None:
    if not raws:
        return None
    raw = raws[-1]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and 1 <= int(raw) <= max_size):
        raise InvalidParameter(
            f"_size: {shown(raw)} ist ungültig; ganze Zahl von 1 bis {max_size} (Ziffern 0-9)",
            english=f"_size: {shown(raw)} is invalid; a whole number from 1 to {max_size} "
            "(digits 0-9)",
        )
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
                f"Unbekannter Parameter {shown(key)}; reservierte Parameter: {', '.join(sorted(RESERVED))}",
                english=f"Unknown parameter {shown(key)}; reserved parameters: "
                f"{', '.join(sorted(RESERVED))}",
            )
        if key not in RESERVED:
            filters.extend(_parse_filter(key, raws, by_name))
    shape = (params.get("_shape") or ["objects"])[-1]
    if shape not in {"objects", "arrays"}:
        raise InvalidParameter(
            f"_shape: {shown(shape)} ist ungültig; 'objects' oder 'arrays'",
            english=f"_shape: {shown(shape)} is invalid; 'objects' or 'arrays'",
        )
    cursors = params.get("_cursor") or [""]
    return RowQuery(
        filters=tuple(filters),
        sort=_parse_sort(params.get("_sort") or [], by_name),
        select=_parse_select(params.get("_select") or [], by_name),
        size=_parse_size(params.get("_size") or [], max_size),
        cursor=cursors[-1] or None,
        shape=shape,
    )
