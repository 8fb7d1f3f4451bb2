"""Anonymous intake is limited per address (settings.INTAKE_ANON_RATE), through the API and the form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Role, User
from incidents.models import Report
from tests.conftest import point_in
from tests.factories import staff_make

pytestmark = pytest.mark.django_db

API = "/api/v1/reports/"
FORM = "/phan-anh/gui/"
MESSAGE = "Bạn đã gửi quá nhiều phản ánh từ địa chỉ mạng này."


@pytest.fixture
def limited(demo: None, settings: SettingsWrapper) -> SettingsWrapper:
    settings.INTAKE_ANON_RATE = "2/hour"
    cache.clear()
    return settings


def payload(number: int) -> dict[str, Any]:
    return {
        "category": "cay-xanh",
        "title": f"Cây đổ số {number}",
        "description": "Cây lớn đổ sau mưa.",
        "location": {"type": "Point", "coordinates": list(point_in("D25450"))},
        "reporter": {"name": "Nguyễn Văn An", "phone": "0912345678"},
    }


def send(client: Client, number: int) -> Any:
    return client.post(API, json.dumps(payload(number)), content_type="application/json")


def test_the_api_answers_429_in_vietnamese_with_retry_after(limited: SettingsWrapper) -> None:
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert [send(client, n).status_code for n in range(2)] == [201, 201]
    refused = send(client, 3)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(MESSAGE) and "60 phút" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Report.objects.count() == 2
    # Reading is not limited, and neither is another address.
    assert client.get(API).status_code == 200
    assert send(Client(REMOTE_ADDR="198.51.100.2"), 4).status_code == 201


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(limited: SettingsWrapper) -> None:
    statuses = [
        send(Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"), n).status_code for n in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_behind_our_proxy_each_client_address_counts_apart(limited: SettingsWrapper) -> None:
    limited.BEHIND_PROXY = True
    proxy = "10.0.0.1"
    first = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert [send(first, n).status_code for n in range(3)] == [201, 201, 429]
    assert send(second, 4).status_code == 201


def test_signed_in_staff_and_citizens_are_not_limited(limited: SettingsWrapper) -> None:
    for user in (
        staff_make("tongdai", "ubnd-d72", Role.OPERATOR),
        User.objects.create_user(username="dan", password="x", phone="+84912345678"),
    ):
        client = Client(REMOTE_ADDR="198.51.100.1")
        client.force_login(user)
        assert [send(client, n).status_code for n in range(3)] == [201, 201, 201]


def test_an_empty_rate_lifts_the_limit(limited: SettingsWrapper) -> None:
    limited.INTAKE_ANON_RATE = None
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert [send(client, n).status_code for n in range(3)] == [201, 201, 201]


def test_the_form_shows_a_vietnamese_page_when_the_limit_is_reached(limited: SettingsWrapper) -> None:
    client = Client(REMOTE_ADDR="198.51.100.1")
    # Sending counts whether or not the form was filled in right (here it was not: no captcha).
    assert [client.post(FORM, {"title": "x"}).status_code for _ in range(2)] == [400, 400]
    refused = client.post(FORM, {"title": "x"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert MESSAGE in html and "Tạm dừng nhận phản ánh từ địa chỉ này" in html and 'lang="vi"' in html
    # The API shares the count: the same address is refused there too.
    assert send(client, 1).status_code == 429
    # Looking at the form is still fine.
    assert client.get(FORM).status_code == 200
