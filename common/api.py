"""The API's one error shape (a 400 or any other refusal), used by every API view and middleware."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

INVALID = "Dữ liệu không hợp lệ."


def error_body(detail: str, errors: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape of the API: a message for a person, and the messages by field."""
    return {"detail": detail, "errors": dict(errors or {})}


class ErrorBodySerializer(serializers.Serializer[Any]):
    """The one error shape in the API schema (what `error_body` writes)."""

    detail = serializers.CharField(help_text="A message for a person.")
    # A field named like Serializer.errors: only ever described in the schema, never validated with.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False, help_text="Messages by field."
    )


def valid_input(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    """The serializer's valid input, or a ValidationError by field, answered 400 like a service's own
    refusal (validation_response: the first message as `detail`)."""
    if not serializer.is_valid():
        raise ValidationError({key: [str(m) for m in value] for key, value in serializer.errors.items()})
    return dict(serializer.validated_data)


def validation_response(exc: ValidationError) -> Response:
    """A service's ValidationError as a 400: by field when it names fields (the first message as `detail`)."""
    if hasattr(exc, "error_dict"):
        errors = exc.message_dict
        return Response(error_body(next(iter(errors.values()))[0], errors), status=400)
    return Response(error_body(" ".join(exc.messages)), status=400)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every error body in the one shape: a top-level `detail` and `errors` by field."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list):
        response.data = error_body(str(data[0]) if data else INVALID, {"non_field_errors": data})
    elif isinstance(data, dict) and "detail" not in data:
        response.data = error_body(INVALID, data)
    elif isinstance(data, dict):
        response.data = error_body(str(data["detail"]), data.get("errors"))
    return response
