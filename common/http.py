"""HTTP helpers every app uses: the client's address, the one rule (audit log, throttles, intake, sign-in
lockout), and the answer serving a stored file (disk or bucket).

A floor module (of ours it imports common.storage only), so any app may import it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response

from .storage import stored_file_open, stored_file_signed_url


def client_ip(request: HttpRequest, *args: Any) -> str | None:
    """REMOTE_ADDR, or behind our own proxy (settings.BEHIND_PROXY) the last X-Forwarded-For entry,
    the one the proxy appended. Earlier entries are whatever the client sent, so they are never
    trusted, and without a proxy the header is ignored altogether. None when it is not an address.

    Also django-axes' AXES_CLIENT_IP_CALLABLE, which may pass more arguments (ignored).
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def stored_file_response(
    request: HttpRequest, field: FieldFile, *, content_type: str, filename: str, public: bool
) -> HttpResponseBase:
    """A stored file (common.storage) answered to a viewer already allowed to see it.

    Public (anyone may see it): served by us from the disk or the bucket, cacheable by browsers and shared
    caches for PUBLIC_FILE_MAX_AGE, with an ETag so that a revalidation is a 304 that reads no file. A
    stable URL of our own, unlike a signed one (new each time, so never cached), and one that stops
    serving the photo once staff hide it. Private: from a bucket, a redirect to a signed URL valid
    S3_SIGNED_URL_SECONDS (the objects themselves are not readable without one); from the disk, served
    for this viewer only.
    """
    # Served as a download unless it is media a browser shows safely.
    download = not content_type.startswith(("image/", "video/", "audio/")) and content_type != "application/pdf"
    disposition = f'attachment; filename="{filename}"' if download else ""
    name = str(field.name)
    response: HttpResponseBase
    if not public:
        seconds = settings.S3_SIGNED_URL_SECONDS
        url = stored_file_signed_url(
            field.storage,
            name,
            seconds=seconds,
            content_type=content_type,
            disposition=disposition,
            cache_control=f"private, max-age={seconds}",
        )
        if url is not None:
            response = HttpResponseRedirect(url)
            # The signed URL is this viewer's, and soon stale: never kept, never shared.
            response["Cache-Control"] = "private, no-store"
            return response
    # Stored names are written once (common.storage), so the name is a strong validator of the bytes.
    etag = f'"{hashlib.sha256(name.encode()).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag) or _stored_file_body(
        field.storage, name, content_type, disposition
    )
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_FILE_MAX_AGE}" if public else "private, max-age=3600"
    return response


def _stored_file_body(storage: Storage, name: str, content_type: str, disposition: str) -> FileResponse:
    stream, size = stored_file_open(storage, name)
    response = FileResponse(stream, content_type=content_type)
    response["Content-Length"] = str(size)
    if disposition:
        response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
    )
    return response
