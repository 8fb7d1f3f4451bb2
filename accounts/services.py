"""Citizen accounts: registration, one-time codes, sign-in, password reset, profile and saved places."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from boundaries.models import AdminUnit
from boundaries.selectors import locate
from common.gis import CoordinateError, make_point, parse_lat_lng
from common.phones import PhoneError, phone_normalize
from notifications.services import notification_enqueue

from .models import OneTimeCode, SavedPlace, User
from .selectors import username_for

Purpose = OneTimeCode.Purpose
Channel = OneTimeCode.Channel
CODE_DIGITS = 6
# Codes that prove a phone or an e-mail address rather than an account: to follow a report, or to
# find one's own report. They are tied to no account, and the caller decides whether one is sent.
CONTACT_PURPOSES = (Purpose.FOLLOW, Purpose.REPORTER)
MAX_SAVED_PLACES = 20
HOUR = timedelta(hours=1)


class ThrottledError(Exception):
    """Too many codes were asked for; ``retry_after`` seconds until the next one may be sent."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(throttled_message(self.retry_after))


class OtpError(Exception):
    """The code was wrong, expired, used or has had too many wrong tries; the message says which."""


def throttled_message(seconds: int) -> str:
    if seconds < 120:
        return _("Bạn đã yêu cầu mã quá nhiều lần. Hãy thử lại sau %(n)s giây.") % {"n": seconds}
    return _("Bạn đã yêu cầu mã quá nhiều lần. Hãy thử lại sau %(n)s phút.") % {"n": math.ceil(seconds / 60)}


@dataclass(frozen=True)
class Target:
    """Where a code goes: an E.164 phone number (SMS) or a lower-cased e-mail address."""

    channel: str
    address: str


def otp_target(*, phone: str | None = None, email: str | None = None) -> Target:
    """The normalised target; ValidationError keyed by the field when it is unusable."""
    if phone and email:
        raise ValidationError({"phone": [_("Chỉ nhập số điện thoại hoặc e-mail, không nhập cả hai.")]})
    if email:
        address = email.strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({"email": [_("Địa chỉ e-mail không hợp lệ.")]}) from None
        return Target(Channel.EMAIL, address)
    if not phone:
        raise ValidationError({"phone": [_("Hãy nhập số điện thoại (hoặc e-mail).")]})
    try:
        return Target(Channel.SMS, phone_normalize(phone))
    except PhoneError:
        raise ValidationError({"phone": [_("Số điện thoại không hợp lệ. Ví dụ đúng: 0912 345 678.")]}) from None


# --- One-time codes -----------------------------------------------------------------------


def _code_hash(target: str, purpose: str, code: str) -> str:
    # Keyed with SECRET_KEY: a leaked table alone does not give the codes (there are only 10^6 of them).
    message = f"{target}|{purpose}|{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _lock(target: str) -> None:
    """Serialises code requests for one target, so that concurrent requests cannot slip past the limits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"otp:{target}"])


def resend_wait(target: str, *, now: datetime | None = None) -> int:
    """Seconds until another code may be sent to `target` (0: now)."""
    now = now or timezone.now()
    last = OneTimeCode.objects.filter(target=target).order_by("-created_at").values_list("created_at", flat=True)
    latest = last.first()
    if latest is None:
        return 0
    wait = settings.OTP_RESEND_SECONDS - (now - latest).total_seconds()
    return max(0, math.ceil(wait))


def _check_limits(target: str, ip: str | None, now: datetime) -> None:
    wait = resend_wait(target, now=now)
    if wait > 0:
        raise ThrottledError(wait)
    _check_hourly(OneTimeCode.objects.filter(target=target), settings.OTP_MAX_PER_TARGET_PER_HOUR, now)
    if ip:
        _check_hourly(OneTimeCode.objects.filter(ip=ip), settings.OTP_MAX_PER_IP_PER_HOUR, now)


def _check_hourly(codes: QuerySet[OneTimeCode], limit: int, now: datetime) -> None:
    """At most `limit` of these codes in any hour: a full hour's count waits until its oldest is an hour old."""
    recent = list(codes.filter(created_at__gt=now - HOUR).order_by("created_at").values_list("created_at", flat=True))
    if len(recent) >= limit:
        oldest = recent[len(recent) - limit]
        raise ThrottledError(math.ceil((oldest + HOUR - now).total_seconds()))


def _account_for(target: Target) -> User | None:
    if target.channel == Channel.SMS:
        return User.objects.filter(phone=target.address).first()
    # An e-mail address names an account only once it was proven; several accounts may have typed it.
    matches = list(User.objects.filter(email__iexact=target.address, email_verified_at__isnull=False)[:2])
    return matches[0] if len(matches) == 1 else None


def _is_pending(user: User) -> bool:
    """Registered but never confirmed: the code we send for registration activates it."""
    return (
        not user.is_active
        and user.last_login is None
        and user.phone_verified_at is None
        and not (user.is_staff or user.is_superuser or user.staff_roles.exists())
    )


def _should_send(user: User | None, purpose: str) -> bool:
    if user is None:
        return False
    if purpose == Purpose.REGISTER:
        return _is_pending(user)
    return user.is_active


def _message(code: str, purpose: str) -> tuple[str, str]:
    minutes_or_seconds = settings.OTP_TTL_SECONDS
    what = {
        Purpose.REGISTER: _("đăng ký tài khoản"),
        Purpose.LOGIN: _("đăng nhập"),
        Purpose.RESET: _("đặt lại mật khẩu"),
        Purpose.EMAIL: _("địa chỉ e-mail mới"),
        Purpose.FOLLOW: _("theo dõi phản ánh"),
        Purpose.REPORTER: _("tra cứu phản ánh đã gửi"),
    }[Purpose(purpose)]
    body = _(
        "Mã xác nhận %(what)s Phản ánh hiện trường: %(code)s. Mã có hiệu lực %(ttl)s giây. "
        "Không cung cấp mã này cho bất kỳ ai."
    ) % {"what": what, "code": code, "ttl": minutes_or_seconds}
    subject = _("Mã xác nhận %(what)s") % {"what": what}
    return subject, body


def _issue(*, target: Target, purpose: str, user: User | None, send: bool, ip: str | None) -> OneTimeCode:
    """Writes a new code (replacing the target's live ones) and queues it; caller holds the target's lock."""
    now = timezone.now()
    _check_limits(target.address, ip, now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    # One live code per target and purpose: a resend kills the previous one.
    OneTimeCode.objects.filter(target=target.address, purpose=purpose, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    row = OneTimeCode.objects.create(
        channel=target.channel,
        target=target.address,
        purpose=purpose,
        user=user,
        code_hash=_code_hash(target.address, purpose, code),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        sent=send,
        ip=ip,
    )
    if send:
        subject, body = _message(code, purpose)
        # No dedupe key: every code is its own message.
        notification_enqueue(channel=target.channel, recipient=target.address, body=body, subject=subject)
    return row


def otp_request(*, target: Target, purpose: str, ip: str | None, send: bool = True) -> OneTimeCode:
    """Sends a code for `purpose` to `target` when that makes sense, and answers the same way when it does not.

    Nothing is sent for a sign-in or reset without an account, nor for a registration that is not
    pending; the limits are counted all the same. For CONTACT_PURPOSES the caller says whether to
    send (`send`). Raises ThrottledError, ValueError for a bad purpose.
    """
    if purpose not in Purpose.values or purpose == Purpose.EMAIL:
        # An e-mail change is asked for by its account (email_change_request), never by address alone.
        raise ValueError(purpose)
    with transaction.atomic():
        _lock(target.address)
        if purpose in CONTACT_PURPOSES:
            return _issue(target=target, purpose=purpose, user=None, send=send, ip=ip)
        user = _account_for(target)
        return _issue(target=target, purpose=purpose, user=user, send=_should_send(user, purpose), ip=ip)


def _attempts_left(row: OneTimeCode) -> int:
    return max(0, settings.OTP_MAX_ATTEMPTS - row.attempts)


def _consume(
    target: Target, purpose: str, code: str, *, on_success: Callable[[User], None] | None = None
) -> User | None:
    """Checks the code (constant time) and marks it used; every wrong try counts, even when it fails.

    ``on_success`` runs in the same transaction before the code is spent: if it raises, nothing changes.
    Codes of CONTACT_PURPOSES name no account: None then.
    """
    now = timezone.now()
    failure: str | None = None
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update(of=("self",))
            .filter(target=target.address, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
            .select_related("user")
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise OtpError(_("Mã xác nhận đã hết hạn hoặc đã được dùng. Hãy yêu cầu mã mới."))
        if _attempts_left(row) == 0:
            raise OtpError(_("Bạn đã nhập sai quá nhiều lần. Hãy yêu cầu mã mới."))
        typed = re.sub(r"\s", "", code or "")
        right = hmac.compare_digest(row.code_hash, _code_hash(target.address, purpose, typed))
        if not right or (row.user is None and purpose not in CONTACT_PURPOSES):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = _attempts_left(row)
            failure = (
                _("Mã xác nhận không đúng. Bạn còn %(n)s lần thử.") % {"n": left}
                if left
                else _("Bạn đã nhập sai quá nhiều lần. Hãy yêu cầu mã mới.")
            )
        elif row.user is None:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return None
        else:
            user = row.user
            if on_success is not None:
                on_success(user)
            row.used_at = now
            row.save(update_fields=["used_at"])
            fields = []
            if target.channel == Channel.SMS and user.phone == target.address and user.phone_verified_at is None:
                user.phone_verified_at = now
                fields.append("phone_verified_at")
            if target.channel == Channel.EMAIL and (user.email or "").lower() == target.address:
                if user.email_verified_at is None:
                    user.email_verified_at = now
                    fields.append("email_verified_at")
            if purpose == Purpose.REGISTER and not user.is_active:
                user.is_active = True
                fields.append("is_active")
            if fields:
                user.save(update_fields=fields)
    # Raised outside the transaction so that the counted try is committed.
    if failure is not None:
        raise OtpError(failure)
    return user


def otp_verify(*, target: Target, purpose: str, code: str) -> User:
    """The account the code was sent for, after marking the code used (and the account confirmed)."""
    if purpose in CONTACT_PURPOSES:
        raise ValueError(purpose)
    # Only codes of CONTACT_PURPOSES name no account.
    return cast(User, _consume(target, purpose, code))


def otp_verify_contact(*, target: Target, purpose: str, code: str) -> None:
    """Marks a code of CONTACT_PURPOSES used: whoever typed it holds `target`. OtpError when wrong."""
    if purpose not in CONTACT_PURPOSES:
        raise ValueError(purpose)
    _consume(target, purpose, code)


# --- Registration -------------------------------------------------------------------------


def _clean_name(value: str) -> str:
    name = re.sub(r"\s+", " ", value or "").strip()
    if not name:
        raise ValidationError(_("Hãy nhập họ và tên."))
    if len(name) > 150:
        raise ValidationError(_("Họ và tên dài quá 150 ký tự."))
    if re.search(r"[<>{}]", name):
        raise ValidationError(_("Họ và tên có ký tự không hợp lệ."))
    return name


def _password_message(error: ValidationError) -> str:
    """Django's validator messages, in our words (its Vietnamese catalogue lacks some of them)."""
    params = error.params or {}
    known = {
        "password_too_short": _("Mật khẩu quá ngắn: cần ít nhất %(n)s ký tự.") % {"n": params.get("min_length", 8)},
        "password_too_common": _("Mật khẩu này quá phổ biến, dễ bị đoán."),
        "password_entirely_numeric": _("Mật khẩu không được toàn là chữ số."),
        "password_too_similar": _("Mật khẩu quá giống thông tin cá nhân (tên, số điện thoại, e-mail)."),
    }
    return known.get(error.code or "", " ".join(error.messages))


def _password_errors(password: str, confirm: str | None, user: User | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not password:
        errors["password"] = [_("Hãy nhập mật khẩu.")]
        return errors
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = [_password_message(error) for error in exc.error_list]
    if confirm is not None and password != confirm:
        errors["password_confirm"] = [_("Hai lần nhập mật khẩu không khớp.")]
    return errors


def _username_for_phone(phone: str) -> str:
    base = phone.lstrip("+")
    candidate = base
    while User.objects.filter(username=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(2)}"
    return candidate


def registration_validate(
    *, full_name: str, phone: str, email: str, password: str, password_confirm: str
) -> tuple[str, Target, str]:
    """(name, phone target, e-mail) cleaned, or ValidationError keyed by field with every problem found."""
    errors: dict[str, list[str]] = {}
    name = ""
    try:
        name = _clean_name(full_name)
    except ValidationError as exc:
        errors["full_name"] = list(exc.messages)
    target: Target | None = None
    try:
        target = otp_target(phone=phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    address = (email or "").strip().lower()
    if address:
        try:
            validate_email(address)
        except ValidationError:
            errors["email"] = [_("Địa chỉ e-mail không hợp lệ.")]
    probe = User(username="", first_name=name, email=address, phone=target.address if target else None)
    errors.update(_password_errors(password, password_confirm, probe))
    if errors or target is None:
        raise ValidationError(errors)
    return name, target, address


def user_register(
    *, full_name: str, phone: str, email: str = "", password: str, password_confirm: str, ip: str | None
) -> Target:
    """Creates an inactive account (or refreshes a pending one) and sends the code that activates it.

    The answer is the same whether or not the number already has an account: for an account in
    use nothing is sent (the person signs in or resets the password instead). Raises ValidationError
    keyed by field, ThrottledError when too many codes went to the number or from the address.
    """
    name, target, address = registration_validate(
        full_name=full_name, phone=phone, email=email, password=password, password_confirm=password_confirm
    )
    with transaction.atomic():
        _lock(target.address)
        user = User.objects.select_for_update().filter(phone=target.address).first()
        if user is not None and not _is_pending(user):
            _issue(target=target, purpose=Purpose.REGISTER, user=user, send=False, ip=ip)
            return target
        if user is None:
            user = User(username=_username_for_phone(target.address), phone=target.address, is_active=False)
        user.first_name = name
        user.last_name = ""
        # An address another account already uses is left off: e-mail sign-in must name one account.
        taken = address and User.objects.filter(email__iexact=address).exclude(pk=user.pk).exists()
        user.email = "" if taken else address
        user.set_password(password)
        user.save()
        _issue(target=target, purpose=Purpose.REGISTER, user=user, send=True, ip=ip)
    return target


# --- Sign-in, tokens, password reset -----------------------------------------------------


def login_with_password(request: HttpRequest, *, identifier: str, password: str) -> User | None:
    """The account for a username / phone / e-mail and password, or None. Goes through django-axes."""
    user = authenticate(request, username=username_for(identifier), password=password)
    return user if isinstance(user, User) else None


def token_sign_in(request: HttpRequest, user: User) -> str:
    """Signs in for the API (no session): the API token, after the signal Django's login() sends.

    The signal records last_login and lets django-axes clear the account's failed attempts.
    """
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return api_token(user)


def api_token(user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    key: str = token.key
    return key


def api_token_revoke(user: User) -> None:
    Token.objects.filter(user=user).delete()


def password_reset(*, target: Target, code: str, password: str, password_confirm: str) -> User:
    """Sets a new password with a reset code and ends every session and API token of the account.

    Sessions end because Django ties each session to a hash of the password: one made before the
    change is refused (and flushed) on its next request. The password is checked before the code is
    spent. Raises OtpError or ValidationError.
    """
    errors = _password_errors(password, password_confirm, None)
    if errors:
        raise ValidationError(errors)

    def set_password(user: User) -> None:
        # Checked again against the account's own details; a refused password leaves the code unspent.
        found = _password_errors(password, None, user)
        if found:
            raise ValidationError(found)
        user.set_password(password)
        user.save(update_fields=["password"])
        api_token_revoke(user)

    return cast(User, _consume(target, Purpose.RESET, code, on_success=set_password))


# --- Profile and saved places -------------------------------------------------------------


def profile_update(
    user: User,
    *,
    full_name: str | None = None,
    email: str | None = None,
    notify_report_updates: bool | None = None,
    notify_alerts: bool | None = None,
    notify_by_sms: bool | None = None,
    notify_by_email: bool | None = None,
    ip: str | None = None,
) -> str | None:
    """Changes the given fields only. A new e-mail address is not set here: a code goes to it
    (email_change_request), and the address it names is returned, to be confirmed with
    email_change_confirm; None when no change of address is under way."""
    errors: dict[str, list[str]] = {}
    fields: list[str] = []
    new_email: str | None = None
    if full_name is not None:
        try:
            user.first_name = _clean_name(full_name)
            user.last_name = ""
            fields += ["first_name", "last_name"]
        except ValidationError as exc:
            errors["full_name"] = list(exc.messages)
    if email is not None:
        address = email.strip().lower()
        if not address and user.email:
            # Removing one's own address tells nothing about anyone else's.
            user.email = ""
            user.email_verified_at = None
            fields += ["email", "email_verified_at"]
        elif address and address != (user.email or "").lower():
            try:
                validate_email(address)
            except ValidationError:
                errors["email"] = [_("Địa chỉ e-mail không hợp lệ.")]
            else:
                new_email = address
    choices = {
        "notify_report_updates": notify_report_updates,
        "notify_alerts": notify_alerts,
        "notify_by_sms": notify_by_sms,
        "notify_by_email": notify_by_email,
    }
    for name, value in choices.items():
        if value is not None:
            setattr(user, name, bool(value))
            fields.append(name)
    if errors:
        user.refresh_from_db()
        raise ValidationError(errors)
    with transaction.atomic():
        if fields:
            user.save(update_fields=fields)
        if new_email is not None:
            email_change_request(user=user, email=new_email, ip=ip)
    return new_email


def email_change_request(*, user: User, email: str, ip: str | None) -> Target:
    """Sends a code that confirms `email` as the account's new address, and answers the same when
    another account uses it (then nothing is sent, and no code can confirm it). The limits count
    either way. Raises ValidationError for a malformed address, ThrottledError."""
    target = otp_target(email=email)
    with transaction.atomic():
        _lock(target.address)
        taken = User.objects.filter(email__iexact=target.address).exclude(pk=user.pk).exists()
        _issue(target=target, purpose=Purpose.EMAIL, user=None if taken else user, send=not taken, ip=ip)
    return target


def email_change_confirm(*, user: User, email: str, code: str) -> User:
    """Makes `email` the account's confirmed address with the code sent to it; OtpError otherwise
    (the same error whether the code was wrong or the address belongs to another account)."""
    target = otp_target(email=email)

    def take(owner: User) -> None:
        # A code sent for another account's change is as wrong as a mistyped one.
        if owner.pk != user.pk or User.objects.filter(email__iexact=target.address).exclude(pk=owner.pk).exists():
            raise OtpError(_("Mã xác nhận không đúng."))
        owner.email = target.address
        owner.email_verified_at = None  # set by _consume, as for every address a code proves
        owner.save(update_fields=["email", "email_verified_at"])

    changed = cast(User, _consume(target, Purpose.EMAIL, code, on_success=take))
    user.refresh_from_db()
    return changed


def place_add(
    user: User,
    *,
    label: str,
    ward_code: str | None = None,
    lat: object = None,
    lng: object = None,
) -> SavedPlace:
    """Saves the home ward or a point on the map (exactly one of them) under a name."""
    errors: dict[str, list[str]] = {}
    name = re.sub(r"\s+", " ", label or "").strip()
    if not name:
        errors["label"] = [_("Hãy đặt tên cho nơi này, ví dụ: Nhà.")]
    elif len(name) > 100:
        errors["label"] = [_("Tên gọi dài quá 100 ký tự.")]
    has_point = lat not in (None, "") or lng not in (None, "")
    ward = None
    point = None
    if ward_code and has_point:
        errors["location"] = [_("Chọn phường/xã hoặc một điểm trên bản đồ, không chọn cả hai.")]
    elif ward_code:
        ward = AdminUnit.objects.filter(code=ward_code, level=3).first()
        if ward is None:
            errors["ward"] = [_("Phường/xã không tồn tại.")]
    elif has_point:
        try:
            lng_f, lat_f = parse_lat_lng(lat, lng)
        except CoordinateError as exc:
            errors["location"] = [str(exc)]
        else:
            if locate(lng_f, lat_f) is None:
                errors["location"] = [_("Điểm này nằm ngoài địa bàn của tỉnh.")]
            else:
                point = make_point(lng_f, lat_f)
    else:
        errors["location"] = [_("Hãy chọn phường/xã hoặc một điểm trên bản đồ.")]
    if not errors and user.saved_places.count() >= MAX_SAVED_PLACES:
        errors["label"] = [_("Mỗi tài khoản lưu được tối đa %(n)s nơi.") % {"n": MAX_SAVED_PLACES}]
    if errors:
        raise ValidationError(errors)
    return SavedPlace.objects.create(user=user, label=name, ward=ward, location=point)


def place_delete(user: User, place_id: int) -> bool:
    """Deletes one of the user's places; False when they have no such place."""
    deleted, _rows = SavedPlace.objects.filter(user=user, pk=place_id).delete()
    return deleted > 0


# --- Social sign-in ---------------------------------------------------------------------------


def social_link_candidate(
    *, email: str | None, email_verified: bool, phone: str | None, phone_verified: bool
) -> User | None:
    """The citizen account a first social sign-in joins: one whose e-mail or phone both sides have verified.

    Staff accounts are never joined this way (their sign-in stays with their own credentials).
    """
    conditions = Q()
    if email and email_verified:
        conditions |= Q(email__iexact=email.strip(), email_verified_at__isnull=False)
    if phone and phone_verified:
        try:
            conditions |= Q(phone=phone_normalize(phone), phone_verified_at__isnull=False)
        except PhoneError:
            pass
    if not conditions:
        return None
    matches = list(
        User.objects.filter(conditions, is_active=True, is_staff=False, is_superuser=False, staff_roles__isnull=True)
        .distinct()
        .order_by("pk")[:2]
    )
    return matches[0] if len(matches) == 1 else None
