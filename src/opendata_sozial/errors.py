"""Error hierarchy shared by the CLI, the services and the web edge.

Every error carries a stable kebab-case ``code``, an HTTP ``status`` and a short ``title``; the
message (``str(exc)``) is the human detail and always says what would be valid.
"""

from collections.abc import Sequence

from opendata_sozial.domain import Issue


class OpendataError(Exception):
    """Base class of all expected errors."""

    code = "internal-error"
    status = 500
    title = "Interner Fehler"


class ConfigError(OpendataError):
    """A setting or the catalog file is invalid."""

    code = "invalid-config"
    status = 500
    title = "Ungültige Konfiguration"


class PackageInvalid(OpendataError):
    """A package failed validation; carries the issues."""

    code = "package-invalid"
    status = 422
    title = "Datenpaket ungültig"

    def __init__(self, issues: Sequence[Issue]) -> None:
        """Keep the issues and summarise them in the message."""
        self.issues = list(issues)
        packages = sorted({issue.package for issue in self.issues})
        super().__init__(
            f"{len(self.issues)} Fehler in {len(packages)} Paket(en): {', '.join(packages)}"
        )


class SourceError(OpendataError):
    """A raw table given to ``init`` cannot be read."""

    code = "source-unreadable"
    status = 400
    title = "Quelltabelle nicht lesbar"


class NotPublished(OpendataError):
    """Nothing has been published into the database yet."""

    code = "not-published"
    status = 503
    title = "Noch nichts veröffentlicht"


class DatasetNotFound(OpendataError):
    """The named dataset is not in the current release."""

    code = "dataset-not-found"
    status = 404
    title = "Datensatz nicht gefunden"


class ResourceNotFound(OpendataError):
    """The named resource is not part of the dataset."""

    code = "resource-not-found"
    status = 404
    title = "Ressource nicht gefunden"


class InvalidParameter(OpendataError):
    """A query parameter is malformed or out of range; the message says what is valid."""

    code = "invalid-parameter"
    status = 400
    title = "Ungültiger Parameter"
