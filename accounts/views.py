"""Account pages: sign-in and sign-out (staff and citizens), sign-up, one-time codes, password reset,
profile with saved places, and "my reports"."""

from __future__ import annotations

from typing import Any, cast

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.selectors import is_staff_member
from boundaries.models import AdminUnit
from common.http import client_ip
from common.phones import phone_display

from . import services
from .forms import (
    CodeForm,
    IdentifierForm,
    LoginForm,
    PlaceForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    add_service_errors,
)
from .models import User
from .selectors import saved_places_of

SESSION_KEY = "account_otp"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def social_providers(request: HttpRequest) -> list[dict[str, str]]:
    """The configured social sign-in providers, as {name, url}; none when no client id is set."""
    out = []
    for provider in get_social_adapter().list_providers(request):
        name = _("Google") if provider.id == "google" else provider.name
        out.append(
            {"id": provider.app.provider_id or provider.id, "name": name, "url": provider.get_login_url(request)}
        )
    return out


class LoginView(auth_views.LoginView):
    """Username, phone or e-mail plus password; staff land on their start page, everyone else on the map."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if is_staff_member(self.request.user):
            # Where staff start (a 1022 operator at the desk, others at the worklist): staff-home decides.
            return resolve_url("staff-home")
        return resolve_url("home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["social_providers"] = social_providers(self.request)
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django refuses GET); back to the sign-in page, which says it is done."""

    next_page = "login"

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        # A new, empty session now: the message goes into it.
        if was_signed_in and isinstance(response, HttpResponseRedirect):
            messages.success(request, _("Bạn đã đăng xuất."))
        return response


# --- One-time code flows -------------------------------------------------------------------


def _remember(request: HttpRequest, target: services.Target, purpose: str, next_url: str = "") -> None:
    request.session[SESSION_KEY] = {
        "channel": target.channel,
        "address": target.address,
        "purpose": purpose,
        "next": next_url,
    }


def _pending(request: HttpRequest, purpose: str | tuple[str, ...]) -> tuple[services.Target, dict[str, str]] | None:
    data = request.session.get(SESSION_KEY)
    purposes = (purpose,) if isinstance(purpose, str) else purpose
    if not isinstance(data, dict) or data.get("purpose") not in purposes:
        return None
    return services.Target(data["channel"], data["address"]), data


def _shown(target: services.Target) -> str:
    return phone_display(target.address) if target.channel == services.Channel.SMS else target.address


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure()):
        return value
    return ""


def _throttled(request: HttpRequest, exc: services.ThrottledError) -> None:
    messages.error(request, str(exc))


def _sent_message(request: HttpRequest) -> None:
    messages.info(
        request,
        _("Nếu thông tin đúng, mã xác nhận đã được gửi. Mã có hiệu lực %(n)s giây.") % {"n": settings.OTP_TTL_SECONDS},
    )


def _resend(request: HttpRequest, target: services.Target, purpose: str) -> None:
    try:
        if purpose == services.Purpose.EMAIL:
            user = cast(User, request.user)  # otp_verify asks for a signed-in account for this purpose
            services.email_change_request(user=user, email=target.address, ip=client_ip(request))
        else:
            services.otp_request(target=target, purpose=purpose, ip=client_ip(request))
    except services.ThrottledError as exc:
        _throttled(request, exc)
    else:
        _sent_message(request)


def _send_code_page(
    request: HttpRequest, *, purpose: str, template: str, then: str, next_url: str = ""
) -> HttpResponse:
    """A page asking where to send a one-time code (sign-in, password reset): the same steps for each."""
    form = IdentifierForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                target = services.otp_target(**form.target_kwargs())
                services.otp_request(target=target, purpose=purpose, ip=client_ip(request))
            except ValidationError as exc:
                form.add_error("identifier", " ".join(exc.messages))
            except services.ThrottledError as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                _remember(request, target, purpose, next_url)
                _sent_message(request)
                return redirect(then)
        if status == 200:
            status = 400
    return render(request, template, {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("profile")
    status = 200
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                target = services.user_register(
                    full_name=data["full_name"],
                    phone=data["phone"],
                    email=data["email"],
                    password=data["password"],
                    password_confirm=data["password_confirm"],
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except services.ThrottledError as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                _remember(request, target, services.Purpose.REGISTER)
                _sent_message(request)
                return redirect("otp-verify")
        else:
            # Every problem at once, not only the empty boxes.
            try:
                services.registration_validate(**{name: request.POST.get(name, "") for name in form.fields})
            except ValidationError as exc:
                add_service_errors(form, exc)
        if status == 200:
            status = 400
    return render(request, "accounts/register.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def login_with_code(request: HttpRequest) -> HttpResponse:
    """Step one of signing in with a code: where to send it."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    return _send_code_page(
        request,
        purpose=services.Purpose.LOGIN,
        template="accounts/login_code.html",
        then="otp-verify",
        next_url=next_url,
    )


@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Enter the code sent for a registration, a sign-in or a new e-mail address; "Gửi lại mã" once the
    wait is over."""
    pending = _pending(request, (services.Purpose.REGISTER, services.Purpose.LOGIN, services.Purpose.EMAIL))
    if pending is not None and pending[1]["purpose"] == services.Purpose.EMAIL and not request.user.is_authenticated:
        pending = None
    if pending is None:
        messages.info(request, _("Hãy bắt đầu lại: đăng ký hoặc đăng nhập."))
        return redirect("login")
    target, data = pending
    purpose = data["purpose"]
    status = 200
    form = CodeForm()
    if request.method == "POST" and "resend" in request.POST:
        _resend(request, target, purpose)
        return redirect("otp-verify")
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid() and purpose == services.Purpose.EMAIL:
            try:
                services.email_change_confirm(
                    user=cast(User, request.user), email=target.address, code=form.cleaned_data["code"]
                )
            except services.OtpError as exc:
                form.add_error("code", str(exc))
            else:
                del request.session[SESSION_KEY]
                messages.success(request, _("Đã đổi e-mail và xác nhận địa chỉ mới."))
                return redirect("profile")
        elif form.is_valid():
            try:
                user = services.otp_verify(target=target, purpose=purpose, code=form.cleaned_data["code"])
            except services.OtpError as exc:
                form.add_error("code", str(exc))
            else:
                if user.is_active:
                    del request.session[SESSION_KEY]
                    login(request, user, backend=MODEL_BACKEND)
                    if purpose == services.Purpose.REGISTER:
                        messages.success(request, _("Tài khoản đã được kích hoạt. Chào mừng bạn!"))
                        return redirect("profile")
                    return HttpResponseRedirect(data.get("next") or resolve_url("my-reports"))
                form.add_error("code", _("Mã xác nhận đã hết hạn hoặc đã được dùng. Hãy yêu cầu mã mới."))
        status = 400
    return render(request, "accounts/otp_verify.html", _code_context(request, target, purpose, form), status=status)


def _code_context(request: HttpRequest, target: services.Target, purpose: str, form: Any) -> dict[str, Any]:
    return {
        "form": form,
        "purpose": purpose,
        "target_shown": _shown(target),
        "by_sms": target.channel == services.Channel.SMS,
        "resend_wait": services.resend_wait(target.address),
        "ttl": settings.OTP_TTL_SECONDS,
    }


@require_http_methods(["GET", "POST"])
def password_forgot(request: HttpRequest) -> HttpResponse:
    return _send_code_page(
        request, purpose=services.Purpose.RESET, template="accounts/password_forgot.html", then="password-reset"
    )


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    pending = _pending(request, services.Purpose.RESET)
    if pending is None:
        return redirect("password-forgot")
    target, _data = pending
    status = 200
    form = ResetForm()
    if request.method == "POST" and "resend" in request.POST:
        _resend(request, target, services.Purpose.RESET)
        return redirect("password-reset")
    if request.method == "POST":
        form = ResetForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.password_reset(
                    target=target,
                    code=data["code"],
                    password=data["password"],
                    password_confirm=data["password_confirm"],
                )
            except services.OtpError as exc:
                form.add_error("code", str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                request.session.pop(SESSION_KEY, None)
                messages.success(
                    request, _("Đã đặt mật khẩu mới. Mọi phiên đăng nhập cũ đã kết thúc; hãy đăng nhập lại.")
                )
                return redirect("login")
        status = 400
    context = _code_context(request, target, services.Purpose.RESET, form)
    return render(request, "accounts/password_reset.html", context, status=status)


# --- Profile, places, my reports --------------------------------------------------------------


def _ward_choices() -> list[tuple[str, Any]]:
    """Wards grouped by district, for the home-ward select."""
    wards = AdminUnit.objects.filter(level=3).select_related("parent").order_by("parent__name", "name")
    groups: dict[str, list[tuple[str, str]]] = {}
    for ward in wards.only("code", "name", "parent__name"):
        groups.setdefault(ward.parent.name if ward.parent else "", []).append((ward.code, ward.name))
    return list(groups.items())


def _profile_page(request: HttpRequest, form: ProfileForm, place_form: PlaceForm, status: int = 200) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    places = saved_places_of(user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "place_form": place_form,
            "places": places,
            "phone_shown": phone_display(user.phone) if user.phone else "",
            "social_providers": social_providers(request),
        },
        status=status,
    )


def _profile_initial(user: User) -> dict[str, Any]:
    return {
        "full_name": user.get_full_name(),
        "email": user.email,
        "notify_report_updates": user.notify_report_updates,
        "notify_alerts": user.notify_alerts,
        "notify_by_sms": user.notify_by_sms,
        "notify_by_email": user.notify_by_email,
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    place_form = PlaceForm(ward_choices=_ward_choices())
    if request.method == "POST":
        form = ProfileForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                pending = services.profile_update(user, ip=client_ip(request), **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except services.ThrottledError as exc:
                form.add_error("email", str(exc))
                status = 429
            else:
                if pending is None:
                    messages.success(request, _("Đã lưu thông tin tài khoản."))
                    return redirect("profile")
                # The same words whether or not another account uses the address.
                _remember(request, services.Target(services.Channel.EMAIL, pending), services.Purpose.EMAIL)
                messages.info(
                    request,
                    _(
                        "Đã lưu. E-mail chỉ đổi khi bạn nhập mã xác nhận gửi tới địa chỉ mới; nếu địa chỉ này "
                        "dùng được, mã đã được gửi. Mã có hiệu lực %(n)s giây."
                    )
                    % {"n": settings.OTP_TTL_SECONDS},
                )
                return redirect("otp-verify")
        return _profile_page(request, form, place_form, status=status)
    return _profile_page(request, ProfileForm(initial=_profile_initial(user)), place_form)


@login_required
@require_POST
def place_add(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    place_form = PlaceForm(request.POST, ward_choices=_ward_choices())
    if place_form.is_valid():
        data = place_form.cleaned_data
        try:
            services.place_add(
                user, label=data["label"], ward_code=data["ward"] or None, lat=data["lat"], lng=data["lng"]
            )
        except ValidationError as exc:
            add_service_errors(place_form, exc)
        else:
            messages.success(request, _("Đã lưu nơi “%(label)s”.") % {"label": data["label"].strip()})
            return redirect(reverse("profile") + "#places")
    return _profile_page(request, ProfileForm(initial=_profile_initial(user)), place_form, status=400)


@login_required
@require_POST
def place_delete(request: HttpRequest, place_id: int) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    if not services.place_delete(user, place_id):
        messages.error(request, _("Không tìm thấy nơi đã lưu này."))
    else:
        messages.success(request, _("Đã xoá nơi đã lưu."))
    return redirect(reverse("profile") + "#places")
