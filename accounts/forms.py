"""Account pages' forms: sign-in (username, phone or e-mail plus password), sign-up, codes, profile, places."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from .selectors import username_for

__all__ = [
    "CodeForm",
    "IdentifierForm",
    "LoginForm",
    "PlaceForm",
    "ProfileForm",
    "RegisterForm",
    "ResetForm",
    "add_service_errors",
    "username_for",
]


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


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Puts a service's field-keyed errors on the form's fields (unknown keys go to the top)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, messages in exc.message_dict.items():
        name = field if field in form.fields else None
        if name is not None and name in form.errors:
            continue  # the form already said what is wrong there (e.g. "required")
        for message in messages:
            form.add_error(name, message)


def _text(label: StrOrPromise, **kwargs: Any) -> forms.CharField:
    attrs = kwargs.pop("attrs", {})
    return forms.CharField(label=label, widget=forms.TextInput(attrs=attrs), **kwargs)


def _password(label: StrOrPromise, autocomplete: str = "new-password") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        error_messages={"required": _("Hãy nhập mật khẩu.")},
    )


def _email(label: StrOrPromise) -> forms.CharField:
    """An optional e-mail address; the services check it (accounts.services), as they check the API's."""
    return forms.CharField(
        label=label, required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


PHONE_ATTRS = {"autocomplete": "tel", "inputmode": "tel"}
CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "pattern": "[0-9]*",
    "maxlength": "6",
    "class": "otp-code",
}


class RegisterForm(forms.Form):
    full_name = _text(
        _("Họ và tên"),
        max_length=150,
        attrs={"autocomplete": "name"},
        error_messages={"required": _("Hãy nhập họ và tên.")},
    )
    phone = _text(
        _("Số điện thoại"),
        max_length=30,
        attrs=PHONE_ATTRS,
        help_text=_("Mã xác nhận sẽ được gửi tới số này qua SMS."),
        error_messages={"required": _("Hãy nhập số điện thoại.")},
    )
    email = _email(_("E-mail (không bắt buộc)"))
    password = _password(_("Mật khẩu"))
    password_confirm = _password(_("Nhập lại mật khẩu"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = _(
            "Ít nhất 8 ký tự, không toàn chữ số, không quá giống tên hoặc số điện thoại."
        )
        self.fields["password_confirm"].error_messages["required"] = _("Hãy nhập lại mật khẩu.")


class CodeForm(forms.Form):
    code = _text(
        _("Mã xác nhận (6 chữ số)"),
        max_length=12,
        attrs=CODE_ATTRS,
        error_messages={"required": _("Hãy nhập mã xác nhận.")},
    )


class IdentifierForm(forms.Form):
    """A phone number or an e-mail address to send a code to."""

    identifier = _text(
        _("Số điện thoại hoặc e-mail"),
        max_length=254,
        attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
        error_messages={"required": _("Hãy nhập số điện thoại hoặc e-mail.")},
    )

    def target_kwargs(self) -> dict[str, str]:
        value = self.cleaned_data["identifier"].strip()
        return {"email": value} if "@" in value else {"phone": value}


class ResetForm(CodeForm):
    password = _password(_("Mật khẩu mới"))
    password_confirm = _password(_("Nhập lại mật khẩu mới"))


class ProfileForm(forms.Form):
    full_name = _text(
        _("Họ và tên"),
        max_length=150,
        attrs={"autocomplete": "name"},
        error_messages={"required": _("Hãy nhập họ và tên.")},
    )
    email = _email(_("E-mail"))
    notify_report_updates = forms.BooleanField(label=_("Báo tin khi phản ánh của tôi có tiến triển"), required=False)
    notify_alerts = forms.BooleanField(label=_("Nhận cảnh báo cho những nơi tôi đã lưu"), required=False)
    notify_by_sms = forms.BooleanField(label=_("Gửi qua SMS"), required=False)
    notify_by_email = forms.BooleanField(label=_("Gửi qua e-mail"), required=False)


class PlaceForm(forms.Form):
    label = _text(
        _("Tên gọi"),
        max_length=100,
        help_text=_("Ví dụ: Nhà, Cơ quan, Nhà bố mẹ."),
        error_messages={"required": _("Hãy đặt tên cho nơi này, ví dụ: Nhà.")},
    )
    ward = forms.ChoiceField(label=_("Phường/xã"), required=False)
    lat = forms.CharField(
        label=_("Vĩ độ"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    lng = forms.CharField(
        label=_("Kinh độ"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    def __init__(self, *args: Any, ward_choices: list[tuple[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["ward"])
        field.choices = [("", _("— Chọn phường/xã —")), *(ward_choices or [])]
