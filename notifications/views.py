"""Web Push pages: the service worker that shows the pushed messages."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def push_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the root so that its scope is the whole site."""
    path = finders.find("js/push-sw.js")
    if not path:
        raise Http404
    with open(path, "rb") as handle:  # noqa: PTH123
        body = handle.read()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
