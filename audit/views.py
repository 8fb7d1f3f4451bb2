"""The audit log page for administrators (/can-bo/nhat-ky/): who did what, when, from where."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.admin import request_is_administrator

from .selectors import audit_event_search

PAGE_SIZE = 50
# The actions the code records, for the filter's choices (a prefix selects a group).
ACTIONS = [
    ("", _("Tất cả")),
    ("login", _("Đăng nhập")),
    ("login_failed", _("Đăng nhập thất bại")),
    ("logout", _("Đăng xuất")),
    ("report.", _("Mọi thao tác xử lý phản ánh")),
    ("report.create_hotline", _("Nhập phản ánh qua tổng đài")),
    ("report.start", _("Bắt đầu xử lý")),
    ("report.answer", _("Trả lời")),
    ("report.approve", _("Duyệt kết quả")),
    ("report.return", _("Trả lại kết quả")),
    ("report.reject", _("Từ chối")),
    ("report.reassign", _("Chuyển cơ quan")),
    ("report.merge", _("Gộp phản ánh")),
    ("report.redact", _("Sửa nội dung")),
    ("report.hide", _("Ẩn phản ánh")),
    ("report.show", _("Công khai lại")),
    ("attachment.hide", _("Ẩn tệp đính kèm")),
    ("admin.", _("Mọi thay đổi trong trang quản trị")),
]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Người thực hiện"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Hành động"), required=False, choices=ACTIONS)
    date_from = forms.DateField(
        label=_("Từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("“Đến ngày” phải sau “Từ ngày”."))
        return data


@require_GET
@never_cache
def audit_log(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url="login")
    if not request_is_administrator(request):
        return render(
            request,
            "incidents/staff/forbidden.html",
            {"message": _("Nhật ký thao tác chỉ dành cho quản trị cấp tỉnh.")},
            status=403,
        )
    form = AuditFilterForm(request.GET or None)
    values: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    events = audit_event_search(
        actor=values.get("actor", ""),
        action=values.get("action", ""),
        date_from=values.get("date_from"),
        date_to=values.get("date_to"),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "accounts/audit_list.html", {"form": form, "page": page}, status=status)
