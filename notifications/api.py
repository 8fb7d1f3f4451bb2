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
from .selectors import push_subscription_warnings
from .services import PushLimitReached, push_subscription_save, push_subscription_warnings_stop


class PushKeysSerializer(serializers.Serializer[Any]):
    p256dh = serializers.CharField(max_length=200, help_text="The browser's P-256 public key (base64url, 65 bytes).")
    auth = serializers.CharField(max_length=100, help_text="The browser's auth secret (base64url, 16 bytes).")


class PushSubscriptionSerializer(serializers.Serializer[Any]):
    endpoint = serializers.CharField(
        max_length=webpush.ENDPOINT_MAX_LENGTH, help_text="The push service URL: https, on a public host."
    )
    keys = PushKeysSerializer()


PushEndpointSerializer = inline_serializer("PushEndpoint", {"endpoint": serializers.CharField()})


def _endpoint(request: Request) -> str:
    return str(request.data.get("endpoint", "")) if hasattr(request.data, "get") else ""


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
        summary="Unsubscribe a browser from alerts",
        description="204: the subscription is gone (the browser may unsubscribe). 200: it still carries the "
        "updates of reports the browser follows, so only its alerts stop (the browser must stay subscribed).",
        request=PushEndpointSerializer,
        responses={204: None, 200: inline_serializer("PushKept", {"kept": serializers.BooleanField()})},
    )
    def delete(self, request: Request) -> Response:
        if push_subscription_warnings_stop(endpoint=_endpoint(request)):
            return Response({"kept": True})
        return Response(status=204)


class PushSubscriptionStateView(APIView):
    """Whether this browser gets alerts (a POST so the endpoint, the browser's secret, stays out of URLs and logs)."""

    @extend_schema(
        summary="Whether a browser is subscribed to alerts",
        request=PushEndpointSerializer,
        responses=inline_serializer("PushState", {"warnings": serializers.BooleanField()}),
    )
    def post(self, request: Request) -> Response:
        return Response({"warnings": push_subscription_warnings(endpoint=_endpoint(request))})


class PushKeyView(APIView):
    @extend_schema(
        summary="The VAPID public key browsers subscribe with",
        responses=inline_serializer("PushKey", {"public_key": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        return Response({"public_key": settings.VAPID_PUBLIC_KEY})
