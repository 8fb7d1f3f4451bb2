"""Sign-in: one box for a username, a phone number or an e-mail address, then the password."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from geo.phones import PhoneError, phone_normalize

from .models import User


def username_for(identifier: str) -> str:
    """The username of the account that `identifier` names: a username, a phone number or an e-mail address.

    Anything that names no single account is returned as typed: authentication then fails
    like a wrong password, so the page never tells whether an account exists.
    """
    text = identifier.strip()
    if not text or User.objects.filter(username=text).exists():
        return text
    if "@" in text:
        matches = list(User.objects.filter(email__iexact=text).values_list("username", flat=True)[:2])
        return matches[0] if len(matches) == 1 else text
    try:
        phone = phone_normalize(text)
    except PhoneError:
        return text
    found = User.objects.filter(phone=phone).values_list("username", flat=True).first()
    return found if found is not None else text


class LoginForm(AuthenticationForm):
    """Django's sign-in form (ModelBackend, inactive accounts refused) with the identifier resolved first."""

    username = forms.CharField(
        label=_("Tên đăng nhập, số điện thoại hoặc e-mail"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Hãy nhập tên đăng nhập, số điện thoại hoặc e-mail.")},
    )
    password = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Hãy nhập mật khẩu.")},
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Thông tin đăng nhập không đúng. Hãy kiểm tra tên đăng nhập (hoặc số điện thoại, e-mail) và mật khẩu; "
            "mật khẩu phân biệt chữ hoa, chữ thường."
        ),
        # ModelBackend refuses inactive accounts before this could be said; keep it vague all the same.
        "inactive": _("Thông tin đăng nhập không đúng."),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        # AuthenticationForm caps the box at the username's length; e-mail addresses may be longer.
        field = cast(forms.CharField, self.fields["username"])
        field.max_length = 254
        field.widget.attrs["maxlength"] = "254"

    def clean(self) -> dict[str, Any]:
        identifier = self.cleaned_data.get("username")
        if identifier:
            self.cleaned_data["username"] = username_for(identifier)
        return super().clean()
