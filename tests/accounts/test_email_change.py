"""Changing a profile's e-mail: confirmed by a code sent to the new address, and the answer never
tells whether another account uses that address."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from notifications.models import Notification
from tests.accounts.conftest import last_code

pytestmark = pytest.mark.django_db

FREE = "moi@example.vn"
TAKEN = "khac@example.vn"


@pytest.fixture
def other(db: None) -> User:
    return User.objects.create_user(username="khac", email=TAKEN)


def patch_me(client: Client, body: dict[str, Any]) -> Any:
    return client.patch("/api/v1/me/", json.dumps(body), content_type="application/json")


def confirm(client: Client, email: str, code: str) -> Any:
    body = json.dumps({"email": email, "code": code})
    return client.post("/api/v1/me/email/confirm/", body, content_type="application/json")


def test_the_api_answers_the_same_whether_or_not_the_address_is_taken(
    client: Client, citizen: User, other: User
) -> None:
    client.force_login(citizen)
    taken = patch_me(client, {"email": TAKEN.upper()})
    free = patch_me(client, {"email": FREE})
    assert taken.status_code == free.status_code == 200
    assert taken.json() == {**free.json(), "email_pending": TAKEN}
    assert free.json()["email_pending"] == FREE
    # Nothing changes until the new address proves itself; only a free address gets a code.
    citizen.refresh_from_db()
    assert citizen.email == "an.nguyen@example.vn" and citizen.email_verified_at is not None
    assert not Notification.objects.filter(recipient=TAKEN).exists()
    wrong_free = confirm(client, FREE, "000000" if last_code(FREE) != "000000" else "111111")
    wrong_taken = confirm(client, TAKEN, "000000")
    assert wrong_free.status_code == wrong_taken.status_code == 400
    assert wrong_free.json() == wrong_taken.json()
    done = confirm(client, FREE, last_code(FREE))
    assert done.status_code == 200, done.content
    assert done.json()["email"] == FREE and done.json()["email_verified"] is True
    other.refresh_from_db()
    assert other.email == TAKEN


def test_the_profile_page_answers_the_same_whether_or_not_the_address_is_taken(
    client: Client, citizen: User, other: User
) -> None:
    client.force_login(citizen)
    form = {"full_name": "Nguyễn Văn An", "notify_report_updates": "on"}
    pages = []
    for address in (TAKEN, FREE):
        response = client.post("/tai-khoan/ho-so/", {**form, "email": address}, follow=True)
        assert response.status_code == 200
        pages.append(response.content.decode().replace(address, "ADDRESS"))
        assert response.redirect_chain[-1][0] == "/tai-khoan/xac-nhan/"
    assert _without_tokens(pages[0]) == _without_tokens(pages[1])
    response = client.post("/tai-khoan/xac-nhan/", {"code": last_code(FREE)})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.email == FREE and citizen.email_verified_at is not None
    assert not Notification.objects.filter(recipient=TAKEN).exists()


def _without_tokens(html: str) -> str:
    return re.sub(r'value="[A-Za-z0-9]{32,}"', "", html)
