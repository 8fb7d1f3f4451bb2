"""The conversation engine's reads: open conversations, a reporter's own reports, addresses to wards."""

from __future__ import annotations

import re
from dataclasses import dataclass

from boundaries.geocoding import geocode
from boundaries.places import places_search
from boundaries.selectors import locate
from incidents.models import Answer, Category, Report
from incidents.selectors import category_list, report_get

from .models import Conversation, Stage

CODE = re.compile(r"\d{12}")


def conversation_open_for(*, platform: str, user_id: str) -> Conversation | None:
    """The person's open conversation, locked for the caller's transaction."""
    return (
        Conversation.objects.select_for_update().exclude(stage=Stage.CLOSED).filter(platform=platform, user_id=user_id)
    ).first()


def report_of_reporter(*, code: str, reply_address: str) -> Report | None:
    """The report with this code if it was filed from this platform user; None otherwise, the same
    answer as for a code that does not exist."""
    if not CODE.fullmatch(code):
        return None
    report = report_get(code)
    if report is None or not reply_address or report.reply_address != reply_address:
        return None
    return report


def report_answer_published(report: Report) -> Answer | None:
    return report.answers.filter(published_at__isnull=False).order_by("-published_at", "-id").first()


def chat_categories() -> list[Category]:
    """The categories a person picks from, numbered from 1 in this order."""
    return list(category_list().order_by("sort_order", "name"))


@dataclass(frozen=True)
class MatchedAddress:
    name: str
    lat: float
    lng: float


def address_locate(address: str) -> MatchedAddress | None:
    """A typed address matched to a ward (or district) of our boundaries, or None.

    The address is read from its end: "Tổ 5, phường Đức Xuân, thành phố Bắc Kạn" is looked up as the
    whole text, then without its first part, and so on, since the house number and street name are
    not in our boundaries. Without a match there, the geocoder (GEOCODER_URL, if set) is asked and
    its point kept only when it lies in our boundaries.
    """
    parts = [part.strip() for part in re.split(r"[,;\n]", address) if part.strip()]
    for start in range(len(parts)):
        # A province alone is too coarse to route by: a ward or a district is asked for.
        places = [place for place in places_search(" ".join(parts[start:]), limit=5) if place.level >= 2]
        if places:
            best = places[0]
            return MatchedAddress(
                name=f"{best.name}, {best.parent}" if best.parent else best.name, lat=best.lat, lng=best.lng
            )
    for place in geocode(address, limit=1):
        found = locate(place.lng, place.lat)
        if found is not None and (found.ward or found.district):
            return MatchedAddress(name=place.name, lat=place.lat, lng=place.lng)
    return None
