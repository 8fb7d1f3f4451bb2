"""Sign-in and sign-out pages for staff and citizens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from .forms import LoginForm
from .selectors import is_staff_member


class LoginView(auth_views.LoginView):
    """Username, phone or e-mail plus password; staff land on their worklist, everyone else on the map."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if is_staff_member(self.request.user):
            return resolve_url("staff-report-list")
        return resolve_url("home")

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
