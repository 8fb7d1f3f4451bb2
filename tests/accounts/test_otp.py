"""One-time codes: hashed, 60-second, single use, five wrong tries, sending limits that reveal nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts import services
from accounts.models import OneTimeCode, User
from notifications.models import Notification
from tests.accounts.conftest import PHONE, last_code

pytestmark = pytest.mark.django_db

LOGIN = services.Purpose.LOGIN
SMS = services.Target(services.Channel.SMS, PHONE)


def test_phone_forms_are_one_target() -> None:
    for typed in ("0912 345 678", "912345678", "+84912345678", "84912345678", "+84 912-345-678"):
        assert services.otp_target(phone=typed) == SMS
    assert services.otp_target(email=" An.Nguyen@Example.VN ") == services.Target("email", "an.nguyen@example.vn")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"phone": "12345"}, "phone"), ({"phone": ""}, "phone"), ({"email": "khong-phai-email"}, "email")],
)
def test_bad_targets_are_refused_by_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.otp_target(**kwargs)
    assert field in caught.value.message_dict


def test_the_code_is_stored_hashed_and_sent_by_sms(citizen: User) -> None:
    row = services.otp_request(target=SMS, purpose=LOGIN, ip="203.0.113.5")
    code = last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.sent and row.user == citizen and row.ip == "203.0.113.5"
    assert (row.expires_at - row.created_at) == timedelta(seconds=60)
    sms = Notification.objects.get(recipient=PHONE)
    assert sms.channel == "sms" and sms.dedupe_key is None


def test_a_right_code_signs_in_once(citizen: User) -> None:
    services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    code = last_code(PHONE)
    assert services.otp_verify(target=SMS, purpose=LOGIN, code=code) == citizen
    with pytest.raises(services.OtpError, match="đã hết hạn hoặc đã được dùng"):
        services.otp_verify(target=SMS, purpose=LOGIN, code=code)


def test_a_code_is_for_its_purpose_only(citizen: User) -> None:
    services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    with pytest.raises(services.OtpError):
        services.otp_verify(target=SMS, purpose=services.Purpose.RESET, code=last_code(PHONE))


def test_an_expired_code_is_refused(citizen: User) -> None:
    services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.OtpError, match="đã hết hạn"):
        services.otp_verify(target=SMS, purpose=LOGIN, code=last_code(PHONE))


def test_five_wrong_tries_kill_the_code(citizen: User) -> None:
    services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(services.OtpError, match=f"còn {left} lần"):
            services.otp_verify(target=SMS, purpose=LOGIN, code=wrong)
    with pytest.raises(services.OtpError, match="sai quá nhiều lần"):
        services.otp_verify(target=SMS, purpose=LOGIN, code=wrong)
    assert OneTimeCode.objects.get().attempts == 5
    # Even the right code is dead now.
    with pytest.raises(services.OtpError, match="sai quá nhiều lần"):
        services.otp_verify(target=SMS, purpose=LOGIN, code=code)


def test_a_new_code_replaces_the_old_one(citizen: User) -> None:
    services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    first = last_code(PHONE)
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    second = last_code(PHONE)
    if first != second:
        with pytest.raises(services.OtpError):
            services.otp_verify(target=SMS, purpose=LOGIN, code=first)
    assert services.otp_verify(target=SMS, purpose=LOGIN, code=second) == citizen


def test_no_account_means_nothing_sent_but_the_same_answer(db: None) -> None:
    row = services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    assert not row.sent and row.user is None
    assert not Notification.objects.exists()
    # Nobody received a code, so no guess can sign in.
    with pytest.raises(services.OtpError):
        services.otp_verify(target=SMS, purpose=LOGIN, code="000000")


def test_an_unconfirmed_email_gets_no_code(citizen: User) -> None:
    User.objects.filter(pk=citizen.pk).update(email_verified_at=None)
    row = services.otp_request(target=services.otp_target(email="an.nguyen@example.vn"), purpose=LOGIN, ip=None)
    assert not row.sent


def _age_all(seconds: int) -> None:
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.parametrize("with_account", [True, False])
def test_sending_limits_are_the_same_with_or_without_an_account(db: None, with_account: bool) -> None:
    if with_account:
        User.objects.create_user(username="an", password="x", phone=PHONE)
    services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    with pytest.raises(services.ThrottledError) as caught:
        services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    assert 55 <= caught.value.retry_after <= 60
    assert "giây" in str(caught.value)
    # Five per hour per number: after the 60-second wait four more go, then the hour is full.
    for _ in range(4):
        _age_all(61)
        services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    _age_all(61)
    with pytest.raises(services.ThrottledError) as caught:
        services.otp_request(target=SMS, purpose=LOGIN, ip=None)
    assert caught.value.retry_after > 60 and "phút" in str(caught.value)
    assert OneTimeCode.objects.count() == 5


def test_sending_limit_per_address(db: None, settings: SettingsWrapper) -> None:
    settings.OTP_MAX_PER_IP_PER_HOUR = 3
    for number in ("0912000001", "0912000002", "0912000003"):
        services.otp_request(target=services.otp_target(phone=number), purpose=LOGIN, ip="198.51.100.7")
    with pytest.raises(services.ThrottledError):
        services.otp_request(target=services.otp_target(phone="0912000004"), purpose=LOGIN, ip="198.51.100.7")
    # Another address is not held back.
    services.otp_request(target=services.otp_target(phone="0912000004"), purpose=LOGIN, ip="198.51.100.8")
