"""The site's one service worker: warnings by Web Push, and the installable app's offline side."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

# Kept before the worker installs (the offline page cannot be shown without them) ...
SHELL_STATIC = ["css/site.css", "js/dom.js", "js/pwa.js", "js/drafts.js", "icons/icon-192.png", "icons/favicon-32.png"]
# ... and, if they come, what the report form needs to be written offline.
FORM_STATIC = [
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "vendor/protomaps-leaflet/protomaps-leaflet.js",
    "css/map-basemap.css",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
    "js/map.js",
    "js/pin-picker.js",
    "js/report-form.js",
    "js/photos.js",
    "js/alert-pin.js",
    "css/alerts.css",
]


def _page_patterns() -> list[str]:
    """The public pages a phone may keep to show offline: as everyone sees them, nothing personal. Staff
    pages, accounts, the API and sign-in never match."""
    report = reverse("report-detail-page", args=["000000000000"]).replace("000000000000", r"\d{12}")
    alert = reverse("alert-page", args=[1]).replace("1/", r"\d+/")
    exact = [
        reverse(name)
        for name in ("home", "report-list-page", "report-new", "report-map", "stats-page", "alert-list-page", "offline")
    ]
    return [f"^{path}$" for path in exact] + [f"^{report}$", f"^{alert}$"]


def _static_urls(names: list[str]) -> list[str]:
    urls = []
    for name in names:
        try:
            urls.append(static(name))
        except ValueError:  # not collected in this deployment (a manifest storage without the file)
            continue
    return urls


def worker_config() -> dict[str, Any]:
    return {
        "shell": [*_static_urls(SHELL_STATIC), reverse("offline"), reverse("web-manifest")],
        "extra": _static_urls(FORM_STATIC),
        "offline": reverse("offline"),
        "manifest": reverse("web-manifest"),
        "pages": _page_patterns(),
        "staticPrefix": settings.STATIC_URL,
        "draftsScript": static("js/drafts.js"),
    }


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the root so that its scope is the whole site. Its version is the hash of
    its code and its shell's URLs: a new deployment (new hashed static names) installs a new worker, whose
    activation deletes the old caches."""
    path = finders.find("js/sw.js")
    if not path:
        raise Http404
    with open(path, "rb") as handle:  # noqa: PTH123
        code = handle.read()
    config = worker_config()
    version = hashlib.sha256(json.dumps(config, sort_keys=True).encode() + code).hexdigest()[:12]
    prefix = "self.SW_CONFIG = " + json.dumps({**config, "version": version}, sort_keys=True) + ";\n"
    response = HttpResponse(prefix.encode() + code, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker at most daily anyway; no-cache makes every check reach us.
    response["Cache-Control"] = "no-cache"
    return response
