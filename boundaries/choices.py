"""Unit choices for the forms' selects: districts, and wards grouped under their district."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Level
from .selectors import unit_list

# Beyond this many wards the page lists only the wards of the chosen district (a whole country has ~10,000).
WARD_OPTIONS_MAX = 1500


def district_choices(empty_label: Any = None) -> list[tuple[str, Any]]:
    units = unit_list(level=Level.DISTRICT).order_by("parent__name", "name")
    return [("", empty_label or _("— Tất cả quận, huyện —"))] + [(u.code, u.name) for u in units]


def ward_choices(district: str = "", *, empty_label: Any = None) -> list[Any]:
    """Wards grouped under their district (or province, where there are no districts)."""
    units = unit_list(level=Level.WARD).order_by("parent__name", "name")
    if district and units.count() > WARD_OPTIONS_MAX:
        units = units.filter(parent__code=district)
    elif units.count() > WARD_OPTIONS_MAX:
        units = units.none()
    groups: dict[str, list[tuple[str, str]]] = {}
    for unit in units:
        groups.setdefault(unit.parent.name if unit.parent else "", []).append((unit.code, unit.name))
    return [("", empty_label or _("— Tất cả phường, xã —"))] + list(groups.items())
