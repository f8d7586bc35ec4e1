"""Build the Köln area packages from the KoelnAPI copy of the city's population table.

Reads ``shared/data/smallarea/koeln/raw/bevoelkerung/bevoelkerung.csv`` (Stadtverwaltung Köln,
re-published by KoelnAPI/data; see that folder's SOURCE.md) and writes

- ``geography/koeln-gebiete``: the 9 Stadtbezirke and 86 Stadtteile (key, name, level, parent),
  taken from the table's area list; **no boundaries**: the city's shapefile carries no licence
  statement, so it is not published;
- ``datapackages/koeln-bevoelkerung-stadtteile``: 18 counts (Einwohner, Geschlecht, 13
  Altersgruppen, Migrationshintergrund, Ausländer) per area and year 2005–2012, exactly as in the
  table (the ``zahl`` column ends in ``.0``; the integer is kept), nothing computed or filled.

A Stadtteil's Stadtbezirk is the first digit of its number (Köln's numbering). The script checks
that: in every year and every count the Stadtteile of a Stadtbezirk sum to the Stadtbezirk's
figure, and the Stadtbezirke to the city's. Run: ``python scripts/build_koeln_areas.py``
(``--source`` for another copy of the folder); the output is byte for byte the same each time.
"""

import argparse
import csv
import io
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "smallarea" / "koeln"
GEMEINDE = "05315000"
GEOGRAPHY = "koeln-gebiete"
DATA = "koeln-bevoelkerung-stadtteile"
CREATED = "2026-12-03T00:00:00Z"
INDICATORS = {
    ("005", "10"): "Einwohner",
    ("010", "10"): "Männlich",
    ("010", "20"): "Weiblich",
    ("020", "10"): "Alter 0 bis unter 3 Jahre",
    ("020", "20"): "Alter 3 bis unter 6 Jahre",
    ("020", "30"): "Alter 6 bis unter 10 Jahre",
    ("020", "40"): "Alter 10 bis unter 15 Jahre",
    ("020", "50"): "Alter 15 bis unter 18 Jahre",
    ("020", "60"): "Alter 18 bis unter 25 Jahre",
    ("020", "70"): "Alter 25 bis unter 35 Jahre",
    ("020", "80"): "Alter 35 bis unter 45 Jahre",
    ("020", "90"): "Alter 45 bis unter 55 Jahre",
    ("020", "100"): "Alter 55 bis unter 60 Jahre",
    ("020", "110"): "Alter 60 bis unter 65 Jahre",
    ("020", "120"): "Alter 65 bis unter 75 Jahre",
    ("020", "130"): "Alter 75 Jahre und älter",
    ("030", "10"): "Einwohner mit Migrationshintergrund",
    ("030", "50"): "Ausländer",
}
"""(tab_id, zei_id) of the source -> the indicator's name in the package, in this order."""
LICENCE = {
    "name": "cc-by",
    "path": "http://www.opendefinition.org/licenses/cc-by",
    "title": "Creative Commons Namensnennung (CC BY), Version in der Quelle nicht angegeben",
}
ATTRIBUTION = (
    "Datenquelle: Stadt Köln (Stadtverwaltung Köln), Einwohnerstatistik, veröffentlicht auf "
    "offenedaten-koeln.de und weiterveröffentlicht im GitHub-Repository KoelnAPI/data; Lizenz: "
    "Creative Commons Namensnennung (CC BY) – eine Version nennt die Quelle nicht"
)
CONTRIBUTORS = [
    {
        "title": "Stadt Köln",
        "roles": ["publisher", "producer"],
        "path": "https://www.stadt-koeln.de",
    }
]
SOURCES = [
    {
        "title": "Stadt Köln, Einwohner in Köln (Offene Daten Köln), über KoelnAPI/data, "
        "data/structure/bevoelkerung/bevoelkerung.csv (Commit 166d8cb, 10.10.2013)",
        "path": "https://github.com/KoelnAPI/data/blob/166d8cb292039d4490a930c30252b7d96efe70fb/data/structure/bevoelkerung/bevoelkerung.csv",
    },
    {"title": "Offene Daten Köln", "path": "https://www.offenedaten-koeln.de"},
]
GEOGRAPHY_DESCRIPTION = """\
Die kleinräumige Gliederung der Stadt Köln (AGS 05315000) unterhalb der Gemeinde: 9 Stadtbezirke \
und 86 Stadtteile mit Schlüssel, Name, Ebene und dem Schlüssel des übergeordneten Gebiets. Der \
Schlüssel setzt sich aus dem AGS der Stadt und der städtischen Nummer zusammen (05315000-6 ist \
der Stadtbezirk Chorweiler, 05315000-609 der Stadtteil Chorweiler); übergeordnet ist einem \
Stadtbezirk die Stadt Köln (05315000), einem Stadtteil sein Stadtbezirk, den die erste Ziffer \
der Stadtteilnummer nennt. Die Zuordnung ist an den Einwohnerzahlen geprüft: In jedem Jahr \
ergeben die Stadtteile eines Stadtbezirks zusammen genau dessen Zahl.

Gebiete, Namen und Nummern stammen aus der Einwohnertabelle der Stadt Köln (Gebietsstand der \
Jahre 2005 bis 2012), nicht aus den Geodaten. Grenzen enthält das Paket bewusst nicht: Die \
Stadtteil- und Stadtbezirksgrenzen der Stadt liegen zwar als Shapefile vor, doch für sie ist in \
der genutzten Quelle keine Lizenz angegeben, sodass sie nicht weiterveröffentlicht werden. Ein \
Beginn oder Ende der Gültigkeit ist nicht angegeben (Spalten leer)."""
DATA_DESCRIPTION = """\
Einwohnerinnen und Einwohner der Stadt Köln, ihrer 9 Stadtbezirke und 86 Stadtteile in den \
Jahren 2005 bis 2012: die Zahl der Einwohner, getrennt nach Geschlecht, nach 13 Altersgruppen \
sowie die Zahl der Einwohner mit Migrationshintergrund und darunter der Ausländer. Alle Werte \
sind Personenzahlen, unverändert aus der Einwohnertabelle der Stadt übernommen; Anteile wurden \
nicht berechnet und fehlende Werte nicht ergänzt. Die Gebiete sind mit den Schlüsseln des Pakets \
koeln-gebiete bezeichnet, die Gesamtstadt mit ihrem AGS 05315000.

Die Tabelle der Stadt enthält weitere Merkmale (Familienstand, Wohnstatus, Konfession, \
Herkunftsregionen); dieses Paket übernimmt nur die genannten. Beim Familienstand fehlen in der \
Quelle für manche Gebiete und Jahre die Angaben zu eingetragenen Lebenspartnerschaften (49 \
Zeilen); dieses Merkmal ist hier nicht enthalten. Die Quelle nennt keinen Stichtag und keine \
Definitionen, etwa ob nur Personen mit Hauptwohnung zählen.

Die Zahlen stammen von der Stadtverwaltung Köln (Offene Daten Köln) über die Kopie im \
GitHub-Repository KoelnAPI/data, das die Trennzeichen der städtischen Datei umgestellt und vier \
Spalten entfernt hat, ohne Werte zu ändern. Als Lizenz nennt die Quelle Creative Commons \
Namensnennung (CC BY) ohne Versionsangabe."""

GEOGRAPHY_ENGLISH = {
    "en": {
        "title": "City districts and neighbourhoods of Cologne (keys, names, hierarchy)",
        "description": """\
The small-area subdivision of the city of Cologne (AGS 05315000) below the municipality: 9 city \
districts (Stadtbezirke) and 86 neighbourhoods (Stadtteile), each with key, name, level and the \
key of the area it belongs to. A key is the city's AGS followed by the city's own number \
(05315000-6 is the city district Chorweiler, 05315000-609 the neighbourhood Chorweiler). A city \
district belongs to the city of Cologne (05315000), a neighbourhood to its city district, which \
is given by the first digit of the neighbourhood's number. This assignment was checked against \
the population counts: in every year the neighbourhoods of a city district add up to exactly its \
figure.

Areas, names and numbers are taken from the city of Cologne's population table (areas as in \
2005 to 2012), not from geodata. The package deliberately contains no boundaries: the city does \
publish the boundaries of its neighbourhoods and city districts as a shapefile, but the source \
used states no licence for it, so they are not republished. No start or end of validity is \
given (the columns are empty).""",
        "keywords": [
            "Cologne",
            "neighbourhoods",
            "city districts",
            "small areas",
            "area hierarchy",
        ],
        "resources": {
            "gebiete": {
                "title": "City districts and neighbourhoods",
                "fields": {
                    "schluessel": {
                        "title": "Key",
                        "description": "AGS of the city of Cologne, a hyphen, and the city's "
                        "number of the area.",
                    },
                    "name": {
                        "title": "Name",
                        "description": "Name of the area as the city spells it.",
                    },
                    "ebene": {
                        "title": "Level",
                        "description": "stadtbezirk (city district) or stadtteil (neighbourhood).",
                    },
                    "uebergeordnet": {
                        "title": "Parent area",
                        "description": "Key of the city district, or the AGS of the city of "
                        "Cologne.",
                    },
                    "gueltig_ab": {
                        "title": "Valid from",
                        "description": "Start of validity; empty: not given.",
                    },
                    "gueltig_bis": {
                        "title": "Valid until",
                        "description": "End of validity; empty: not given.",
                    },
                },
            }
        },
    }
}
"""``x_translations`` of koeln-gebiete: its German texts in English, in our words."""
DATA_ENGLISH = {
    "en": {
        "title": "Population of Cologne's neighbourhoods and city districts by sex, age and "
        "migration background, 2005–2012",
        "description": """\
Inhabitants of the city of Cologne, of its 9 city districts (Stadtbezirke) and 86 neighbourhoods \
(Stadtteile) in the years 2005 to 2012: the number of inhabitants, split by sex and into 13 age \
groups, and the number of inhabitants with a migration background and, among them, of foreign \
nationals. All values are numbers of persons, taken over unchanged from the city's population \
table; no shares were computed and no missing values filled in. Areas are identified by the keys \
of the package koeln-gebiete, the city as a whole by its AGS 05315000.

The city's table holds further characteristics (marital status, housing status, religious \
denomination, regions of origin); this package takes over only those named above. For marital \
status the source lacks the figures on registered civil partnerships for some areas and years \
(49 rows); that characteristic is not included here. The source names no reference date and no \
definitions, for instance whether only persons with their main residence are counted.

The figures come from the Cologne city administration (Offene Daten Köln) via the copy in the \
GitHub repository KoelnAPI/data, which changed the separators of the city's file and removed \
four columns without changing any value. As licence the source names Creative Commons \
Attribution (CC BY) without a version.""",
        "keywords": [
            "Cologne",
            "neighbourhoods",
            "population",
            "inhabitants",
            "age groups",
            "migration background",
            "foreign nationals",
            "small-area statistics",
        ],
        "resources": {
            DATA: {
                "fields": {
                    "schluessel": {
                        "title": "Area",
                        "description": "Key of the area from koeln-gebiete; 05315000 is the "
                        "city as a whole.",
                    },
                    "indikator": {
                        "title": "Characteristic",
                        "description": "Group of persons counted.",
                    },
                    "jahr": {
                        "title": "Year",
                        "description": "Reporting year; the source names no reference date.",
                    },
                    "wert": {"title": "Persons", "description": "Number of persons."},
                    "wert_status": {
                        "title": "Value status",
                        "description": "Symbol for the value; always empty in this table (the "
                        "source gives none).",
                    },
                }
            }
        },
    }
}
"""``x_translations`` of koeln-bevoelkerung-stadtteile: its German texts in English."""


def _read(source: Path) -> list[dict[str, str]]:
    path = source / "raw" / "bevoelkerung" / "bevoelkerung.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _key(raum_id: str) -> str:
    """``000`` -> the city's AGS, ``006`` -> Stadtbezirk 6, ``609`` -> Stadtteil 609."""
    number = int(raum_id)
    return GEMEINDE if number == 0 else f"{GEMEINDE}-{number}"


def _level(raum_id: str) -> str:
    return "gemeinde" if int(raum_id) == 0 else "stadtbezirk" if int(raum_id) < 10 else "stadtteil"


def _parent(raum_id: str) -> str:
    number = int(raum_id)
    return GEMEINDE if number < 10 else f"{GEMEINDE}-{number // 100}"


def _count(text: str) -> int:
    value = float(text)
    if value != int(value):
        raise SystemExit(f"kein ganzzahliger Wert: {text}")
    return int(value)


def _check_sums(rows: list[dict[str, str]]) -> None:
    """The Stadtteile of each Stadtbezirk, and the Stadtbezirke, add up to their parent."""
    sums: dict[tuple[str, str, str, str], int] = defaultdict(int)
    own: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        if (row["tab_id"], row["zei_id"]) not in INDICATORS:
            continue
        figure = (_key(row["raum_id"]), row["tab_id"], row["zei_id"], row["jahr"])
        own[figure] = _count(row["zahl"])
        if row["raum_id"] != "000":
            sums[(_parent(row["raum_id"]), *figure[1:])] += own[figure]
    wrong = [k for k, total in sums.items() if own.get(k) != total]
    if wrong:
        raise SystemExit(f"Summen passen nicht zur Gliederung: {wrong[:5]}")


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _write(folder: Path, descriptor: dict[str, Any], files: dict[str, bytes]) -> None:
    """Write the CSV files, then the descriptor with each resource's hash and size."""
    from opendata_sozial.ingest.file_facts import csv_resource

    (folder / "data").mkdir(parents=True, exist_ok=True)
    resources = []
    for pending in descriptor["resources"]:
        name, schema = pending.pop("name"), pending.pop("schema")
        (folder / "data" / f"{name}.csv").write_bytes(files[name])
        resources.append({**csv_resource(name, folder, f"data/{name}.csv", schema), **pending})
    descriptor["resources"] = resources
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    (folder / "datapackage.json").write_text(text, encoding="utf-8")


def _resource(name: str, fields: list[dict[str, Any]], key: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "schema": {
            "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
            "fields": fields,
            "missingValues": [""],
            "primaryKey": key,
        },
    }


def _common(name: str, title: str, description: str) -> dict[str, Any]:
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": name,
        "title": title,
        "description": description,
        "version": "1.0.0",
        "created": CREATED,
        "homepage": "https://www.offenedaten-koeln.de",
        "licenses": [LICENCE],
        "sources": SOURCES,
        "contributors": CONTRIBUTORS,
        "x_attribution": ATTRIBUTION,
        "x_source_files": ["KoelnAPI/data:data/structure/bevoelkerung/bevoelkerung.csv"],
        "x_temporal": {"start": "2005", "end": "2012"},
        "x_spatial": {"level": "municipality", "keys": [GEMEINDE]},
        "x_completeness": "partial",
        "x_accrual_periodicity": "NEVER",
        "x_footnotes": [],
        "x_breaks": [],
    }


def _field(name: str, kind: str, title: str, description: str, **extra: Any) -> dict[str, Any]:  # noqa: ANN401
    return {"name": name, "type": kind, "title": title, "description": description, **extra}


def geography(rows: list[dict[str, str]], target: Path) -> None:
    """``geography/koeln-gebiete``: the area table, no boundaries."""
    areas = {r["raum_id"]: r["raum"] for r in rows if r["raum_id"] != "000"}
    order = sorted(areas, key=lambda a: (int(a) if int(a) < 10 else int(a) // 100, int(a)))
    table = [["schluessel", "name", "ebene", "uebergeordnet", "gueltig_ab", "gueltig_bis"]]
    table += [[_key(a), areas[a], _level(a), _parent(a), "", ""] for a in order]
    descriptor = _common(
        GEOGRAPHY,
        "Stadtbezirke und Stadtteile der Stadt Köln (Schlüssel, Namen, Gliederung)",
        GEOGRAPHY_DESCRIPTION,
    )
    descriptor["keywords"] = ["köln", "stadtteile", "stadtbezirke", "gebietsgliederung"]
    descriptor["x_themes"] = ["REGI"]
    descriptor["x_chapter"] = "99"
    descriptor["x_completeness"] = "complete"
    descriptor["x_areas"] = {}
    descriptor["x_translations"] = GEOGRAPHY_ENGLISH
    fields = [
        _field(
            "schluessel",
            "string",
            "Schlüssel",
            "AGS der Stadt Köln, Bindestrich, städtische Nummer des Gebiets.",
            categories=[_key(a) for a in order],
        ),
        _field("name", "string", "Name", "Name des Gebiets, wie ihn die Stadt schreibt."),
        _field(
            "ebene",
            "string",
            "Ebene",
            "stadtbezirk oder stadtteil.",
            categories=["stadtbezirk", "stadtteil"],
        ),
        _field(
            "uebergeordnet",
            "string",
            "Übergeordnetes Gebiet",
            "Schlüssel des Stadtbezirks bzw. der AGS der Stadt Köln.",
        ),
        _field("gueltig_ab", "date", "Gültig ab", "Beginn der Gültigkeit; leer: nicht angegeben."),
        _field("gueltig_bis", "date", "Gültig bis", "Ende der Gültigkeit; leer: nicht angegeben."),
    ]
    descriptor["resources"] = [_resource("gebiete", fields, ["schluessel"])]
    descriptor["resources"][0]["title"] = "Stadtbezirke und Stadtteile"
    _write(target / "geography" / GEOGRAPHY, descriptor, {"gebiete": _csv(table)})


def data(rows: list[dict[str, str]], target: Path) -> None:
    """``datapackages/koeln-bevoelkerung-stadtteile``: the 18 counts per area and year."""
    order = {k: i for i, k in enumerate(INDICATORS)}
    chosen = [r for r in rows if (r["tab_id"], r["zei_id"]) in INDICATORS]
    chosen.sort(key=lambda r: (r["jahr"], order[(r["tab_id"], r["zei_id"])], int(r["raum_id"])))
    table = [["schluessel", "indikator", "jahr", "wert", "wert_status"]]
    table += [
        [
            _key(r["raum_id"]),
            INDICATORS[(r["tab_id"], r["zei_id"])],
            r["jahr"],
            str(_count(r["zahl"])),
            "",
        ]
        for r in chosen
    ]
    keys = sorted({_key(r["raum_id"]) for r in chosen}, key=lambda k: (len(k), k))
    descriptor = _common(
        DATA,
        "Einwohner der Kölner Stadtteile und Stadtbezirke nach Geschlecht, Alter und Migrationshintergrund, 2005–2012",
        DATA_DESCRIPTION,
    )
    descriptor["keywords"] = [
        "köln",
        "stadtteile",
        "bevölkerung",
        "einwohner",
        "altersgruppen",
        "migrationshintergrund",
        "ausländer",
        "kleinräumig",
    ]
    descriptor["x_themes"] = ["SOCI"]
    descriptor["x_chapter"] = "2"
    descriptor["x_foreign_keys"] = [
        {
            "resource": DATA,
            "fields": ["schluessel"],
            "reference": {"package": GEOGRAPHY, "resource": "gebiete", "fields": ["schluessel"]},
        }
    ]
    descriptor["x_translations"] = DATA_ENGLISH
    fields = [
        _field(
            "schluessel",
            "string",
            "Gebiet",
            "Schlüssel des Gebiets aus koeln-gebiete; 05315000 ist die Gesamtstadt.",
            categories=keys,
        ),
        _field(
            "indikator",
            "string",
            "Merkmal",
            "Gezählte Personengruppe.",
            categories=list(INDICATORS.values()),
        ),
        _field("jahr", "year", "Jahr", "Berichtsjahr; einen Stichtag nennt die Quelle nicht."),
        _field("wert", "integer", "Personen", "Zahl der Personen.", x_unit="Personen"),
        _field(
            "wert_status",
            "string",
            "Status des Werts",
            "Zeichen zum Wert; in dieser Tabelle immer leer (die Quelle nennt keine).",
            categories=_status_categories(),
        ),
    ]
    descriptor["resources"] = [_resource(DATA, fields, ["schluessel", "indikator", "jahr"])]
    descriptor["resources"][0]["x_source_file"] = "bevoelkerung.csv"
    _write(target / "datapackages" / DATA, descriptor, {DATA: _csv(table)})


def _status_categories() -> list[Any]:
    """The status symbols of the house convention (as every package of datapackages/)."""
    other = ROOT / "datapackages" / "bevoelkerung-altersgruppen-kreise" / "datapackage.json"
    fields = json.loads(other.read_text(encoding="utf-8"))["resources"][0]["schema"]["fields"]
    return list(next(f for f in fields if f["name"] == "wert_status")["categories"])


def main() -> None:
    """Read the source, check the hierarchy by sums, write both packages."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--target", type=Path, default=ROOT)
    args = parser.parse_args()
    rows = _read(args.source)
    _check_sums(rows)
    geography(rows, args.target)
    data(rows, args.target)
    sys.stdout.write(f"{GEOGRAPHY} und {DATA} geschrieben\n")


if __name__ == "__main__":
    main()
