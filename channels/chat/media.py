"""Files people send in a chat, fetched from the platform's URL with the intake's size and type limits."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.attachments import AttachmentError, check_upload

TIMEOUT_S = 15.0


class MediaError(Exception):
    """A file that cannot be fetched or accepted; str() is a Vietnamese message for the person."""


@dataclass(frozen=True)
class Fetched:
    name: str
    content: bytes
    content_type: str
    extension: str


def media_fetch(*, url: str, name: str = "") -> Fetched:
    """Download `url` (at most ATTACHMENT_MAX_BYTES, read as it streams) and check it as the intake
    checks an upload: type from the content against the allow-list, an image's size from its header."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise MediaError("địa chỉ tệp không hợp lệ.")
    limit = settings.ATTACHMENT_MAX_BYTES
    too_large = f"tệp quá lớn (tối đa {limit / (1024 * 1024):g} MB)."
    name = name or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "tep"
    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.stream("GET", url, timeout=TIMEOUT_S, follow_redirects=True) as response:
            if response.status_code != 200:
                raise MediaError(f"máy chủ trả lời {response.status_code}.")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise MediaError(too_large)
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise MediaError(too_large)
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise MediaError("không tải được tệp, vui lòng gửi lại.") from exc
    content = b"".join(chunks)
    try:
        checked = check_upload(SimpleUploadedFile(name, content))
    except AttachmentError as exc:
        raise MediaError(str(exc)) from exc
    return Fetched(
        name=checked.original_name,
        content=content,
        content_type=checked.detected.content_type,
        extension=checked.detected.extension,
    )
