from __future__ import annotations

from django.http import HttpRequest

from .qr import ChannelLink, channel_links


def channels(request: HttpRequest) -> dict[str, list[ChannelLink]]:
    """The province's Zalo OA and Facebook page, for the footer of every page (none when not configured)."""
    return {"channel_links": channel_links()}
