"""The 1022 operator's desk (a staff page) and the QR codes of the province's Zalo OA and Facebook page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods

from agencies.selectors import agency_duty_roles, duty_agencies_for
from agencies.services import agency_duty_set
from common.phones import PhoneError, phone_display
from incidents.deadlines import office_opening

from . import selectors, services
from .forms import CallerLookupForm, DutyForm
from .qr import channel_link, qr_svg

PAGE_SIZE = 20
View = TypeVar("View", bound=Callable[..., HttpResponse])


def operator_required(view: View) -> View:
    """Anonymous people go to the sign-in page; anyone but a hotline operator gets 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="login")
        if not selectors.operator_agency_ids(request.user):
            raise PermissionDenied(_("Trang này chỉ dành cho tổng đài viên 1022."))
        return view(request, *args, **kwargs)

    return never_cache(wrapper)  # type: ignore[return-value]


@require_http_methods(["GET", "POST"])
@operator_required
def desk(request: HttpRequest) -> HttpResponse:
    """New call first; then a caller's earlier reports by phone (POST, audited); then the operator's own."""
    status = 200
    lookup: dict[str, Any] | None = None
    if request.method == "POST":
        form = CallerLookupForm(request.POST)
        if form.is_valid():
            try:
                phone, found = services.caller_reports_lookup(user=request.user, phone=form.cleaned_data["phone"])
            except PhoneError as exc:
                form.add_error("phone", str(exc))
            else:
                lookup = {"phone": phone_display(phone), "reports": found}
        if form.errors:
            status = 400
    else:
        form = CallerLookupForm()
    # Back from entering a call (the form's ?next=): its code to read out, and the caller's reports by
    # their phone, the new one with the earlier (a look-up like the form's, audited).
    entered_now = selectors.reports_entered_by(operator=request.user).filter(code=request.GET.get("moi", "")).first()
    if entered_now is not None and lookup is None and entered_now.reporter_phone:
        phone, found = services.caller_reports_lookup(user=request.user, phone=entered_now.reporter_phone)
        lookup = {"phone": phone_display(phone), "reports": found}
    entered = Paginator(selectors.reports_entered_by(operator=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "hotline/desk.html",
        {
            "form": form,
            "lookup": lookup,
            "entered": entered,
            "entered_now": entered_now,
            "today": timezone.localdate(),
            "opens_at": office_opening(timezone.now()),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@never_cache
def duty(request: HttpRequest) -> HttpResponse:
    """Who is on duty for an agency (told at once of urgent reports): set by its leader, its 1022 operator
    or an administrator; one agency at a time (?co-quan=<code>)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url="login")
    agencies = duty_agencies_for(request.user)
    if not agencies:
        raise PermissionDenied(_("Chỉ lãnh đạo, tổng đài viên của cơ quan hoặc quản trị viên mới phân công trực."))
    code = request.POST.get("agency", "") if request.method == "POST" else request.GET.get("co-quan", "")
    agency = next((item for item in agencies if item.code == code), None)
    if agency is None:
        if request.method == "POST":
            raise PermissionDenied(_("Bạn không phân công trực cho cơ quan này."))
        agency = agencies[0]
    roles = agency_duty_roles(agency=agency)
    status = 200
    if request.method == "POST":
        form = DutyForm(request.POST, roles=roles)
        if form.is_valid():
            try:
                agency_duty_set(actor=request.user, agency=agency, on_duty=form.cleaned_data["on_duty"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Đã lưu danh sách cán bộ trực của %(agency)s.") % {"agency": agency.name})
                return HttpResponseRedirect(f"{reverse('hotline-duty')}?co-quan={agency.code}", status=303)
        status = 400
        chosen = {str(value) for value in request.POST.getlist("on_duty")}
    else:
        form = DutyForm(initial={"agency": agency.code}, roles=roles)
        chosen = {str(role.pk) for role in roles if role.on_duty}
    return render(
        request,
        "hotline/duty.html",
        {"form": form, "agency": agency, "agencies": agencies, "roles": roles, "chosen": chosen},
        status=status,
    )


@require_GET
@cache_control(max_age=86400, public=True)
def qr_code(request: HttpRequest, name: str) -> HttpResponse:
    """The QR code of a configured page (zalo, facebook) as SVG; 404 when that page is not configured."""
    link = channel_link(name)
    if link is None:
        raise Http404("Chưa cấu hình trang này.")
    return HttpResponse(qr_svg(link.url), content_type="image/svg+xml")
