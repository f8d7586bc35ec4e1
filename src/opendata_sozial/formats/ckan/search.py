"""``package_search`` semantics over CKAN package dicts: Solr-like ``fq``, ``sort`` and facets.

The catalog holds dozens of packages, so everything runs in Python over the dicts that
``formats/ckan/packages.py`` builds. Supported syntax (documented in ``docs/ckan.md``):

* terms ``field:value``, ``field:"quoted value"``, ``field:(a OR b)``, ``field:[low TO high]``
  (``{…}`` exclusive, ``*`` open), ``field:*`` and ``*`` / ``?`` wildcards in bare values;
* ``+term`` (required, as every term is) and ``-term`` / ``NOT term`` (excluded);
* terms separated by blanks or ``AND`` must all hold; ``a OR b`` joins neighbouring terms.
"""

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import translate
from typing import Any, Final

Package = Mapping[str, Any]


class QueryError(ValueError):
    """``fq`` or the fielded part of ``q`` cannot be read or names an unknown field."""


class SortError(ValueError):
    """``sort`` names an unknown field or lacks ``asc``/``desc``."""


def _one(key: str) -> Callable[[Package], list[str]]:
    return lambda p: [str(p[key])] if p.get(key) not in (None, "") else []


FIELDS: Final[dict[str, Callable[[Package], list[str]]]] = {
    "tags": lambda p: [t["name"] for t in p["tags"]],
    "groups": lambda p: [g["name"] for g in p["groups"]],
    "organization": lambda p: [p["organization"]["name"]],
    "owner_org": _one("owner_org"),
    "res_format": lambda p: sorted({r["format"] for r in p["resources"]}),
    "res_name": lambda p: [r["name"] for r in p["resources"]],
    "license_id": _one("license_id"),
    "name": _one("name"),
    "id": _one("id"),
    "type": _one("type"),
    "dataset_type": _one("type"),
    "state": _one("state"),
    "capacity": lambda p: ["public"],
    "metadata_created": _one("metadata_created"),
    "metadata_modified": _one("metadata_modified"),
    "num_resources": _one("num_resources"),
    "num_tags": _one("num_tags"),
    "version": _one("version"),
    "author": _one("author"),
    "maintainer": _one("maintainer"),
    "url": _one("url"),
}
"""Fields that ``fq`` and ``facet.field`` know, plus ``extras_<key>`` for every extra."""

TEXT_FIELDS: Final = frozenset({"text", "title", "notes"})
"""Fields that ``q`` hands to the full-text search instead of filtering."""

_TIME_FIELDS: Final = frozenset({"metadata_created", "metadata_modified"})
_NUMBER_FIELDS: Final = frozenset({"num_resources", "num_tags"})
_VALUE = r"""(?:"(?:[^"\\]|\\.)*"|[\[{][^\]}]*[\]}]|\((?:[^()"\\]|\\.|"(?:[^"\\]|\\.)*")*\)|(?:[^\s()"\\]|\\.)+)"""
_TERM = re.compile(rf"(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.\-]*):(?P<value>{_VALUE})")
_TOKEN = re.compile(
    rf"\s*(?:(?P<op>AND|OR|NOT|&&|\|\|)(?=\s|$)|(?P<all>[+]?\*:\*)|(?P<term>{_TERM.pattern}))"
)
_GROUP_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|(?:[^\s"\\]|\\.)+)')
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class Condition:
    """One term: a field matched against patterns or a range, possibly negated."""

    field: str
    patterns: tuple[re.Pattern[str], ...] = ()
    is_all: bool = False
    bounds: tuple[str | None, str | None] | None = None
    inclusive: tuple[bool, bool] = (True, True)
    is_negated: bool = False


Filter = tuple[tuple[Condition, ...], ...]
"""Conditions: every inner tuple must hold (AND); one condition of an inner tuple suffices (OR)."""


def field_values(package: Package, field: str) -> list[str] | None:
    """The values of ``field`` in ``package``; ``None`` for a field nobody knows."""
    if field in FIELDS:
        return FIELDS[field](package)
    if field.startswith("extras_"):
        key = field.removeprefix("extras_")
        return [e["value"] for e in package["extras"] if e["key"] == key]
    return None


def _check_field(field: str) -> None:
    if field not in FIELDS and not field.startswith("extras_"):
        known = ", ".join([*FIELDS, "extras_<key>"])
        raise QueryError(f"unbekanntes Feld {field!r}; bekannt: {known}")


# Parsing


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def _pattern(value: str) -> re.Pattern[str]:
    if value.startswith('"'):
        return re.compile(re.escape(_unescape(value[1:-1])))
    if re.search(r"(?<!\\)[*?]", value):
        return re.compile(translate(value.replace("[", "[[]")))
    return re.compile(re.escape(_unescape(value)))


def _bound(field: str, text: str) -> str | None:
    text = _unescape(text.strip().strip('"'))
    if text == "*":
        return None
    if field in _TIME_FIELDS:
        try:
            moment = datetime.fromisoformat(text.removesuffix("Z"))
        except ValueError:
            raise QueryError(f"{field}: {text!r} ist kein ISO-Zeitpunkt") from None
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
        return moment.replace(tzinfo=None).isoformat(timespec="microseconds")
    if field in _NUMBER_FIELDS and not text.lstrip("-").isdigit():
        raise QueryError(f"{field}: {text!r} ist keine ganze Zahl")
    return text


def _range(field: str, value: str, negated: bool) -> Condition:
    parts = re.split(r"\s+TO\s+", value[1:-1].strip())
    if len(parts) != 2:
        raise QueryError(f"{field}: Bereich {value!r} braucht die Form [von TO bis]")
    return Condition(
        field=field,
        bounds=(_bound(field, parts[0]), _bound(field, parts[1])),
        inclusive=(value[0] == "[", value[-1] == "]"),
        is_negated=negated,
    )


def _group(field: str, value: str, negated: bool) -> Condition:
    words = _GROUP_TOKEN.findall(value[1:-1])
    operators = {w for w in words if w in ("AND", "OR")}
    values = [w for w in words if w not in ("AND", "OR")]
    if not values or len(operators) > 1:
        raise QueryError(f"{field}: Gruppe {value!r} mischt AND und OR oder ist leer")
    return Condition(
        field=field,
        patterns=tuple(_pattern(v) for v in values),
        is_all="OR" not in operators and len(values) > 1,
        is_negated=negated,
    )


def _condition(field: str, value: str, *, is_negated: bool) -> Condition:
    _check_field(field)
    if value[0] in "[{":
        return _range(field, value, is_negated)
    if value[0] == "(":
        return _group(field, value, is_negated)
    return Condition(field=field, patterns=(_pattern(value),), is_negated=is_negated)


def parse_filter(text: str) -> Filter:
    """Read an ``fq`` string; ``QueryError`` names the position that cannot be read."""
    clauses: list[list[Condition]] = []
    is_or = is_not = False
    text = text.strip()
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise QueryError(f"nicht lesbar ab Zeichen {position + 1}: {text[position:][:40]!r}")
        position = match.end()
        operator = match["op"]
        if operator in ("OR", "||"):
            if not clauses or is_or or is_not:
                raise QueryError(f"{operator} ohne Begriff davor")
            is_or = True
            continue
        if operator == "NOT":
            is_not = True
            continue
        if operator:  # AND, &&: what blanks mean anyway
            continue
        if match["all"]:
            condition = Condition(field="*", is_negated=is_not)
        else:
            negated = is_not or match["sign"] == "-"
            condition = _condition(match["field"], match["value"], is_negated=negated)
        if is_or:
            clauses[-1].append(condition)
        else:
            clauses.append([condition])
        is_or = is_not = False
    if is_or or is_not:
        raise QueryError("endet mit einem Operator")
    return tuple(tuple(clause) for clause in clauses)


def split_query(q: str) -> tuple[Filter, str]:
    """``q`` as (filter from its ``field:value`` terms, remaining words for full text).

    Terms on ``text``, ``title`` and ``notes`` and unfielded words go to the full-text search;
    Lucene operators and ``*:*`` between them are dropped (full text ANDs every word).
    """
    fielded: list[str] = []
    texts: list[str] = []

    def take(match: re.Match[str]) -> str:
        if match["field"] in TEXT_FIELDS:
            texts.append(_unescape(match["value"]).strip('"()'))
        else:
            fielded.append(match[0])
        return " "

    texts.append(_TERM.sub(take, q))
    words = " ".join(texts).split()
    skipped = {"AND", "OR", "NOT", "&&", "||", "*:*", "*"}
    return parse_filter(" ".join(fielded)), " ".join(w for w in words if w not in skipped)


# Matching


def _in_range(condition: Condition, low: str | None, high: str | None, value: str) -> bool:
    convert: Callable[[str], Any] = int if condition.field in _NUMBER_FIELDS else str
    include_low, include_high = condition.inclusive
    if (low is not None and convert(value) < convert(low)) or (
        low is not None and not include_low and convert(value) == convert(low)
    ):
        return False
    return (
        high is None
        or convert(value) < convert(high)
        or (include_high and convert(value) == convert(high))
    )


def _holds(condition: Condition, package: Package) -> bool:
    if condition.field == "*":
        return not condition.is_negated
    values = field_values(package, condition.field) or []
    if condition.bounds is not None:
        low, high = condition.bounds
        found = any(_in_range(condition, low, high, v) for v in values)
    else:
        hits = [any(p.fullmatch(v) for v in values) for p in condition.patterns]
        found = all(hits) if condition.is_all else any(hits)
    return found != condition.is_negated


def matches(query: Filter, package: Package) -> bool:
    """Whether ``package`` satisfies every clause of ``query``."""
    return all(any(_holds(c, package) for c in clause) for clause in query)


# Sorting


_COLLATION: Final = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def _collate(text: str) -> str:
    return text.casefold().translate(_COLLATION)


SORT_KEYS: Final[dict[str, Callable[[Package], Any]]] = {
    "id": lambda p: p["id"],
    "name": lambda p: p["name"],
    "title_string": lambda p: _collate(p["title"]),
    "title": lambda p: _collate(p["title"]),
    "metadata_modified": lambda p: p["metadata_modified"],
    "metadata_created": lambda p: p["metadata_created"],
    "num_resources": lambda p: p["num_resources"],
    "num_tags": lambda p: p["num_tags"],
}


def parse_sort(text: str) -> tuple[tuple[str, bool], ...]:
    """``"score desc, name asc"`` as ((field, is_descending), …)."""
    keys: list[tuple[str, bool]] = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if len(words) != 2 or words[1].lower() not in ("asc", "desc"):
            raise SortError(f"{part!r}: erwartet 'feld asc' oder 'feld desc'")
        if words[0] not in SORT_KEYS and words[0] != "score":
            raise SortError(f"{words[0]!r}: sortierbar sind score, {', '.join(SORT_KEYS)}")
        keys.append((words[0], words[1].lower() == "desc"))
    return tuple(keys)


def order(
    packages: Sequence[Package], sort: Sequence[tuple[str, bool]], scores: Mapping[str, float]
) -> list[Package]:
    """Sorted by ``sort`` (``score`` from ``scores`` by name); remaining ties by name."""
    ordered = sorted(packages, key=lambda p: p["name"])
    for field, is_descending in reversed(sort):
        key = SORT_KEYS.get(field) or (lambda p: scores.get(p["name"], 0.0))
        ordered.sort(key=key, reverse=is_descending)
    return ordered


# Facets


def count_facets(
    packages: Sequence[Package],
    fields: Sequence[str],
    *,
    limit: int,
    mincount: int,
    labels: Mapping[str, Mapping[str, str]],
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, Any]]]:
    """(``facets``, ``search_facets``) in CKAN's shapes; an unknown field gives no values.

    ``facets`` is ordered by count, then value; ``search_facets`` items, as CKAN sorts them,
    by display name descending.
    """
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    for field in dict.fromkeys(fields):
        counts = Counter(v for p in packages for v in set(field_values(p, field) or ()))
        ranked = sorted(
            ((v, n) for v, n in counts.items() if n >= mincount), key=lambda i: (-i[1], i[0])
        )
        ranked = ranked if limit < 0 else ranked[:limit]
        facets[field] = dict(ranked)
        names = labels.get(field, {})
        items: list[dict[str, Any]] = [
            {"name": v, "display_name": names.get(v) or v, "count": n} for v, n in ranked
        ]
        items.sort(key=lambda item: item["display_name"], reverse=True)
        search_facets[field] = {"title": field, "items": items}
    return facets, search_facets
