"""The one pagination of every API list (REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS).

Its own module: common.api imports rest_framework.views, which reads REST_FRAMEWORK's classes on import.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """Every API list: `limit` (default PAGE_SIZE) above API_MAX_PAGE_SIZE is lowered to it (clamped, not
    refused); a malformed limit or offset gets the default; `next` links to the rest."""

    @property
    def max_limit(self) -> int:  # type: ignore[override]  # read per request: settings may change in tests
        return settings.API_MAX_PAGE_SIZE
