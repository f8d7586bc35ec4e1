"""„Daten nutzen“: ready-to-run snippets for curl, Python (pandas) and R.

The canonical CSV is UTF-8 with ``,`` as separator and ``.`` as decimal sign; only an empty cell
is missing (``missingValues: [""]``). Text columns that could look like numbers (region keys
such as ``05111``, status symbols such as ``0``, footnote markers) are read as text, so that
leading zeros and symbols survive: every ``string`` field without ``categories``, every status
column and every field whose categories are all digits.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from opendata_sozial.model.dataset import Resource


@dataclass(frozen=True, slots=True)
class Snippet:
    """One code example: an id for anchors, a heading, the language and the code."""

    id: str
    title: str
    language: str
    code: str


def text_fields(table: Resource) -> list[str]:
    """Fields a CSV reader must keep as text (see the module docstring)."""
    names = []
    for field in table.fields:
        if field.type != "string":
            continue
        categories = field.categories or ()
        if not categories or field.name.endswith("_status") or all(c.isdigit() for c in categories):
            names.append(field.name)
    return names


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _curl(original_url: str, rows_url: str, example: Sequence[tuple[str, str]], file: str) -> str:
    query = urlencode([*example, ("_size", "10")])
    return (
        "# Originaldatei speichern (CSV, UTF-8, Komma, Dezimalpunkt)\n"
        f"curl -fL -o {file} '{original_url}'\n\n"
        "# Gefilterte Zeilen als JSON abfragen\n"
        f"curl -fsS '{rows_url}?{query}'"
    )


VARIANT = "# Variante für deutsches Excel (Semikolon, Dezimalkomma, BOM):"
"""Opens the commented second read of a snippet (the ``excel-de`` CSV)."""
TEXT_COMMENT = (
    "# Textspalten als Text lesen (Table Schema), damit Schlüssel wie 05111\n"
    "# ihre führende Null und Zeichen wie 0 oder - ihre Bedeutung behalten\n"
)


def _pandas(original_url: str, excel_url: str, text: Sequence[str]) -> str:
    dtype = ", ".join(f"{_quoted(name)}: {_quoted('string')}" for name in text)
    return (
        "import pandas as pd\n\n"
        f"{TEXT_COMMENT}"
        f"text = {{{dtype}}}\n\n"
        f"url = {_quoted(original_url)}\n"
        "daten = pd.read_csv(\n"
        "    url,\n"
        '    sep=",",\n'
        '    decimal=".",\n'
        '    encoding="utf-8",\n'
        "    keep_default_na=False,\n"
        '    na_values=[""],\n'
        "    dtype=text,\n"
        ")\n\n"
        f"{VARIANT}\n"
        f"# url_excel = {_quoted(excel_url)}\n"
        "# daten = pd.read_csv(\n"
        "#     url_excel,\n"
        '#     sep=";",\n'
        '#     decimal=",",\n'
        '#     encoding="utf-8-sig",\n'
        "#     keep_default_na=False,\n"
        '#     na_values=[""],\n'
        "#     dtype=text,\n"
        "# )"
    )


def _r(original_url: str, excel_url: str, text: Sequence[str]) -> str:
    classes = ", ".join(f'{name} = "character"' for name in text)
    declare = f"{TEXT_COMMENT}text <- c({classes})\n\n" if text else ""
    col_classes = ",\n  colClasses = text" if text else ""
    excel_classes = ", colClasses = text" if text else ""
    return (
        f"{declare}"
        f"url <- {_quoted(original_url)}\n"
        "daten <- read.csv(\n"
        "  url,\n"
        '  sep = ",",\n'
        '  dec = ".",\n'
        '  na.strings = "",\n'
        '  encoding = "UTF-8"'
        f"{col_classes}\n"
        ")\n\n"
        f"{VARIANT}\n"
        f"# url_excel <- {_quoted(excel_url)}\n"
        f'# daten <- read.csv2(url_excel, fileEncoding = "UTF-8-BOM", na.strings = ""{excel_classes})'
    )


def usage_snippets(
    *,
    resource: str,
    table: Resource,
    original_url: str,
    rows_url: str,
    excel_url: str,
    example: Sequence[tuple[str, str]] = (),
) -> list[Snippet]:
    """curl, pandas and R snippets for one resource; ``example`` is a filter for the query."""
    text = text_fields(table)
    return [
        Snippet(
            "nutzen-curl",
            "Kommandozeile (curl)",
            "shell",
            _curl(original_url, rows_url, example, f"{resource}.csv"),
        ),
        Snippet(
            "nutzen-python", "Python (pandas)", "python", _pandas(original_url, excel_url, text)
        ),
        Snippet("nutzen-r", "R", "r", _r(original_url, excel_url, text)),
    ]
