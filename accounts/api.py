"""The account API for the mobile app: one-time codes, sign-up, sign-in, reset, profile, places, my reports."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_body, valid_input, validation_response
from common.http import client_ip

from . import services
from .models import OneTimeCode, SavedPlace, User
from .serializers import (
    DetailSerializer,
    MeSerializer,
    OtpSentSerializer,
    SavedPlaceOutSerializer,
    SavedPlaceSerializer,
    SignedInSerializer,
)

TAG = ["accounts"]
BAD = OpenApiResponse(DetailSerializer, description="Invalid input; `errors` names the fields.")
THROTTLED = OpenApiResponse(DetailSerializer, description="Too many codes asked for; see Retry-After.")
WRONG_LOGIN = "Thông tin đăng nhập không đúng."


def _throttled(exc: services.ThrottledError) -> Response:
    return Response(error_body(str(exc)), status=429, headers={"Retry-After": str(exc.retry_after)})


def _sent_body() -> dict[str, Any]:
    # The same words whether or not an account exists, so the answer reveals nothing.
    return {
        "detail": _("Nếu thông tin đúng, mã xác nhận đã được gửi. Mã có hiệu lực %(n)s giây.")
        % {"n": settings.OTP_TTL_SECONDS},
        "expires_in": settings.OTP_TTL_SECONDS,
        "resend_in": settings.OTP_RESEND_SECONDS,
    }


def _target(data: dict[str, Any]) -> services.Target:
    return services.otp_target(phone=data.get("phone") or None, email=data.get("email") or None)


def _signed_in(request: Request, user: User) -> Response:
    token = services.token_sign_in(request._request, user)
    return Response({"token": token, "user": MeSerializer(user).data})


def _me(request: Request) -> User:
    """The signed-in account (the view's IsAuthenticated permission has checked there is one)."""
    return cast(User, request.user)


class AccountAPIView(APIView):
    """Answers invalid input and the account services' refusals in the one error shape, each the one way."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ValidationError):
            return validation_response(exc)
        if isinstance(exc, services.OtpError):
            return Response(error_body(str(exc), {"code": [str(exc)]}), status=400)
        if isinstance(exc, services.ThrottledError):
            return _throttled(exc)
        return super().handle_exception(exc)


class AnonymousAPIView(AccountAPIView):
    """Endpoints for people not signed in yet: no session, so no CSRF token to fetch first."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class SignedInAPIView(AccountAPIView):
    """For signed-in people; token first, so a missing or revoked token is answered 401 with WWW-Authenticate."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


class OtpRequestView(AnonymousAPIView):
    @extend_schema_serializer(component_name="OtpRequest")
    class InputSerializer(serializers.Serializer[Any]):
        phone = serializers.CharField(required=False, allow_blank=True, max_length=30, help_text="Any common form.")
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        purpose = serializers.ChoiceField(
            # An e-mail change's code is asked for through PATCH /me/, by the signed-in account.
            choices=[c for c in OneTimeCode.Purpose.choices if c[0] != OneTimeCode.Purpose.EMAIL],
            error_messages={"invalid_choice": "Mục đích phải là “register”, “login” hoặc “reset”."},
        )

    @extend_schema(
        tags=TAG,
        summary="Send a one-time code by SMS (phone) or e-mail",
        description="Answers 202 with the same body whether or not the number or address has an account.",
        request=InputSerializer,
        responses={202: OtpSentSerializer, 400: BAD, 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        values = valid_input(self.InputSerializer(data=request.data))
        services.otp_request(target=_target(values), purpose=values["purpose"], ip=client_ip(request._request))
        return Response(_sent_body(), status=202)


class RegisterView(AnonymousAPIView):
    @extend_schema_serializer(component_name="Register")
    class InputSerializer(serializers.Serializer[Any]):
        full_name = serializers.CharField(max_length=150, allow_blank=True)
        phone = serializers.CharField(max_length=30, allow_blank=True)
        email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
        password = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)
        password_confirm = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)

    @extend_schema(
        tags=TAG,
        summary="Register a citizen account (inactive until the code sent to the phone is entered)",
        request=InputSerializer,
        responses={202: OtpSentSerializer, 400: BAD, 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        values = valid_input(self.InputSerializer(data=request.data))
        services.user_register(
            full_name=values["full_name"],
            phone=values["phone"],
            email=values.get("email", ""),
            password=values["password"],
            password_confirm=values["password_confirm"],
            ip=client_ip(request._request),
        )
        return Response(_sent_body(), status=202)


class VerifyView(AnonymousAPIView):
    @extend_schema_serializer(component_name="Verify")
    class InputSerializer(serializers.Serializer[Any]):
        phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        code = serializers.CharField(max_length=12)

    @extend_schema(
        tags=TAG,
        summary="Confirm a registration with its code; answers with an API token",
        request=InputSerializer,
        responses={200: SignedInSerializer, 400: BAD},
    )
    def post(self, request: Request) -> Response:
        values = valid_input(self.InputSerializer(data=request.data))
        user = services.otp_verify(target=_target(values), purpose=services.Purpose.REGISTER, code=values["code"])
        return _signed_in(request, user)


class LoginView(AnonymousAPIView):
    @extend_schema_serializer(component_name="Login")
    class InputSerializer(serializers.Serializer[Any]):
        """One identifier (phone, email or username) with either a password or a one-time code."""

        phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        username = serializers.CharField(required=False, allow_blank=True, max_length=254)
        password = serializers.CharField(required=False, allow_blank=True, max_length=128, trim_whitespace=False)
        code = serializers.CharField(required=False, allow_blank=True, max_length=12)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            given = [name for name in ("phone", "email", "username") if attrs.get(name)]
            if len(given) != 1:
                raise serializers.ValidationError(
                    {"phone": ["Hãy gửi đúng một trong các trường phone, email hoặc username."]}
                )
            if bool(attrs.get("password")) == bool(attrs.get("code")):
                raise serializers.ValidationError(
                    {"password": ["Hãy gửi mật khẩu (password) hoặc mã xác nhận (code)."]}
                )
            if attrs.get("code") and attrs.get("username"):
                raise serializers.ValidationError({"code": ["Mã xác nhận dùng với số điện thoại hoặc e-mail."]})
            return attrs

    @extend_schema(
        tags=TAG,
        summary="Sign in with phone, e-mail or username and a password, or phone/e-mail and a one-time code",
        description="Too many wrong passwords for one account from one address lock it out for a while (429).",
        request=InputSerializer,
        responses={200: SignedInSerializer, 400: BAD, 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        values = valid_input(self.InputSerializer(data=request.data))
        user: User | None
        if values.get("code"):
            user = services.otp_verify(target=_target(values), purpose=services.Purpose.LOGIN, code=values["code"])
            if not user.is_active:
                return Response(error_body(WRONG_LOGIN), status=400)
        else:
            identifier = values.get("phone") or values.get("email") or values.get("username") or ""
            # django-axes watches the plain Django request; a lockout turns this answer into a 429.
            user = services.login_with_password(request._request, identifier=identifier, password=values["password"])
            if user is None:
                return Response(error_body(WRONG_LOGIN), status=400)
        return _signed_in(request, user)


class LogoutView(SignedInAPIView):
    @extend_schema(tags=TAG, summary="Sign out: the API token stops working", request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.api_token_revoke(_me(request))
        logout(request._request)
        return Response(status=204)


class PasswordResetView(AnonymousAPIView):
    @extend_schema_serializer(component_name="PasswordReset")
    class InputSerializer(serializers.Serializer[Any]):
        phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        code = serializers.CharField(max_length=12)
        password = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)
        password_confirm = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)

    @extend_schema(
        tags=TAG,
        summary="Set a new password with a reset code; every session and token of the account ends",
        request=InputSerializer,
        responses={200: DetailSerializer, 400: BAD},
    )
    def post(self, request: Request) -> Response:
        values = valid_input(self.InputSerializer(data=request.data))
        services.password_reset(
            target=_target(values),
            code=values["code"],
            password=values["password"],
            password_confirm=values["password_confirm"],
        )
        return Response({"detail": _("Đã đặt mật khẩu mới. Hãy đăng nhập lại.")})


class MeView(SignedInAPIView):
    @extend_schema(tags=TAG, summary="My profile and notification choices", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        tags=TAG,
        summary="Change my name, e-mail or notification choices",
        description=(
            "A new e-mail address takes effect once confirmed: a code goes to it (POST me/email/confirm/). "
            "The answer is the same whether or not another account uses the address."
        ),
        request=MeSerializer,
        responses={200: MeSerializer, 400: BAD, 429: THROTTLED},
    )
    def patch(self, request: Request) -> Response:
        values = valid_input(MeSerializer(data=request.data, partial=True))
        user = _me(request)
        pending = services.profile_update(user, ip=client_ip(request._request), **values)
        return Response(MeSerializer(user, context={"email_pending": pending}).data)


class EmailConfirmView(SignedInAPIView):
    @extend_schema_serializer(component_name="EmailConfirm")
    class InputSerializer(serializers.Serializer[Any]):
        email = serializers.CharField(max_length=254)
        code = serializers.CharField(max_length=12)

    @extend_schema(
        tags=TAG,
        summary="Confirm my new e-mail address with the code sent to it",
        request=InputSerializer,
        responses={200: MeSerializer, 400: BAD},
    )
    def post(self, request: Request) -> Response:
        values = valid_input(self.InputSerializer(data=request.data))
        user = _me(request)
        services.email_change_confirm(user=user, **values)
        return Response(MeSerializer(user).data)


class PlaceListView(SignedInAPIView):
    @extend_schema(tags=TAG, summary="My saved places", responses=SavedPlaceOutSerializer(many=True))
    def get(self, request: Request) -> Response:
        places = SavedPlace.objects.filter(user=_me(request)).select_related("ward").order_by("created_at", "id")
        return Response([SavedPlaceSerializer(place).data for place in places])

    @extend_schema(
        tags=TAG,
        summary="Save my home ward (ward code) or a point (lat, lng)",
        request=SavedPlaceSerializer,
        responses={201: SavedPlaceOutSerializer, 400: BAD},
    )
    def post(self, request: Request) -> Response:
        values = valid_input(SavedPlaceSerializer(data=request.data))
        place = services.place_add(
            _me(request),
            label=values["label"],
            ward_code=values.get("ward") or None,
            lat=values.get("lat"),
            lng=values.get("lng"),
        )
        return Response(SavedPlaceSerializer(place).data, status=201)


class PlaceDetailView(SignedInAPIView):
    @extend_schema(tags=TAG, summary="Forget a saved place", responses={204: None, 404: DetailSerializer})
    def delete(self, request: Request, place_id: int) -> Response:
        if not services.place_delete(_me(request), place_id):
            return Response(error_body(_("Không tìm thấy nơi đã lưu này.")), status=404)
        return Response(status=204)
