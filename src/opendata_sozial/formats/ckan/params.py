"""Request data of the CKAN Action API: CKAN's validators and error objects, framework-free."""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

_TRUE: Final = frozenset({"true", "yes", "on", "y", "t", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "n", "f", "0", ""})


# Errors


class ActionError(Exception):
    """An action failed the way CKAN reports it: HTTP status and the ``error`` object."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        """Keep status and error object; the message is the error as text."""
        super().__init__(json.dumps(error, ensure_ascii=False))
        self.status = status
        self.error = error


def not_found(detail: str) -> ActionError:
    """404 ``Not Found Error``, CKAN's message with our detail after a colon."""
    return ActionError(404, {"__type": "Not Found Error", "message": f"Nicht gefunden: {detail}"})


def invalid(field: str, message: str) -> ActionError:
    """409 ``Validation Error`` with CKAN's ``{field: [message]}`` shape."""
    return ActionError(409, {"__type": "Validation Error", field: [message]})


@dataclass(frozen=True, slots=True)
class Answer:
    """Status and JSON body of one Action API call."""

    status: int
    body: Any


# Parameters


class Params:
    """The request's data dict with CKAN's validators (``Validation Error`` on bad values)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        """Wrap ``data`` (query parameters or the JSON body)."""
        self._data = data

    def has(self, key: str) -> bool:
        """Whether the request names ``key`` at all."""
        return key in self._data

    def text(self, key: str, default: str = "") -> str:
        """A string; numbers are accepted as their text."""
        value = self._data.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise invalid(key, "Muss ein Text sein")

    def required(self, key: str) -> str:
        """A non-empty string (``Fehlender Wert`` otherwise)."""
        value = self.text(key)
        if not value:
            raise invalid(key, "Fehlender Wert")
        return value

    def integer(self, key: str, default: int) -> int:
        """An integer, given as number or text."""
        value = self._data.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,18}\s*", value):
            return int(value)
        raise invalid(key, "Ungültige Ganzzahl")

    def natural(self, key: str, default: int) -> int:
        """An integer of 0 or more."""
        value = self.integer(key, default)
        if value < 0:
            raise invalid(key, "Muss eine natürliche Zahl sein")
        return value

    def flag(self, key: str, *, default: bool = False) -> bool:
        """A boolean: ``true``/``false`` and CKAN's other spellings."""
        value = self._data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        raise invalid(key, "Muss ein Wahrheitswert sein (true oder false)")

    def strings(self, key: str) -> list[str]:
        """A list of strings: a JSON list (also as text), or one plain string."""
        value = self._data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str) and value.lstrip().startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                raise invalid(key, "Kein gültiges JSON") from None
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list):
            raise invalid(key, "Keine Liste")
        if not all(isinstance(v, str) for v in values):
            raise invalid(key, "Jeder Eintrag muss ein Text sein")
        return values


def page(items: Sequence[Any], params: Params) -> list[Any]:
    """``items`` from ``offset``, at most ``limit`` of them when ``limit`` is given."""
    offset = params.natural("offset", 0)
    if not params.has("limit"):
        return list(items[offset:])
    return list(items[offset : offset + params.natural("limit", 0)])
