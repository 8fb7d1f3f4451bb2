"""django-axes: five wrong passwords for one account from one address lock that pair out for a while."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import User
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_PAGE = "/tai-khoan/dang-nhap/"


def api_login(client: Client, identifier: str, password: str, ip: str = "203.0.113.20") -> object:
    return client.post(
        "/api/v1/auth/login/",
        json.dumps({"phone": identifier, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_the_api_locks_out_after_five_failures_even_for_the_right_password(client: Client, citizen: User) -> None:
    # Typed four ways: one account, so the failures add up; the fifth failure locks.
    for typed in ("0912345678", "912345678", "+84912345678", "0912 345 678"):
        response = api_login(client, typed, "sai-mat-khau")
        assert response.status_code == 400  # type: ignore[attr-defined]
    assert api_login(client, "84912345678", "sai-mat-khau").status_code == 429  # type: ignore[attr-defined]
    response = api_login(client, "0912345678", PASSWORD)
    assert response.status_code == 429  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert "quá nhiều lần" in body["detail"] and "15 phút" in body["detail"]
    assert response["Retry-After"] == "900"  # type: ignore[index]
    # Another address is not locked out, nor is another account from this one.
    assert api_login(client, "0912345678", PASSWORD, ip="203.0.113.21").status_code == 200  # type: ignore[attr-defined]
    User.objects.create_user(username="khac", password=PASSWORD, phone="+84987654321")
    assert api_login(client, "0987654321", PASSWORD).status_code == 200  # type: ignore[attr-defined]


def test_the_sign_in_page_locks_out_with_a_vietnamese_page(client: Client, citizen: User) -> None:
    for attempt in range(5):
        response = client.post(LOGIN_PAGE, {"username": "an.nguyen@example.vn", "password": "sai"})
        assert response.status_code == (400 if attempt < 4 else 429)
    response = client.post(LOGIN_PAGE, {"username": "0912345678", "password": PASSWORD})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Tạm khoá đăng nhập" in html and "thử lại sau 15 phút" in html
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_starts_the_count_again(client: Client, citizen: User) -> None:
    for _ in range(4):
        api_login(client, "0912345678", "sai")
    assert api_login(client, "0912345678", PASSWORD).status_code == 200  # type: ignore[attr-defined]
    for _ in range(4):
        api_login(client, "0912345678", "sai")
    assert api_login(client, "0912345678", PASSWORD).status_code == 200  # type: ignore[attr-defined]
