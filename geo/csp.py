"""Content-Security-Policy on every answer: pages, API answers, errors.

Scripts come only from our own origin (no inline scripts, no eval): data reaches scripts through
data- attributes and json_script (type=application/json, never executed). Map tiles come from the
configured MAP_TILE_URL's origin. The API documentation pages get their own, looser policy
(`docs_policy`), set by their views; the middleware leaves a policy a view set alone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def source_of(url: str) -> str | None:
    """The CSP source of a URL template's origin: https://{s}.tile.example/{z}/… gives https://*.tile.example."""
    parts = urlsplit(url.replace("{s}", "subdomain"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{s}" in url:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def _join(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def _base() -> dict[str, list[str]]:
    tiles = source_of(settings.MAP_TILE_URL)
    # A sign-in with the national portal posts a form that redirects there (Chrome checks form-action on it).
    portal = source_of(getattr(settings, "NATIONAL_PORTAL_OIDC_URL", "") or "")
    # A private attachment opens as a redirect to a signed URL of the S3 bucket (common/s3.py).
    bucket = source_of(getattr(settings, "S3_ORIGIN", "") or "")
    files = [bucket] if bucket else []
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *([tiles] if tiles else []), *files],
        "media-src": ["'self'", *files],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *([portal] if portal else [])],
        "frame-ancestors": ["'none'"],
    }


def page_policy() -> str:
    return _join(_base())


def docs_policy() -> str:
    """Swagger UI and ReDoc (served locally by drf-spectacular-sidecar) inject style elements and
    attributes at run time, and ReDoc runs its search in a worker made from a blob: URL."""
    directives = _base()
    directives["style-src"] = ["'self'", "'unsafe-inline'"]
    directives["worker-src"] = ["'self'", "blob:"]
    directives["font-src"] = ["'self'", "data:"]
    return _join(directives)


def with_policy(policy: Callable[[], str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give one view its own policy instead of the site's."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            response[HEADER] = policy()
            return response

        return wrapped

    return decorate


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            # Built per answer (a few microseconds): tests and deployments change MAP_TILE_URL.
            response[HEADER] = page_policy()
        return response
