"""Which account a sign-in names; a citizen's own reports."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from common.phones import PhoneError, phone_normalize
from incidents.models import Answer, Report

from .models import User


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


def my_reports(user: User) -> QuerySet[Report]:
    """The citizen's reports, newest first, with their published answers.

    Reports sent without signing in count as theirs too when they came from the phone number the
    account has proven it holds.
    """
    mine = Q(user=user)
    if user.phone and user.phone_verified_at is not None:
        mine |= Q(user__isnull=True, reporter_phone=user.phone)
    return (
        Report.objects.filter(mine)
        .select_related("category", "agency", "ward", "district")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.filter(published_at__isnull=False)
                .select_related("agency")
                .order_by("published_at", "id"),
                to_attr="published_answers",
            )
        )
        .order_by("-created_at", "-id")
    )
