"""Database failures translated into the error hierarchy, so that the web layer needs no SQL.

``DATABASE_ERRORS`` are the exception types a read may raise from the database driver stack;
the web edge registers one handler for them and asks :func:`classify` what each one means:

- a missing SQLite file or missing catalog tables: :class:`NotPublished` (``503``);
- a statement stopped by the per-query time limit: :class:`QueryTimeout` (``503``);
- every pooled connection taken for the whole pool timeout, or a database that does not
  answer: :class:`DatabaseUnavailable` (``503``);
- anything else (a programming error, a broken statement): ``None``, an internal error.
"""

from typing import Final

from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from opendata_sozial.db.schema import unpublished_reason
from opendata_sozial.db.timeouts import is_query_timeout
from opendata_sozial.errors import DatabaseUnavailable, NotPublished, OpendataError, QueryTimeout

DatabaseError = SQLAlchemyError
"""What a failed database read raises; the web layer names it without importing SQLAlchemy."""
DATABASE_ERRORS: Final[tuple[type[Exception], ...]] = (DatabaseError,)
"""The same as a tuple, for registering exception handlers."""
POOL_EXHAUSTED: Final = (
    "Alle Datenbankverbindungen dieses Servers sind belegt; bitte in einigen Sekunden "
    "erneut versuchen."
)
POOL_EXHAUSTED_EN: Final = (
    "Every database connection of this server is taken; please try again in a few seconds."
)
NOT_ANSWERING: Final = "Die Datenbank antwortet nicht; bitte später erneut versuchen."
NOT_ANSWERING_EN: Final = "The database does not answer; please try again later."
TOO_SLOW: Final = (
    "Die Abfrage hat das Zeitlimit überschritten; weniger Zeilen (Filter) oder eine "
    "einfachere Sortierung wählen, oder später erneut versuchen."
)
TOO_SLOW_EN: Final = (
    "The query exceeded the time limit; ask for fewer rows (filters) or a simpler sort "
    "order, or try again later."
)


def is_pool_exhausted(exc: BaseException) -> bool:
    """True when no pooled connection became free within the pool timeout."""
    return isinstance(exc, PoolTimeout)


def classify(exc: BaseException, database_url: str) -> OpendataError | None:
    """What a failed read means for a client, or ``None`` when it is a bug (a ``500``)."""
    if not isinstance(exc, OperationalError | ProgrammingError | PoolTimeout):
        return None
    reason = unpublished_reason(exc, database_url)
    if reason is not None:
        return NotPublished(reason)
    if isinstance(exc, ProgrammingError):
        return None
    if is_query_timeout(exc):
        return QueryTimeout(TOO_SLOW, english=TOO_SLOW_EN)
    if is_pool_exhausted(exc):
        return DatabaseUnavailable(POOL_EXHAUSTED, english=POOL_EXHAUSTED_EN)
    return DatabaseUnavailable(NOT_ANSWERING, english=NOT_ANSWERING_EN)
