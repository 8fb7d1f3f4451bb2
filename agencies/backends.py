"""Grants common.admin.ADMINISTER to administrators, so the floor's admin mixins ask Django's
permission system and never import this app."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from common.admin import ADMINISTER

from .selectors import is_administrator


class AdministratorBackend(BaseBackend):
    """Authenticates nobody (BaseBackend.authenticate answers None); only answers ADMINISTER."""

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm == ADMINISTER and is_administrator(user_obj)
