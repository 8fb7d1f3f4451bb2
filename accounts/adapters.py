"""django-allauth hooks: social sign-in creates or joins a citizen account; local sign-up is ours."""

from __future__ import annotations

from typing import Any, cast

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from common.phones import PhoneError, phone_normalize

from . import services
from .models import User


def _claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider said about the person: userinfo, else the ID token, else the raw profile."""
    data = sociallogin.account.extra_data or {}
    if isinstance(data.get("userinfo"), dict):
        return dict(data["userinfo"])
    if isinstance(data.get("id_token"), dict):
        return dict(data["id_token"])
    return dict(data)


def _verified_email(sociallogin: SocialLogin) -> str | None:
    for address in sociallogin.email_addresses:
        if address.verified and address.email:
            return str(address.email).strip().lower()
    claims = _claims(sociallogin)
    if claims.get("email") and claims.get("email_verified") in (True, "true", "True"):
        return str(claims["email"]).strip().lower()
    return None


def _verified_phone(sociallogin: SocialLogin) -> str | None:
    claims = _claims(sociallogin)
    if not claims.get("phone_number") or claims.get("phone_number_verified") not in (True, "true", "True"):
        return None
    try:
        return phone_normalize(str(claims["phone_number"]))
    except PhoneError:
        return None


class AccountAdapter(DefaultAccountAdapter):
    """allauth's own sign-up and sign-in pages are not used: our pages under /tai-khoan/ are."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("my-reports")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """A first sign-in joins the account with the same verified e-mail or phone, if there is exactly one."""
        if sociallogin.is_existing:
            return
        email = _verified_email(sociallogin)
        phone = _verified_phone(sociallogin)
        user = services.social_link_candidate(
            email=email, email_verified=email is not None, phone=phone, phone_verified=phone is not None
        )
        if user is not None:
            sociallogin.connect(request, user)
            return
        # A new account keeps only an address the provider vouched for and no other account holds;
        # allauth would otherwise send the person to a sign-up form over the clash.
        sociallogin.email_addresses = [
            address
            for address in sociallogin.email_addresses
            if address.verified and not User.objects.filter(email__iexact=address.email).exists()
        ]

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> User:
        user = cast(User, super().populate_user(request, sociallogin, data))
        # Vietnamese names read family name first; keep the whole name in one field, as our sign-up does.
        full = (data.get("name") or " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)).strip()
        user.first_name = full[:150]
        user.last_name = ""
        now = timezone.now()
        email = _verified_email(sociallogin)
        # An address another account holds is left off, so e-mail sign-in still names one account.
        if email and not User.objects.filter(email__iexact=email).exists():
            user.email = email
            user.email_verified_at = now
        else:
            user.email = ""
        phone = _verified_phone(sociallogin)
        if phone and not User.objects.filter(phone=phone).exists():
            user.phone = phone
            user.phone_verified_at = now
        user.username = ""  # allauth picks a free one from the name or e-mail
        return user
