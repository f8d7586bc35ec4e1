"""Build datapackages/ from the seed recipes in scripts/seed/ and the collected source tables.

Usage: python scripts/build_seed_packages.py [--sources DIR] [--regions DIR] [--regional DIR]
                                            [--only NAME ...]
"""

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from opendata_sozial.domain import (
    DATAPACKAGE_PROFILE,
    LICENSE_NAME,
    LICENSE_PATH,
    LICENSE_TITLE,
    STATUS_CODES,
    TABLESCHEMA_PROFILE,
)
from opendata_sozial.ingest.file_facts import csv_resource

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "scripts" / "seed"
CREATED = "2026-11-27T00:00:00Z"
VERSION = "1.0.0"
MAGS = {
    "title": "Ministerium für Arbeit, Gesundheit und Soziales des Landes Nordrhein-Westfalen (MAGS NRW)",
    "roles": ["publisher"],
    "path": "https://www.mags.nrw",
}
ITNRW = {
    "title": "Information und Technik Nordrhein-Westfalen (IT.NRW), Statistisches Landesamt",
    "roles": ["producer"],
    "path": "https://www.it.nrw",
}
LEVEL_BY_KEY_LENGTH = {2: "state", 3: "state", 5: "administrativeDistrict", 8: "municipality"}
LEVEL_ORDER = ["federal", "state", "administrativeDistrict", "municipality"]


class RecipeError(Exception):
    """A recipe does not fit its source table."""


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Read a CSV as header and string rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def region_names() -> dict[str, str]:
    """The explicit region name -> AGS table."""
    path = SEED / "region_names.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["name"]: row["ags"] for row in csv.DictReader(handle)}


VALIDITY_COLUMNS = ["gueltig_ab", "gueltig_bis", "nachfolger"]
"""Columns the region history adds to nrw-regionen (see scripts/seed/regionen_historie.csv)."""


def region_history(
    header: list[str], rows: list[list[str]], history: Path
) -> tuple[list[str], list[list[str]]]:
    """Add validity columns to the region list and append the historic keys.

    A history row whose key is in the list only sets that key's validity; a row with a new key
    (name, ebene, art and parent given) is a former unit and is appended with an empty
    gebietsstand. A key without an entry takes the start of validity of its parent, so the
    Gemeinden of a Kreis formed on a known day are valid from that day too.
    """
    with history.open(encoding="utf-8", newline="") as handle:
        entries = {row["ags"]: row for row in csv.DictReader(handle)}
    index = {name: i for i, name in enumerate(header)}
    known = {row[index["ags"]] for row in rows}
    validity: dict[str, list[str]] = {
        ags: [entry[c] for c in VALIDITY_COLUMNS] for ags, entry in entries.items()
    }
    out = []
    for row in rows:
        own = validity.get(row[index["ags"]])
        parent = validity.get(row[index["parent_ags"]])
        if own is None:
            own = [parent[0], "", ""] if parent and parent[0] else ["", "", ""]
            validity[row[index["ags"]]] = own
        out.append(row + own)
    for ags, entry in entries.items():
        if ags in known:
            continue
        if not entry["name"] or entry["parent_ags"] not in known:
            raise RecipeError(f"{history.name}: früherer Schlüssel {ags} braucht Name und Eltern")
        former = {**entry, "gebietsstand": ""}
        out.append([former[c] for c in header] + [entry[c] for c in VALIDITY_COLUMNS])
    return header + VALIDITY_COLUMNS, out


def infer_type(name: str, values: list[str]) -> str:
    """Infer a Table Schema type from the string values of a column."""
    present = [v for v in values if v != ""]
    if not present:
        return "string"
    if name == "jahr" and all(v.isdigit() and len(v) == 4 for v in present):
        return "year"
    if all(_is_int(v) for v in present):
        return "integer"
    if all(_is_float(v) for v in present):
        return "number"
    return "string"


def _is_int(value: str) -> bool:
    return value.lstrip("-").isdigit() and not (
        value.lstrip("-").startswith("0") and len(value.lstrip("-")) > 1
    )


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return "e" not in value.lower() and value.strip() == value


def transform(
    spec: dict[str, Any], header: list[str], rows: list[list[str]], names: dict[str, str]
) -> tuple[list[str], list[list[str]]]:
    """Apply date conversion, status column and AGS column to the source rows."""
    header, rows = list(header), [list(r) for r in rows]
    dropped = [header.index(c) for c in spec.get("drop_fields") or []]
    header = [c for i, c in enumerate(header) if i not in dropped]
    rows = [[v for i, v in enumerate(row) if i not in dropped] for row in rows]
    header = [(spec.get("rename_fields") or {}).get(c, c) for c in header]
    for column, fmt in (spec.get("date_fields") or {}).items():
        i = header.index(column)
        for row in rows:
            row[i] = datetime.strptime(row[i], fmt).date().isoformat() if row[i] else ""  # noqa: DTZ007
    value = spec.get("value_field")
    status = f"{value}_status"
    if value and status not in header:
        i = header.index(value) + 1
        header.insert(i, status)
        for row in rows:
            row.insert(i, "")
    region = spec.get("region")
    if region:
        i = header.index(region["name_field"])
        missing = sorted({row[i] for row in rows if row[i] not in names})
        if missing:
            raise RecipeError(
                f"{spec['name']}: Regionsnamen ohne Eintrag in region_names.csv: {missing}"
            )
        header.insert(i + 1, "ags")
        for row in rows:
            row.insert(i + 1, names[row[i]])
    return header, rows


def field_descriptor(spec: dict[str, Any], name: str, values: list[str]) -> dict[str, Any]:
    """Describe one column: type, German title and description, unit, categories."""
    given = (spec.get("fields") or {}).get(name, {})
    value = spec.get("value_field")
    if name == f"{value}_status" and name not in (spec.get("fields") or {}):
        given = {
            "title": "Status des Werts",
            "description": "Zeichen der amtlichen Statistik zum Wert (Zeichenerklärung in den Kategorien); leer bei einem gewöhnlichen Wert.",
        }
    if name == "ags" and (spec.get("region") or spec.get("region_key_field")):
        given = (spec.get("fields") or {}).get("ags") or {
            "title": "Amtlicher Regionalschlüssel",
            "description": "Amtlicher Gemeinde- bzw. Kreisschlüssel (AGS) der Region, über die Namenstabelle des Pakets nrw-regionen zugeordnet.",
        }
    if not given:
        raise RecipeError(f"{spec['name']}: Feld {name!r} fehlt in 'fields'")
    stray = set(given) - {"title", "description", "type", "constraints"}
    if stray or not isinstance(given.get("description"), str):
        raise RecipeError(
            f"{spec['name']}: Feld {name!r} hat unbekannte Schlüssel {sorted(stray)} (Beschreibung mit Komma in Anführungszeichen setzen?)"
        )
    if name in (spec.get("date_fields") or {}):
        given = {**given, "type": "date"}
    ftype = given.get("type") or (
        "string"
        if name in {"ags", "fussnote"} or name.endswith("_status")
        else infer_type(name, values)
    )
    field: dict[str, Any] = {
        "name": name,
        "type": ftype,
        "title": given["title"],
        "description": given["description"],
    }
    if name == value:
        if spec.get("unit_field"):
            field["x_unit_field"] = spec["unit_field"]
        else:
            field["x_unit"] = spec["unit"]
    if name.endswith("_status"):
        field["categories"] = [
            {"value": code, "label": label} for code, label in STATUS_CODES.items()
        ]
    elif ftype == "string" and (
        name in spec["primary_key"]
        or name == spec.get("unit_field")
        or name in (spec.get("categorical") or [])
    ):
        field["categories"] = list(dict.fromkeys(v for v in values if v != ""))
    if name in (spec.get("date_fields") or {}):
        field["x_source_format"] = spec["date_fields"][name]
    if given.get("constraints"):
        field["constraints"] = given["constraints"]
    return field


def temporal(
    spec: dict[str, Any], header: list[str], rows: list[list[str]], fields: list[dict[str, Any]]
) -> dict[str, str]:
    """First and last period, from the recipe or the time column."""
    if spec.get("temporal"):
        return {"start": str(spec["temporal"]["start"]), "end": str(spec["temporal"]["end"])}
    time_fields = spec.get("time_fields") or []
    if len(time_fields) != 1:
        raise RecipeError(f"{spec['name']}: 'temporal' angeben (time_fields {time_fields})")
    i = header.index(time_fields[0])
    ftype = next(f["type"] for f in fields if f["name"] == time_fields[0])
    periods = sorted(row[i] for row in rows if row[i])
    if ftype not in {"year", "date"}:
        periods = sorted(p for p in periods if p.isdigit() and len(p) == 4)
    if not periods:
        raise RecipeError(
            f"{spec['name']}: kein Zeitraum aus {time_fields} ableitbar; 'temporal' angeben"
        )
    return {"start": periods[0], "end": periods[-1]}


def spatial(spec: dict[str, Any], header: list[str], rows: list[list[str]]) -> dict[str, Any]:
    """Spatial coverage from the recipe or from the AGS column."""
    if spec.get("spatial"):
        return {
            "level": spec["spatial"]["level"],
            "keys": [str(k) for k in spec["spatial"].get("keys", [])],
        }
    i = header.index("ags")
    keys = sorted({row[i] for row in rows})
    levels = {LEVEL_BY_KEY_LENGTH[len(k)] for k in keys}
    level = spec.get("spatial_level") or max(levels, key=LEVEL_ORDER.index)
    return {"level": level, "keys": keys}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write the canonical CSV (UTF-8, comma, LF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build_resource(
    spec: dict[str, Any], folder: Path, source: Path, names: dict[str, str]
) -> tuple[dict[str, Any], list[str], list[list[str]]]:
    """Write one resource's CSV and return its descriptor with the transformed rows."""
    header, rows = transform(spec, *read_rows(source), names)
    if spec.get("history_file"):
        header, rows = region_history(header, rows, SEED / spec["history_file"])
    unknown = set(spec.get("fields") or {}) - set(header)
    if unknown:
        raise RecipeError(
            f"{spec['name']}: 'fields' nennt Spalten, die es nicht gibt: {sorted(unknown)}"
        )
    keys = [tuple(row[header.index(k)] for k in spec["primary_key"]) for row in rows]
    if len(set(keys)) != len(keys):
        raise RecipeError(f"{spec['name']}: primary_key {spec['primary_key']} ist nicht eindeutig")
    fields = [
        field_descriptor(spec, name, [row[i] for row in rows]) for i, name in enumerate(header)
    ]
    relative = f"data/{spec['name']}.csv"
    write_csv(folder / relative, header, rows)
    schema: dict[str, Any] = {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": fields,
        "missingValues": [""],
        "primaryKey": spec["primary_key"],
    }
    if spec.get("foreign_keys"):
        schema["foreignKeys"] = spec["foreign_keys"]
    resource = csv_resource(spec["name"], folder, relative, schema)
    resource["x_source_file"] = source.name
    if spec.get("history_file"):
        resource["x_history_file"] = spec["history_file"]
    if spec.get("resource_title"):
        resource["title"] = spec["resource_title"]
    return resource, header, rows


def footnotes(
    recipe: dict[str, Any], header: list[str], rows: list[list[str]]
) -> list[dict[str, str]]:
    """Footnotes with their texts; a marker no row carries belongs to the table title or header."""
    column = header.index("fussnote") if "fussnote" in header else None
    used = {m for row in rows for m in row[column].split(";")} if column is not None else set()
    notes = []
    for note in recipe.get("footnotes") or []:
        entry = {
            "marker": note["marker"],
            "text": note["text"]
            or "Der Fußnotentext ist in der ausgewerteten Quelle nicht erhalten.",
        }
        if note["marker"] not in used:
            entry["scope"] = "table"
        notes.append(entry)
    return notes


def unwrap(text: str) -> str:
    """Join hard-wrapped lines of a YAML block into paragraphs separated by blank lines."""
    paragraphs = [
        " ".join(line.strip() for line in block.splitlines())
        for block in text.strip().split("\n\n")
    ]
    return "\n\n".join(paragraphs)


def attribution(contributors: list[dict[str, Any]]) -> str:
    """Licence attribution text naming producer and publisher."""
    by_role = {role: c["title"] for c in contributors for role in c.get("roles", [])}
    parts = [by_role.get("producer"), by_role.get("publisher")]
    named = " / ".join(dict.fromkeys(p for p in parts if p))
    return f"Datenquelle: {named}; Lizenz: {LICENSE_TITLE} ({LICENSE_PATH})"


def kept_translations(folder: Path) -> dict[str, Any]:
    """``x_translations`` of the package already in ``folder``, which a rebuild keeps.

    They are written by hand in the package (docs/packages.md), not in the recipe.
    """
    path = folder / "datapackage.json"
    if not path.is_file():
        return {}
    translations = json.loads(path.read_text(encoding="utf-8")).get("x_translations")
    return {"x_translations": translations} if translations else {}


def build_package(
    recipe: dict[str, Any], out: Path, source_dirs: Sequence[Path], names: dict[str, str]
) -> None:
    """Build one package folder from its recipe."""
    folder = out / recipe["name"]
    resource_specs = recipe.get("resources") or [recipe]
    resources, first = [], None
    for spec in resource_specs:
        source = next(
            (d / spec["source_file"] for d in source_dirs if (d / spec["source_file"]).exists()),
            None,
        )
        if source is None:
            raise RecipeError(
                f"{recipe['name']}: Quelle {spec['source_file']} nicht gefunden in {[str(d) for d in source_dirs]}"
            )
        built = build_resource({"name": recipe["name"], **spec}, folder, source, names)
        resources.append(built[0])
        first = first or built
    assert first is not None
    contributors = recipe.get("contributors") or [MAGS, ITNRW]
    descriptor: dict[str, Any] = {
        "$schema": DATAPACKAGE_PROFILE,
        "name": recipe["name"],
        "title": recipe["title"],
        "description": unwrap(recipe["description"]),
        "version": VERSION,
        "created": CREATED,
        "homepage": recipe["homepage"],
        "keywords": recipe["keywords"],
        "licenses": [{"name": LICENSE_NAME, "path": LICENSE_PATH, "title": LICENSE_TITLE}],
        "sources": recipe["sources"],
        "contributors": contributors,
        "x_attribution": recipe.get("attribution") or attribution(contributors),
        "x_source_files": recipe.get("x_source_files")
        or [s["source_file"] for s in resource_specs],
        "x_temporal": temporal(
            recipe if recipe.get("temporal") else resource_specs[0],
            first[1],
            first[2],
            first[0]["schema"]["fields"],
        ),
        "x_spatial": spatial(
            resource_specs[0] if not recipe.get("spatial") else recipe, first[1], first[2]
        ),
        "x_themes": recipe["themes"],
        "x_chapter": str(recipe["chapter"]),
        "x_completeness": recipe["completeness"],
        "x_accrual_periodicity": recipe["accrual_periodicity"],
        "x_footnotes": footnotes(recipe, first[1], first[2]),
        "x_breaks": [
            {"period": str(b["period"]), "description": unwrap(b["description"])}
            for b in recipe.get("breaks") or []
        ],
        **kept_translations(folder),
        "resources": resources,
    }
    if recipe.get("region") or recipe.get("region_key_field"):
        descriptor["x_foreign_keys"] = [
            {
                "resource": recipe["name"],
                "fields": ["ags"],
                "reference": {"package": "nrw-regionen", "resource": "regionen", "fields": ["ags"]},
            }
        ]
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Build every (or the selected) seed package."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=Path, default=ROOT.parent / "shared" / "data" / "sources")
    parser.add_argument("--regions", type=Path, default=ROOT.parent / "shared" / "data" / "regions")
    parser.add_argument(
        "--regional", type=Path, default=ROOT.parent / "shared" / "data" / "regional"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "datapackages")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    names = region_names()
    failed = 0
    for path in sorted(SEED.glob("*.yaml")):
        recipe = yaml.safe_load(path.read_text(encoding="utf-8"))
        if args.only and recipe["name"] not in args.only:
            continue
        try:
            build_package(
                recipe, args.out, [args.sources, args.regions, args.regional, SEED], names
            )
        except (RecipeError, KeyError, ValueError) as exc:
            failed += 1
            print(f"FEHLER {path.name}: {exc!r}", file=sys.stderr)
        else:
            print(f"ok {recipe['name']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
