"""Social sign-in through allauth, end to end against a local OpenID Connect provider (tests/oidc_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from tests.oidc_server import FakeOidcProvider

pytestmark = pytest.mark.django_db
PORTAL = "dichvucong"


@pytest.fixture
def portal(settings: SettingsWrapper) -> Iterator[FakeOidcProvider]:
    with FakeOidcProvider() as provider:
        settings.SOCIALACCOUNT_PROVIDERS = {
            **settings.SOCIALACCOUNT_PROVIDERS,
            "openid_connect": {
                "APPS": [
                    {
                        "provider_id": PORTAL,
                        "name": "Cổng Dịch vụ công quốc gia",
                        "client_id": provider.client_id,
                        "secret": provider.client_secret,
                        "settings": {"server_url": provider.issuer, "scope": ["openid", "profile", "email", "phone"]},
                    }
                ]
            },
        }
        yield provider


def sign_in_with_portal(client: Client, portal: FakeOidcProvider, claims: dict[str, object]) -> str:
    """Clicks the portal button, lets the provider sign `claims` in, comes back; the final redirect."""
    portal.person = claims
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": PORTAL}), {"next": "/ban-do/"})
    assert start.status_code == 302, start.content
    authorize = start["Location"]
    assert authorize.startswith(f"{portal.issuer}/authorize?")
    answer = httpx.get(authorize, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("openid_connect_callback", kwargs={"provider_id": PORTAL})
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 302, done.content
    return str(done["Location"])


def signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_buttons_only_when_configured(client: Client, settings: SettingsWrapper) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}, "openid_connect": {"APPS": []}}
    assert "social-button" not in client.get("/tai-khoan/dang-nhap/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "g-id", "secret": "g-secret", "key": ""}]},
        "openid_connect": {"APPS": []},
    }
    html = client.get("/tai-khoan/dang-nhap/").content.decode()
    assert "Đăng nhập bằng Google" in html and 'data-provider="google"' in html


def test_the_portal_button_is_shown(client: Client, portal: FakeOidcProvider) -> None:
    html = client.get("/tai-khoan/dang-nhap/").content.decode()
    assert "Đăng nhập bằng Cổng Dịch vụ công quốc gia" in html


def test_first_sign_in_creates_a_citizen_then_the_next_one_finds_it(client: Client, portal: FakeOidcProvider) -> None:
    claims = {
        "sub": "vneid-001",
        "name": "Hoàng Thị Em",
        "email": "em.hoang@example.vn",
        "email_verified": True,
        "phone_number": "0912345678",
        "phone_number_verified": True,
    }
    assert sign_in_with_portal(client, portal, claims) == "/ban-do/"
    user = signed_in_as(client)
    assert user is not None and user.is_active
    assert user.get_full_name() == "Hoàng Thị Em"
    assert user.email == "em.hoang@example.vn" and user.email_verified_at is not None
    assert user.phone == "+84912345678" and user.phone_verified_at is not None
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(provider=PORTAL).user == user
    assert portal.token_requests == 1

    client.post("/tai-khoan/dang-xuat/")
    sign_in_with_portal(client, portal, claims)
    assert signed_in_as(client) == user
    assert User.objects.count() == 1


def test_first_sign_in_joins_the_account_with_the_same_verified_email(
    client: Client, portal: FakeOidcProvider, citizen: User
) -> None:
    sign_in_with_portal(
        client, portal, {"sub": "vneid-002", "name": "An", "email": "AN.NGUYEN@example.vn", "email_verified": True}
    )
    assert signed_in_as(client) == citizen
    assert SocialAccount.objects.get(provider=PORTAL, uid="vneid-002").user == citizen
    assert User.objects.count() == 1


def test_first_sign_in_joins_by_verified_phone(client: Client, portal: FakeOidcProvider, citizen: User) -> None:
    sign_in_with_portal(
        client,
        portal,
        {"sub": "vneid-003", "name": "An", "phone_number": "+84912345678", "phone_number_verified": True},
    )
    assert signed_in_as(client) == citizen


def test_an_unverified_email_does_not_join(client: Client, portal: FakeOidcProvider, citizen: User) -> None:
    sign_in_with_portal(
        client, portal, {"sub": "vneid-004", "name": "Kẻ giả", "email": "an.nguyen@example.vn", "email_verified": False}
    )
    user = signed_in_as(client)
    assert user is not None and user != citizen
    # The address stays with the account that proved it.
    assert user.email == "" and User.objects.filter(email__iexact="an.nguyen@example.vn").count() == 1


def test_an_account_whose_email_we_never_confirmed_is_not_joined(
    client: Client, portal: FakeOidcProvider, citizen: User
) -> None:
    User.objects.filter(pk=citizen.pk).update(email_verified_at=None)
    sign_in_with_portal(
        client, portal, {"sub": "vneid-005", "name": "An", "email": "an.nguyen@example.vn", "email_verified": True}
    )
    assert signed_in_as(client) != citizen


def test_staff_accounts_are_never_joined(client: Client, portal: FakeOidcProvider, citizen: User) -> None:
    User.objects.filter(pk=citizen.pk).update(is_staff=True)
    sign_in_with_portal(
        client, portal, {"sub": "vneid-006", "name": "An", "email": "an.nguyen@example.vn", "email_verified": True}
    )
    assert signed_in_as(client) != citizen
