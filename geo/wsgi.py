"""WSGI entry point.

Report tiles and map clusters take a short path around Django's middleware: a map view asks
for dozens of them, they are public, anonymous and cookie-less, so sessions, authentication,
CSRF and locale negotiation are pure per-request overhead there. Everything else, and any such
request that fails (out of range, an error), goes through the whole stack.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
django_application = get_wsgi_application()

# Imported after Django is set up.
from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIRequest  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from django.http import HttpRequest, HttpResponse, HttpResponseBase  # noqa: E402

from common.db import DATABASE_UNAVAILABLE  # noqa: E402
from common.replica import replica_reads  # noqa: E402
from geo.outage import database_connections_reset, database_unavailable_response  # noqa: E402
from maps.map_api import clusters_response  # noqa: E402
from maps.map_views import report_tile_view  # noqa: E402

TILE_PATH = re.compile(r"/tiles/reports/(\d{1,2})/(\d{1,9})/(\d{1,9})\.mvt")
CLUSTERS_PATH = "/api/v1/reports/clusters"
StartResponse = Callable[..., Any]


@replica_reads
def clusters_view(request: HttpRequest) -> HttpResponse:
    """The clusters answer, read where the full stack's view reads it (the read replica when there is one)."""
    return clusters_response(request.GET)


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    match = TILE_PATH.fullmatch(path)
    if (match is None and path != CLUSTERS_PATH) or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return django_application(environ, start_response)
    # What request_started / request_finished do for the full stack.
    close_old_connections()
    try:
        request = WSGIRequest(environ)
        secure = request.is_secure()
        if settings.SECURE_SSL_REDIRECT and not secure:
            return django_application(environ, start_response)  # the full stack redirects to HTTPS
        response: HttpResponseBase
        if match is None:
            response = clusters_view(request)
        else:
            z, x, y = (int(part) for part in match.groups())
            response = report_tile_view(request, z, x, y)
    except DATABASE_UNAVAILABLE:
        # The full stack would only meet the same outage again.
        database_connections_reset()
        response = database_unavailable_response(path)
    except Exception:  # noqa: BLE001 - bad input (400), out of range (404) or a failure: the full stack answers
        return django_application(environ, start_response)
    finally:
        close_old_connections()
    body = response.content
    headers = [(name, value) for name, value in response.items()]
    headers += [("Content-Length", str(len(body))), ("X-Content-Type-Options", "nosniff")]
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        hsts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
        hsts += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        headers.append(("Strict-Transport-Security", hsts))
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return [body] if environ["REQUEST_METHOD"] == "GET" else []
