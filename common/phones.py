"""Phone numbers: one canonical form (E.164) however a Vietnamese number is typed."""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    pass


def phone_normalize(raw: str, *, region: str = "VN") -> str:
    """'0912 345 678', '912345678', '+84 912345678' and '84912345678' are all '+84912345678'."""
    text = "".join(ch for ch in raw.strip() if ch.isdigit() or ch == "+")
    if not text:
        raise PhoneError("Số điện thoại không được để trống.")
    candidates = [text]
    # People leave out the leading 0 (the seed apps even ask them to), or type 84 without +.
    if text.startswith("84") and len(text) >= 11:
        candidates.append("+" + text)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise PhoneError(f"Số điện thoại “{raw.strip()[:30]}” không hợp lệ.")


def phone_display(e164: str) -> str:
    """National format for Vietnamese numbers (0912 345 678), international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 84:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
