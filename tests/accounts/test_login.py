"""Sign-in with a username, a phone number or an e-mail address; sign-out."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from agencies.models import Agency, Role, StaffRole

pytestmark = pytest.mark.django_db

LOGIN = "/tai-khoan/dang-nhap/"
LOGOUT = "/tai-khoan/dang-xuat/"
PASSWORD = "Mật-khẩu-dài-123"
WRONG = "Thông tin đăng nhập không đúng"


@pytest.fixture
def citizen() -> User:
    return User.objects.create_user(
        username="nguyenvanan", password=PASSWORD, phone="+84912345678", email="An.Nguyen@example.vn"
    )


@pytest.fixture
def officer(demo: None) -> User:
    user = User.objects.create_user(username="canbo", password=PASSWORD, phone="+84987654321")
    StaffRole.objects.create(user=user, agency=Agency.objects.get(code="ubnd-d25450"), role=Role.OFFICER)
    return user


def test_the_page_has_a_labelled_form(client: Client) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="field-label" for="id_username">Tên đăng nhập, số điện thoại hoặc e-mail' in html
    assert 'autocomplete="current-password"' in html
    assert "csrfmiddlewaretoken" in html


def test_sign_in_by_username(client: Client, citizen: User) -> None:
    response = client.post(LOGIN, {"username": "nguyenvanan", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_sign_in_by_phone_as_people_type_it(client: Client, citizen: User) -> None:
    response = client.post(LOGIN, {"username": "0912 345 678", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_sign_in_by_phone_without_the_leading_zero(client: Client, citizen: User) -> None:
    client.post(LOGIN, {"username": "912345678", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_sign_in_by_email_in_any_case(client: Client, citizen: User) -> None:
    response = client.post(LOGIN, {"username": "an.nguyen@EXAMPLE.vn", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_staff_land_on_their_worklist(client: Client, officer: User) -> None:
    response = client.post(LOGIN, {"username": "0987654321", "password": PASSWORD}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/can-bo/phan-anh/"


def test_a_safe_next_address_is_followed_and_a_foreign_one_is_not(client: Client, citizen: User) -> None:
    response = client.post(LOGIN, {"username": "nguyenvanan", "password": PASSWORD, "next": "/phan-anh/"})
    assert response["Location"] == "/phan-anh/"
    client.logout()
    response = client.post(LOGIN, {"username": "nguyenvanan", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize("identifier", ["nguyenvanan", "0912345678", "an.nguyen@example.vn", "khongco", "0900000000"])
def test_wrong_credentials_get_one_message_that_says_nothing_about_the_account(
    client: Client, citizen: User, identifier: str
) -> None:
    response = client.post(LOGIN, {"username": identifier, "password": "sai-mat-khau"})
    assert response.status_code == 400
    html = response.content.decode()
    assert WRONG in html
    assert "_auth_user_id" not in client.session
    # What the person typed stays in the box, never the account name it was resolved to.
    if identifier != "nguyenvanan":
        assert 'value="nguyenvanan"' not in html


def test_an_inactive_account_cannot_sign_in_and_is_not_told_apart(client: Client, citizen: User) -> None:
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    response = client.post(LOGIN, {"username": "nguyenvanan", "password": PASSWORD})
    assert response.status_code == 400 and WRONG in response.content.decode()


def test_empty_fields_are_named(client: Client) -> None:
    html = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert "Hãy nhập tên đăng nhập, số điện thoại hoặc e-mail." in html
    assert "Hãy nhập mật khẩu." in html


def test_sign_out_is_post_only(client: Client, citizen: User) -> None:
    client.force_login(citizen)
    assert client.get(LOGOUT).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert "Bạn đã đăng xuất." in client.get(LOGIN).content.decode()


def test_sign_out_needs_the_csrf_token(citizen: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    assert client.post(LOGOUT).status_code == 403
    assert "_auth_user_id" in client.session


def test_a_signed_in_person_visiting_the_page_is_sent_on(client: Client, citizen: User) -> None:
    client.force_login(citizen)
    assert client.get(LOGIN)["Location"] == "/"
