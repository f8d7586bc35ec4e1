"""The region API's answers: JSON bodies with their links (downloads: ``region_exports``).

Numbers are spelled as everywhere in the API (``formats/formatting.py``): an integral ``number``
without decimals, any other as stored. Every link is built by ``Urls``.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from opendata_sozial.formats.formatting import plain_number
from opendata_sozial.services.indicators import RegionTable
from opendata_sozial.services.region_directory import Region
from opendata_sozial.services.region_neighbours import compare_keys
from opendata_sozial.services.regions import (
    Comparison,
    Indicator,
    IndicatorProfile,
    PeerStats,
    Point,
    RegionDetail,
    RegionPage,
    RegionProfile,
    indicator_id,
)
from opendata_sozial.urls import Urls


def _number(value: float | int | None) -> float | int | None:
    return plain_number(value) if isinstance(value, float) else value


def _filter_value(value: Any) -> str:  # noqa: ANN401  # a cell of any field type
    return value.isoformat() if isinstance(value, date) else str(value)


def region_ref(region: Region, urls: Urls) -> dict[str, Any]:
    """A region as one line: key, name, level, kind, parent and its URL."""
    return {
        "key": region.key,
        "name": region.name,
        "level": region.level,
        "kind": region.kind,
        "parent": region.parent,
        "valid_to": region.valid_to,
        "url": urls.region(region.key),
    }


def search_body(page: RegionPage, urls: Urls) -> dict[str, Any]:
    """A page of search hits with ``self``/``next``/``prev`` links."""
    query = page.query
    params: dict[str, str | int] = {
        k: v for k, v in (("q", query.q), ("ebene", query.level), ("parent", query.parent)) if v
    }
    pages = -(-page.total // query.size)

    def at(number: int) -> str:
        return urls.regions(**params, _size=query.size, page=number)

    return {
        "release": page.release,
        "total": page.total,
        "page": query.page,
        "size": query.size,
        "pages": pages,
        "regions": [{**region_ref(hit.region, urls), "matched": hit.matched} for hit in page.hits],
        "links": {
            "self": at(query.page),
            "next": at(query.page + 1) if query.page < pages else None,
            "prev": at(query.page - 1) if query.page > 1 else None,
        },
    }


def region_body(
    detail: RegionDetail, urls: Urls, neighbours: Sequence[Region] = ()
) -> dict[str, Any]:
    """A region with names, parents, children, neighbours, successor, datasets and links.

    ``links.compare_neighbours`` compares the place with its first neighbours (10 at most).
    """
    region = detail.region
    return {
        "release": detail.release,
        **region_ref(region, urls),
        "valid_from": region.valid_from,
        "successor": region_ref(detail.successor, urls) if detail.successor else None,
        "names": [{"name": name, "context": context} for name, context in detail.names],
        "parents": [region_ref(p, urls) for p in detail.parents],
        "children": [region_ref(c, urls) for c in detail.children],
        "neighbours": [region_ref(n, urls) for n in neighbours],
        "datasets": [
            {
                "dataset": h.table.dataset,
                "title": h.table.title,
                "resource": h.table.resource,
                "field": h.table.key_field,
                "rows": h.rows,
                "url": urls.dataset(h.table.dataset),
                "rows_url": urls.rows(
                    h.table.dataset, h.table.resource, [(h.table.key_field, region.key)]
                ),
            }
            for h in detail.holdings
        ],
        "links": {
            "self": urls.region(region.key),
            "profile": urls.region_profile(region.key),
            "profile_csv": urls.region_profile(region.key, ".csv"),
            "profile_xlsx": urls.region_profile(region.key, ".xlsx"),
            "compare_neighbours": (
                urls.region_compare(compare_keys(region, neighbours)) if neighbours else None
            ),
            "search": urls.regions(),
        },
    }


def _point(point: Point) -> dict[str, Any]:
    return {"period": point.period, "value": _number(point.value), "status": point.status}


def _stats(stats: PeerStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "level": stats.level,
        "period": stats.period,
        "count": stats.count,
        "rank": stats.rank,
        "min": _number(stats.minimum),
        "median": _number(stats.median),
        "max": _number(stats.maximum),
    }


def indicator_rows_url(indicator: Indicator, key: str | None, urls: Urls) -> str:
    """The rows API URL that returns exactly this indicator's rows for the place ``key``.

    ``key`` ``None``: the indicator's rows of every place.
    """
    table = indicator.table
    filters = [(table.key_field, key)] if key is not None else []
    for name, value in indicator.dimensions:
        filters.append(
            (name, _filter_value(value)) if value is not None else (f"{name}__isnull", "true")
        )
    if table.unit_field is not None:
        unit = indicator.unit
        filters.append(
            (table.unit_field, unit)
            if unit is not None
            else (f"{table.unit_field}__isnull", "true")
        )
    return urls.rows(table.dataset, table.resource, filters)


def table_names(table: RegionTable) -> dict[str, str]:
    """The names of a region table as the region API spells them: dataset, title, resource."""
    return {"dataset": table.dataset, "title": table.title, "resource": table.resource}


def _indicator(indicator: Indicator, key: str, urls: Urls) -> dict[str, Any]:
    table = indicator.table
    return {
        "id": indicator_id(indicator),
        **table_names(table),
        "label": indicator.label,
        "dimensions": dict(indicator.dimensions),
        "unit": indicator.unit,
        "period_field": table.period,
        "links": {
            "dataset": urls.dataset(table.dataset),
            "rows": indicator_rows_url(indicator, key, urls),
        },
    }


def _indicator_profile(item: IndicatorProfile, key: str, urls: Urls) -> dict[str, Any]:
    return {
        **_indicator(item.indicator, key, urls),
        "latest": _point(item.latest),
        "series": [_point(p) for p in item.series],
        "parents": [
            {**region_ref(region, urls), **_point(point)} for region, point in item.parents
        ],
        "peers": _stats(item.peers),
    }


def profile_body(profile: RegionProfile, urls: Urls) -> dict[str, Any]:
    """Every indicator of a place with series, parents and peers."""
    key = profile.region.key
    return {
        "release": profile.release,
        "region": region_ref(profile.region, urls),
        "parents": [region_ref(p, urls) for p in profile.parents],
        "indicators": [_indicator_profile(i, key, urls) for i in profile.indicators],
        "links": {
            "self": urls.region_profile(key),
            "csv": urls.region_profile(key, ".csv"),
            "csv_excel": urls.region_profile(key, ".csv", profile="excel-de"),
            "xlsx": urls.region_profile(key, ".xlsx"),
            "region": urls.region(key),
        },
    }


def compare_body(comparison: Comparison, urls: Urls) -> dict[str, Any]:
    """The shared indicators, one figure per place in the order of ``keys``."""
    keys = [r.key for r in comparison.regions]
    return {
        "release": comparison.release,
        "regions": [region_ref(r, urls) for r in comparison.regions],
        "indicators": [
            {
                **_indicator(indicator, keys[0], urls),
                "period": period,
                "values": [
                    {"key": k, **_point(p), "rows": indicator_rows_url(indicator, k, urls)}
                    for k, p in zip(keys, points, strict=True)
                ],
            }
            for indicator, period, points in comparison.indicators
        ],
        "links": {
            "self": urls.region_compare(keys),
            "csv": urls.region_compare(keys, ".csv"),
            "csv_excel": urls.region_compare(keys, ".csv", profile="excel-de"),
            "xlsx": urls.region_compare(keys, ".xlsx"),
        },
    }
