"""Recall@3 of the dataset search on the relevance set, on SQLite and PostgreSQL.

``python bench/search_relevance.py`` publishes datapackages/ into a fresh SQLite file and a fresh
PostgreSQL database (``BENCH_POSTGRES_URL``, skipped if none answers), asks the API every query of
``tests/data/search_relevance.yaml`` through the in-process test client, prints the Markdown
section for docs/benchmarks.md and writes ``var/bench/search_relevance.json``. ``bench/run.py``
calls ``measure()`` so that ``make bench`` reports the same numbers.
"""

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.relevance import TOP, Report, evaluate, load_cases  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_NAME = "ods_bench_search"


def _publish(url: str) -> None:
    from opendata_sozial.catalog import load_catalog
    from opendata_sozial.db.engine import create_db_engine
    from opendata_sozial.services.publish import publish

    engine = create_db_engine(url)
    try:
        packages = ROOT / "datapackages"
        catalog = load_catalog(ROOT / "catalog" / "catalog.yaml")
        publish([packages], engine=engine, catalog=catalog, reference_dirs=[packages])
    finally:
        engine.dispose()


def _run(url: str) -> Report:
    from litestar.testing import TestClient

    from opendata_sozial.config import Settings
    from opendata_sozial.web.app import create_app

    settings = Settings(
        database_url=url,
        catalog_file=ROOT / "catalog" / "catalog.yaml",
        search_concepts_file=ROOT / "catalog" / "search-concepts.yaml",
        rate_limit_requests=0,
    )
    with TestClient(create_app(settings)) as client:

        def search(q: str) -> tuple[Sequence[str], str | None]:
            body = client.get("/api/v1/datasets", params={"q": q, "_size": 10}).json()
            hint = body["hint"]["concept"] if body["hint"] else None
            return [d["name"] for d in body["datasets"]], hint

        return evaluate(load_cases(), search)


def _postgres() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    except psycopg.OperationalError:
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"


def _drop_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def _summary(report: Report) -> dict[str, Any]:
    with_data = [o for o in report.outcomes if o.case.expected]
    return {
        "queries": len(report.outcomes),
        "pairs": sum(len(o.case.expected) for o in report.outcomes),
        "recall_at_3": report.recall,
        "first_right": sum(o.is_first_right for o in with_data),
        "queries_with_datasets": len(with_data),
        "hints_right": sum(o.is_first_right for o in report.outcomes if not o.case.expected),
        "queries_without_dataset": len(report.outcomes) - len(with_data),
        "failures": report.failures(),
    }


def measure() -> dict[str, Any]:
    """Recall@3 and first-hit counts per database (PostgreSQL only if a server answers)."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'search.sqlite'}"
        _publish(url)
        results["sqlite"] = _summary(_run(url))
    pg = _postgres()
    if pg is not None:
        try:
            _publish(pg)
            results["postgresql"] = _summary(_run(pg))
        finally:
            _drop_postgres()
    return results


def markdown(results: dict[str, Any]) -> str:
    """The section of docs/benchmarks.md."""
    rows = [
        f"| {name} | {r['queries']} | {r['pairs']} | {r['recall_at_3']:.3f} | "
        f"{r['first_right']} of {r['queries_with_datasets']} | "
        f"{r['hints_right']} of {r['queries_without_dataset']} |"
        for name, r in (
            ("SQLite", results.get("sqlite")),
            ("PostgreSQL", results.get("postgresql")),
        )
        if r
    ]
    misses = sorted({f for r in results.values() for f in r["failures"]})
    missed = "\n".join(f"- {m}" for m in misses) or "- none"
    return f"""## Search relevance (issue 15)

The relevance set `tests/data/search_relevance.yaml`: real queries of planners, journalists and
researchers, each with the datasets that must be among the first {TOP} hits, and queries for
topics without a dataset, which must find nothing and answer with the concept list's hint.
recall@{TOP} = expected datasets found in the first {TOP} hits / all expected datasets. Targets:
recall@{TOP} ≥ 0.95, every query with datasets has one of them first. Measured by
`bench/search_relevance.py` through the API; `tests/test_search_relevance.py` asserts the same
targets on both databases.

| database | queries | expected pairs | recall@{TOP} | first hit right | hint right (no dataset) |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Cases not fully met:

{missed}
"""


def main() -> None:
    results = measure()
    out = ROOT / "var" / "bench" / "search_relevance.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    sys.stdout.write(markdown(results))


if __name__ == "__main__":
    main()
