"""The index builder's answers: JSON with method, inputs and places, the same as CSV.

Numbers are spelled as everywhere in the API (``formats/formatting.py``): full precision, an
integral number without decimals. Both forms say that the index is computed from the published
figures and is no official figure (``LABEL``); the method in words (``method_words``) is the
same text as on ``/regionen/index``.
"""

import csv
import io
from collections.abc import Sequence
from typing import Any, Final

from opendata_sozial.formats.formatting import plain_number
from opendata_sozial.formats.region_exports import plain_cell
from opendata_sozial.formats.regions import indicator_rows_url, region_ref
from opendata_sozial.services.index_method import DIRECTIONS, METHODS, TYPES
from opendata_sozial.services.index_scores import Available, IndexInput, Scored, text_of
from opendata_sozial.services.region_index import LABEL, IndexResult
from opendata_sozial.services.regions import Point
from opendata_sozial.urls import Urls

CSV_HEAD: Final = ("rang", "ags", "region", "index", "typ", "index_vergleich", "dynamik")
CSV_TAIL: Final = ("ausgeschlossen_weil", "hinweis")


def _number(value: float | int | None) -> float | int | None:
    return plain_number(value) if isinstance(value, float) else value


def method_words(result: IndexResult) -> list[str]:
    """The method of ``result`` in plain German, one paragraph per step."""
    z = result.method == "z"
    standard = (
        "Jeder Indikator wird über die Orte im Index standardisiert: z-Wert = (Wert − Mittelwert)"
        " / Standardabweichung (die Standardabweichung der Grundgesamtheit, geteilt durch die"
        " Zahl der Orte)."
        if z
        else "Jeder Indikator wird in Rangwerte umgerechnet: die Orte nach dem Wert geordnet"
        " (gleiche Werte teilen sich den mittleren Platz), Rangwert = (Platz − 1) / (Zahl der"
        " Orte − 1), also 0 für den günstigsten und 1 für den ungünstigsten Ort."
    )
    return [
        f"Ebene: {result.level}. Jeder Ort braucht für jeden Indikator einen Wert im gewählten "
        "Zeitraum; Orte ohne einen solchen Wert fehlen im Index und werden mit Grund genannt. "
        "Nichts wird geschätzt oder aufgefüllt.",
        standard,
        "Richtung: Bei „höher ist ungünstiger“ bleibt der Wert, wie er ist; bei „höher ist "
        "günstiger“ wird das Vorzeichen umgedreht. Danach heißt ein hoher Wert immer: "
        "ungünstiger.",
        "Index = gewichteter Mittelwert der standardisierten Werte (Summe aus Gewicht mal Wert, "
        "geteilt durch die Summe der Gewichte). Platz 1 hat den höchsten Index, also die "
        "ungünstigste Lage; gleiche Indexwerte teilen sich den Platz.",
        "Typologie (nur wenn jeder Indikator einen früheren Zeitraum hat): Status = Index im "
        "gewählten Zeitraum; Dynamik = Index minus Index im Zeitraum davor, beide je Zeitraum "
        "standardisiert. Vier Typen: Status über dem Median der typisierten Orte oder nicht, "
        "Dynamik über 0 (gestiegen) oder nicht (gesunken oder gleich).",
        f"Der Index ist {LABEL}.",
    ]


def _input(item: IndexInput, total: float, urls: Urls) -> dict[str, Any]:
    indicator = item.available.indicator
    table = indicator.table
    return {
        "id": item.available.id,
        "dataset": table.dataset,
        "title": table.title,
        "resource": table.resource,
        "column": table.value,
        "label": indicator.label,
        "dimensions": dict(indicator.dimensions),
        "unit": indicator.unit,
        "period": item.period,
        "comparison_period": item.comparison,
        "direction": item.direction,
        "direction_text": DIRECTIONS[item.direction],
        "weight": _number(item.weight),
        "weight_share": item.weight / total,
        "mean": item.mean,
        "sd": item.spread,
        "places": item.places,
        "links": {
            "dataset": urls.dataset(table.dataset),
            "rows": indicator_rows_url(indicator, None, urls),
        },
    }


def available_ref(found: Available) -> dict[str, Any]:
    """An indicator a level holds: id, table, label, unit and rows per period."""
    indicator = found.indicator
    return {
        "id": found.id,
        "dataset": indicator.table.dataset,
        "resource": indicator.table.resource,
        "label": indicator.label,
        "dimensions": dict(indicator.dimensions),
        "unit": indicator.unit,
        "periods": [{"period": p, "rows": n} for p, n in found.periods],
    }


def index_query(result: IndexResult) -> list[tuple[str, str]]:
    """The API parameters that rebuild ``result`` (every period named)."""
    return [
        ("ebene", result.level),
        ("methode", result.method),
        *(
            ("indikator", f"{i.available.id}:{i.direction}:{i.weight:g}:{text_of(i.period)}")
            for i in result.inputs
        ),
    ]


def _figure(point: Point | None) -> dict[str, Any]:
    if point is None:
        return {"value": None, "status": None}
    return {"value": _number(point.value), "status": point.status}


def _place(place: Scored, inputs: Sequence[IndexInput], urls: Urls) -> dict[str, Any]:
    earlier = place.earlier or (None,) * len(inputs)
    return {
        **region_ref(place.region, urls),
        "rank": place.rank,
        "index": place.index,
        "type": place.type,
        "type_label": TYPES.get(place.type or ""),
        "comparison_index": place.earlier_index,
        "dynamics": place.dynamics,
        "values": [
            {
                "id": item.available.id,
                **_figure(point),
                "score": score,
                "comparison": _figure(before),
            }
            for item, point, score, before in zip(
                inputs, place.values, place.scores, earlier, strict=True
            )
        ],
        "page": urls.region_page(place.region.key),
    }


def index_body(result: IndexResult, urls: Urls) -> dict[str, Any]:
    """The index: label, method, inputs, places by rank, excluded places, typology, links."""
    query = index_query(result)
    total = sum(i.weight for i in result.inputs)
    typology = result.typology
    return {
        "release": result.release,
        "hinweis": LABEL,
        "level": result.level,
        "method": {
            "code": result.method,
            "name": METHODS[result.method],
            "description": method_words(result),
        },
        "inputs": [_input(i, total, urls) for i in result.inputs],
        "places": [_place(p, result.inputs, urls) for p in result.places],
        "excluded": [{**region_ref(e.region, urls), "reason": e.reason} for e in result.excluded],
        "typology": {
            "available": typology.reason is None,
            "reason": typology.reason,
            "median": typology.median,
            "types": [
                {"code": c, "label": label, "count": typology.counts.get(c, 0)}
                for c, label in TYPES.items()
            ]
            if typology.reason is None
            else [],
        },
        "links": {
            "self": urls.region_index("", query),
            "csv": urls.region_index(".csv", query),
            "page": urls.region_index_page(query),
            "indicators": urls.region_index_indicators(result.level),
        },
    }


def _csv_row(place: Scored) -> list[Any]:
    row: list[Any] = [
        place.rank,
        place.region.key,
        place.region.name,
        place.index,
        place.type,
        place.earlier_index,
        place.dynamics,
    ]
    for point, score in zip(place.values, place.scores, strict=True):
        row += [point.value, point.status, score]
    return [*row, None, LABEL]


def index_csv(result: IndexResult) -> str:
    """The places as CSV (RFC 4180, UTF-8): places in the index by rank, then excluded ones.

    Per input three columns named by its id: ``wert_<id>``, ``status_<id>``,
    ``standardisiert_<id>``; excluded places carry only key, name and ``ausgeschlossen_weil``.
    """
    ids = [i.available.id for i in result.inputs]
    columns = [*CSV_HEAD]
    for ident in ids:
        columns += [f"wert_{ident}", f"status_{ident}", f"standardisiert_{ident}"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*columns, *CSV_TAIL])
    for place in result.places:
        writer.writerow([plain_cell(c) for c in _csv_row(place)])
    for gone in result.excluded:
        blank = [None] * (len(columns) - 3)
        row = [None, gone.region.key, gone.region.name, *blank, gone.reason, LABEL]
        writer.writerow([plain_cell(c) for c in row])
    return buffer.getvalue()
