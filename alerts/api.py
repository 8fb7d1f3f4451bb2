"""Warnings API: alerts in force at a point or in a box, CAP 1.2 documents and feed, staff operations.
Views parse input and call alerts.selectors / alerts.services. (Web Push subscriptions: notifications.api.)"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_gis import build_geo_schema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField

from accounts.models import User as Account
from common.api import ErrorBodySerializer, error_body, valid_input, validation_response
from common.counters import SharedRateThrottle
from common.gis import CoordinateError, parse_bbox, parse_lat_lng
from common.inputs import InputError, parse_moment

from . import cap, selectors, services
from .models import Alert, AlertAreaPart, Category, Certainty, Severity, Urgency


def _page_url(alert: Alert) -> str:
    return reverse("alert-page", args=[alert.pk])


def _cap_url(alert: Alert) -> str:
    return reverse("alert-cap", args=[alert.pk])


class ActiveAlertSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    headline = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    category_label = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    severity_label = serializers.CharField()
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    certainty = serializers.ChoiceField(choices=Certainty.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    area_description = serializers.CharField()
    agency = serializers.CharField()
    url = serializers.CharField()
    cap_url = serializers.CharField()


def _active_data(item: selectors.ActiveAlert) -> dict[str, Any]:
    return {
        "id": item.id,
        "headline": item.headline,
        "category": item.category,
        "category_label": Category(item.category).label,
        "severity": item.severity,
        "severity_label": Severity(item.severity).label,
        "urgency": item.urgency,
        "certainty": item.certainty,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "area_description": item.area_description,
        "agency": item.agency_name,
        "url": reverse("alert-page", args=[item.id]),
        "cap_url": reverse("alert-cap", args=[item.id]),
    }


# drf-gis' field, described with the geometry types it carries (drf-spectacular reads those from a model
# field, which these are not bound to).
@extend_schema_field(
    {"oneOf": [build_geo_schema(gis_models.PolygonField()), build_geo_schema(gis_models.MultiPolygonField())]}
)
class DrawnGeometryField(GeometryField):
    """A drawn part: the two geometry types alerts.area accepts."""


@extend_schema_field(build_geo_schema(gis_models.MultiPolygonField()))
class AlertAreaField(GeometryField):
    """The union of the parts, as stored (Alert.area)."""


class AreaPartSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=AlertAreaPart.Kind.choices)
    geometry = DrawnGeometryField(
        required=False, help_text="GeoJSON Polygon or MultiPolygon, WGS 84 longitude/latitude (kind=polygon)."
    )
    lat = serializers.FloatField(required=False, help_text="Circle centre latitude (kind=circle).")
    lng = serializers.FloatField(required=False, help_text="Circle centre longitude (kind=circle).")
    radius_m = serializers.FloatField(required=False, help_text="Circle radius in metres (kind=circle).")
    code = serializers.CharField(required=False, help_text="Admin unit code (kind=unit).")


@extend_schema_field(AreaPartSerializer(many=True))
class AreaField(serializers.JSONField):
    """The area parts as sent: alerts.area parses them (the geometry with drf-gis) and checks them, so that
    a bad part is explained in Vietnamese, keyed "area", in the one error shape."""


class AlertInputSerializer(serializers.Serializer[Any]):
    headline = serializers.CharField(allow_blank=True, help_text="Tiêu đề (CAP headline).")
    description = serializers.CharField(allow_blank=True)
    instruction = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    certainty = serializers.ChoiceField(choices=Certainty.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    area = AreaField(help_text="The parts whose union is the warning area (at most 50).")
    area_description = serializers.CharField(required=False, allow_blank=True, default="")
    agency = serializers.CharField(required=False, allow_blank=True, default="", help_text="Issuing agency code.")


class AlertSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    identifier = serializers.CharField()
    headline = serializers.CharField()
    description = serializers.CharField()
    instruction = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField(source="get_category_display")
    severity = serializers.CharField()
    urgency = serializers.CharField()
    certainty = serializers.CharField()
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.CharField(source="display_status")
    status_label = serializers.CharField(source="display_status_label")
    msg_type = serializers.CharField()
    references = serializers.IntegerField(
        source="references_id", allow_null=True, help_text="The version this updates."
    )
    area_description = serializers.CharField()
    area = AlertAreaField(read_only=True, help_text="The warning area, GeoJSON, WGS 84 longitude/latitude.")
    approved_at = serializers.DateTimeField()
    cap_url = serializers.SerializerMethodField()

    def get_cap_url(self, alert: Alert) -> str | None:
        return _cap_url(alert) if alert.is_published else None


def _input(request: Request) -> services.AlertInput:
    values = valid_input(AlertInputSerializer(data=request.data))
    area = values.pop("area")
    return services.AlertInput(area=area if isinstance(area, list) else [], **values)


def _staff(request: Request) -> Account:
    if not isinstance(request.user, Account) or not selectors.staff_agency_ids(request.user):
        raise PermissionDenied("Cần đăng nhập bằng tài khoản cán bộ của cơ quan phát hành cảnh báo.")
    return request.user


def _run(request: Request, call: Any, status: int = 200) -> Response:
    """Call a service; answer with the alert, or a 400/403 whose message a person understands."""
    try:
        alert = call()
    except PermissionDenied as exc:
        return Response(error_body(str(exc) or "Không có quyền."), status=403)
    except ValidationError as exc:
        return validation_response(exc)
    return Response(AlertSerializer(alert).data, status=status)


def _staff_alert(request: Request, pk: int) -> Alert:
    alert = selectors.staff_alert(_staff(request), pk)
    if alert is None:
        raise Http404
    return alert


def _parse_at(raw: str | None) -> datetime | None:
    try:
        return parse_moment(raw or "", "at")
    except InputError as exc:
        raise ValidationError({"at": [str(exc)]}) from None


AT_PARAM = OpenApiParameter("at", OpenApiTypes.DATETIME, description="The moment (ISO 8601); default: now.")


class ActiveView(APIView):
    """The alerts in force whose area covers a point: for the app's home screen and the report map."""

    @extend_schema(
        summary="Alerts in force at a point",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description="Latitude, WGS 84"),
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True, description="Longitude, WGS 84"),
            AT_PARAM,
        ],
        responses={200: ActiveAlertSerializer(many=True), 400: ErrorBodySerializer},
    )
    def get(self, request: Request) -> Response:
        try:
            lng, lat = parse_lat_lng(request.query_params.get("lat"), request.query_params.get("lng"))
            at = _parse_at(request.query_params.get("at"))
        except CoordinateError as exc:
            return Response(error_body(str(exc)), status=400)
        except ValidationError as exc:
            return validation_response(exc)
        return Response([_active_data(item) for item in selectors.alerts_active_at(lng, lat, at)])


def _feature(alert: Alert) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": alert.pk,
        "geometry": json.loads(alert.geojson),  # type: ignore[attr-defined]
        "properties": {
            "id": alert.pk,
            "headline": alert.headline,
            "category": alert.category,
            "category_label": alert.get_category_display(),
            "severity": alert.severity,
            "severity_label": alert.get_severity_display(),
            "urgency": alert.urgency,
            "certainty": alert.certainty,
            "agency": alert.agency.name,
            "area_description": alert.area_description,
            "starts_at": alert.starts_at.isoformat(),
            "ends_at": alert.ends_at.isoformat(),
            "url": _page_url(alert),
            "cap_url": _cap_url(alert),
        },
    }


class AlertCollectionView(APIView):
    @extend_schema(
        summary="Published alerts in force (GeoJSON FeatureCollection)",
        operation_id="alerts_geojson",
        parameters=[
            OpenApiParameter("bbox", OpenApiTypes.STR, description="west,south,east,north (WGS 84)"),
            AT_PARAM,
        ],
        responses={
            200: inline_serializer(
                "AlertFeatureCollection",
                {"type": serializers.CharField(), "features": serializers.ListField(child=serializers.DictField())},
            ),
            400: ErrorBodySerializer,
        },
    )
    def get(self, request: Request) -> Response:
        raw_bbox = request.query_params.get("bbox")
        try:
            bbox = parse_bbox(raw_bbox) if raw_bbox else None
            at = _parse_at(request.query_params.get("at"))
        except CoordinateError as exc:
            return validation_response(ValidationError({"bbox": [str(exc)]}))
        except ValidationError as exc:
            return validation_response(exc)
        features = [_feature(alert) for alert in selectors.alerts_in_bbox(bbox, at)[:500]]
        return Response({"type": "FeatureCollection", "features": features})

    @extend_schema(
        summary="Create a draft alert (staff)",
        request=AlertInputSerializer,
        responses={201: AlertSerializer, 400: ErrorBodySerializer, 403: ErrorBodySerializer},
    )
    def post(self, request: Request) -> Response:
        def create() -> Alert:
            return services.alert_create(actor=_staff(request), data=_input(request))

        return _run(request, create, status=201)


class AlertDetailView(APIView):
    @extend_schema(summary="One alert (published; staff of its agency also see drafts)", responses=AlertSerializer)
    def get(self, request: Request, pk: int) -> Response:
        alert = selectors.alert_published(pk)
        if alert is None and isinstance(request.user, Account):
            alert = selectors.staff_alert(request.user, pk)
        if alert is None:
            raise Http404
        return Response(AlertSerializer(alert).data)

    @extend_schema(
        summary="Edit a draft alert (staff)",
        request=AlertInputSerializer,
        responses={200: AlertSerializer, 400: ErrorBodySerializer, 403: ErrorBodySerializer},
    )
    def put(self, request: Request, pk: int) -> Response:
        return _run(
            request,
            lambda: services.alert_update(alert=_staff_alert(request, pk), actor=request.user, data=_input(request)),
        )


class SubmitView(APIView):
    @extend_schema(
        summary="Submit a draft for approval",
        request=None,
        responses={200: AlertSerializer, 400: ErrorBodySerializer, 403: ErrorBodySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _run(request, lambda: services.alert_submit(alert=_staff_alert(request, pk), actor=request.user))


class ApproveView(APIView):
    @extend_schema(
        summary="Approve and publish (Duyệt; leaders)",
        request=None,
        responses={200: AlertSerializer, 400: ErrorBodySerializer, 403: ErrorBodySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _run(request, lambda: services.alert_approve(alert=_staff_alert(request, pk), actor=request.user))


class CancelView(APIView):
    @extend_schema(
        summary="Cancel (Hủy cảnh báo; leaders for published alerts)",
        request=inline_serializer("AlertCancelInput", {"reason": serializers.CharField(required=False)}),
        responses={200: AlertSerializer, 400: ErrorBodySerializer, 403: ErrorBodySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        reason = str(request.data.get("reason", "")) if hasattr(request.data, "get") else ""
        return _run(
            request, lambda: services.alert_cancel(alert=_staff_alert(request, pk), actor=request.user, reason=reason)
        )


class UpdateView(APIView):
    @extend_schema(
        summary="Publish a new version of a published alert (CAP Update; leaders)",
        request=AlertInputSerializer,
        responses={201: AlertSerializer, 400: ErrorBodySerializer, 403: ErrorBodySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        return _run(
            request,
            lambda: services.alert_publish_update(
                alert=_staff_alert(request, pk), actor=request.user, data=_input(request)
            ),
            status=201,
        )


class PreviewThrottle(SharedRateThrottle, UserRateThrottle):
    """Previews per user (settings.ALERT_PREVIEW_RATE), counted in the shared cache."""

    scope = "alert_preview"

    def get_rate(self) -> str | None:
        return settings.ALERT_PREVIEW_RATE or None


PeopleBandSerializer = inline_serializer(
    "PeopleBand",
    {
        "min": serializers.IntegerField(),
        "max": serializers.IntegerField(allow_null=True, help_text="Exclusive; null for the top band."),
    },
)


class PreviewView(APIView):
    throttle_classes = [PreviewThrottle]

    @extend_schema(
        summary="Preview an area: its outline and, in a coarse band, how many registered people are inside (staff)",
        description="The agency and area are checked as for creating a warning. Counts are banded "
        "(under 10, 10–100, 100–1,000, …); previews are rate-limited per user (429 with Retry-After) "
        "and recorded in the audit log.",
        request=inline_serializer(
            "AlertPreviewInput", {"area": AreaField(), "agency": serializers.CharField(required=False)}
        ),
        responses={
            200: inline_serializer(
                "AlertPreview",
                {
                    "area": serializers.DictField(),
                    "people": serializers.CharField(help_text="The band, in words: “Dưới 10 người”."),
                    "people_band": PeopleBandSerializer,
                    "area_description": serializers.CharField(
                        help_text="The wards (or whole districts) the area covers, by name: the default description."
                    ),
                },
            ),
            400: ErrorBodySerializer,
            403: ErrorBodySerializer,
            429: ErrorBodySerializer,
        },
    )
    def post(self, request: Request) -> Response:
        try:
            preview = services.area_preview(
                actor=_staff(request),
                area=request.data.get("area") if hasattr(request.data, "get") else None,
                agency_code=str(request.data.get("agency") or "") if hasattr(request.data, "get") else "",
            )
        except PermissionDenied as exc:
            return Response(error_body(str(exc)), status=403)
        except ValidationError as exc:
            return validation_response(exc)
        band = preview.people
        return Response(
            {
                "area": json.loads(preview.geom.geojson),
                "people": band.label,
                "people_band": {"min": band.low, "max": band.high},
                "area_description": preview.description,
            }
        )

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        seconds = max(1, math.ceil(wait or 1))
        exc = Throttled(
            detail=_("Bạn đã xem trước vùng cảnh báo quá nhiều lần. Hãy thử lại sau %(minutes)s phút.")
            % {"minutes": max(1, math.ceil(seconds / 60))}
        )
        exc.wait = seconds  # type: ignore[attr-defined]  # without DRF's English suffix on the message
        raise exc


class DocumentNegotiation(BaseContentNegotiation):
    """For views that answer with one document type (CAP, Atom) whatever the Accept header says:
    a reader asking for application/cap+xml, application/xml or text/html gets the document, not a 406.
    Errors (404) are rendered by the first renderer, JSON."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class CapView(APIView):
    content_negotiation_class = DocumentNegotiation

    @extend_schema(
        summary="The alert as a CAP 1.2 message (Alert, Update or Cancel)",
        responses={(200, cap.CAP_CONTENT_TYPE): OpenApiTypes.STR, 404: OpenApiResponse(description="Not published")},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        alert = selectors.alert_published(pk)
        if alert is None:
            raise Http404
        body = cap.cap_document(alert, web_url=request.build_absolute_uri(_page_url(alert)))
        return HttpResponse(body, content_type=cap.CAP_CONTENT_TYPE)


class FeedView(APIView):
    content_negotiation_class = DocumentNegotiation

    @extend_schema(
        summary="Atom feed of current alerts, linking to their CAP documents",
        responses={(200, cap.ATOM_CONTENT_TYPE): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> HttpResponse:
        body = cap.atom_feed(
            selectors.alerts_current().prefetch_related("parts"),
            feed_url=request.build_absolute_uri(reverse("alert-feed")),
            cap_url=lambda alert: request.build_absolute_uri(_cap_url(alert)),
            page_url=lambda alert: request.build_absolute_uri(_page_url(alert)),
        )
        return HttpResponse(body, content_type=cap.ATOM_CONTENT_TYPE)
