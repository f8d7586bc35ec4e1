"""Documented JSON bodies of the API: what the OpenAPI document promises, field by field.

TypedDicts cost nothing at run time (the handlers still build plain dicts) but give the OpenAPI
document real schemas, which the contract test (``tests/test_contract.py``) checks every
response against.
"""

from typing import Any, Literal, TypedDict


class RowsPageBody(TypedDict):
    """One page of rows (``GET …/rows``)."""

    dataset: str
    resource: str
    release: int
    columns: list[str]
    total: int
    size: int
    rows: list[dict[str, Any]] | list[list[Any]]
    next: str | None
    next_cursor: str | None


class ValueCount(TypedDict):
    """A distinct value of a field and how many rows carry it."""

    value: Any
    count: int


class ValuesBody(TypedDict):
    """Distinct values of one field under the filters (``GET …/values/{field}``)."""

    dataset: str
    resource: str
    release: int
    field: str
    values: list[ValueCount]


class LiveBody(TypedDict):
    """Liveness: the process answers."""

    status: Literal["ok"]


class ReadyBody(TypedDict):
    """Readiness: the database answers and this release is served."""

    status: Literal["ok"]
    release: int
