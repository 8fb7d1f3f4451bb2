"""Shapes of the account API's requests and answers (validation of meaning lives in services)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from common.phones import phone_display

from .models import OneTimeCode, SavedPlace, User


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A message for the person, in their language.")


class OtpRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30, help_text="Any common form.")
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    purpose = serializers.ChoiceField(
        # An e-mail change's code is asked for through PATCH /me/, by the signed-in account.
        choices=[c for c in OneTimeCode.Purpose.choices if c[0] != OneTimeCode.Purpose.EMAIL],
        error_messages={"invalid_choice": "Mục đích phải là “register”, “login” hoặc “reset”."},
    )


class OtpSentSerializer(serializers.Serializer):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    resend_in = serializers.IntegerField(help_text="Seconds before another code may be asked for.")


class RegisterSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=150, allow_blank=True)
    phone = serializers.CharField(max_length=30, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    password = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)
    password_confirm = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)


class VerifySerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    code = serializers.CharField(max_length=12)


class LoginSerializer(serializers.Serializer):
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
            raise serializers.ValidationError({"password": ["Hãy gửi mật khẩu (password) hoặc mã xác nhận (code)."]})
        if attrs.get("code") and attrs.get("username"):
            raise serializers.ValidationError({"code": ["Mã xác nhận dùng với số điện thoại hoặc e-mail."]})
        return attrs


class PasswordResetSerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    code = serializers.CharField(max_length=12)
    password = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)
    password_confirm = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(max_length=150, required=False)
    phone = serializers.CharField(read_only=True, allow_null=True, help_text="E.164.")
    phone_display = serializers.SerializerMethodField()
    phone_verified = serializers.SerializerMethodField()
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    email_verified = serializers.SerializerMethodField()
    email_pending = serializers.SerializerMethodField(
        help_text="After a change of e-mail: the new address, until the code sent to it confirms it."
    )
    notify_report_updates = serializers.BooleanField(required=False)
    notify_alerts = serializers.BooleanField(required=False)
    notify_by_sms = serializers.BooleanField(required=False)
    notify_by_email = serializers.BooleanField(required=False)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["full_name"] = instance.get_full_name()
        return data

    def get_phone_display(self, user: User) -> str | None:
        return phone_display(user.phone) if user.phone else None

    def get_phone_verified(self, user: User) -> bool:
        return user.phone_verified_at is not None

    def get_email_verified(self, user: User) -> bool:
        return user.email_verified_at is not None

    def get_email_pending(self, user: User) -> str | None:
        return self.context.get("email_pending")


class EmailConfirmSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    code = serializers.CharField(max_length=12)


class SignedInSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    user = MeSerializer()


class SavedWardSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SavedPlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(max_length=100, allow_blank=True)  # type: ignore[assignment]
    ward = serializers.CharField(required=False, allow_blank=True, write_only=True, help_text="Ward code.")
    lat = serializers.FloatField(required=False, allow_null=True, write_only=True)
    lng = serializers.FloatField(required=False, allow_null=True, write_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        place: SavedPlace = instance
        return {
            "id": place.pk,
            "label": place.label,
            "ward": {"code": place.ward.code, "name": place.ward.name} if place.ward else None,
            "location": {"lat": place.location.y, "lng": place.location.x} if place.location else None,
            "created_at": serializers.DateTimeField().to_representation(place.created_at),
        }


class SavedPlaceOutSerializer(serializers.Serializer):
    """The stored form (for the schema): a ward or a point."""

    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    ward = SavedWardSerializer(allow_null=True)
    location = serializers.DictField(child=serializers.FloatField(), allow_null=True, help_text="{lat, lng}")
    created_at = serializers.DateTimeField()


class MyAnswerSerializer(serializers.Serializer):
    body = serializers.CharField()
    agency = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField()


class MyReportSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    agency = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    deadline = serializers.DateField()
    url = serializers.CharField(help_text="The report's page.")
    answers = MyAnswerSerializer(many=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        report = instance
        return {
            "code": report.code,
            "title": report.title,
            "kind": report.kind,
            "category": report.category.name,
            "status": report.status,
            "status_display": report.get_status_display(),
            "agency": report.agency.name if report.agency else None,
            "created_at": serializers.DateTimeField().to_representation(report.created_at),
            "deadline": serializers.DateField().to_representation(report.deadline),
            "url": reverse("report-detail-page", args=[report.code]),
            "answers": [
                {
                    "body": answer.body,
                    "agency": answer.agency.name if answer.agency else None,
                    "published_at": serializers.DateTimeField().to_representation(answer.published_at),
                }
                for answer in report.published_answers
            ],
        }
