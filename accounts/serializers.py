"""Shapes of the account API's requests and answers (validation of meaning lives in services)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common.phones import phone_display

from .models import SavedPlace, User


class DetailSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(help_text="A message for the person, in their language.")


class OtpSentSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    resend_in = serializers.IntegerField(help_text="Seconds before another code may be asked for.")


class MeSerializer(serializers.Serializer[Any]):
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


class SignedInSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    user = MeSerializer()


class SavedWardSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class SavedPlaceSerializer(serializers.Serializer[Any]):
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


class SavedPlaceOutSerializer(serializers.Serializer[Any]):
    """The stored form (for the schema): a ward or a point."""

    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    ward = SavedWardSerializer(allow_null=True)
    location = serializers.DictField(child=serializers.FloatField(), allow_null=True, help_text="{lat, lng}")
    created_at = serializers.DateTimeField()
