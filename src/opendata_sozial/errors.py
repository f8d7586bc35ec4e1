"""Error hierarchy shared by the CLI, the services and the web edge.

Every error carries a stable kebab-case ``code``, an HTTP ``status`` and a short ``title``; the
message (``str(exc)``) is the human detail and always says what would be valid. ``title_en``
stands beside ``title`` in every class (``tests/test_errors.py`` fails on a class without one),
and a raise site may give the detail in English too (``english=``): the API answers in English
when the client asks for it (``Accept-Language``, docs/api.md).
"""

from collections.abc import Sequence

from opendata_sozial.domain import Issue


class OpendataError(Exception):
    """Base class of all expected errors."""

    code = "internal-error"
    status = 500
    title = "Interner Fehler"
    title_en = "Internal error"

    def __init__(self, *args: object, english: str | None = None) -> None:
        """The German detail as the message; ``english`` the same detail in English, if given."""
        super().__init__(*args)
        self.english = english

    def response_headers(self) -> dict[str, str]:
        """Extra HTTP headers of the problem response (none by default)."""
        return {}


class ConfigError(OpendataError):
    """A setting or the catalog file is invalid."""

    code = "invalid-config"
    status = 500
    title = "Ungültige Konfiguration"
    title_en = "Invalid configuration"


class PackageInvalid(OpendataError):
    """A package failed validation; carries the issues."""

    code = "package-invalid"
    status = 422
    title = "Datenpaket ungültig"
    title_en = "Invalid data package"

    def __init__(self, issues: Sequence[Issue]) -> None:
        """Keep the issues and summarise them in the message."""
        self.issues = list(issues)
        packages = sorted({issue.package for issue in self.issues})
        super().__init__(
            f"{len(self.issues)} Fehler in {len(packages)} Paket(en): {', '.join(packages)}"
        )


class PublishRefused(OpendataError):
    """A publish request that would withdraw or break datasets without saying so."""

    code = "publish-refused"
    status = 409
    title = "Veröffentlichung abgelehnt"
    title_en = "Publication refused"


class SourceError(OpendataError):
    """A raw table given to ``init`` cannot be read."""

    code = "source-unreadable"
    status = 400
    title = "Quelltabelle nicht lesbar"
    title_en = "Source table unreadable"


class DatabaseFileError(OpendataError):
    """The SQLite database file is missing, unreadable or not writable (the path is named)."""

    code = "database-file"
    status = 500
    title = "Datenbankdatei nicht nutzbar"
    title_en = "Database file unusable"


class NotPublished(OpendataError):
    """Nothing has been published into the database yet."""

    code = "not-published"
    status = 503
    title = "Noch nichts veröffentlicht"
    title_en = "Nothing published yet"


class DatasetNotFound(OpendataError):
    """The named dataset is not in the current release."""

    code = "dataset-not-found"
    status = 404
    title = "Datensatz nicht gefunden"
    title_en = "Dataset not found"


class ResourceNotFound(OpendataError):
    """The named resource is not part of the dataset."""

    code = "resource-not-found"
    status = 404
    title = "Ressource nicht gefunden"
    title_en = "Resource not found"


class RegionNotFound(OpendataError):
    """The region key is not in the region directory (``nrw-regionen``) of the release."""

    code = "region-not-found"
    status = 404
    title = "Region nicht gefunden"
    title_en = "Region not found"


class GeometryNotFound(OpendataError):
    """No published geography holds boundaries for the level or region asked for."""

    code = "geometry-not-found"
    status = 404
    title = "Geometrie nicht gefunden"
    title_en = "Geometry not found"


class InvalidParameter(OpendataError):
    """A query parameter is malformed or out of range; the message says what is valid."""

    code = "invalid-parameter"
    status = 400
    title = "Ungültiger Parameter"
    title_en = "Invalid parameter"


class UriTooLong(OpendataError):
    """The request target (path plus query) is longer than the server accepts."""

    code = "uri-too-long"
    status = 414
    title = "Adresse zu lang"
    title_en = "URI too long"


class HeadersTooLarge(OpendataError):
    """The request header fields are larger or more numerous than the server accepts."""

    code = "headers-too-large"
    status = 431
    title = "Kopfzeilen zu groß"
    title_en = "Request headers too large"


class RateLimited(OpendataError):
    """A client made more requests in the current window than its quota allows."""

    code = "rate-limited"
    status = 429
    title = "Zu viele Anfragen"
    title_en = "Too many requests"

    def __init__(
        self, message: str, *, headers: dict[str, str], english: str | None = None
    ) -> None:
        """Keep the rate-limit headers (``Retry-After``, ``RateLimit``) for the response."""
        self.headers = dict(headers)
        super().__init__(message, english=english)

    def response_headers(self) -> dict[str, str]:
        """``Retry-After`` and the RateLimit fields."""
        return dict(self.headers)


class QueryTimeout(OpendataError):
    """A database statement ran longer than the per-query time limit."""

    code = "query-timeout"
    status = 503
    title = "Abfrage dauert zu lange"
    title_en = "Query took too long"


class DatabaseUnavailable(OpendataError):
    """The database does not answer, or every pooled connection stayed taken."""

    code = "database-unavailable"
    status = 503
    title = "Datenbank nicht erreichbar"
    title_en = "Database unavailable"


class ReleaseNotFound(OpendataError):
    """The requested release number does not exist (or never completed)."""

    code = "release-not-found"
    status = 404
    title = "Release nicht gefunden"
    title_en = "Release not found"


class ExportsBusy(OpendataError):
    """Every rendering slot of the server process stayed taken for the whole queueing time."""

    code = "exports-busy"
    status = 503
    title = "Exporte ausgelastet"
    title_en = "Exports busy"
