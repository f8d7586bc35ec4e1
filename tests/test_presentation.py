"""The framework-free presentation modules: formats, chart geometry, citations, snippets, preview."""

import json
from datetime import date

import pytest

from opendata_sozial.errors import InvalidParameter
from opendata_sozial.formats.citation import citation
from opendata_sozial.formats.formatting import (
    format_bytes,
    format_cell,
    format_number,
    format_period,
    format_period_range,
)
from opendata_sozial.model.dataset import Break
from opendata_sozial.model.parse import parse_dataset, parse_table
from opendata_sozial.services.catalog import DatasetRecord
from opendata_sozial.urls import Urls
from opendata_sozial.views.chart import MAX_SERIES, build_chart, nice_scale
from opendata_sozial.views.preview import PreviewRequest, parse_preview
from opendata_sozial.views.snippets import text_fields
from tests.conftest import DATAPACKAGES

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2123, 0, f"2{NBSP}123"),
        (14.6, 1, "14,6"),
        (-3.25, 2, "\u22123,25"),
        (1234567.891, 2, f"1{NBSP}234{NBSP}567,89"),
        (None, 0, ""),
    ],
)
def test_format_number(value: float | None, decimals: int, expected: str) -> None:
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "status", "field_type", "expected"),
    [
        (None, "/", "number", "/"),
        (12.3, "()", "number", "(12,3)"),
        (12.3, "p", "number", f"12,3{NBSP}p"),
        (2015, None, "year", "2015"),
        (date(2023, 12, 31), None, "date", "31.12.2023"),
        ("Insgesamt", None, "string", "Insgesamt"),
    ],
)
def test_format_cell(value: object, status: str | None, field_type: str, expected: str) -> None:
    assert format_cell(value, status, 1, field_type) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2015", "2015"), ("2021-11", "November 2021"), ("2023-12-31", "31.12.2023")],
)
def test_format_period(text: str, expected: str) -> None:
    assert format_period(text) == expected


def test_format_period_range_and_bytes() -> None:
    assert format_period_range("2005", "2019") == "2005–2019"
    assert format_period_range("2021-11", "2021-11") == "November 2021"
    assert format_bytes(812) == f"812{NBSP}Byte"
    assert format_bytes(5713) == f"5,7{NBSP}kB"
    assert format_bytes(2_400_000) == f"2,4{NBSP}MB"


# Chart

SCHEMA = {
    "fields": [
        {"name": "gruppe", "type": "string", "title": "Gruppe", "categories": ["b", "a"]},
        {"name": "jahr", "type": "year", "title": "Jahr"},
        {"name": "wert", "type": "number", "title": "Quote", "x_unit": "%"},
        {"name": "wert_status", "type": "string"},
    ],
    "primaryKey": ["gruppe", "jahr"],
}
COLUMNS = ["gruppe", "jahr", "wert", "wert_status"]


def test_chart_draws_a_line_per_series_in_category_order() -> None:
    rows = [(g, y, float(y - 2000), None) for g in ("a", "b") for y in (2015, 2016, 2017)]
    chart = build_chart(columns=COLUMNS, rows=rows, table=parse_table("t", SCHEMA))
    assert chart is not None
    assert chart.kind == "line"
    assert [s.label for s in chart.series] == ["b", "a"]
    assert chart.title == "Quote nach Jahr"
    assert chart.unit == "Einheit: %"
    assert chart.table.headers == ["Jahr", "b", "a"]
    assert chart.table.rows[0] == ("2015", ["15", "15"])


def test_chart_leaves_a_gap_for_withheld_values() -> None:
    rows = [("a", 2015, 1.0, None), ("a", 2016, None, "/"), ("a", 2017, 3.0, None)]
    chart = build_chart(columns=COLUMNS, rows=rows, table=parse_table("t", SCHEMA))
    assert chart is not None
    assert chart.series[0].path.count("M") == 2
    assert chart.table.rows[1] == ("2016", ["/"])


def test_chart_marks_a_break_between_the_points_around_it() -> None:
    rows = [("a", y, 1.0, None) for y in (2015, 2016, 2017)]
    chart = build_chart(
        columns=COLUMNS, rows=rows, table=parse_table("t", SCHEMA), breaks=[Break("2016", "")]
    )
    assert chart is not None
    x_2015, x_2016 = (t.position for t in chart.x_ticks[:2])
    assert [b.label for b in chart.breaks] == ["Zeitreihenbruch 2016"]
    assert chart.breaks[0].x == pytest.approx((x_2015 + x_2016) / 2)


def test_chart_limits_series_and_says_so() -> None:
    schema = {
        **SCHEMA,
        "fields": [{**SCHEMA["fields"][0], "categories": []}, *SCHEMA["fields"][1:]],
    }
    rows = [(f"g{i:02d}", y, 1.0, None) for i in range(12) for y in (2015, 2016)]
    chart = build_chart(columns=COLUMNS, rows=rows, table=parse_table("t", schema))
    assert chart is not None
    assert len(chart.series) == MAX_SERIES
    assert any(f"ersten {MAX_SERIES} von 12 Reihen" in note for note in chart.notes)


def test_chart_without_a_time_series_is_a_bar_chart() -> None:
    rows = [("a", 2015, 4.0, None), ("b", 2015, -2.0, None)]
    chart = build_chart(columns=COLUMNS, rows=rows, table=parse_table("t", SCHEMA))
    assert chart is not None
    assert chart.kind == "bar"
    assert [b.label for b in chart.bars] == ["a", "b"]
    assert chart.bars[1].value_anchor == "end"  # a negative bar grows to the left


def test_chart_keeps_to_one_unit() -> None:
    schema = {
        "fields": [
            {"name": "jahr", "type": "year"},
            {"name": "wert", "type": "number", "title": "Wert", "x_unit_field": "einheit"},
            {"name": "einheit", "type": "string", "title": "Einheit", "categories": ["%", "1 000"]},
        ],
        "primaryKey": ["jahr", "einheit"],
    }
    rows = [(y, 1.0, u) for u in ("1 000", "%") for y in (2015, 2016)]
    chart = build_chart(
        columns=["jahr", "wert", "einheit"], rows=rows, table=parse_table("t", schema)
    )
    assert chart is not None
    assert chart.unit == "Einheit: %"
    assert "weitere Einheiten: „1 000“" in chart.notes[0]


def test_chart_needs_a_value_column() -> None:
    schema = {"fields": [{"name": "name", "type": "string"}], "primaryKey": ["name"]}
    assert build_chart(columns=["name"], rows=[("x",)], table=parse_table("t", schema)) is None


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0, 9.3, (0, 10, 2)), (0, 26.3, (0, 30, 10)), (113636, 146620, (110000, 150000, 10000))],
)
def test_nice_scale(low: float, high: float, expected: tuple[float, float, float]) -> None:
    assert nice_scale(low, high) == expected


# Citation


def _record(**changes: str) -> DatasetRecord:
    descriptor = json.loads((DATAPACKAGES / "lebensformen" / "datapackage.json").read_text())
    descriptor.update(changes)
    return DatasetRecord(
        name="lebensformen",
        title=descriptor["title"],
        release=3,
        modified="2025-01-31T10:00:00+00:00",
        descriptor=descriptor,
    )


def test_citation_as_text() -> None:
    text = citation(_record(), 3, Urls.of("https://daten.example/"), date(2026, 2, 1), "text")
    assert text.startswith("Ministerium für Arbeit, Gesundheit und Soziales")
    assert (
        "(2025): Lebensformen in NRW 2015–2019. Datensatz, Veröffentlichung 3, Version 1.0.0."
        in text
    )
    assert "https://daten.example/datensaetze/lebensformen (abgerufen am 01.02.2026)." in text


def test_citation_as_bibtex_escapes_special_characters() -> None:
    record = _record(title="Quoten & Anteile in %")
    text = citation(record, 3, Urls.of("https://daten.example"), date(2026, 2, 1), "bibtex")
    assert text.startswith("@misc{lebensformen-r3,\n")
    assert r"title = {Quoten \& Anteile in \%}" in text
    assert "urldate = {2026-02-01}" in text
    assert text.endswith("\n}")


def test_citation_as_ris() -> None:
    lines = citation(_record(), 3, Urls.of("https://daten.example"), date(2026, 2, 1), "ris").split(
        "\n"
    )
    assert lines[0] == "TY  - DATA"
    assert "PY  - 2025" in lines
    assert "UR  - https://daten.example/datensaetze/lebensformen" in lines
    assert "Y2  - 2026/02/01" in lines
    assert lines[-1] == "ER  - "


def test_citation_rejects_an_unknown_style() -> None:
    with pytest.raises(InvalidParameter, match="text, bibtex, ris"):
        citation(_record(), 3, Urls.of("https://daten.example"), date(2026, 2, 1), "apa")


# Snippets and preview state


def test_text_fields_keep_keys_symbols_and_markers_as_text() -> None:
    descriptor = json.loads((DATAPACKAGES / "nrw-regionen" / "datapackage.json").read_text())
    table = parse_dataset(descriptor).resources[0]
    assert "ags" in text_fields(table)
    assert text_fields(_record().model.resources[0]) == [
        "wert_status",
        "fussnote",
    ]


def test_preview_state_drops_empty_fields_and_rejects_unknown_parameters() -> None:
    request = parse_preview({"jahr": ["2019"], "einheit": [""], "_size": ["50"]})
    assert request == PreviewRequest(filters=(("jahr", "2019"),), size=50)
    assert request.url("/datensaetze/x") == "/datensaetze/x?jahr=2019&_size=50#vorschau"
    with pytest.raises(InvalidParameter, match="_select"):
        parse_preview({"_select": ["jahr"]})
    with pytest.raises(InvalidParameter, match="_size"):
        parse_preview({"_size": ["0"]})
