from typing import Any

from django.conf import settings
from django.http import HttpRequest


def map_settings(request: HttpRequest) -> dict[str, Any]:
    """Basemap settings every map page reads, so the tile server is one setting."""
    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "MAP_DEFAULT_CENTER": settings.MAP_DEFAULT_CENTER,
    }
