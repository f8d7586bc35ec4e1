"""Write the synthetic scale package: Gemeinde × indicators × years × population groups.

    python bench/make_scale_package.py --rows 1188000 --out var/bench/scale/gemeinde-indikatoren

The default is the full grid: 396 Gemeinden × 40 indicators × 15 years × 5 population groups =
1,188,000 rows. The years start in 2010 because the Gemeinde keys of the Städteregion Aachen
(05334…) are valid only from 21 October 2009, and ``validate`` rejects a key outside its validity.
``--rows`` scales it (10 million: more synthetic indicators; a row count that is not a multiple
of the grid cuts the last indicator short). The package follows the house style of ``datapackages/`` (Data Package v2, typed Table Schema, ``ags`` foreign key into
``nrw-regionen``, a status column, categories, units) so that ``opendata-sozial validate``
accepts it; every value is invented and the metadata says so. It is never written into
``datapackages/``.
"""

import argparse
import csv
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "gemeinde-indikatoren-synthetisch"
GEMEINDEN = 396
YEARS = tuple(range(2010, 2025))
GROUPS = ("Insgesamt", "unter 18 Jahre", "18 bis unter 65 Jahre", "65 Jahre und älter", "Frauen")
INDICATORS: tuple[tuple[str, str, float, float], ...] = (
    # (name, unit, low, high): the range the synthetic values are drawn from
    ("Armutsgefährdungsquote", "%", 5, 30),
    ("Mindestsicherungsquote", "%", 2, 25),
    ("SGB II-Quote", "%", 1, 22),
    ("SGB XII-Quote", "%", 0.2, 4),
    ("Grundsicherungsquote im Alter", "%", 0.5, 8),
    ("Arbeitslosenquote", "%", 2, 15),
    ("Erwerbstätigenquote", "%", 55, 82),
    ("Erwerbslosenquote", "%", 1, 12),
    ("Teilzeitquote", "%", 15, 45),
    ("Überschuldungsquote", "%", 5, 20),
    ("Verbraucherinsolvenzen je 10 000 Einwohner", "je 10 000", 3, 30),
    ("Wohngeldquote", "%", 0.5, 6),
    ("Quote der Alleinerziehenden", "%", 3, 12),
    ("Jugendquotient", "je 100", 25, 40),
    ("Altenquotient", "je 100", 25, 50),
    ("Gesamtquotient", "je 100", 55, 85),
    ("Ausländeranteil", "%", 3, 35),
    ("Anteil mit Migrationshintergrund", "%", 10, 55),
    ("Einkommensreichtumsquote", "%", 3, 15),
    ("Medianeinkommen (Äquivalenzeinkommen)", "Euro", 1_400, 2_600),
    ("Armutsrisikoschwelle", "Euro", 900, 1_300),
    ("Bevölkerung", "Personen", 3_000, 1_100_000),
    ("Leistungsberechtigte nach dem AsylbLG", "Personen", 0, 12_000),
    ("Empfänger von Hilfe zum Lebensunterhalt", "Personen", 0, 9_000),
    ("Schulabgänger ohne Abschluss", "%", 2, 12),
    ("Quote der Kinder in Bedarfsgemeinschaften", "%", 3, 40),
    ("Wohnkostenbelastungsquote", "%", 15, 40),
    ("Pflegequote", "%", 2, 7),
    ("Hilfequote der unter 15-Jährigen", "%", 3, 38),
    ("Vermögensreichtumsquote", "%", 2, 10),
)
STATUS_CATEGORIES = [
    {
        "value": "0",
        "label": "Mehr als nichts, aber weniger als die Hälfte der kleinsten dargestellten Einheit",
    },
    {"value": "-", "label": "Nichts vorhanden (genau null) oder keine Veränderung"},
    {"value": "...", "label": "Angabe liegt noch nicht vor"},
    {"value": "/", "label": "Keine Angabe, da der Zahlenwert nicht sicher genug ist"},
    {"value": ".", "label": "Zahlenwert unbekannt oder geheim zu halten"},
    {"value": "x", "label": "Tabellenfach gesperrt, weil eine Angabe nicht sinnvoll ist"},
    {
        "value": "()",
        "label": "Aussagewert eingeschränkt, da der Zahlenwert statistisch unsicher ist",
    },
    {"value": "p", "label": "Vorläufige Zahl"},
    {"value": "r", "label": "Berichtigte Zahl"},
    {"value": "s", "label": "Geschätzte Zahl"},
]
FIELDS = ["indikator", "jahr", "bevoelkerungsgruppe", "ags", "gemeinde"]
FIELDS += ["wert", "wert_status", "einheit"]


@dataclass(frozen=True, slots=True)
class Gemeinde:
    """One municipality of the regions table."""

    ags: str
    name: str


def default_regions() -> Path:
    """The shared regions table beside the checkout, else the one in ``nrw-regionen``."""
    shared = ROOT.parent / "shared" / "data" / "regions" / "nrw_regionen.csv"
    return shared if shared.is_file() else ROOT / "datapackages/nrw-regionen/data/regionen.csv"


def read_gemeinden(path: Path) -> list[Gemeinde]:
    """The Gemeinde rows (``ebene == gemeinde``) of a regions table, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["ebene"] == "gemeinde"]
    return [Gemeinde(ags=r["ags"], name=r["name"]) for r in rows]


def indicators(rows: int) -> list[tuple[str, str, float, float]]:
    """The indicators needed for ``rows`` rows: the named ones, then numbered synthetic ones."""
    per_indicator = GEMEINDEN * len(YEARS) * len(GROUPS)
    count = max(1, -(-rows // per_indicator))
    extra = [
        (f"Synthetischer Indikator {n:04d}", "%", 0.0, 100.0)
        for n in range(len(INDICATORS) + 1, count + 1)
    ]
    return [*INDICATORS, *extra][:count]


def _cell(rng: random.Random, low: float, high: float, year: int) -> tuple[str, str]:
    """A synthetic value and its status symbol (some withheld, some provisional)."""
    draw = rng.random()
    if draw < 0.01:
        return "", "."  # geheim zu halten
    if draw < 0.015:
        return "", "x"
    value = low + (high - low) * rng.random()
    text = f"{value:.0f}" if high >= 1000 else f"{value:.1f}"
    if year == YEARS[-1] and draw < 0.2:
        return text, "p"
    if draw > 0.995:
        return text, "()"
    return text, ""


def generate_rows(
    gemeinden: list[Gemeinde], wanted: list[tuple[str, str, float, float]], rows: int, seed: int
) -> Iterator[list[str]]:
    """Rows in key order (indicator, year, group, Gemeinde), at most ``rows``."""
    rng = random.Random(seed)  # noqa: S311  # synthetic values, not cryptography
    written = 0
    for name, unit, low, high in wanted:
        for year in YEARS:
            for group in GROUPS:
                for gemeinde in gemeinden:
                    if written >= rows:
                        return
                    value, status = _cell(rng, low, high, year)
                    yield [name, str(year), group, gemeinde.ags, gemeinde.name, value, status, unit]
                    written += 1


def _field(
    name: str, ftype: str, title: str, description: str, **extra: object
) -> dict[str, object]:
    return {"name": name, "type": ftype, "title": title, "description": description, **extra}


def table_schema(
    gemeinden: list[Gemeinde], wanted: list[tuple[str, str, float, float]]
) -> dict[str, object]:
    """The Table Schema in the house style: typed, titled, categories, unit field, status."""
    units = sorted({unit for _, unit, _, _ in wanted})
    return {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "fields": [
            _field(
                "indikator",
                "string",
                "Indikator",
                "Name des (synthetischen) Indikators.",
                categories=[name for name, _, _, _ in wanted],
            ),
            _field("jahr", "year", "Jahr", "Berichtsjahr."),
            _field(
                "bevoelkerungsgruppe",
                "string",
                "Bevölkerungsgruppe",
                "Bevölkerungsgruppe, auf die sich der Wert bezieht.",
                categories=list(GROUPS),
            ),
            _field(
                "ags",
                "string",
                "Amtlicher Gemeindeschlüssel",
                "Achtstelliger amtlicher Gemeindeschlüssel (AGS) aus nrw-regionen.",
                categories=[g.ags for g in gemeinden],
            ),
            _field("gemeinde", "string", "Gemeinde", "Name der Gemeinde wie in nrw-regionen."),
            _field(
                "wert",
                "number",
                "Wert (synthetisch)",
                "Zufällig erzeugter Wert ohne Aussagekraft; Einheit in der Spalte einheit.",
                x_unit_field="einheit",
            ),
            _field(
                "wert_status",
                "string",
                "Status des Werts",
                "Zeichen der amtlichen Statistik zum Wert; leer bei einem gewöhnlichen Wert.",
                categories=STATUS_CATEGORIES,
            ),
            _field("einheit", "string", "Einheit", "Maßeinheit des Werts.", categories=units),
        ],
        "missingValues": [""],
        "primaryKey": ["indikator", "jahr", "bevoelkerungsgruppe", "ags"],
    }


def descriptor(resource: dict[str, object], rows: int) -> dict[str, object]:
    """The package descriptor; title, description and keywords say that the values are synthetic."""
    publisher = (
        "Ministerium für Arbeit, Gesundheit und Soziales des Landes Nordrhein-Westfalen (MAGS NRW)"
    )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": NAME,
        "title": f"SYNTHETISCHE Testdaten: Gemeindeindikatoren NRW ({rows:,} Zeilen, keine echten Werte)".replace(
            ",", "."
        ),
        "description": (
            "SYNTHETISCHER Datensatz für Last- und Skalierungstests des Open-Data-Dienstes. "
            "Die Werte sind zufällig erzeugt (bench/make_scale_package.py) und haben keinerlei "
            "Aussagekraft; sie dürfen nicht als Statistik verwendet oder veröffentlicht werden. "
            "Echt sind nur die 396 amtlichen Gemeindeschlüssel und -namen aus nrw-regionen. "
            "Aufbau: Gemeinde × Indikator × Jahr × Bevölkerungsgruppe, im Stil der Tabellen der "
            "Sozialberichterstattung (Statusspalte, Einheitenspalte, Kategorien)."
        ),
        "version": "1.0.0",
        "created": "2026-11-27T00:00:00Z",
        "homepage": "https://www.sozialberichte.nrw.de",
        "keywords": ["synthetisch", "testdaten", "benchmark", "gemeinden", "keine echten werte"],
        "licenses": [
            {
                "name": "dl-de-by-2.0",
                "path": "https://www.govdata.de/dl-de/by-2-0",
                "title": "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            }
        ],
        "sources": [
            {
                "title": "Synthetisch erzeugt von bench/make_scale_package.py (keine amtliche Quelle)",
                "path": "https://www.sozialberichte.nrw.de",
            }
        ],
        "contributors": [
            {"title": publisher, "roles": ["publisher"], "path": "https://www.mags.nrw"}
        ],
        "x_attribution": "Synthetische Testdaten (keine echten Werte); Gemeindeschlüssel: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis",
        "x_source_files": ["synthetisch (bench/make_scale_package.py)"],
        "x_temporal": {"start": str(YEARS[0]), "end": str(YEARS[-1])},
        "x_spatial": {"level": "municipality", "keys": ["05"]},
        "x_themes": ["SOCI"],
        "x_chapter": "7",
        "x_completeness": "complete",
        "x_accrual_periodicity": "NEVER",
        "x_footnotes": [],
        "x_breaks": [],
        "resources": [resource],
        "x_foreign_keys": [
            {
                "resource": NAME,
                "fields": ["ags"],
                "reference": {"package": "nrw-regionen", "resource": "regionen", "fields": ["ags"]},
            }
        ],
    }


def file_facts(path: Path) -> tuple[str, int]:
    """``sha256:<hex>`` and the byte count of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return f"sha256:{digest.hexdigest()}", size


def write_package(out: Path, *, rows: int, seed: int, regions: Path) -> Path:
    """Write ``out/datapackage.json`` and ``out/data/<name>.csv``; return the CSV path."""
    if (ROOT / "datapackages").resolve() in [out.resolve(), *out.resolve().parents]:
        raise SystemExit("refusing to write synthetic data into datapackages/")
    gemeinden = read_gemeinden(regions)
    if len(gemeinden) != GEMEINDEN:
        raise SystemExit(f"{regions}: expected {GEMEINDEN} Gemeinden, found {len(gemeinden)}")
    wanted = indicators(rows)
    csv_path = out / "data" / f"{NAME}.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows(generate_rows(gemeinden, wanted, rows, seed))
    digest, size = file_facts(csv_path)
    resource = {
        "name": NAME,
        "type": "table",
        "path": f"data/{NAME}.csv",
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": size,
        "hash": digest,
        "dialect": {
            "$schema": "https://datapackage.org/profiles/2.0/tabledialect.json",
            "header": True,
            "delimiter": ",",
            "quoteChar": '"',
            "doubleQuote": True,
            "lineTerminator": "\n",
        },
        "schema": table_schema(gemeinden, wanted),
    }
    text = json.dumps(descriptor(resource, rows), ensure_ascii=False, indent=2) + "\n"
    (out / "datapackage.json").write_text(text, encoding="utf-8")
    return csv_path


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the package."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=GEMEINDEN * 40 * len(YEARS) * len(GROUPS))
    parser.add_argument("--out", type=Path, required=True, help="package folder to (re)write")
    parser.add_argument("--seed", type=int, default=20261127, help="random seed of the values")
    parser.add_argument("--regions", type=Path, default=None, help="regions CSV (ebene, ags, name)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    path = write_package(
        args.out, rows=args.rows, seed=args.seed, regions=args.regions or default_regions()
    )
    sys.stdout.write(f"{path}: {args.rows} rows, {path.stat().st_size} bytes\n")


if __name__ == "__main__":
    main()
