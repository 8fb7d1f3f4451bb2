"""Template filters for what a staff member may open (the links they are shown)."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from agencies.selectors import is_administrator

register = template.Library()


@register.filter(name="is_administrator")
def is_administrator_filter(user: User | AnonymousUser) -> bool:
    return is_administrator(user)
