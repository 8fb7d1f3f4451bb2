import functools
from collections.abc import Callable
from typing import Any

from allauth.account.views import account_inactive
from allauth.socialaccount.models import SocialApp
from allauth.urls import build_provider_urlpatterns
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from . import views


def _unconfigured_is_404(patterns: list[Any]) -> list[Any]:
    """A provider without a client id (settings) has no sign-in: its URLs answer 404, not allauth's 500."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except SocialApp.DoesNotExist:
                raise Http404 from None

        return wrapped

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _unconfigured_is_404(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = wrap(pattern.callback)
    return patterns


# allauth serves only the social sign-in steps, under mxh/ ("mạng xã hội"); our pages stay the entry
# points. The two allauth names its flows may reverse lead back to ours.
social_patterns = [
    path("", include("allauth.socialaccount.urls")),
    path("dang-nhap/", RedirectView.as_view(pattern_name="login"), name="account_login"),
    path("tam-khoa/", account_inactive, name="account_inactive"),
    *_unconfigured_is_404(build_provider_urlpatterns()),
]

urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("dang-ky/", views.register, name="register"),
    path("dang-nhap-bang-ma/", views.login_with_code, name="login-code"),
    path("xac-nhan/", views.otp_verify, name="otp-verify"),
    path("quen-mat-khau/", views.password_forgot, name="password-forgot"),
    path("dat-lai-mat-khau/", views.password_reset, name="password-reset"),
    path("ho-so/", views.profile, name="profile"),
    path("ho-so/noi-da-luu/", views.place_add, name="place-add"),
    path("ho-so/noi-da-luu/<int:place_id>/xoa/", views.place_delete, name="place-delete"),
    path("mxh/", include(social_patterns)),
]
