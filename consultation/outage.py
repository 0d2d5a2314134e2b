"""A database that does not answer (down, restarting, its connection pool exhausted) is a
temporary outage, not a bug: people get a 503 in French with Retry-After, in the API's error
format under /api/, instead of a 500 that says nothing of coming back.

The answer is rendered without the database: the 503 page uses no context processor (they
would read the session, the user, the campaigns of the menu).
"""

import logging
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views import defaults

logger = logging.getLogger("consultation.outage")

RETRY_AFTER_SECONDS = 30
MESSAGE = _(
    "Le service est momentanément indisponible : rien n'a été enregistré. "
    "Merci de réessayer dans quelques instants."
)


def _pool_timeout() -> tuple[type[BaseException], ...]:
    try:  # Django wraps it as OperationalError; the pool's own class, in case it is not
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg-pool is a dependency
        return ()
    return (PoolTimeout,)


POOL_TIMEOUT = _pool_timeout()


def _database_answers() -> bool:
    if connection.connection is None:  # never opened: the connection itself failed
        return False
    try:
        return connection.is_usable()
    except Exception:
        return False


def is_outage(exception: BaseException | None) -> bool:
    """A database error while the database does not answer. OperationalError also covers
    mistakes (SQLite's "no such table" when migrations were not run): those stay 500s, with
    Django's debug page on a laptop."""
    if isinstance(exception, POOL_TIMEOUT):
        return True
    if not isinstance(exception, OperationalError | InterfaceError):
        return False
    return not _database_answers()


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON ({"detail", "code"}) under /api/, the French page elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": str(MESSAGE), "code": "service_unavailable"}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """Turns a database outage raised by a view (or its template) into `outage_response`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_outage(exception):
            return None
        # One line per request: during an outage every request fails the same way.
        logger.error("Base de données indisponible (%s) : 503 pour %s", exception, request.path)
        return outage_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage met outside the views (a middleware saving the session) is a 503
    as well; anything else is the French 500 page."""
    exception = sys.exc_info()[1]
    if is_outage(exception):
        return outage_response(request)
    return defaults.server_error(request)
