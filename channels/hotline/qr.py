"""The Zalo OA and Facebook page of the province as links and QR codes (seed 002: people scan the QR
code to reach the Zalo page), where settings.ZALO_OA_URL / settings.FACEBOOK_PAGE_URL are set.

The codes are SVG made by segno, not drawn by hand; each is made once per URL and process."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import segno
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ChannelLink:
    name: str  # the QR code's address: /ma-qr/<name>.svg
    label: str | Promise
    url: str


def channel_links() -> list[ChannelLink]:
    """The configured pages, in the order the site shows them; none when no setting is filled in."""
    candidates = [
        ChannelLink("zalo", _("Zalo OA"), settings.ZALO_OA_URL),
        ChannelLink("facebook", _("Trang Facebook"), settings.FACEBOOK_PAGE_URL),
    ]
    return [link for link in candidates if link.url]


def channel_link(name: str) -> ChannelLink | None:
    return next((link for link in channel_links() if link.name == name), None)


@lru_cache(maxsize=8)
def qr_svg(url: str) -> bytes:
    """The QR code of `url` as a standalone SVG (error correction M, a quiet zone of four modules)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", scale=4, border=4, xmldecl=False, title=url)
    return out.getvalue()
