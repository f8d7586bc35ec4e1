"""The rules of the query layer, table by table: ``query/filters.py`` and ``query/builder.py``.

Each operator is parsed from its query parameter, compiled to SQL for SQLite and PostgreSQL,
and run against a real table in both databases, so the rows it selects are asserted, not only
its SQL text. Every German error names the parameter, the value and what would be valid.
"""

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, Table, and_
from sqlalchemy.dialects import postgresql, sqlite

from opendata_sozial.db.data_tables import ROW_COLUMN, define_data_table
from opendata_sozial.db.engine import create_db_engine
from opendata_sozial.errors import InvalidParameter
from opendata_sozial.query.builder import (
    count_select,
    decode_cursor,
    encode_cursor,
    fingerprint,
    keyset_condition,
    rows_select,
    total_order,
    values_select,
    where_clause,
)
from opendata_sozial.query.filters import (
    FieldSpec,
    Filter,
    Op,
    RowQuery,
    SortKey,
    parse_row_query,
)
from tests.conftest import BACKENDS, backend_database

SCHEMA = {
    "fields": [
        {"name": "kreis", "type": "string"},
        {"name": "jahr", "type": "year"},
        {"name": "wert", "type": "number"},
        {"name": "anzahl", "type": "integer"},
        {"name": "stichtag", "type": "date"},
        {"name": "aktiv", "type": "boolean"},
        {"name": "monat", "type": "yearmonth"},
    ],
    "primaryKey": ["kreis", "jahr"],
}
SPECS = [FieldSpec(f["name"], f["type"]) for f in SCHEMA["fields"]]
MAX_SIZE = 100
ROWS = [
    # _row, kreis, jahr, wert, anzahl, stichtag, aktiv, monat
    (1, "Köln", 2015, 14.6, 100, date(2015, 12, 31), True, "2015-12"),
    (2, "Kleve", 2016, 9.5, 50, date(2016, 12, 31), False, "2016-12"),
    (3, "Bonn", 2016, None, None, None, None, None),
    (4, "Düsseldorf", 2017, 20.0, 200, date(2017, 12, 31), True, "2017-01"),
    (5, None, 2018, 5.25, 0, date(2018, 6, 30), False, "2018-06"),
]


def _parse(params: Mapping[str, Sequence[str]]) -> RowQuery:
    return parse_row_query(params, SPECS, max_size=MAX_SIZE)


# Parsing: every operator, typed values

PARSED = [
    ({"kreis": ["Köln"]}, Filter("kreis", Op.EXACT, "Köln")),
    ({"kreis__exact": ["Köln"]}, Filter("kreis", Op.EXACT, "Köln")),
    ({"jahr__not": ["2016"]}, Filter("jahr", Op.NOT, 2016)),
    ({"jahr__in": ["2015,2017"]}, Filter("jahr", Op.IN, (2015, 2017))),
    ({"jahr__in": ['[2015, "2017"]']}, Filter("jahr", Op.IN, (2015, 2017))),
    ({"kreis__notin": ["Köln,Bonn"]}, Filter("kreis", Op.NOTIN, ("Köln", "Bonn"))),
    ({"kreis__in": ['["Köln, Stadt", "Bonn"]']}, Filter("kreis", Op.IN, ("Köln, Stadt", "Bonn"))),
    ({"wert__gt": ["9.5"]}, Filter("wert", Op.GT, 9.5)),
    ({"wert__gt": [" 1e1 "]}, Filter("wert", Op.GT, 10.0)),
    ({"anzahl__gte": ["+50"]}, Filter("anzahl", Op.GTE, 50)),
    ({"stichtag__lt": ["2017-01-01"]}, Filter("stichtag", Op.LT, date(2017, 1, 1))),
    ({"jahr__lte": ["2016"]}, Filter("jahr", Op.LTE, 2016)),
    ({"kreis__contains": ["ö"]}, Filter("kreis", Op.CONTAINS, "ö")),
    ({"monat__startswith": ["2016"]}, Filter("monat", Op.STARTSWITH, "2016")),
    ({"wert__isnull": ["true"]}, Filter("wert", Op.ISNULL, True)),
    ({"wert__isnull": ["nein"]}, Filter("wert", Op.ISNULL, False)),
    ({"aktiv": ["ja"]}, Filter("aktiv", Op.EXACT, True)),
    ({"aktiv": ["0"]}, Filter("aktiv", Op.EXACT, False)),
]


@pytest.mark.parametrize(("params", "expected"), PARSED, ids=lambda v: str(v))
def test_each_operator_parses_to_a_typed_filter(
    params: dict[str, list[str]], expected: Filter
) -> None:
    assert _parse(params).filters == (expected,)


def test_reserved_parameters_parse_to_the_query() -> None:
    query = _parse(
        {
            "jahr": ["2016", "2017"],  # a parameter given twice: both conditions (AND)
            "_sort": ["-wert,jahr", "kreis"],
            "_select": ["kreis, jahr,kreis"],
            "_size": ["5", "7"],  # the last one counts
            "_cursor": ["abc"],
            "_shape": ["arrays"],
        }
    )
    assert query == RowQuery(
        filters=(Filter("jahr", Op.EXACT, 2016), Filter("jahr", Op.EXACT, 2017)),
        sort=(SortKey("wert", is_descending=True), SortKey("jahr"), SortKey("kreis")),
        select=("kreis", "jahr"),
        size=7,
        cursor="abc",
        shape="arrays",
    )
    assert _parse({}) == RowQuery()


FIELDS = "kreis, jahr, wert, anzahl, stichtag, aktiv, monat"
RESERVED = "_cursor, _select, _shape, _size, _sort, profile"
ERRORS = [
    (
        {"gemeinde": ["1"]},
        f"Unbekanntes Feld 'gemeinde' in Parameter 'gemeinde'; Felder: {FIELDS}; "
        f"reservierte Parameter: {RESERVED}",
    ),
    (
        {"jahr__ungefähr": ["1"]},
        "Unbekannter Operator 'ungefähr' in 'jahr__ungefähr'; gültig: exact, not, in, notin, "
        "gt, gte, lt, lte, contains, startswith, isnull",
    ),
    (
        {"jahr__contains": ["1"]},
        "Parameter 'jahr__contains': Operator 'contains' gilt nur für Textfelder; 'jahr' hat Typ year",
    ),
    (
        {"stichtag__startswith": ["2016"]},
        "Parameter 'stichtag__startswith': Operator 'startswith' gilt nur für Textfelder; "
        "'stichtag' hat Typ date",
    ),
    (
        {"jahr": ["zwei"]},
        "Parameter 'jahr': 'zwei' ist kein gültiger Wert für Feld 'jahr' (Typ year); Beispiel: 2015",
    ),
    (
        {"jahr": ["２０１６"]},
        "Parameter 'jahr': '２０１６' ist kein gültiger Wert für Feld 'jahr' (Typ year); enthält "
        "Zeichen außerhalb von ASCII (etwa Vollbreiten-Ziffern wie ２); nur die Ziffern 0-9 "
        "verwenden; Beispiel: 2015",
    ),
    (
        {"wert": [""]},
        "Parameter 'wert': '' ist kein gültiger Wert für Feld 'wert' (Typ number); leerer Wert; "
        "für leere Zellen feld__isnull=true verwenden; Beispiel: 14.6 (Punkt als Dezimalzeichen)",
    ),
    (
        {"wert__lt": ["14,6"]},
        "Parameter 'wert__lt': '14,6' ist kein gültiger Wert für Feld 'wert' (Typ number); "
        "Beispiel: 14.6 (Punkt als Dezimalzeichen)",
    ),
    (
        {"wert": ["1e400"]},
        "Parameter 'wert': '1e400' ist kein gültiger Wert für Feld 'wert' (Typ number): außerhalb "
        "des Zahlenbereichs; endliche Zahl, Betrag höchstens 1.7976931348623157e308",
    ),
    (
        {"stichtag": ["2023-02-30"]},
        "Parameter 'stichtag': '2023-02-30' ist kein gültiger Wert für Feld 'stichtag' (Typ date); "
        "kein Tag des Kalenders von 0001-01-01 bis 9999-12-31; Beispiel: 2023-12-31 (JJJJ-MM-TT)",
    ),
    (
        {"stichtag": ["31.12.2023"]},
        "Parameter 'stichtag': '31.12.2023' ist kein gültiger Wert für Feld 'stichtag' (Typ date); "
        "Beispiel: 2023-12-31 (JJJJ-MM-TT)",
    ),
    (
        {"anzahl__gt": [str(2**63)]},
        f"Parameter 'anzahl__gt': '{2**63}' ist kein gültiger Wert für Feld 'anzahl' "
        f"(Typ integer): außerhalb des Wertebereichs; ganze Zahl von {-(2**63)} bis {2**63 - 1}",
    ),
    (
        {"jahr__in": [f"2015,{2**31}"]},
        f"Parameter 'jahr__in': '{2**31}' ist kein gültiger Wert für Feld 'jahr' (Typ year): "
        f"außerhalb des Wertebereichs; ganze Zahl von {-(2**31)} bis {2**31 - 1}",
    ),
    (
        {"aktiv": ["vielleicht"]},
        "Parameter 'aktiv': 'vielleicht' ist kein gültiger Wert für Feld 'aktiv' (Typ boolean); "
        "Beispiel: true oder false",
    ),
    (
        {"kreis": ["a\x00b"]},
        "Parameter 'kreis': 'a\\x00b' ist kein gültiger Wert für Feld 'kreis' (Typ string): "
        "enthält das Zeichen NUL (U+0000), das nicht erlaubt ist",
    ),
    (
        {"kreis": ["x" * 1001]},
        f"Parameter 'kreis': {'x' * 40!r}… (1001 Zeichen) ist kein gültiger Wert für Feld 'kreis' "
        "(Typ string): zu lang; höchstens 1000 Zeichen",
    ),
    (
        {"wert__isnull": ["vielleicht"]},
        "Parameter 'wert__isnull': true oder false erwartet, nicht 'vielleicht'",
    ),
    (
        {"jahr__in": ["[[2015]]"]},
        "Parameter 'jahr__in': '[[2015]]' ist keine JSON-Liste; erwartet wie [\"a\", \"b\"] "
        "(Texte oder Zahlen, nicht verschachtelt)",
    ),
    (
        {"jahr__notin": [",".join(["2015"] * 1001)]},
        "Parameter 'jahr__notin': 1001 Werte in der Liste; höchstens 1000",
    ),
    (
        {"_sort": ["-gemeinde"]},
        f"_sort: unbekanntes Feld 'gemeinde'; Felder: {FIELDS} (mit '-' absteigend)",
    ),
    ({"_select": ["kreis,ort"]}, f"_select: unbekannte Felder ['ort']; Felder: {FIELDS}"),
    ({"_select": [","]}, f"_select: unbekannte Felder []; Felder: {FIELDS}"),
    ({"_size": ["0"]}, "_size: '0' ist ungültig; ganze Zahl von 1 bis 100 (Ziffern 0-9)"),
    ({"_size": ["101"]}, "_size: '101' ist ungültig; ganze Zahl von 1 bis 100 (Ziffern 0-9)"),
    ({"_size": ["１０"]}, "_size: '１０' ist ungültig; ganze Zahl von 1 bis 100 (Ziffern 0-9)"),
    ({"_shape": ["tabelle"]}, "_shape: 'tabelle' ist ungültig; 'objects' oder 'arrays'"),
    ({"_limit": ["5"]}, f"Unbekannter Parameter '_limit'; reservierte Parameter: {RESERVED}"),
]


@pytest.mark.parametrize(("params", "message"), ERRORS, ids=lambda v: str(v)[:60])
def test_each_invalid_parameter_is_named_in_german(
    params: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        _parse(params)
    assert str(raised.value) == message


# SQL: bound parameters only; the substring test is the one place the dialects differ


def _table() -> Table:
    return define_data_table("t", SCHEMA)


def _sql(params: Mapping[str, Sequence[str]], dialect: str) -> str:
    """The WHERE clause of the parsed filters, compiled for ``dialect`` (bound parameters).

    The values stay out of the text; those of a one-value filter are checked as bound.
    """
    chosen = postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()
    query = _parse(params)
    conditions = where_clause(_table(), query.filters, dialect)
    if not conditions:  # no filter: the statement gets no WHERE at all
        return ""
    compiled = and_(*conditions).compile(dialect=chosen)
    if len(query.filters) == 1 and query.filters[0].op not in {Op.ISNULL}:
        bound = [tuple(v) if isinstance(v, list) else v for v in compiled.params.values()]
        assert query.filters[0].value in bound, compiled.params
    return str(compiled)


SQL = [
    # params, SQLite, PostgreSQL
    ({"kreis": ["Köln"]}, "t.kreis = ?", "t.kreis = %(kreis_1)s::VARCHAR"),
    (
        {"jahr__not": ["2016"]},
        "t.jahr != ? OR t.jahr IS NULL",
        "t.jahr != %(jahr_1)s::INTEGER OR t.jahr IS NULL",
    ),
    (
        {"jahr__in": ["2015,2017"]},
        "t.jahr IN (__[POSTCOMPILE_jahr_1])",
        "t.jahr IN (__[POSTCOMPILE_jahr_1])",
    ),
    (
        {"kreis__notin": ["Köln,Bonn"]},
        "(t.kreis NOT IN (__[POSTCOMPILE_kreis_1])) OR t.kreis IS NULL",
        "(t.kreis NOT IN (__[POSTCOMPILE_kreis_1])) OR t.kreis IS NULL",
    ),
    ({"wert__gt": ["9.5"]}, "t.wert > ?", "t.wert > %(wert_1)s"),
    ({"anzahl__gte": ["50"]}, "t.anzahl >= ?", "t.anzahl >= %(anzahl_1)s::BIGINT"),
    ({"stichtag__lt": ["2017-01-01"]}, "t.stichtag < ?", "t.stichtag < %(stichtag_1)s::DATE"),
    ({"jahr__lte": ["2016"]}, "t.jahr <= ?", "t.jahr <= %(jahr_1)s::INTEGER"),
    (
        {"kreis__contains": ["ö"]},
        "instr(t.kreis, ?) > ?",
        "strpos(t.kreis, %(strpos_1)s::VARCHAR) > %(strpos_2)s::INTEGER",
    ),
    (
        {"monat__startswith": ["2016"]},
        "substr(t.monat, ?, ?) = ?",
        "substr(t.monat, %(substr_1)s::INTEGER, %(substr_2)s::INTEGER) = %(substr_3)s::VARCHAR",
    ),
    ({"wert__isnull": ["true"]}, "t.wert IS NULL", "t.wert IS NULL"),
    ({"wert__isnull": ["false"]}, "t.wert IS NOT NULL", "t.wert IS NOT NULL"),
    ({}, "", ""),
    (
        {"jahr__gte": ["2016"], "wert__lt": ["10"]},
        "t.jahr >= ? AND t.wert < ?",
        "t.jahr >= %(jahr_1)s::INTEGER AND t.wert < %(wert_1)s",
    ),
]


@pytest.mark.parametrize(("params", "on_sqlite", "on_postgres"), SQL, ids=lambda v: str(v)[:50])
def test_each_operator_compiles_to_bound_sql(
    params: dict[str, list[str]], on_sqlite: str, on_postgres: str
) -> None:
    assert _sql(params, "sqlite") == on_sqlite
    assert _sql(params, "postgresql") == on_postgres


def test_order_puts_null_first_ascending_and_last_descending_in_both_dialects() -> None:
    table = _table()
    keys = total_order(_parse({"_sort": ["-wert,jahr"]}), ["kreis", "jahr"])
    statement = rows_select(table, ["kreis"], where_clause(table, (), "sqlite"), keys)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        assert str(statement.compile(dialect=dialect)).endswith(
            "ORDER BY t.wert DESC NULLS LAST, t.jahr ASC NULLS FIRST, "
            "t.kreis ASC NULLS FIRST, t._row ASC"
        )
    # _row is the primary key (never NULL): a plain ASC orders it the same and lets
    # PostgreSQL walk its index instead of sorting the table (issue 17)
    assert table.c["_row"].primary_key


# Rows: the same filters run against real tables in SQLite and PostgreSQL


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, Table]]:
    """An engine and the table ``t`` holding ``ROWS``, on SQLite or on PostgreSQL."""
    folder, name = tmp_path_factory.mktemp("rules"), f"ods_query_rules_{os.getpid()}"
    with backend_database(request.param, folder, name) as url:
        engine = create_db_engine(url)
        table = _table()
        table.metadata.create_all(engine)
        columns = [c.name for c in table.columns]
        with engine.begin() as conn:
            conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in ROWS])
        try:
            yield engine, table
        finally:
            engine.dispose()


def _rows(loaded: tuple[Engine, Table], params: Mapping[str, Sequence[str]]) -> list[int]:
    """The ``_row`` numbers the parsed filters select, in file order."""
    engine, table = loaded
    query = _parse(params)
    condition = where_clause(table, query.filters, engine.dialect.name)
    keys = total_order(query, ["kreis", "jahr"])
    with engine.connect() as conn:
        found = conn.execute(rows_select(table, [ROW_COLUMN], condition, keys)).scalars().all()
        assert conn.execute(count_select(table, condition)).scalar_one() == len(found)
    return list(found)


SELECTED = [
    ({"kreis": ["Köln"]}, [1]),
    ({"jahr__not": ["2016"]}, [1, 4, 5]),
    ({"kreis__not": ["Köln"]}, [2, 3, 4, 5]),  # NULL is "not Köln"
    ({"jahr__in": ["2015,2017"]}, [1, 4]),
    ({"kreis__notin": ["Köln,Bonn"]}, [2, 4, 5]),  # NULL is not in the list
    ({"wert__gt": ["9.5"]}, [1, 4]),  # NULL compares to nothing
    ({"anzahl__gte": ["50"]}, [1, 2, 4]),
    ({"stichtag__lt": ["2017-01-01"]}, [1, 2]),
    ({"jahr__lte": ["2016"]}, [1, 2, 3]),
    ({"kreis__contains": ["ö"]}, [1]),
    ({"kreis__contains": ["K"]}, [1, 2]),
    ({"kreis__contains": ["k"]}, []),  # case-sensitive in both databases
    ({"monat__contains": ["-1"]}, [1, 2]),
    ({"monat__startswith": ["2016"]}, [2]),
    ({"kreis__startswith": ["Dü"]}, [4]),
    ({"wert__isnull": ["true"]}, [3]),
    ({"wert__isnull": ["false"]}, [1, 2, 4, 5]),
    ({"aktiv": ["true"]}, [1, 4]),
    ({"aktiv": ["false"]}, [2, 5]),
    ({"jahr__gte": ["2016"], "wert__lt": ["10"]}, [2, 5]),
    ({"jahr": ["2016", "2017"]}, []),  # repeated parameters are ANDed
    ({"_sort": ["wert"]}, [3, 5, 2, 1, 4]),  # NULL is the smallest value
    ({"_sort": ["-wert"]}, [4, 1, 2, 5, 3]),
    ({"_sort": ["-jahr"]}, [5, 4, 3, 2, 1]),  # ties broken by the primary key (kreis)
    ({"_sort": ["kreis"]}, [5, 3, 4, 2, 1]),
]


@pytest.mark.parametrize(("params", "expected"), SELECTED, ids=lambda v: str(v)[:50])
def test_each_operator_selects_the_same_rows_in_both_databases(
    loaded: tuple[Engine, Table], params: dict[str, list[str]], expected: list[int]
) -> None:
    assert _rows(loaded, params) == expected


def test_distinct_values_are_counted_most_frequent_first(loaded: tuple[Engine, Table]) -> None:
    engine, table = loaded
    condition = where_clause(table, _parse({"jahr__gte": ["2016"]}).filters, engine.dialect.name)
    with engine.connect() as conn:
        assert conn.execute(values_select(table, "jahr", condition)).all() == [
            (2016, 2),
            (2017, 1),
            (2018, 1),
        ]


@pytest.mark.parametrize("sort", [[], ["wert"], ["-wert"], ["-jahr,kreis"], ["aktiv,-stichtag"]])
def test_keyset_pages_visit_every_row_once_in_order(
    loaded: tuple[Engine, Table], sort: list[str]
) -> None:
    """Pages of two rows, each after the cursor of the last: the same rows as one query."""
    engine, table = loaded
    query = _parse({"_sort": sort} if sort else {})
    keys = total_order(query, ["kreis", "jahr"])
    condition = where_clause(table, (), engine.dialect.name)
    types = {spec.name: spec.type for spec in SPECS}
    print_ = fingerprint(table.name, (), keys)
    wanted = [ROW_COLUMN]
    seen: list[int] = []
    cursor: list[Any] | None = None
    with engine.connect() as conn:
        everything = conn.execute(rows_select(table, wanted, condition, keys)).scalars().all()
        while True:
            after = keyset_condition(table, keys, cursor, engine.dialect.name) if cursor else None
            where = condition if after is None else (after,)
            page = conn.execute(rows_select(table, wanted, where, keys).limit(2)).all()
            if not page:
                break
            seen += [row[0] for row in page]
            last = page[-1]._mapping
            token = encode_cursor([last[k.field] for k in keys], print_)
            cursor = decode_cursor(token, keys, types, print_)
    assert seen == list(everything)
    assert sorted(seen) == [1, 2, 3, 4, 5]


# Cursors and query identity


def test_fingerprint_ignores_the_order_of_filters_and_list_items() -> None:
    keys = (SortKey("jahr"), SortKey(ROW_COLUMN))
    one = _parse({"jahr__in": ["2015,2017"], "kreis": ["Köln"]}).filters
    other = _parse({"kreis": ["Köln"], "jahr__in": ["2017,2015,2017"]}).filters
    assert fingerprint("t", one, keys) == fingerprint("t", other, keys)
    assert fingerprint("t", one, keys) != fingerprint("u", one, keys)
    assert fingerprint("t", one, keys) != fingerprint("t", one, keys[::-1])
    assert fingerprint("t", one, keys) != fingerprint("t", one[:1], keys)


INVALID = (
    "_cursor ist ungültig oder gehört zu einer anderen Abfrage; den Link 'next' der vorigen "
    "Seite unverändert verwenden oder ohne _cursor neu beginnen"
)


@pytest.mark.parametrize(
    ("values", "print_", "message"),
    [
        ([2016, 3], "other-query", INVALID),  # a cursor of another query
        (["2016", 3], "q", INVALID),  # a year as text
        ([2**31, 3], "q", INVALID),  # beyond the column's range
        ([2016], "q", INVALID),  # one value short
    ],
)
def test_cursor_of_another_query_or_type_is_refused(
    values: list[Any], print_: str, message: str
) -> None:
    keys = (SortKey("jahr"), SortKey(ROW_COLUMN))
    types = {spec.name: spec.type for spec in SPECS}
    assert decode_cursor(encode_cursor([2016, 3], "q"), keys, types, "q") == [2016, 3]
    with pytest.raises(InvalidParameter) as raised:
        decode_cursor(encode_cursor(values, print_), keys, types, "q")
    assert str(raised.value) == message
    with pytest.raises(InvalidParameter, match="_cursor ist mit 16385 Zeichen zu lang"):
        decode_cursor("A" * 16_385, keys, types, "q")
    with pytest.raises(InvalidParameter, match="_cursor ist ungültig"):
        decode_cursor("kein Token!", keys, types, "q")
