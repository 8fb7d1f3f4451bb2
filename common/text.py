"""Free text as people type it: the one rule for what is kept of it."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Control characters (except tab, newline, carriage return) are never stored: they break
# exports, SMS gateways and terminals. Pages and the API escape everything else on the way out.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(value: str | None) -> str:
    """The text without control characters and surrounding blanks."""
    return _CONTROL.sub("", value or "").strip()


def clean_text(value: str | None, *, max_length: int, field_label: str, required: bool = True) -> str:
    """The text as typed (minus control characters), or a ValidationError a person understands."""
    text = strip_control(value)
    if required and not text:
        raise ValidationError(f"{field_label} không được để trống.")
    if len(text) > max_length:
        raise ValidationError(f"{field_label} dài quá {max_length} ký tự (hiện có {len(text)}).")
    return text
