from allauth.account.views import account_inactive
from allauth.urls import build_provider_urlpatterns
from django.urls import include, path
from django.views.generic import RedirectView

from . import views

# allauth serves only the social sign-in steps, under mxh/ ("mạng xã hội"); our pages stay the entry
# points. The two allauth names its flows may reverse lead back to ours.
social_patterns = [
    path("", include("allauth.socialaccount.urls")),
    path("dang-nhap/", RedirectView.as_view(pattern_name="login"), name="account_login"),
    path("tam-khoa/", account_inactive, name="account_inactive"),
    *build_provider_urlpatterns(),
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
    path("phan-anh-cua-toi/", views.my_reports, name="my-reports"),
    path("mxh/", include(social_patterns)),
]
