"""Which account a sign-in names; a citizen's own reports."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from boundaries.models import AdminUnit, Level
from common.phones import PhoneError, phone_normalize

from .models import SavedPlace, User


def username_for(identifier: str) -> str:
    """The username of the account that `identifier` names: a username, a phone number or an e-mail address.

    Anything that names no single account is returned as typed: authentication then fails
    like a wrong password, so the page never tells whether an account exists.
    """
    text = identifier.strip()
    if not text or User.objects.filter(username=text).exists():
        return text
    if "@" in text:
        matches = list(User.objects.filter(email__iexact=text).values_list("username", flat=True)[:2])
        return matches[0] if len(matches) == 1 else text
    try:
        phone = phone_normalize(text)
    except PhoneError:
        return text
    found = User.objects.filter(phone=phone).values_list("username", flat=True).first()
    return found if found is not None else text


def saved_places_of(user: User) -> QuerySet[SavedPlace]:
    """A person's saved places, each with the name of its ward: the chosen one, or (for a place saved as a
    point) the ward the point lies in, so that pages name places rather than show coordinates."""
    point_ward = AdminUnit.objects.current().filter(level=Level.WARD, geom__covers=OuterRef("location"))
    return (
        SavedPlace.objects.filter(user=user)
        .select_related("ward")
        .annotate(point_ward_name=Subquery(point_ward.values("name")[:1]))
        .order_by("created_at", "id")
    )
