"""The installable web app: its manifest, the page shown offline, the favicon at the root.

The one service worker (push and offline) is notifications.views.service_worker.
"""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

# --brand in static/css/site.css: the browser's bar and the splash screen match the site's header.
THEME_COLOR = "#0b5394"
BACKGROUND_COLOR = "#f6f7f9"  # --bg


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest, in the visitor's language (Vietnamese by default)."""
    icons = [
        {"src": static(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ] + [
        {
            "src": static(f"icons/icon-maskable-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    body = {
        "id": "/",
        "name": _("Phản ánh hiện trường"),
        "short_name": _("Phản ánh"),
        "description": _("Dịch vụ tiếp nhận phản ánh, kiến nghị và thông tin cảnh báo của tỉnh."),
        "lang": get_language() or "vi",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": icons,
        "shortcuts": [
            {"name": _("Gửi phản ánh"), "url": reverse("report-new"), "icons": [icons[0]]},
            {"name": _("Tra cứu"), "url": reverse("report-list-page"), "icons": [icons[0]]},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows for a page it cannot fetch and has not kept."""
    return render(request, "offline.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says."""
    path = finders.find("icons/favicon.ico")
    if not path:
        raise Http404
    with open(path, "rb") as handle:  # noqa: PTH123
        response = HttpResponse(handle.read(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
