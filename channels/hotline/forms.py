from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
