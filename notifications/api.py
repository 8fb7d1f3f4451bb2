"""Web Push API: a browser subscribes (and unsubscribes) to warnings, and learns the key to subscribe with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import ErrorBodySerializer, error_body, validation_response
from common.http import client_ip

from . import webpush
from .services import PushLimitReached, push_subscription_delete, push_subscription_save


class PushKeysSerializer(serializers.Serializer[Any]):
    p256dh = serializers.CharField(max_length=200, help_text="The browser's P-256 public key (base64url, 65 bytes).")
    auth = serializers.CharField(max_length=100, help_text="The browser's auth secret (base64url, 16 bytes).")


class PushSubscriptionSerializer(serializers.Serializer[Any]):
    endpoint = serializers.CharField(
        max_length=webpush.ENDPOINT_MAX_LENGTH, help_text="The push service URL: https, on a public host."
    )
    keys = PushKeysSerializer()


class PushSubscriptionView(APIView):
    """A browser's Web Push subscription (PushSubscription.toJSON()); signed-in browsers are tied to the account."""

    @extend_schema(
        summary="Subscribe a browser to alerts by Web Push",
        description="At most PUSH_MAX_PER_USER browsers per account and PUSH_MAX_PER_ADDRESS per address "
        "without an account (429 beyond).",
        request=PushSubscriptionSerializer,
        responses={
            201: inline_serializer("PushSubscribed", {"id": serializers.IntegerField()}),
            400: ErrorBodySerializer,
            429: ErrorBodySerializer,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = PushSubscriptionSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(error_body("Đăng ký nhận thông báo không hợp lệ.", serializer.errors), status=400)
        data = serializer.validated_data
        try:
            subscription = push_subscription_save(
                endpoint=data["endpoint"],
                p256dh=data["keys"]["p256dh"],
                auth=data["keys"]["auth"],
                user=request.user if request.user.is_authenticated else None,
                client_address=client_ip(request),
            )
        except ValidationError as exc:
            return validation_response(exc)
        except PushLimitReached as exc:
            return Response(error_body(str(exc)), status=429)
        return Response({"id": subscription.pk}, status=201)

    @extend_schema(
        summary="Unsubscribe a browser",
        request=inline_serializer("PushUnsubscribe", {"endpoint": serializers.CharField()}),
        responses={204: None},
    )
    def delete(self, request: Request) -> Response:
        endpoint = str(request.data.get("endpoint", "")) if hasattr(request.data, "get") else ""
        push_subscription_delete(endpoint=endpoint)
        return Response(status=204)


class PushKeyView(APIView):
    @extend_schema(
        summary="The VAPID public key browsers subscribe with",
        responses=inline_serializer("PushKey", {"public_key": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        return Response({"public_key": settings.VAPID_PUBLIC_KEY})
