"""Place search from our own boundaries: wards and districts by name, diacritics and case ignored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.gis.db.models import PointField
from django.db.models import Func, TextField, Value
from django.db.models.functions import Concat, Lower

from common.gis import SRID

from .geocoding import geocode
from .models import AdminUnit, Level
from .selectors import locate


class Unaccent(Func):
    # The IMMUTABLE wrapper from incidents migration 0003, so the trigram indexes apply.
    function = "f_unaccent"
    output_field = TextField()


def folded(expression: object) -> Unaccent:
    return Unaccent(Lower(expression))


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: str
    level: int
    parent: str
    lat: float
    lng: float


def places_search(query: str, *, limit: int = 10) -> list[Place]:
    """Wards and districts by name from our own boundaries, offline and diacritics-insensitive.

    Every word must appear, so "phuong 8 soc trang" finds Phường 8 of a unit in Sóc Trăng.
    """
    words = [word for word in query.lower().split() if word]
    if not words:
        return []
    units = (
        AdminUnit.objects.current()
        .select_related("parent", "parent__parent")
        .annotate(
            folded=folded(
                Concat("name", Value(" "), "parent__name", Value(" "), "parent__parent__name", output_field=TextField())
            )
        )
    )
    for word in words:
        units = units.filter(folded__contains=Unaccent(Value(word)))
    units = units.annotate(
        centre=Func("geom", function="ST_PointOnSurface", output_field=PointField(srid=SRID)),
    ).order_by("-level", "name")[:limit]
    places = []
    for unit in units:
        parent = unit.parent
        places.append(
            Place(
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                level=unit.level,
                parent=", ".join(p.name for p in (parent, parent.parent if parent else None) if p is not None),
                lat=unit.centre.y,  # type: ignore[attr-defined]
                lng=unit.centre.x,  # type: ignore[attr-defined]
            )
        )
    return places


def text_fold(text: str) -> str:
    """Lower case without diacritics, in Python (as f_unaccent folds in the database)."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def address_places(address: str, *, level: int = Level.WARD, geocoded: bool = False) -> list[Place]:
    """The places at `level` or finer (wards; Level.DISTRICT: wards and districts) that a free-text address
    names, written most specific first ("12 Lê Lợi, Phường 1, Thành phố Tây Ninh"), wards first.

    The longest tail of its parts (split at commas, semicolons and line ends) that names any such place
    decides, since house numbers and streets are not in our boundaries; where some of those places are named
    exactly by a part of the address, only they. A list, so a caller can tell one match from an ambiguous
    one; [] when nothing is named. With `geocoded`, an address naming nothing is then sent to the geocoder
    (GEOCODER_URL, if set): its first point, kept only inside our boundaries, as the place containing it.
    """
    # Only the last few parts can name a ward (then district, province): the search stays a few queries.
    parts = [part.strip() for part in re.split(r"[,;\n]", address) if part.strip()][-6:]
    folded_parts = {text_fold(part) for part in parts}
    for start in range(len(parts)):
        found = [place for place in places_search(" ".join(parts[start:]), limit=20) if place.level >= level]
        if found:
            exact = [place for place in found if text_fold(place.name) in folded_parts]
            return exact or found
    if geocoded:
        for point in geocode(address, limit=1):
            location = locate(point.lng, point.lat)
            chain = location.chain if location is not None else ()
            # The finest unit of the chain (finest first) at the level asked for.
            for index, unit in enumerate(chain):
                if unit.level >= level:
                    parent = ", ".join(ref.name for ref in chain[index + 1 :])
                    return [Place(unit.code, unit.name, unit.kind, unit.level, parent, point.lat, point.lng)]
    return []
