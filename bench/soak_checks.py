"""Completeness checks of downloads and the classification of answers, for bench/soak.py.

Pure functions over bytes and headers: each check returns ``None`` for a complete download or a
short reason why it is not (the soak counts those as truncated).
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

DOCUMENTED_503 = frozenset({"database-unavailable", "exports-busy", "query-timeout"})
"""The 503 problem types the documentation promises under load; any other 5xx is a failure."""
PAGE_503 = {
    "Alle Datenbankverbindungen sind gerade belegt.": "database-unavailable",
    "Die Datenbank antwortet nicht.": "database-unavailable (antwortet nicht)",
}
"""The detail of the HTML 503 page, by the problem type it stands for (web/page_errors.py)."""


@dataclass(frozen=True, slots=True)
class Expected:
    """What a complete download holds: its row count (``None``: unknown) or its exact bytes."""

    rows: int | None = None
    sha256: str | None = None


def problem_code(status: int, content_type: str, body: bytes) -> str:
    """The problem type of an error answer (``type`` of problem+json; the page's detail)."""
    if "json" in content_type:
        try:
            document = json.loads(body)
        except ValueError:
            return f"{status} (kein JSON)"
        kind = str(document.get("type", "")) if isinstance(document, dict) else ""
        return kind.rsplit("/", 1)[-1] or f"{status} (ohne type)"
    text = body.decode("utf-8", "replace")
    for detail, code in PAGE_503.items():
        if detail in text:
            return code
    return f"{status} (Seite)"


def is_documented_503(code: str) -> bool:
    """Whether ``code`` (from :func:`problem_code`) is one of the documented 503 types."""
    return code.split(" ", 1)[0] in DOCUMENTED_503


def length_problem(headers: Mapping[str, str], received: int) -> str | None:
    """A body shorter or longer than its ``Content-Length``."""
    declared = headers.get("content-length")
    if declared is not None and int(declared) != received:
        return f"Content-Length {declared}, erhalten {received}"
    return None


def wanted_rows(headers: Mapping[str, str], expected: Expected) -> int | None:
    """Rows a complete export holds: ``X-Row-Count`` if sent, else the known count."""
    declared = headers.get("x-row-count")
    return int(declared) if declared is not None else expected.rows


def count_rows(kind: str, body: bytes) -> int:
    """Data rows of an export body (header row excluded); raises on a malformed body."""
    if kind in {"csv", "excel-de"}:
        text = body.decode("utf-8-sig")
        if text and not text.endswith("\n"):
            raise ValueError("CSV endet mitten in einer Zeile")
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=";" if kind == "excel-de" else ",", strict=True
        )
        return sum(1 for _ in reader) - 1
    if kind == "json":
        rows = json.loads(body)
        if not isinstance(rows, list):
            raise ValueError("JSON ist keine Liste")
        return len(rows)
    if kind == "ndjson":
        lines = body.decode("utf-8").split("\n")
        if lines[-1] != "":
            raise ValueError("NDJSON endet ohne Zeilenende")
        for line in lines[:-1]:
            json.loads(line)
        return len(lines) - 1
    if kind == "xlsx":
        return xlsx_rows(body)
    raise ValueError(f"unbekanntes Format {kind}")


SHEET = re.compile(rb'<sheet [^>]*name="Daten"[^>]*r:id="([^"]+)"')
SMALL_XLSX = 256 << 10
"""Workbooks up to this size are also opened and read whole with openpyxl (0.5 s per MB)."""


def xlsx_rows(body: bytes) -> int:
    """Data rows of the ``Daten`` sheet of a workbook.

    Every member's CRC is checked and the sheet's ``<row`` elements are counted; a small workbook
    is also opened and read with openpyxl, which must find the same rows.
    """
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        broken = archive.testzip()
        if broken is not None:
            raise ValueError(f"XLSX: {broken} beschädigt")
        found = SHEET.search(archive.read("xl/workbook.xml"))
        if found is None:
            raise ValueError("XLSX: kein Blatt Daten")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        target = re.search(rf'Id="{found.group(1).decode()}"[^>]*Target="([^"]+)"', rels)
        if target is None:
            target = re.search(rf'Target="([^"]+)"[^>]*Id="{found.group(1).decode()}"', rels)
        if target is None:
            raise ValueError("XLSX: Blatt Daten ohne Ziel")
        sheet = archive.read("xl/" + target.group(1).removeprefix("/xl/"))
        rows = sheet.count(b"<row ") + sheet.count(b"<row>") - 1
    if len(body) <= SMALL_XLSX:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(body), read_only=True)
        try:
            read = sum(1 for _ in workbook["Daten"].iter_rows(values_only=True)) - 1
        finally:
            workbook.close()
        if read != rows:
            raise ValueError(f"XLSX: openpyxl liest {read} Zeilen, das Blatt hat {rows}")
    return rows


def export_problem(
    kind: str, headers: Mapping[str, str], body: bytes, received: int, expected: Expected
) -> str | None:
    """Why a download is incomplete (``None`` when it is complete).

    ``body`` is decoded (no content-coding), ``received`` the bytes that came over the wire.
    """
    reason = length_problem(headers, received)
    if reason is not None:
        return reason
    if kind == "original":
        digest = hashlib.sha256(body).hexdigest()
        return None if digest == expected.sha256 else f"Originaldatei: sha256 {digest[:12]}…"
    rows = wanted_rows(headers, expected)
    try:
        found = count_rows(kind, body)
    except (ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile, KeyError) as exc:
        return f"{kind} unlesbar: {type(exc).__name__}: {str(exc)[:80]}"
    if rows is not None and found != rows:
        return f"{kind}: {found} Zeilen statt {rows}"
    return None


HEAD_END = re.compile(rb"\r\n\r\n")


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status and lower-cased headers of a raw HTTP/1.1 response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers
