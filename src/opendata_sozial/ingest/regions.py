"""Region keys: NRW region names to AGS (``init``) and keys checked against their validity.

The reference is the package ``nrw-regionen``: the table ``regionen`` (key, name, level, kind,
parent and the validity columns ``gueltig_ab``/``gueltig_bis``/``nachfolger``) and the table
``namensvarianten`` (spellings from report tables, each tied to one key by hand).

Matching a name folds case, umlauts (``ü`` = ``ue``), ``ß``, punctuation and ``a. d.`` and reads
a kind word before the name or after the first comma (``Kreis Kleve``, ``Kleve, Kreis``,
``Köln, kreisfreie Stadt``, ``StädteRegion Aachen``, ``Reg.-Bez. Köln``). A name matches the
units whose folded name is the same and whose kind fits the kind word, if any; a
Regierungsbezirk only with the word. With a year or date column, only units valid in the
row's period count. A name with no or several matches is an error that lists the candidates,
never a guess.
"""

import csv
import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from opendata_sozial.domain import Issue
from opendata_sozial.errors import SourceError
from opendata_sozial.ingest.german_numbers import Column, SourceTable
from opendata_sozial.ingest.package import PackageSource, descriptor_issue, objects_in
from opendata_sozial.ingest.resource_rules import is_geometry, resource_file, resource_issue

REGION_PACKAGE: Final = "nrw-regionen"
REGION_RESOURCE: Final = "regionen"
VARIANT_RESOURCE: Final = "namensvarianten"
KEY_FIELD: Final = "ags"
KEY_TITLE: Final = "Amtlicher Regionalschlüssel"
MAX_ISSUES: Final = 200
MAX_LISTED: Final = 10
"""Problem names listed in one ``init`` error; the rest are counted."""

_KINDS: Final = {
    "Land": "land",
    "Regierungsbezirk": "rb",
    "Kreis": "kreis",
    "kreisfreie Stadt": "stadt",
    "Stadt": "stadt",
    "Städteregion": "staedteregion",
    "Gemeinde": "gemeinde",
}
_KIND_NAMES: Final = {
    "land": "Land",
    "rb": "Regierungsbezirk",
    "kreis": "Kreis",
    "stadt": "Stadt",
    "staedteregion": "Städteregion",
    "gemeinde": "Gemeinde",
}
_PREFIXES: Final = (
    ("kreisfreie stadt ", "stadt"),
    ("kreisfr stadt ", "stadt"),
    ("krfr stadt ", "stadt"),
    ("stadtkreis ", "stadt"),
    ("stadt ", "stadt"),
    ("sk ", "stadt"),
    ("staedteregion ", "staedteregion"),
    ("landkreis ", "kreis"),
    ("kreis ", "kreis"),
    ("lk ", "kreis"),
    ("regierungsbezirk ", "rb"),
    ("reg bez ", "rb"),
    ("rb ", "rb"),
    ("land ", "land"),
)
"""Kind words before a name (folded, with the separating space)."""
_SUFFIXES: Final = ((" kreisfreie stadt", "stadt"), (" stadt", "stadt"), (" kreis", "kreis"))
"""Kind words after a name without a comma (``Köln-Stadt``, ``Märkischer Kreis``)."""
_ABBREVIATIONS: Final = (
    (re.compile(r"\ba\s*d\s+"), "an der "),
    (re.compile(r"\brhld\b"), "rheinland"),
)
_LAND_ALIASES: Final = frozenset({"nrw", "nordrhein westfalen"})
KREIS: Final = frozenset({"kreis"})
GEMEINDE: Final = frozenset({"gemeinde"})


Period = tuple[date, date, str]
"""First day, last day and the period as written (``2007``, ``2021-11``, ``2009-12-31``)."""


class RegionNameError(SourceError):
    """A column of NRW region names holds names that match no unit or several."""

    code = "region-name-unmatched"
    title = "Regionsname nicht eindeutig zuzuordnen"


@dataclass(frozen=True, slots=True)
class Region:
    """One row of ``nrw-regionen/regionen``."""

    ags: str
    name: str
    level: str
    kind: str
    valid_from: date | None
    valid_to: date | None
    successor: str

    def label(self) -> str:
        """``05334 Städteregion Aachen`` with the validity of a key that did not always hold."""
        return f"{self.ags} {self.name}{self.validity()}"

    def validity(self) -> str:
        """`` (seit 21.10.2009)``, `` (bis 20.10.2009)``, both, or nothing."""
        parts = []
        if self.valid_from is not None:
            parts.append(f"seit {_day(self.valid_from)}")
        if self.valid_to is not None:
            parts.append(f"bis {_day(self.valid_to)}")
        return f" ({', '.join(parts)})" if parts else ""


@dataclass(frozen=True, slots=True)
class RegionIndex:
    """The regions of ``nrw-regionen`` with their folded names and the explicit spellings."""

    regions: dict[str, Region]
    variants: dict[str, str]
    by_base: dict[str, list[Region]]

    def candidates(self, name: str, levels: frozenset[str]) -> list[Region]:
        """The units ``name`` may mean, restricted to ``levels`` (plus Land and Regierungsbezirk)."""
        exact = self.regions.get(self.variants.get(" ".join(name.split()), ""))
        if exact is not None and _in_levels(exact, levels):
            return [exact]  # a spelling tied to its key by hand (Kreis level for a city)
        base, kind = split_name(name)
        found = []
        for region in self.by_base.get(base, []):
            if not _in_levels(region, levels):
                continue
            if region.kind == "rb" and kind != "rb":
                continue  # "Köln" is the city; the Regierungsbezirk needs its word
            if kind is not None and region.kind != kind:
                continue
            found.append(region)
        return found

    def resolve(self, name: str, level: str, period: Period | None) -> list[Region]:
        """The units ``name`` means at ``level`` in ``period``; one unit is a match.

        Of several candidates only those valid in ``period`` count (``Aachen`` in 2015 is the
        Städteregion). When none at ``level`` is valid, a single valid unit of the other level
        is taken (``Aachen, Stadt`` in 2023 is the Gemeinde 05334002, as the Regionaldatenbank
        lists it beside the Kreise). A single unit valid at no time of ``period`` stays the
        match; ``validate`` then names its period and successor.
        """
        candidates = self.candidates(name, frozenset({level}))
        if period is None:
            return candidates
        valid = [r for r in candidates if fits(r, period)]
        if valid:
            return valid
        other = GEMEINDE if level == "kreis" else KREIS
        moved = [r for r in self.candidates(name, other) if r.level in other and fits(r, period)]
        return moved if len(moved) == 1 else candidates

    def similar(self, name: str, levels: frozenset[str]) -> list[Region]:
        """Up to five units whose folded name is close to ``name``'s."""
        base, _ = split_name(name)
        bases = [b for b, rs in self.by_base.items() if any(_in_levels(r, levels) for r in rs)]
        close = difflib.get_close_matches(base, bases, n=5, cutoff=0.75)
        return [r for b in close for r in self.by_base[b] if _in_levels(r, levels)][:5]

    def predecessors(self, ags: str) -> list[Region]:
        """The units that ``ags`` replaced."""
        return [r for r in self.regions.values() if r.successor == ags]


def fits(region: Region, period: Period) -> bool:
    """True when ``region``'s key held at some time of ``period``."""
    first, last, _ = period
    ended = region.valid_to is not None and first > region.valid_to
    unborn = region.valid_from is not None and last < region.valid_from
    return not ended and not unborn


def _in_levels(region: Region, levels: frozenset[str]) -> bool:
    return region.level in levels or region.level in {"land", "regierungsbezirk"}


def _day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def fold(text: str) -> str:
    """Lower case, umlauts as ``ae``/``oe``/``ue``, ``ß`` as ``ss``, punctuation as spaces."""
    folded = text.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    folded = re.sub(r"[^\w]+", " ", folded.replace("_", " "))
    folded = " ".join(folded.split())
    for pattern, replacement in _ABBREVIATIONS:
        folded = pattern.sub(replacement, folded)
    return folded


def split_name(name: str) -> tuple[str, str | None]:
    """The folded name without kind words, and the kind the words name (``None`` if none)."""
    head, _, tail = name.partition(",")
    base = fold(head)
    kind = None
    for prefix, prefix_kind in _PREFIXES:
        if base.startswith(prefix) and len(base) > len(prefix):
            base, kind = base[len(prefix) :], prefix_kind
            break
    for suffix, suffix_kind in _SUFFIXES if kind is None else ():
        if base.endswith(suffix) and len(base) > len(suffix):
            base, kind = base[: -len(suffix)], suffix_kind
            break
    if kind is None and tail:
        kind = _tail_kind(fold(tail))
    if base in _LAND_ALIASES:
        base = "nordrhein westfalen"
    return base, kind


_TAIL_KINDS: Final[tuple[tuple[Callable[[str], bool], str], ...]] = (
    (lambda t: "regierungsbezirk" in t or t.startswith("reg bez"), "rb"),
    (lambda t: "staedteregion" in t, "staedteregion"),
    (lambda t: t.startswith(("kreisfreie", "kreisfr", "krfr")) or "stadt" in t, "stadt"),
    (lambda t: t in {"kreis", "landkreis"}, "kreis"),
    (lambda t: "gemeinde" in t, "gemeinde"),
    (lambda t: t == "land", "land"),
)
"""Kind named after the comma (``Köln, Regierungsbezirk``), checked in this order."""


def _tail_kind(tail: str) -> str | None:
    return next((kind for test, kind in _TAIL_KINDS if test(tail)), None)


# Loading nrw-regionen


def load_index(folder: Path) -> RegionIndex | None:
    """The region index of the ``nrw-regionen`` package in ``folder``; ``None`` if unreadable."""
    regions_file = folder / "data" / f"{REGION_RESOURCE}.csv"
    variants_file = folder / "data" / f"{VARIANT_RESOURCE}.csv"
    try:
        regions = {r.ags: r for r in map(_region, _read(regions_file))}
        variants = {
            " ".join(row["name"].split()): row["ags"]
            for row in (_read(variants_file) if variants_file.is_file() else [])
        }
    except (OSError, UnicodeDecodeError, csv.Error, KeyError, ValueError):
        return None
    by_base: dict[str, list[Region]] = {}
    for region in regions.values():
        names = {region.name} | {n for n, ags in variants.items() if ags == region.ags}
        for base in {split_name(n)[0] for n in names}:
            by_base.setdefault(base, []).append(region)
    return RegionIndex(regions=regions, variants=variants, by_base=by_base)


def find_index(folders: Iterable[Path]) -> RegionIndex | None:
    """The region index from the first of ``folders`` that holds ``nrw-regionen``."""
    for folder in folders:
        if (folder / REGION_PACKAGE / "datapackage.json").is_file():
            return load_index(folder / REGION_PACKAGE)
    return None


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _region(row: Mapping[str, str]) -> Region:
    return Region(
        ags=row["ags"],
        name=row["name"],
        level=row["ebene"],
        kind=_KINDS.get(row["art"], row["art"]),
        valid_from=_date(row.get("gueltig_ab", "")),
        valid_to=_date(row.get("gueltig_bis", "")),
        successor=row.get("nachfolger", "") or "",
    )


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# init: find the region column and add the key column


@dataclass(frozen=True, slots=True)
class RegionColumn:
    """The column of region names that ``init`` found, and the key of each row."""

    position: int
    keys: list[str]
    level: str


def region_keys(
    table: SourceTable, columns: Sequence[Column], index: RegionIndex
) -> RegionColumn | None:
    """Find the column of NRW region names and map every row to its key.

    A text column counts as one when at least two distinct names, and at least half of them,
    name a Kreis (or, when some name can only be a Gemeinde, a Gemeinde). Each row's name is
    matched in the period of the row (its ``year``/``date`` cell, if the table has one): of
    several candidates only those valid then count. Every row must end with exactly one unit,
    else ``RegionNameError`` lists each problem name with its row and the candidates or close
    names.
    """
    if any(column.name == KEY_FIELD for column in columns):
        return None  # the table has its keys already
    periods = _row_periods(columns)
    for position, column in enumerate(columns):
        if column.type != "string" or column.is_value:
            continue
        level = _level(list(dict.fromkeys(v for v in column.values if v)), index)
        if level is None:
            continue
        found: dict[tuple[str, Period | None], list[Region]] = {}
        problems: dict[str, tuple[int, list[Region]]] = {}
        keys = []
        for row, (name, period) in enumerate(zip(column.values, periods, strict=True)):
            if not name:
                keys.append("")
                continue
            if (name, period) not in found:
                found[name, period] = index.resolve(name, level, period)
            units = found[name, period]
            if len(units) != 1:
                problems.setdefault(name, (row, units))
            keys.append(units[0].ags if len(units) == 1 else "")
        if problems:
            raise RegionNameError(_unmatched(table, column, problems, index, level))
        return RegionColumn(position=position, keys=keys, level=level)
    return None


def _row_periods(columns: Sequence[Column]) -> list[Period | None]:
    """The period of each row: its cell in the first ``year``/``date`` column, if any."""
    rows = len(columns[0].values) if columns else 0
    time = next((c for c in columns if c.type in {"year", "date"}), None)
    if time is None:
        return [None] * rows
    return [_period(value) if value else None for value in time.values]


def _level(names: list[str], index: RegionIndex) -> str | None:
    """``kreis``, or ``gemeinde`` when a name can only be a Gemeinde; ``None``: no region column."""
    kreis = {n: index.candidates(n, KREIS) for n in names}
    gemeinde = {n: index.candidates(n, GEMEINDE) for n in names}
    only_gemeinde = any(
        not kreis[n] and any(r.level == "gemeinde" for r in gemeinde[n]) for n in names
    )
    level, matches = ("gemeinde", gemeinde) if only_gemeinde else ("kreis", kreis)
    local = [n for n in names if any(r.level == level for r in matches[n])]
    known = [n for n in names if matches[n]]
    if len(local) < 2 or 2 * len(known) < len(names):
        return None
    return level


def _unmatched(
    table: SourceTable,
    column: Column,
    problems: Mapping[str, tuple[int, list[Region]]],
    index: RegionIndex,
    level: str,
) -> str:
    lines = []
    for name, (row, found) in list(problems.items())[:MAX_LISTED]:
        number = table.rows[row].number
        if found:
            listed = "; ".join(r.label() for r in found)
            lines.append(f"{name!r} (Zeile {number}) ist mehrdeutig: {listed}")
        else:
            close = index.similar(name, frozenset({level}))
            hint = (
                f"ähnlich: {'; '.join(r.label() for r in close)}"
                if close
                else "kein ähnlicher Name"
            )
            lines.append(f"{name!r} (Zeile {number}) ist unbekannt, {hint}")
    more = f" und {len(problems) - MAX_LISTED} weitere" if len(problems) > MAX_LISTED else ""
    kind = "Kreis" if level == "kreis" else "Gemeinde"
    return (
        f"{table.file}: Spalte {column.title!r} enthält NRW-Regionsnamen ({kind}ebene), "
        f"aber {_count(list(problems))} keinem Schlüssel eindeutig zuordnen: "
        + " | ".join(lines)
        + more
        + f". Namen in der Quelldatei eindeutig schreiben (z. B. „Kreis Kleve“, „Köln, Stadt“, "
        f"„Städteregion Aachen“) oder die Schreibweise in {REGION_PACKAGE}/{VARIANT_RESOURCE} ergänzen"
    )


def _count(problems: list[str]) -> str:
    return "1 lässt sich" if len(problems) == 1 else f"{len(problems)} lassen sich"


def key_column(found: RegionColumn) -> Column:
    """The ``ags`` column for the keys found."""
    return Column(name=KEY_FIELD, title=KEY_TITLE, type="string", values=found.keys)


def descriptor_links(keys: Sequence[str], resource: str) -> dict[str, Any]:
    """``x_foreign_keys`` into ``nrw-regionen`` and ``x_spatial`` for a scaffolded package."""
    distinct = sorted({k for k in keys if k})
    level = "municipality" if any(len(k) == 8 for k in distinct) else "administrativeDistrict"
    return {
        "x_spatial": {"level": level, "keys": distinct},
        "x_foreign_keys": [
            {
                "resource": resource,
                "fields": [KEY_FIELD],
                "reference": {
                    "package": REGION_PACKAGE,
                    "resource": REGION_RESOURCE,
                    "fields": [KEY_FIELD],
                },
            }
        ],
    }


# validate: keys used within their validity


def check_region_keys(pkg: PackageSource, known: Mapping[str, PackageSource]) -> list[Issue]:
    """Every NRW key in a key column or in ``x_spatial`` must be valid in its period.

    The period of a row is its ``year``/``date`` cell (the first such column), else the
    package's ``x_temporal``. Keys missing from ``nrw-regionen`` are the foreign key rule's
    finding for columns; in ``x_spatial`` they are reported here.
    """
    reference = known.get(REGION_PACKAGE)
    if reference is None or pkg.name == REGION_PACKAGE:
        return []
    index = load_index(reference.folder)
    if index is None:
        return []
    temporal = _temporal(pkg.descriptor.get("x_temporal"))
    issues = _check_spatial(pkg, index, temporal)
    for fk in pkg.foreign_keys():
        ref = fk["reference"]
        if (ref.get("package"), ref.get("resource"), ref.get("fields")) != (
            REGION_PACKAGE,
            REGION_RESOURCE,
            [KEY_FIELD],
        ):
            continue
        res = next((r for r in pkg.resources() if r.get("name") == fk.get("resource")), None)
        fields = fk.get("fields") or []
        if res is not None and len(fields) == 1 and not is_geometry(res):
            issues.extend(_check_column(pkg, res, str(fields[0]), index, temporal))
    return issues


def _temporal(value: object) -> Period | None:
    if not isinstance(value, dict):
        return None
    start, end = _period(str(value.get("start", ""))), _period(str(value.get("end", "")))
    if start is None or end is None:
        return None
    text = start[2] if start[2] == end[2] else f"{start[2]} bis {end[2]}"
    return (start[0], end[1], text)


def _period(text: str) -> Period | None:
    try:
        if re.fullmatch(r"\d{4}", text):
            return (date(int(text), 1, 1), date(int(text), 12, 31), text)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = int(text[:4]), int(text[5:])
            following = date(year + month // 12, month % 12 + 1, 1)
            return (date(year, month, 1), date.fromordinal(following.toordinal() - 1), text)
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return (day, day, text)


def _problem(region: Region, period: Period, index: RegionIndex) -> str | None:
    """Why ``region``'s key does not fit ``period``, or ``None`` when it is valid then."""
    first, last, text = period
    if region.valid_to is not None and first > region.valid_to:
        successor = index.regions.get(region.successor)
        then = f"; Nachfolger ist {successor.ags} {successor.name}" if successor else ""
        return (
            f"Schlüssel {region.ags} ({region.name}) galt nur bis {_day(region.valid_to)}, "
            f"die Angabe betrifft {text}{then}"
        )
    if region.valid_from is not None and last < region.valid_from:
        before = index.predecessors(region.ags)
        then = f"; vorher galten {', '.join(f'{r.ags} {r.name}' for r in before)}" if before else ""
        return (
            f"Schlüssel {region.ags} ({region.name}) gilt erst ab {_day(region.valid_from)}, "
            f"die Angabe betrifft {text}{then}"
        )
    return None


def _check_spatial(pkg: PackageSource, index: RegionIndex, temporal: Period | None) -> list[Issue]:
    spatial = pkg.descriptor.get("x_spatial")
    keys = spatial.get("keys") if isinstance(spatial, dict) else None
    issues = []
    for key in keys if isinstance(keys, list) else []:
        if not isinstance(key, str) or not key.startswith("05"):
            continue  # another Land: nrw-regionen does not know it
        region = index.regions.get(key)
        if region is None:
            message, hint = (
                f"Regionalschlüssel {key} in x_spatial fehlt in {REGION_PACKAGE}",
                "amtlichen NRW-Schlüssel aus nrw-regionen/regionen angeben",
            )
        elif temporal is None or (message := _problem(region, temporal, index) or "") == "":
            continue
        else:
            hint = "Schlüssel verwenden, der im Zeitraum x_temporal galt"
        code = "region-key-period" if region else "region-key-unknown"
        issues.append(descriptor_issue(pkg, "x_spatial.keys", message, hint, code, key))
    return issues


def _check_column(
    pkg: PackageSource,
    res: dict[str, Any],
    column: str,
    index: RegionIndex,
    temporal: Period | None,
) -> list[Issue]:
    file = resource_file(pkg, res)
    schema = res.get("schema")
    fields = objects_in(schema.get("fields")) if isinstance(schema, dict) else []
    time = next((f for f in fields if f.get("type") in {"year", "date"}), None)
    if file is None or not file.is_file():
        return []
    issues: list[Issue] = []
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for number, row in enumerate(reader, start=2):
                region = index.regions.get(row.get(column) or "")
                period = _period(row.get(str(time.get("name"))) or "") if time else temporal
                message = _problem(region, period, index) if region and period else None
                if message is None:
                    continue
                hint = "den Schlüssel verwenden, der im Zeitraum der Zeile galt (Spalten gueltig_ab, gueltig_bis, nachfolger in nrw-regionen)"
                value = region.ags if region else None
                issues.append(
                    resource_issue(
                        pkg,
                        res,
                        message,
                        hint,
                        "region-key-period",
                        column,
                        row=number,
                        value=value,
                        file=file,
                    )
                )
                if len(issues) >= MAX_ISSUES:
                    break
    except (OSError, UnicodeDecodeError, csv.Error):
        return issues  # unreadable files are the file rules' finding
    return issues


__all__ = [
    "RegionColumn",
    "RegionIndex",
    "check_region_keys",
    "descriptor_links",
    "find_index",
    "fold",
    "key_column",
    "region_keys",
    "split_name",
]
