"""While the database is unreachable (restarting, refusing connections, shutting down): 503 with Retry-After.
While the disk for attachments is full: 507 (StorageFullMiddleware), nothing stored (common.storage);
while the S3 bucket cannot be reached or refuses: 503 with Retry-After, nothing stored (common.s3).

Without this, a database restart answered every request with Django's HTML 500 page, the API
included, and clients could not tell "try again in a moment" from "this is broken". Each request
that meets a dead connection closes it, so the next request connects afresh once the database is
back (persistent connections, CONN_MAX_AGE, would otherwise be reused until found broken).
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from channels.open311.formats import is_open311_path, path_error_response
from common.api import error_body
from common.db import DATABASE_UNAVAILABLE
from common.storage import StorageUnavailableError

logger = logging.getLogger(__name__)

# Answered in JSON: the API, the health check, and the map's tiles (read by scripts, not people).
JSON_PREFIXES = ("/api/", "/healthz", "/tiles/")


def database_connections_reset() -> None:
    """Close this thread's connections, so that the next use reconnects instead of reusing a dead one."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - a dead connection may fail to close; it is dropped all the same
            connection.connection = None


def database_unavailable_response(path: str) -> HttpResponse:
    """The 503 answer: the API's one error shape (common.api.error_body), a short page for people."""
    retry_after = str(settings.DATABASE_RETRY_AFTER)
    response: HttpResponse
    message = _("Hệ thống tạm thời không truy cập được cơ sở dữ liệu. Hãy thử lại sau ít giây.")
    if is_open311_path(path):
        response = path_error_response(path, 503, message)
    elif path.startswith(JSON_PREFIXES):
        response = JsonResponse(error_body(message), status=503)
    else:
        # No request context: the context processors would query the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage met by a view (Django's or DRF's) into a 503 with Retry-After.

    First in MIDDLEWARE, so the answer still passes every other middleware's response step
    (security headers); SessionMiddleware saves nothing on a 5xx answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exception)
        database_connections_reset()
        return database_unavailable_response(request.path)


# No space left, or the storage user's quota spent: what writing a file meets on a full disk.
STORAGE_FULL = (errno.ENOSPC, errno.EDQUOT)


def storage_full_response(path: str, *, status: int = 507, message: str = "") -> HttpResponse:
    """507 Insufficient Storage (or `status` with its `message`): the API's one error shape (Open311's list
    there), a short page for people."""
    message = message or _(
        "Máy chủ đã hết chỗ lưu tệp đính kèm nên phản ánh chưa được lưu. Hãy thử lại sau, hoặc gửi không kèm tệp."
    )
    response: HttpResponse
    if is_open311_path(path):
        response = path_error_response(path, status, message)
    elif path.startswith(JSON_PREFIXES):
        response = JsonResponse(error_body(message), status=status)
    else:
        response = HttpResponse(render_to_string("507.html", {"message": message}), status=status)
    response["Cache-Control"] = "no-store"
    return response


def storage_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the bucket did not answer; a sending was not kept, a file can be asked again."""
    if request.method in ("GET", "HEAD"):
        message = _("Kho tệp đính kèm tạm thời không truy cập được. Hãy thử lại sau ít phút.")
    else:
        message = _(
            "Kho tệp đính kèm tạm thời không truy cập được nên phản ánh chưa được lưu."
            " Hãy thử lại sau ít phút, hoặc gửi không kèm tệp."
        )
    response = storage_full_response(request.path, status=503, message=message)
    response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
    return response


class StorageFullMiddleware:
    """Turns a full disk met while storing a file (OSError ENOSPC/EDQUOT) into a 507 instead of a 500, an
    unreachable bucket (StorageUnavailableError) into a 503.

    The service storing the files has already deleted the ones it wrote and rolled back its rows
    (common.storage.files_removed_on_rollback): the answer says nothing was kept, and that is true.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, StorageUnavailableError):
            logger.error("File storage unavailable on %s %s: %s", request.method, request.path, exception)
            return storage_unavailable_response(request)
        if not isinstance(exception, OSError) or exception.errno not in STORAGE_FULL:
            return None
        logger.error("Storage full on %s %s: %s", request.method, request.path, exception)
        return storage_full_response(request.path)
