from django.urls import path

from . import api

urlpatterns = [
    path("auth/otp/", api.OtpRequestView.as_view(), name="api-auth-otp"),
    path("auth/register/", api.RegisterView.as_view(), name="api-auth-register"),
    path("auth/verify/", api.VerifyView.as_view(), name="api-auth-verify"),
    path("auth/login/", api.LoginView.as_view(), name="api-auth-login"),
    path("auth/logout/", api.LogoutView.as_view(), name="api-auth-logout"),
    path("auth/password/reset/", api.PasswordResetView.as_view(), name="api-auth-password-reset"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/email/confirm/", api.EmailConfirmView.as_view(), name="api-me-email-confirm"),
    path("me/places/", api.PlaceListView.as_view(), name="api-me-places"),
    path("me/places/<int:place_id>/", api.PlaceDetailView.as_view(), name="api-me-place"),
]
