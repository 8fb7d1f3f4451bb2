"""Street addresses to points through a Nominatim-compatible geocoder (settings.GEOCODER_URL).

Optional: with GEOCODER_URL empty, or when the geocoder fails, `geocode` answers [] and the
place search still works from our own ward and district names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

logger = logging.getLogger(__name__)

# Seconds; the place search box waits for this, so keep it short.
TIMEOUT_S = 4.0
MAX_LIMIT = 20


@dataclass(frozen=True)
class GeocodedPlace:
    name: str
    lat: float
    lng: float


def _geocoder() -> Nominatim | None:
    url: str = settings.GEOCODER_URL
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"https://{url}")
    # geopy's "domain" may carry a path prefix (a geocoder served under /nominatim/).
    domain = parts.netloc + parts.path.rstrip("/")
    return Nominatim(
        scheme=parts.scheme or "https",
        domain=domain,
        user_agent=settings.GEOCODER_USER_AGENT,
        timeout=TIMEOUT_S,
    )


def geocode(query: str, *, limit: int = 5) -> list[GeocodedPlace]:
    """Places in Việt Nam matching a free-text address, best first; [] when off or on any failure."""
    text = " ".join(query.split())
    if not text:
        return []
    geocoder = _geocoder()
    if geocoder is None:
        return []
    try:
        found = geocoder.geocode(
            text,
            exactly_one=False,
            limit=max(1, min(limit, MAX_LIMIT)),
            country_codes="vn",
            language="vi",
        )
    except GeopyError as exc:
        logger.warning("Geocoder at %s failed for %r: %s", settings.GEOCODER_URL, text[:100], exc)
        return []
    except (ValueError, TypeError, AttributeError) as exc:
        # Answers in a shape other than Nominatim's (a coordinate that is not a number, say).
        logger.warning("Geocoder at %s answered unreadable data for %r: %s", settings.GEOCODER_URL, text[:100], exc)
        return []
    places = []
    for location in found or []:
        if location.latitude is None or location.longitude is None:
            continue
        places.append(GeocodedPlace(name=str(location.address or ""), lat=location.latitude, lng=location.longitude))
    return places[:limit]
