from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import StaffRole
from incidents.forms import RENDERER


class CallerLookupForm(forms.Form):
    default_renderer = RENDERER

    phone = forms.CharField(
        label=_("Số điện thoại người gọi"),
        max_length=30,
        help_text=_("Các phản ánh gửi từ số này. Mỗi lần tra cứu được ghi vào nhật ký thao tác."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
        error_messages={"required": _("Hãy nhập số điện thoại người gọi.")},
    )


class DutyForm(forms.Form):
    """Who is on duty for one agency: a box per officer and leader, ticked as they are now."""

    default_renderer = RENDERER

    agency = forms.SlugField(widget=forms.HiddenInput)
    on_duty = forms.TypedMultipleChoiceField(
        label=_("Cán bộ trực"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Chỉ chọn được cán bộ của cơ quan này.")},
    )

    def __init__(self, *args: Any, roles: list[StaffRole], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["on_duty"]
        field.choices = [(role.pk, str(role.pk)) for role in roles]  # type: ignore[attr-defined]
        self.roles = roles
