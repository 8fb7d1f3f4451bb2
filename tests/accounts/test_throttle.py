"""Anonymous intake is limited per device (settings.INTAKE_ANON_RATE) and, loosely, per address
(settings.INTAKE_ANON_IP_RATE), through the API and the form; only stored reports count."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from agencies.models import Role
from incidents.models import Report
from tests.conftest import captcha_fields, point_in
from tests.factories import staff_make
from tests.incidents.test_pages import Page, form_data, solve_captcha

pytestmark = pytest.mark.django_db

API = "/api/v1/reports/"
FORM = "/phan-anh/gui/"
DEVICE_MESSAGE = "Bạn đã gửi quá nhiều phản ánh từ thiết bị này."
ADDRESS_MESSAGE = "Có quá nhiều phản ánh được gửi từ địa chỉ mạng này."


@pytest.fixture
def limited(demo: None, settings: SettingsWrapper) -> SettingsWrapper:
    settings.INTAKE_ANON_RATE = "2/hour"
    settings.INTAKE_ANON_IP_RATE = "5/hour"
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


def send(client: Client, number: int, **changes: Any) -> Any:
    body = {**captcha_fields(client), **payload(number), **changes}
    return client.post(API, json.dumps(body), content_type="application/json")


def send_form(client: Client, **changes: Any) -> Any:
    page = client.get(FORM).content.decode()
    return client.post(FORM, {**form_data(**changes), **solve_captcha(page)})


def test_one_device_is_limited_not_its_neighbours_on_the_same_address(limited: SettingsWrapper) -> None:
    phone = Client(REMOTE_ADDR="198.51.100.1")
    assert [send(phone, n).status_code for n in range(2)] == [201, 201]
    refused = send(phone, 3)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(DEVICE_MESSAGE) and "60 phút" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Report.objects.count() == 2
    # Reading is not limited, and another device behind the same address may send.
    assert phone.get(API).status_code == 200
    assert send(Client(REMOTE_ADDR="198.51.100.1"), 4).status_code == 201


def test_the_address_is_a_much_larger_outer_bound(limited: SettingsWrapper) -> None:
    devices = [Client(REMOTE_ADDR="198.51.100.1") for _ in range(3)]
    statuses = [send(device, n).status_code for n, device in enumerate(devices * 2)]
    assert statuses == [201] * 5 + [429]
    refused = send(Client(REMOTE_ADDR="198.51.100.1"), 9)
    assert refused.status_code == 429 and refused.json()["detail"].startswith(ADDRESS_MESSAGE)
    assert send(Client(REMOTE_ADDR="198.51.100.2"), 10).status_code == 201


def test_a_forged_device_cookie_is_a_new_device(limited: SettingsWrapper) -> None:
    phone = Client(REMOTE_ADDR="198.51.100.1")
    assert [send(phone, n).status_code for n in range(2)] == [201, 201]
    cookie = phone.cookies["device"]
    value = cookie.value
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # The id is signed: changing it is not taken as another known device's id but as no cookie at all.
    phone.cookies["device"] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert send(phone, 3).status_code == 201
    assert phone.cookies["device"].value != value  # a fresh signed id replaced it


def test_refused_and_invalid_submissions_do_not_count(limited: SettingsWrapper) -> None:
    client = Client(REMOTE_ADDR="198.51.100.1")
    # A wrong captcha, twice, and a report with no title: refused, not counted.
    for _ in range(2):
        page = client.get(FORM).content.decode()
        wrong = {**solve_captcha(page), "captcha_1": "sai"}
        assert client.post(FORM, {**form_data(), **wrong}).status_code == 400
    assert send(client, 1, title=" ").status_code == 400
    assert [send_form(client).status_code, send(client, 2).status_code] == [303, 201]
    assert Report.objects.count() == 2
    # Form and API share the count of the device.
    assert send(client, 3).status_code == 429 and send_form(client).status_code == 429


def test_a_refused_form_comes_back_filled_in_with_its_pin(limited: SettingsWrapper) -> None:
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert [send_form(client).status_code for _ in range(2)] == [303, 303]
    data = form_data(title="Ống nước vỡ trước chợ", address="Cổng chợ phường 1", is_public=None)
    page = client.get(FORM).content.decode()
    refused = client.post(FORM, {**data, **solve_captcha(page)})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    html = Page(refused.content.decode())
    assert DEVICE_MESSAGE in html.text("error-summary")
    for name in ("title", "address", "reporter_name", "reporter_email", "lat", "lng"):
        (field,) = html.find("input", name=name)
        assert field["value"] == data[name], name
    assert "Ba cột đèn liền nhau" in refused.content.decode()
    (public,) = html.find("input", name="is_public")
    assert "checked" not in public
    assert Report.objects.count() == 2
    # Looking at the form is still fine.
    assert client.get(FORM).status_code == 200


def test_the_form_says_how_many_reports_are_left(limited: SettingsWrapper) -> None:
    limited.INTAKE_ANON_RATE = "3/hour"
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert "Bạn còn gửi được 3 phản ánh nữa" in Page(client.get(FORM).content.decode()).text("intake-remaining")
    assert send_form(client).status_code == 303
    assert "Bạn còn gửi được 2 phản ánh nữa" in Page(client.get(FORM).content.decode()).text("intake-remaining")
    # Far from the limit, nothing is said.
    limited.INTAKE_ANON_RATE = "30/hour"
    limited.INTAKE_ANON_IP_RATE = "600/hour"
    assert not Page(client.get(FORM).content.decode()).find("p", id="intake-remaining")


def test_a_forged_forwarded_for_header_does_not_escape_the_address_bound(limited: SettingsWrapper) -> None:
    statuses = [
        send(Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"), n).status_code for n in range(6)
    ]
    assert statuses == [201] * 5 + [429]


def test_behind_our_proxy_each_client_address_counts_apart(limited: SettingsWrapper) -> None:
    limited.BEHIND_PROXY = True
    proxy = "10.0.0.1"
    first = [Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1") for _ in range(6)]
    assert [send(client, n).status_code for n, client in enumerate(first)] == [201] * 5 + [429]
    assert send(Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2"), 7).status_code == 201


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
    limited.INTAKE_ANON_IP_RATE = None
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert [send(client, n).status_code for n in range(6)] == [201] * 6


def test_api_answers_say_how_many_reports_remain_and_when_the_window_resets(limited: SettingsWrapper) -> None:
    limited.INTAKE_ANON_RATE = "3/hour"
    phone = Client(REMOTE_ADDR="198.51.100.1")
    first = send(phone, 1)
    assert first.status_code == 201
    # The device's limit binds (3 an hour, not the address's 5): 2 left, the window ends within the hour.
    assert (first["RateLimit-Limit"], first["RateLimit-Remaining"]) == ("3", "2")
    assert 0 < int(first["RateLimit-Reset"]) <= 3600
    assert send(phone, 2)["RateLimit-Remaining"] == "1"
    # The form's hint says the same, from the same function.
    assert "Bạn còn gửi được 1 phản ánh nữa" in Page(phone.get(FORM).content.decode()).text("intake-remaining")
    assert send(phone, 3)["RateLimit-Remaining"] == "0"
    refused = send(phone, 4)
    assert refused.status_code == 429
    assert (refused["RateLimit-Limit"], refused["RateLimit-Remaining"]) == ("3", "0")
    assert refused["RateLimit-Reset"] == refused["Retry-After"]
    # Signed-in callers are not limited and get no such headers.
    citizen = User.objects.create_user(username="dan", password="x", phone="+84912345678")
    signed = Client(REMOTE_ADDR="198.51.100.1")
    signed.force_login(citizen)
    created = signed.post(API, json.dumps(payload(5)), content_type="application/json")
    assert created.status_code == 201 and "RateLimit-Remaining" not in created


@pytest.fixture
def captcha_limited(demo: None, settings: SettingsWrapper) -> SettingsWrapper:
    settings.CAPTCHA_API_RATE = "3/hour"
    cache.clear()
    return settings


def test_captchas_are_limited_per_device(captcha_limited: SettingsWrapper) -> None:
    app = Client(REMOTE_ADDR="198.51.100.1")
    assert [app.get("/api/v1/captcha").status_code for _ in range(3)] == [200, 200, 200]
    refused = app.get("/api/v1/captcha")
    assert refused.status_code == 429
    body = refused.json()
    assert "mã xác nhận" in body["detail"] and set(body) <= {"detail", "errors"}
    assert 0 < int(refused["Retry-After"]) <= 3600
    # Another device behind the same address still gets one.
    assert Client(REMOTE_ADDR="198.51.100.1").get("/api/v1/captcha").status_code == 200


def test_dropping_the_device_cookie_does_not_escape_the_captcha_limit(captcha_limited: SettingsWrapper) -> None:
    # Without a cookie, each request is a new device: counted by the address.
    answers = [Client(REMOTE_ADDR="198.51.100.2").get("/api/v1/captcha").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="198.51.100.3").get("/api/v1/captcha").status_code == 200


def test_an_empty_captcha_rate_lifts_the_limit(captcha_limited: SettingsWrapper) -> None:
    captcha_limited.CAPTCHA_API_RATE = None
    app = Client(REMOTE_ADDR="198.51.100.1")
    assert {app.get("/api/v1/captcha").status_code for _ in range(5)} == {200}
