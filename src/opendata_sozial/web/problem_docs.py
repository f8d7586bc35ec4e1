"""Document the problem responses (RFC 9457) of the JSON API in the OpenAPI document.

Litestar documents a generic ``400`` with its own ``ValidationException`` body for every
operation, which our API never sends: every error is ``application/problem+json``
(``web/problems.py``). ``ProblemDocsPlugin`` replaces that, on start-up, with the problems an
operation under ``/api/v1/`` or ``/health/`` can really answer, so that clients (and the
contract test) can rely on the document for errors too.
"""

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.plugins import InitPlugin

PROBLEM_MEDIA = "application/problem+json"
DOCUMENTED_PREFIXES = ("/api/v1/", "/health/")
PROBLEMS = {
    400: "Ungültiger Parameter (`invalid-parameter`, `bad-request`)",
    404: "Datensatz, Ressource oder Pfad unbekannt",
    414: "Adresse zu lang (`uri-too-long`)",
    429: "Zu viele Anfragen (`rate-limited`), mit `Retry-After` und `RateLimit`",
    500: "Unerwarteter Fehler (`internal-error`), ohne Interna",
    503: "Nichts veröffentlicht, Datenbank nicht erreichbar oder Zeitlimit der Abfrage "
    "überschritten, mit `Retry-After`",
}
PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail", "instance"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="URI des Problemtyps"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING, description="Was falsch war, was gültig ist"),
        "instance": Schema(type=OpenAPIType.STRING, description="Pfad der Anfrage"),
    },
    description="RFC 9457 Problem Details",
)
_RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING), description="Sekunden bis zum nächsten Versuch"
)


def _problem_response(status: int) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] | None = (
        {"Retry-After": _RETRY_AFTER} if status in {429, 503} else None
    )
    return OpenAPIResponse(
        description=PROBLEMS[status],
        content={PROBLEM_MEDIA: OpenAPIMediaType(schema=Reference("#/components/schemas/Problem"))},
        headers=headers,
    )


def _operations(openapi: OpenAPI) -> list[Operation]:
    operations = []
    for path, item in (openapi.paths or {}).items():
        if f"{path}/".startswith(DOCUMENTED_PREFIXES):
            operations += [op for op in (item.get, item.head, item.post) if op is not None]
    return operations


def document_problems(openapi: OpenAPI) -> None:
    """Give every JSON API operation its problem responses (idempotent)."""
    openapi.components.schemas["Problem"] = PROBLEM_SCHEMA
    for operation in _operations(openapi):
        responses = operation.responses or {}
        responses.update({str(status): _problem_response(status) for status in PROBLEMS})
        operation.responses = responses


class ProblemDocsPlugin(InitPlugin):
    """Wires :func:`document_problems` in: it runs on start-up, once the routes are known."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Document the problems when the app starts."""

        def document(app: Litestar) -> None:
            document_problems(app.openapi_schema)

        app_config.on_startup.append(document)
        return app_config
