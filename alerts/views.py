"""Warning pages: the public list, map and detail; the staff list, editor and workflow buttons.

Staff actions are small POST views calling one service (which checks who may
act); a PermissionDenied becomes a 403 page, a ValidationError a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User as Account
from agencies.models import Role
from agencies.selectors import agency_ids_for

from . import area, selectors, services
from .forms import AlertForm, StatusFilterForm, initial_from
from .models import Alert, AlertEvent, Status

View = TypeVar("View", bound=Callable[..., HttpResponse])


def alert_map_text() -> dict[str, str]:
    """The texts of the warnings map and its popups (the home page and the report map show warnings too)."""
    return {
        "loading": _("Đang tải…"),
        "failed": _("Không tải được dữ liệu cảnh báo. Hãy thử lại."),
        "none": _("Hiện không có cảnh báo nào đang có hiệu lực."),
        "details": _("Xem chi tiết"),
        "until": _("đến"),
        "here": _("Cảnh báo tại điểm này"),
        "pushOn": _("Đã bật nhận cảnh báo trên trình duyệt này."),
        "pushOff": _("Đã tắt nhận cảnh báo trên trình duyệt này."),
        "pushDenied": _("Trình duyệt đã chặn thông báo. Hãy cho phép thông báo trong cài đặt trình duyệt."),
        "pushUnsupported": _("Trình duyệt này không hỗ trợ nhận thông báo đẩy."),
        "pushFailed": _("Không đăng ký được. Hãy thử lại."),
        "pushStop": _("Tắt nhận cảnh báo trên trình duyệt"),
        "pushStart": _("Nhận cảnh báo trên trình duyệt"),
    }


@require_GET
def alert_list_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    alerts = list(selectors.alerts_current(now))
    # Cancelled ones are told apart, never listed as in force; those starting later are upcoming.
    groups = [
        {
            "key": "in-force",
            "title": _("Đang có hiệu lực"),
            "empty": _("Hiện không có cảnh báo nào đang có hiệu lực."),
            "alerts": [a for a in alerts if a.status == Status.APPROVED and a.starts_at <= now],
        },
        {
            "key": "upcoming",
            "title": _("Sắp có hiệu lực"),
            "empty": _("Không có cảnh báo nào sắp có hiệu lực."),
            "alerts": [a for a in alerts if a.status == Status.APPROVED and a.starts_at > now],
        },
        {
            "key": "cancelled",
            "title": _("Đã hủy"),
            "empty": _("Không có cảnh báo nào bị hủy gần đây."),
            "alerts": [a for a in alerts if a.status == Status.CANCELLED],
        },
    ]
    return render(
        request,
        "alerts/public_list.html",
        {
            "groups": groups,
            "now": now,
            "map_text": alert_map_text(),
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        },
    )


@require_GET
def alert_page(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_published(pk)
    if alert is None:
        raise Http404(_("Không có cảnh báo này."))
    newer = alert.updates.filter(approved_at__isnull=False).order_by("-approved_at").first()
    return render(
        request,
        "alerts/public_detail.html",
        {"alert": alert, "newer": newer, "area_geojson": selectors.area_geojson(alert), "map_text": alert_map_text()},
    )


# --- Staff ------------------------------------------------------------------------------------


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "incidents/staff/forbidden.html", {"message": message}, status=403)


def alert_staff_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="login")
        if not selectors.staff_agency_ids(request.user):
            return _forbidden(request, _("Trang này dành cho cán bộ và lãnh đạo các cơ quan phát hành cảnh báo."))
        return view(request, *args, **kwargs)

    return never_cache(wrapper)  # type: ignore[return-value]


def _user(request: HttpRequest) -> Account:
    # alert_staff_required let only signed-in staff through.
    if not isinstance(request.user, Account):
        raise PermissionDenied
    return request.user


@require_GET
@alert_staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    alerts = list(selectors.staff_alerts(user, status=status)[:200])
    leader_ids = agency_ids_for(user, [Role.LEADER])
    for alert in alerts:
        approvable = alert.status in (Status.DRAFT, Status.SUBMITTED) and services.can_approve(user, alert)
        alert.can_approve = approvable  # type: ignore[attr-defined]
    return render(
        request,
        "alerts/staff_list.html",
        {"alerts": alerts, "form": form, "status": status, "is_leader": bool(leader_ids)},
    )


def _editor_context(form: AlertForm, **extra: Any) -> dict[str, Any]:
    agencies = list(form.fields["agency"].queryset)  # type: ignore[attr-defined]
    return {
        "form": form,
        "jurisdictions": selectors.agency_jurisdiction_maps(agencies),
        "editor_text": {
            "polygon": _("Vùng vẽ"),
            "circle": _("Hình tròn bán kính %(km)s km"),
            "unit": _("Đơn vị"),
            "remove": _("Bỏ"),
            "empty": _("Chưa có phần vùng nào. Vẽ trên bản đồ, nhập hình tròn hoặc chọn đơn vị hành chính."),
            "people": _("%(band)s đã đăng ký nhận cảnh báo có nơi ở trong vùng này."),
            "previewing": _("Đang tính vùng và số người nhận…"),
            "previewFailed": _("Không xem trước được vùng. Hãy thử lại."),
            "choose": _("— Chọn —"),
            "drawPolygon": _("Vẽ đa giác"),
            "drawCircle": _("Vẽ hình tròn"),
            "finish": _("Xong"),
            "cancel": _("Hủy"),
            "undo": _("Xóa điểm vừa vẽ"),
            "edit": _("Sửa hình"),
            "delete": _("Xóa hình"),
            "badCircle": _("Nhập vĩ độ, kinh độ và bán kính (mét) là số hợp lệ."),
            "jurisdiction": _("Địa bàn của cơ quan"),
        },
        **extra,
    }


def _apply_errors(form: AlertForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, messages_ in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, messages_)
    else:
        form.add_error(None, exc.messages)


@require_http_methods(["GET", "POST"])
@alert_staff_required
def staff_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    agencies = services.agencies_for_writer(user)
    if not agencies:
        return _forbidden(request, _("Tài khoản của bạn không soạn được cảnh báo cho cơ quan nào."))
    if request.method == "POST":
        form = AlertForm(request.POST, agencies=agencies)
        if form.is_valid():
            try:
                alert = services.alert_create(actor=user, data=form.to_input())
            except PermissionDenied as exc:
                return _forbidden(request, str(exc))
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Đã lưu bản nháp cảnh báo."))
                return HttpResponseRedirect(reverse("alert-staff-detail", args=[alert.pk]), status=303)
        status = 400
    else:
        start, end = services.alert_window_default()
        form = AlertForm(
            agencies=agencies,
            initial={
                "agency": agencies[0].code,
                "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
                "area": "[]",
            },
        )
        status = 200
    return render(
        request,
        "alerts/staff_form.html",
        _editor_context(form, title=_("Tạo cảnh báo"), action=reverse("alert-staff-create")),
        status=status,
    )


def _staff_alert(request: HttpRequest, pk: int) -> Alert:
    alert = selectors.staff_alert(_user(request), pk)
    if alert is None:
        raise Http404(_("Không có cảnh báo này trong các cơ quan của bạn."))
    return alert


@require_http_methods(["GET", "POST"])
@alert_staff_required
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft, or (for a published alert) write its update: a new version."""
    user = _user(request)
    alert = _staff_alert(request, pk)
    updating = alert.status == Status.APPROVED
    if alert.status not in (Status.DRAFT, Status.SUBMITTED, Status.APPROVED) or alert.is_expired():
        messages.error(request, _("Cảnh báo này không sửa hay cập nhật được nữa."))
        return HttpResponseRedirect(reverse("alert-staff-detail", args=[alert.pk]), status=303)
    agencies = [alert.agency]
    if request.method == "POST":
        form = AlertForm(request.POST, agencies=agencies)
        if form.is_valid():
            try:
                if updating and agency_ids_for(user, [Role.LEADER]) and services.can_approve(user, alert):
                    result = services.alert_publish_update(alert=alert, actor=user, data=form.to_input())
                    messages.success(request, _("Đã phát hành bản cập nhật cảnh báo."))
                elif updating:
                    result = services.alert_create(actor=user, data=form.to_input(), updates=alert)
                    messages.success(request, _("Đã lưu bản cập nhật dạng nháp; hãy gửi duyệt."))
                else:
                    result = services.alert_update(alert=alert, actor=user, data=form.to_input())
                    messages.success(request, _("Đã lưu thay đổi."))
            except PermissionDenied as exc:
                return _forbidden(request, str(exc))
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return HttpResponseRedirect(reverse("alert-staff-detail", args=[result.pk]), status=303)
        status = 400
    else:
        form = AlertForm(agencies=agencies, initial=initial_from(alert))
        status = 200
    title = _("Cập nhật cảnh báo đang phát hành") if updating else _("Sửa cảnh báo")
    return render(
        request,
        "alerts/staff_form.html",
        _editor_context(
            form, title=title, alert=alert, updating=updating, action=reverse("alert-staff-edit", args=[alert.pk])
        ),
        status=status,
    )


@require_GET
@alert_staff_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    alert = _staff_alert(request, pk)
    writer = alert.agency_id in agency_ids_for(user, [Role.OFFICER, Role.LEADER])
    leader = alert.agency_id in agency_ids_for(user, [Role.LEADER])
    open_ = alert.status in (Status.DRAFT, Status.SUBMITTED)
    live = alert.status == Status.APPROVED and not alert.is_expired()
    events = list(alert.events.all())
    for event in events:
        if event.action == AlertEvent.Action.DELIVERED:
            # Like every count of people on these pages: a band, never the exact number.
            event.people_band = area.people_band(int(event.details.get("people") or 0))  # type: ignore[attr-defined]
    return render(
        request,
        "alerts/staff_detail.html",
        {
            "alert": alert,
            "area_geojson": selectors.area_geojson(alert),
            "people": area.people_band(area.area_people_count(alert.area)),
            "can_edit": writer and (open_ or live),
            "can_submit": writer and alert.status == Status.DRAFT,
            "can_approve": open_ and services.can_approve(user, alert),
            "can_cancel": (open_ and writer) or (live and leader),
            "events": events,
            "map_text": alert_map_text(),
        },
    )


def _act(request: HttpRequest, pk: int, action: Callable[[Alert, Account], object], done: str) -> HttpResponse:
    user = _user(request)
    alert = _staff_alert(request, pk)
    try:
        action(alert, user)
    except PermissionDenied as exc:
        return _forbidden(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    target = back if back.startswith("/canh-bao/quan-ly/") else reverse("alert-staff-detail", args=[alert.pk])
    return HttpResponseRedirect(target, status=303)


@require_POST
@alert_staff_required
def staff_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda a, u: services.alert_submit(alert=a, actor=u), _("Đã gửi duyệt cảnh báo."))


@require_POST
@alert_staff_required
def staff_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda a, u: services.alert_approve(alert=a, actor=u),
        _("Đã duyệt: cảnh báo được phát hành và đang gửi tới người dân trong vùng."),
    )


@require_POST
@alert_staff_required
def staff_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        lambda a, u: services.alert_cancel(alert=a, actor=u, reason=reason),
        _("Đã hủy cảnh báo."),
    )
