"""Make the OpenAPI document (``/schema/openapi.json``) say what the server really answers.

Litestar derives the document from the handlers, and for some of them it guesses wrong: every
operation gets a generic ``400`` with its own ``ValidationException`` body, which we never send;
handlers that return ``Response[bytes]`` or ``dict[str, Any]`` are declared ``application/json``
with no schema; and the release-pinned URLs (``/api/v1/releases/{number}/datasets/…``, served by
``ReleasePinningLitestar`` in ``web/releases.py`` before routing) are not routes at all.
``ProblemDocsPlugin`` corrects the document once on start-up, so that a client generated from it,
and the contract test (``tests/test_contract.py``), can rely on it:

- every error as ``application/problem+json`` (``web/problems.py``), and the CKAN Action API's
  errors in CKAN's envelope;
- the RDF media types of the DCAT URLs, the ``303`` of ``/datasets/{name}``, the four media types
  of a citation;
- schemas of the dataset body and the Data Package descriptor;
- every ``/api/v1/datasets…`` operation again under ``/api/v1/releases/{number}``.
"""

import copy
from typing import Final

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.enums import ParamType
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    Reference,
    Schema,
)
from litestar.plugins import InitPlugin

from opendata_sozial.formats.citation import STYLE_MEDIA
from opendata_sozial.media import JSON_LD, RDF_XML, TURTLE
from opendata_sozial.urls import PINNABLE_PREFIX, pinned_template

PROBLEM_MEDIA = "application/problem+json"
JSON = "application/json"
CKAN_PREFIXES = ("/api/3", "/api/action/")
PINNED_NUMBER_MAX = 999_999_999
"""The largest release number a pinned URL may carry (nine digits, ``web/releases.py``)."""
PROBLEMS: Final = {
    400: "Ungültiger Parameter (`invalid-parameter`)",
    404: "Datensatz, Ressource, Release oder Pfad unbekannt",
    414: "Adresse zu lang (`uri-too-long`)",
    429: "Zu viele Anfragen (`rate-limited`), mit `Retry-After` und `RateLimit`",
    431: "Kopfzeilen zu groß oder zu viele (`headers-too-large`)",
    500: "Unerwarteter Fehler (`internal-error`), ohne Interna",
    503: "Nichts veröffentlicht, Datenbank nicht erreichbar oder alle Verbindungen belegt, "
    "Zeitlimit der Abfrage überschritten oder Exporte ausgelastet (`exports-busy`), mit "
    "`Retry-After`",
}
UNLIMITED = (429,)
"""Problems ``/health/*`` never answers: it is not rate limited."""
CKAN_ERRORS: Final = {
    400: 'Unbekannte Aktion oder unlesbare Anfrage (CKANs `"Bad request - …"`) oder '
    "ungültige Suchanfrage (`Search Query Error`)",
    404: "Unbekanntes Objekt oder unbekannter Pfad (`Not Found Error`)",
    405: "Methode nicht erlaubt",
    409: "Ungültige Parameter (`Validation Error`, `Search Error`)",
}
CITATION_MEDIA = tuple(STYLE_MEDIA.values())

_STRING = Schema(type=OpenAPIType.STRING)
_TEXT = Schema(type=OpenAPIType.STRING, description="Dokument als Text")
_ANY_JSON = Schema(description="JSON-Dokument")
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
CKAN_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["help", "success"],
    properties={
        "help": Schema(type=OpenAPIType.STRING, description="Hilfe zur Aktion (help_show)"),
        "success": Schema(type=OpenAPIType.BOOLEAN),
        "result": Schema(description="Ergebnis der Aktion (nur bei success = true)"),
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["__type", "message"],
            properties={"__type": _STRING, "message": Schema(description="Meldung")},
            description="Fehler (nur bei success = false)",
        ),
    },
    description="Antwort der CKAN Action API",
)
CKAN_ERROR_SCHEMA = Schema(
    one_of=[
        Reference("#/components/schemas/CkanResponse"),
        Schema(type=OpenAPIType.STRING, description='CKANs "Bad request - …"'),
    ]
)


def _pairs(first: str, second: str) -> Schema:
    """An array of objects with two required string properties."""
    return Schema(
        type=OpenAPIType.ARRAY,
        items=Schema(
            type=OpenAPIType.OBJECT,
            required=[first, second],
            properties={first: _STRING, second: _STRING},
        ),
    )


_LINK = Schema(type=OpenAPIType.STRING, description="absolute URL")
_DOWNLOAD = Schema(
    type=OpenAPIType.OBJECT,
    required=["url", "media_type"],
    properties={
        "url": _LINK,
        "media_type": _STRING,
        "bytes": Schema(one_of=[Schema(type=OpenAPIType.INTEGER), Schema(type=OpenAPIType.NULL)]),
    },
)
DATAPACKAGE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["id", "name", "title", "resources"],
    properties={
        "id": Schema(type=OpenAPIType.STRING, description="URL des Datensatzes in der API"),
        "name": _STRING,
        "title": _STRING,
        "description": _STRING,
        "version": _STRING,
        "keywords": Schema(type=OpenAPIType.ARRAY, items=_STRING),
        "licenses": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
        "resources": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["name", "path"],
                properties={
                    "name": _STRING,
                    "path": Schema(type=OpenAPIType.STRING, description="URL der Originaldatei"),
                    "schema": Schema(
                        description="Table Schema (nur Tabellen; GeoJSON/TopoJSON haben keines)",
                        type=OpenAPIType.OBJECT,
                        required=["fields"],
                        properties={"fields": _pairs("name", "type")},
                    ),
                },
            ),
        ),
    },
    description="Data Package (frictionless) mit absoluten URLs",
)
DATASET_SCHEMA = Schema(
    all_of=[
        Reference("#/components/schemas/DataPackage"),
        Schema(
            type=OpenAPIType.OBJECT,
            required=["release", "modified", "links", "status_codes"],
            properties={
                "release": Schema(type=OpenAPIType.INTEGER, description="Release-Nummer"),
                "modified": Schema(type=OpenAPIType.STRING, description="Zeitpunkt (ISO 8601)"),
                "links": Schema(
                    type=OpenAPIType.OBJECT,
                    required=["self", "datapackage", "dcat", "resources"],
                    properties={
                        "self": _LINK,
                        "datapackage": _LINK,
                        "dcat": Schema(
                            one_of=[
                                Schema(
                                    type=OpenAPIType.OBJECT,
                                    required=["turtle", "rdf_xml", "json_ld"],
                                    properties={
                                        "turtle": _LINK,
                                        "rdf_xml": _LINK,
                                        "json_ld": _LINK,
                                    },
                                ),
                                Schema(type=OpenAPIType.NULL),
                            ],
                            description="DCAT-Datensätze; null unter einem festen Release "
                            "(sie beschreiben nur das aktuelle)",
                        ),
                        "resources": Schema(
                            type=OpenAPIType.ARRAY,
                            items=Schema(
                                type=OpenAPIType.OBJECT,
                                required=["name", "downloads"],
                                description="Tabellen haben rows und values; Dateien "
                                "(GeoJSON, TopoJSON) nur downloads.original",
                                properties={
                                    "name": _STRING,
                                    "rows": _LINK,
                                    "values": _LINK,
                                    "downloads": Schema(
                                        type=OpenAPIType.OBJECT,
                                        additional_properties=_DOWNLOAD,
                                    ),
                                },
                            ),
                        ),
                    },
                ),
                "status_codes": _pairs("value", "label"),
            },
        ),
    ],
    description="Metadaten eines Datensatzes mit allen Links und der Legende der Zeichen",
)
SCHEMAS: Final = {
    "Problem": PROBLEM_SCHEMA,
    "CkanResponse": CKAN_SCHEMA,
    "DataPackage": DATAPACKAGE_SCHEMA,
    "Dataset": DATASET_SCHEMA,
}
BODY_SCHEMAS: Final = {"GetDataset": "Dataset", "GetDatapackage": "DataPackage"}
RDF_BODIES: Final = {TURTLE: _TEXT, RDF_XML: _TEXT, JSON_LD: _ANY_JSON}
RDF_MEDIA: Final = {
    "GetCatalog": (TURTLE, RDF_XML, JSON_LD),
    "GetCatalogTtl": (TURTLE,),
    "GetCatalogRdf": (RDF_XML,),
    "GetCatalogJsonld": (JSON_LD,),
    "GetDatasetRdf": (TURTLE, RDF_XML, JSON_LD),
}
_RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING), description="Sekunden bis zum nächsten Versuch"
)


def _ref(name: str) -> Reference:
    return Reference(f"#/components/schemas/{name}")


def _problem_response(status: int) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] | None = (
        {"Retry-After": _RETRY_AFTER} if status in {429, 503} else None
    )
    return OpenAPIResponse(
        description=PROBLEMS[status],
        content={PROBLEM_MEDIA: OpenAPIMediaType(schema=_ref("Problem"))},
        headers=headers,
    )


def _ckan_response(status: int) -> OpenAPIResponse:
    schema = CKAN_ERROR_SCHEMA if status == 400 else _ref("CkanResponse")
    return OpenAPIResponse(
        description=CKAN_ERRORS[status], content={JSON: OpenAPIMediaType(schema=schema)}
    )


def _operations(item: PathItem) -> list[Operation]:
    return [op for op in (item.get, item.head, item.post) if op is not None]


def _document_errors(path: str, operation: Operation) -> None:
    """Replace Litestar's generic errors with the ones this operation can really answer."""
    responses = {
        code: response
        for code, response in (operation.responses or {}).items()
        if not code.startswith(("4", "5"))
    }
    statuses = [s for s in PROBLEMS if not (path.startswith("/health/") and s in UNLIMITED)]
    if path.startswith(CKAN_PREFIXES):
        responses.update({str(status): _ckan_response(status) for status in CKAN_ERRORS})
        statuses = [s for s in statuses if s not in CKAN_ERRORS]
    responses.update({str(status): _problem_response(status) for status in statuses})
    operation.responses = responses


def _document_bodies(operation: Operation) -> None:
    """Media types and schemas of successful answers that Litestar cannot see."""
    responses = operation.responses or {}
    ok = responses.get("200")
    if not isinstance(ok, OpenAPIResponse):
        return
    operation_id = operation.operation_id or ""
    if operation_id in RDF_MEDIA:
        ok.description = "DCAT-AP.de als RDF"
        ok.content = {m: OpenAPIMediaType(schema=RDF_BODIES[m]) for m in RDF_MEDIA[operation_id]}
    if operation_id == "GetDatasetRdf":
        responses["303"] = OpenAPIResponse(
            description="Ohne Endung und ohne RDF im `Accept`: weiter zur HTML-Seite",
            headers={"Location": OpenAPIHeader(schema=_STRING, description="URL der Seite")},
        )
    if operation_id in BODY_SCHEMAS:
        ok.content = {JSON: OpenAPIMediaType(schema=_ref(BODY_SCHEMAS[operation_id]))}
    if operation_id.endswith("CiteDataset"):
        schema = {"application/vnd.citationstyles.csl+json": _ANY_JSON}
        ok.content = {m: OpenAPIMediaType(schema=schema.get(m, _TEXT)) for m in CITATION_MEDIA}
    if operation_id.startswith("Ckan") and operation_id != "CkanApiVersion":
        ok.content = {JSON: OpenAPIMediaType(schema=_ref("CkanResponse"))}


def _pinned(operation: Operation) -> Operation:
    """The same operation under ``/api/v1/releases/{number}``: one more path parameter."""
    pinned = copy.deepcopy(operation)
    pinned.operation_id = f"Pinned{operation.operation_id}"
    pinned.summary = f"{operation.summary or operation.operation_id} (Release fest)"
    number = Parameter(
        name="number",
        param_in=ParamType.PATH,
        required=True,
        description="Release-Nummer; ein Release ändert sich nie",
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=PINNED_NUMBER_MAX),
    )
    pinned.parameters = [number, *(pinned.parameters or [])]
    return pinned


def _add_pinned_paths(openapi: OpenAPI) -> None:
    paths = openapi.paths or {}
    for path, item in list(paths.items()):
        if not path.startswith(PINNABLE_PREFIX):
            continue
        pinned = copy.deepcopy(item)
        pinned.get = _pinned(item.get) if item.get else None
        pinned.head = _pinned(item.head) if item.head else None
        paths[pinned_template(path)] = pinned


def document_problems(openapi: OpenAPI) -> None:
    """Correct the document as described in the module docstring (idempotent)."""
    openapi.components.schemas.update(SCHEMAS)
    for path, item in list((openapi.paths or {}).items()):
        if path.startswith(pinned_template(PINNABLE_PREFIX)):
            continue
        for operation in _operations(item):
            _document_errors(path, operation)
            _document_bodies(operation)
    _add_pinned_paths(openapi)


class ProblemDocsPlugin(InitPlugin):
    """Wires :func:`document_problems` in: it runs on start-up, once the routes are known."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Correct the document when the app starts."""

        def document(app: Litestar) -> None:
            document_problems(app.openapi_schema)

        app_config.on_startup.append(document)
        return app_config
