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


# Where a long text is best cut, best first: between paragraphs, lines, sentences, words.
_BREAKS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])\s+"),
    re.compile(r"\s+"),
)


def text_split(text: str, *, max_length: int) -> list[str]:
    """`text` in order as pieces of at most `max_length` characters (a chat platform's limit per message),
    each cut at the best boundary in its second half: a paragraph, a line, a sentence, else a word; a
    word longer than a piece is cut where it must be. Blanks at the cuts are dropped; [] for blank text."""
    rest = text.strip()
    pieces = []
    while len(rest) > max_length:
        # One character more: a break just after the limit still leaves a piece that fits.
        window = rest[: max_length + 1]
        cut = None
        for pattern in _BREAKS:
            fitting = [match for match in pattern.finditer(window) if max_length // 2 <= match.start() <= max_length]
            if fitting:
                cut = (fitting[-1].start(), fitting[-1].end())
                break
        start, end = cut or (max_length, max_length)
        pieces.append(rest[:start].rstrip())
        rest = rest[end:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
