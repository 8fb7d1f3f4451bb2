"""Report API: intake, public look-up, duplicates, places, and the processing workflow."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn, cast

from captcha.helpers import captcha_image_url
from captcha.models import CaptchaStore
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import Throttled
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as accounts
from accounts.models import User
from agencies.models import Agency, Role
from agencies.selectors import agency_ids_for, is_staff_member
from agencies.staff_access import report_staff_visible
from boundaries.geocoding import geocode
from boundaries.places import address_places, places_search
from common.api import error_body, valid_input, validation_response
from common.counters import SharedRateThrottle
from common.gis import CoordinateError, parse_lat_lng
from common.http import client_ip
from common.pagination import LimitOffsetPagination
from common.parsers import JSONParser
from common.replica import replica_reads
from notifications.api import PushSubscriptionSerializer
from notifications.services import PushLimitReached

from . import selectors, services
from .filters import ReportFilters, report_filters_parse
from .models import Category, Channel, Report, ReportKind, ReportStatus
from .serializers import (
    CategorySerializer,
    MyReportSerializer,
    ReportCreatedSerializer,
    ReportInputSerializer,
    ReportPrivateSerializer,
    ReportPublicSerializer,
    UploadField,
    report_created_data,
    report_feature,
)
from .throttles import (
    caller_scope,
    captcha_check,
    captcha_take,
    device_cookie_set,
    device_id,
    intake_count,
    intake_limit,
    intake_throttled,
)


class CategoryListView(APIView):
    @extend_schema(summary="Report categories (chuyên mục)", responses=CategorySerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(CategorySerializer(selectors.category_list_with_questions(), many=True).data)


def _filters(request: Request) -> ReportFilters:
    return report_filters_parse(request.query_params, sender_search=is_staff_member(request.user))


FILTER_PARAMETERS = [
    OpenApiParameter("bbox", OpenApiTypes.STR, description="west,south,east,north (WGS 84)"),
    OpenApiParameter("q", OpenApiTypes.STR, description="Code, title, content or address; diacritics ignored"),
    OpenApiParameter("code", OpenApiTypes.STR),
    OpenApiParameter("sender_name", OpenApiTypes.STR, description="Exact sender name (staff only; 400 for others)"),
    OpenApiParameter("sender_phone", OpenApiTypes.STR, description="Exact sender phone (staff only; 400 for others)"),
    OpenApiParameter("district", OpenApiTypes.STR, description="District code"),
    OpenApiParameter("ward", OpenApiTypes.STR, description="Ward code"),
    OpenApiParameter("category", OpenApiTypes.STR, description="Category code"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=ReportKind.values),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["open", *ReportStatus.values]),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
]


class CaptchaView(APIView):
    """How an anonymous app proves a person sends the report: the form's captcha, through the API."""

    @extend_schema_serializer(component_name="Captcha")
    class OutputSerializer(serializers.Serializer[Any]):
        captcha_key = serializers.CharField()
        image_url = serializers.URLField()
        expires_in = serializers.IntegerField()

    @extend_schema(
        summary="A captcha to send a report without signing in",
        description=(
            "Show the picture at image_url to the person and send what they type as captcha_value, with "
            "captcha_key, in POST /api/v1/reports/. One answer per captcha; it expires after expires_in "
            "seconds. Signed-in callers (Authorization: Token ...) need none. The answer also sets the "
            "device cookie that anonymous limits and idempotency keys are counted by: keep it. Limited per "
            "device (settings.CAPTCHA_API_RATE) and per address: 429 with Retry-After."
        ),
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        captcha_take(request)
        key = CaptchaStore.generate_key()
        captcha = {
            "captcha_key": key,
            "image_url": request.build_absolute_uri(captcha_image_url(key)),
            "expires_in": settings.CAPTCHA_TIMEOUT * 60,
        }
        response = Response(self.OutputSerializer(captcha).data, headers={"Cache-Control": "no-store"})
        device_id(request)  # a new device gets its cookie here, before its first report
        device_cookie_set(request, response)
        return response


@method_decorator(replica_reads, name="dispatch")
class ReportCollectionView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = LimitOffsetPagination

    @extend_schema(
        operation_id="reports_list",
        summary="Public reports as a GeoJSON FeatureCollection",
        parameters=FILTER_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        try:
            reports = selectors.report_search(_filters(request))
        except (ValidationError, CoordinateError) as exc:
            return validation_response(exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reports, request, view=self) or []
        # One serializer for the page: DRF builds a serializer's fields anew for each instance.
        rows = ReportPublicSerializer(page, many=True).data
        features = [report_feature(report, data) for report, data in zip(page, rows, strict=True)]
        return paginator.get_paginated_response({"type": "FeatureCollection", "features": features})

    @extend_schema(
        summary="Send a report (phản ánh) or an idea (hiến kế)",
        description=(
            "Without signing in, answer a captcha from GET /api/v1/captcha (captcha_key, captcha_value). "
            "Anonymous reports are limited per device (the device cookie) and, much more loosely, per address; "
            "201 and 429 answers say where the caller stands in RateLimit-Limit, RateLimit-Remaining and "
            "RateLimit-Reset (seconds until the window frees a report)."
        ),
        request=ReportInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    f"At most {services.IDEMPOTENCY_KEY_MAX} characters. A retried request with the same key "
                    "returns the first result. A key belongs to its caller (the account, or for anonymous "
                    "callers the device cookie, else the address): another caller's same key is another key."
                ),
            )
        ],
        responses={
            201: ReportCreatedSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            409: OpenApiTypes.OBJECT,
            429: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if hasattr(data, "getlist"):
            # Multipart: files under "attachments", the rest as plain values.
            plain = {key: data.get(key) for key in data if key != "attachments"}
            plain["attachments"] = request.FILES.getlist("attachments")
            data = plain
        serializer = ReportInputSerializer(data=data)
        if not serializer.is_valid():
            errors = serializer.errors
            first = next(iter(errors.values()))
            message = first[0] if isinstance(first, list) else next(iter(first.values()))[0]
            return Response(error_body(str(message), errors), status=400)
        values = serializer.validated_data
        report_input = services.ReportInput(
            kind=values["kind"],
            category=values["category"],
            title=values["title"],
            description=values["description"],
            lng=values["lng"],
            lat=values["lat"],
            address=values["address"],
            occurred_at=values["occurred_at"],
            reporter=services.ReporterInput(**values["reporter"]),
            is_public=values["public"],
            question_answers=values["question_answers"],
            urgent=values["urgent"],
        )
        files = values["attachments"]
        key = request.headers.get("Idempotency-Key", "").strip() or None
        scope = caller_scope(request)
        try:
            # A retry answers with the first result, before the captcha (used up by the first request).
            report = (
                services.report_replay(data=report_input, files=files, idempotency_key=key, idempotency_scope=scope)
                if key
                else None
            )
            if report is None:
                # Cheap checks first: the limit and the captcha, then the report (images decoded last).
                standing = intake_limit(request)
                if standing.wait is not None:
                    refused = self.handle_exception(intake_throttled(standing))
                    for name, value in standing.headers().items():
                        refused[name] = value
                    return device_cookie_set(request, refused)
                if not request.user.is_authenticated:
                    _captcha(values)
                report = services.report_create(
                    data=report_input,
                    # A hotline operator enters what a caller says on the phone.
                    sender=services.sender_for(
                        user=request.user,
                        channel=Channel.HOTLINE if _is_operator(request) else Channel.APP,
                        ip_address=client_ip(request),
                    ),
                    files=files,
                    idempotency_key=key,
                    idempotency_scope=scope,
                )
                intake_count(request)
        except ValidationError as exc:
            return device_cookie_set(request, validation_response(exc))
        except PermissionDenied as exc:
            return Response(error_body(str(exc)), status=403)
        except services.IdempotencyConflict as exc:
            return Response(error_body(str(exc)), status=409)
        attachments = list(report.attachments.all()) if files else []
        response = Response(
            report_created_data(report, attachments), status=201, headers=intake_limit(request).headers()
        )
        return device_cookie_set(request, response)


def _captcha(values: Mapping[str, Any]) -> None:
    try:
        captcha_check(values.get("captcha_key", ""), values.get("captcha_value", ""))
    except ValidationError as exc:
        raise ValidationError({"captcha": exc.messages}) from None


def _is_operator(request: Request) -> bool:
    return bool(request.user.is_authenticated and agency_ids_for(request.user, [Role.OPERATOR]))


def _viewer_is_staff(request: Request, report: Report) -> bool:
    return report_staff_visible(user=request.user, report=report)


def _viewing(request: Request, code: str, token: str = "") -> selectors.ReportViewing:
    """The report if this caller may see it; 404 exactly as for an unknown code otherwise."""
    viewing = selectors.report_for_viewer(code=code, user=request.user, token=token)
    if viewing is None:
        raise Http404
    return viewing


def _report_response(request: Request, code: str, token: str = "") -> Response:
    """The report as this viewer may see it: staff and the reporter get the private view."""
    viewing = _viewing(request, code, token)
    if viewing.staff or viewing.reporter:
        return Response(ReportPrivateSerializer(viewing.report, context={"staff": viewing.staff}).data)
    return Response(ReportPublicSerializer(viewing.report).data)


class ReportDetailView(APIView):
    @extend_schema(
        operation_id="reports_retrieve",
        summary="One report; reporters and staff see more",
        responses=ReportPublicSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        return _report_response(request, code)


@method_decorator(replica_reads, name="dispatch")
class NearbyView(APIView):
    @extend_schema(
        summary="Open reports of the same category near a pin (đã có người phản ánh?)",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True),
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True),
            OpenApiParameter("category", OpenApiTypes.STR, required=True),
        ],
        responses=ReportPublicSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        try:
            lng, lat = parse_lat_lng(request.query_params.get("lat"), request.query_params.get("lng"))
        except CoordinateError as exc:
            return Response(error_body(str(exc)), status=400)
        category = Category.objects.filter(code=request.query_params.get("category", ""), is_active=True).first()
        if category is None:
            return Response(error_body("Chuyên mục không tồn tại."), status=400)
        nearby = selectors.reports_nearby_open(lng=lng, lat=lat, category=category)
        return Response(ReportPublicSerializer(nearby, many=True).data)


class PlaceSearchView(APIView):
    @extend_schema_serializer(component_name="Place")
    class OutputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField()
        name = serializers.CharField()
        kind = serializers.CharField()
        level = serializers.IntegerField()
        # Declared fields leave the class (DRF's metaclass): these names do not shadow Field's attributes.
        parent = serializers.CharField()  # type: ignore[assignment]
        lat = serializers.FloatField()
        lng = serializers.FloatField()
        source = serializers.ChoiceField(choices=["boundary", "geocoder"])  # type: ignore[assignment]

    @extend_schema(
        summary="Find wards and districts by name (offline, diacritics ignored)",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True),
            OpenApiParameter("geocode", OpenApiTypes.BOOL, description="1: also ask the street geocoder"),
            OpenApiParameter(
                "address", OpenApiTypes.BOOL, description="1: q is an address; the wards it names, as intake reads it"
            ),
        ],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()[:100]
        if len(query) < 2:
            return Response(error_body("Hãy nhập ít nhất 2 ký tự."), status=400)
        # The pin picker asks which ward a typed address names (to point out a pin far from it).
        found = address_places(query) if request.query_params.get("address") == "1" else places_search(query)
        places = [{**place.__dict__, "source": "boundary"} for place in found]
        # Street addresses come from the configured geocoder, after our own unit names, and only
        # when asked (the search box asks on Enter): geocoders forbid a query per keystroke.
        if request.query_params.get("geocode") == "1" and len(query) >= 3:
            places += [
                {
                    "code": "",
                    "name": found.name,
                    "kind": "Địa chỉ",
                    "level": 0,
                    "parent": "",
                    "lat": found.lat,
                    "lng": found.lng,
                    "source": "geocoder",
                }
                for found in geocode(query)
            ]
        return Response(self.OutputSerializer(places, many=True).data)


# --- Workflow ---------------------------------------------------------------------
# One API class per processing action: its input (InputSerializer), one service call, and the
# staff view of the report as the answer (OutputSerializer). What they share is in the base class.

STAFF_ACTION_RESPONSES = {
    200: ReportPrivateSerializer,
    400: OpenApiTypes.OBJECT,
    403: OpenApiTypes.OBJECT,
    404: OpenApiTypes.OBJECT,
}


class _StaffActionView(APIView):
    """Only staff; a report outside the user's agencies is answered exactly like an unknown code."""

    # Refusals keep their bodies: a service's PermissionDenied is 403 {"detail"} (whoever gets there
    # sees the report and only lacks the role), its ValidationError 400 by field, and input that does
    # not fit InputSerializer 400 with the serializer's errors.

    class InputSerializer(serializers.Serializer[Any]):
        """Nothing to send (start, approve): the request has no body."""

    OutputSerializer = ReportPrivateSerializer

    def acting(self, request: Request, code: str) -> tuple[Report, User]:
        """The report and the staff member acting on it; 403 for non-staff, 404 for a report they do not see."""
        if not is_staff_member(request.user):
            raise PermissionDenied("Chỉ cán bộ xử lý phản ánh mới làm được việc này.")
        report = Report.objects.filter(code=code).first()
        if report is None or not _viewer_is_staff(request, report):
            raise Http404
        return report, cast(User, request.user)

    def valid(self, request: Request) -> dict[str, Any]:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def done(self, code: str) -> Response:
        # The staff view as the action left it, even when the report has just gone to another agency.
        return Response(self.OutputSerializer(selectors.report_get(code), context={"staff": True}).data)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PermissionDenied):
            return Response(error_body(str(exc)), status=403)
        if isinstance(exc, ValidationError):
            return validation_response(exc)
        # A serializer's refusal goes to the API's one handler (common.api.exception_handler).
        return super().handle_exception(exc)


def _agency(code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise ValidationError({"agency": ["Cơ quan không tồn tại."]})
    return agency


def _report(code: str) -> Report:
    report = Report.objects.filter(code=code).first()
    if report is None:
        raise ValidationError({"into": ["Không có phản ánh mã này."]})
    return report


class StartView(_StaffActionView):
    @extend_schema(summary="Start processing (Đang xử lý)", request=None, responses=STAFF_ACTION_RESPONSES)
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        self.valid(request)
        services.report_start(report=report, actor=actor)
        return self.done(code)


class AnswerView(_StaffActionView):
    @extend_schema_serializer(component_name="AnswerInput")
    class InputSerializer(serializers.Serializer[Any]):
        body = serializers.CharField()
        # Multipart only: the official reply as PDF, an "after" photo; checked as a report's files are.
        attachments = serializers.ListField(child=UploadField(), required=False, default=list)
        # Not by default: an official reply names the reporter and their address. Pictures are always shown.
        publish_documents = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        summary="Answer (kết quả xử lý)",
        description=(
            "JSON with the text only, or multipart/form-data with files too: `attachments` (repeated: the "
            "official reply as PDF, an after photo), checked as a report's files are (type, per-kind size "
            "limits, count). Pictures are published with the answer; documents only with `publish_documents`."
        ),
        request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
        responses=STAFF_ACTION_RESPONSES,
    )
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_answer(
            report=report,
            actor=actor,
            body=data["body"],
            files=data["attachments"],
            publish_documents=data["publish_documents"],
        )
        return self.done(code)


class ApproveView(_StaffActionView):
    @extend_schema(summary="Approve the answer (Duyệt)", request=None, responses=STAFF_ACTION_RESPONSES)
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        self.valid(request)
        services.report_approve_answer(report=report, actor=actor)
        return self.done(code)


class ReturnView(_StaffActionView):
    @extend_schema_serializer(component_name="ReturnInput")
    class InputSerializer(serializers.Serializer[Any]):
        note = serializers.CharField()

    @extend_schema(summary="Send the answer back", request=InputSerializer, responses=STAFF_ACTION_RESPONSES)
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_return_answer(report=report, actor=actor, note=data["note"])
        return self.done(code)


class RejectView(_StaffActionView):
    @extend_schema_serializer(component_name="RejectInput")
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.ChoiceField(choices=["spam", "duplicate", "out_of_scope"])
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(summary="Reject (Từ chối)", request=InputSerializer, responses=STAFF_ACTION_RESPONSES)
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_reject(report=report, actor=actor, reason=data["reason"], note=data["note"])
        return self.done(code)


class ReassignView(_StaffActionView):
    @extend_schema_serializer(component_name="ReassignInput")
    class InputSerializer(serializers.Serializer[Any]):
        agency = serializers.CharField()
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(summary="Hand over to another agency", request=InputSerializer, responses=STAFF_ACTION_RESPONSES)
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_reassign(report=report, actor=actor, agency=_agency(data["agency"]), note=data["note"])
        return self.done(code)


class MergeView(_StaffActionView):
    @extend_schema_serializer(component_name="MergeInput")
    class InputSerializer(serializers.Serializer[Any]):
        into = serializers.CharField()

    @extend_schema(summary="Merge into a duplicate", request=InputSerializer, responses=STAFF_ACTION_RESPONSES)
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_merge(report=report, actor=actor, into=_report(data["into"]))
        return self.done(code)


class RedactView(_StaffActionView):
    @extend_schema_serializer(component_name="RedactInput")
    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField()
        description = serializers.CharField()
        reason = serializers.CharField()

    @extend_schema(
        summary="Redact personal information from the text", request=InputSerializer, responses=STAFF_ACTION_RESPONSES
    )
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_redact(
            report=report, actor=actor, title=data["title"], description=data["description"], reason=data["reason"]
        )
        return self.done(code)


class VisibilityView(_StaffActionView):
    @extend_schema_serializer(component_name="VisibilityInput")
    class InputSerializer(serializers.Serializer[Any]):
        public = serializers.BooleanField()
        reason = serializers.CharField()

    @extend_schema(
        summary="Hide a report from the public, or show it again",
        request=InputSerializer,
        responses=STAFF_ACTION_RESPONSES,
    )
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_set_public(report=report, actor=actor, public=data["public"], reason=data["reason"])
        return self.done(code)


class LocationView(_StaffActionView):
    @extend_schema_serializer(component_name="LocationInput")
    class InputSerializer(serializers.Serializer[Any]):
        lat = serializers.CharField(max_length=30)
        lng = serializers.CharField(max_length=30)

    @extend_schema(
        summary="Set the pin of a report (one filed without a place) and route it again",
        description="The point must lie in the report's province; the ward, district and (for an open report) "
        "the agency follow it, as at intake. Audited.",
        request=InputSerializer,
        responses=STAFF_ACTION_RESPONSES,
    )
    def post(self, request: Request, code: str) -> Response:
        report, actor = self.acting(request, code)
        data = self.valid(request)
        services.report_set_location(
            report=report, actor=actor, lat=data["lat"], lng=data["lng"], ip_address=client_ip(request)
        )
        return self.done(code)


# --- What the public and the reporter do ------------------------------------------------
# Each resolves the report through selectors.report_for_viewer before anything else (input,
# status, throttled code requests): a report the caller may not see answers like an unknown code.

PUBLIC_ERRORS = {400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT, 429: OpenApiTypes.OBJECT}


def _input(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    """The valid input, or a ValidationError by field, answered 400 like a service's own refusal."""
    return valid_input(serializer_class(data=data))


def _code_sent_response() -> Response:
    """The same answer whoever the contact is, whether or not a code really went out."""
    return Response(
        {
            "detail": _(
                "Nếu thông tin đúng, một mã xác nhận đã được gửi. Gửi lại yêu cầu kèm mã (otp) trong %(n)s giây "
                "để hoàn tất."
            )
            % {"n": settings.OTP_TTL_SECONDS},
            "expires_in": settings.OTP_TTL_SECONDS,
        },
        status=202,
    )


def _code_throttled(exc: accounts.ThrottledError) -> Response:
    return Response(error_body(str(exc)), status=429, headers={"Retry-After": str(exc.retry_after)})


REPORTER_ACTION_RESPONSES = {200: ReportPrivateSerializer, 403: OpenApiTypes.OBJECT, **PUBLIC_ERRORS}


class _ReporterActionView(APIView):
    """The reporter (their account or reporter token) rates or reopens an answered report."""

    # A refusal (PermissionDenied) is 403, except on a report the public does not see: 404, like an
    # unknown code. The answer is the report as this caller may see it.

    InputSerializer: type[serializers.Serializer[Any]]
    report_public = False

    def viewing(self, request: Request, code: str) -> tuple[selectors.ReportViewing, str]:
        """The report if this caller may see it (404 otherwise), and the reporter token they sent."""
        token = str(request.data.get("token") or "") if isinstance(request.data, Mapping) else ""
        viewing = _viewing(request, code, token)
        self.report_public = viewing.report.is_public
        return viewing, token

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PermissionDenied):
            if not self.report_public:
                return super().handle_exception(Http404())
            return Response(error_body(str(exc)), status=403)
        if isinstance(exc, ValidationError):
            return validation_response(exc)
        return super().handle_exception(exc)


class RateView(_ReporterActionView):
    @extend_schema_serializer(component_name="RateInput")
    class InputSerializer(serializers.Serializer[Any]):
        satisfied = serializers.BooleanField()
        token = serializers.CharField(required=False, default="")

    @extend_schema(
        summary="The reporter rates the answer (once)", request=InputSerializer, responses=REPORTER_ACTION_RESPONSES
    )
    def post(self, request: Request, code: str) -> Response:
        viewing, token = self.viewing(request, code)
        data = _input(self.InputSerializer, request.data)
        services.report_rate(report=viewing.report, satisfied=data["satisfied"], user=request.user, token=data["token"])
        return _report_response(request, code, token)


class ReopenView(_ReporterActionView):
    @extend_schema_serializer(component_name="ReopenInput")
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField()
        token = serializers.CharField(required=False, default="")

    @extend_schema(
        summary="The reporter reopens the report (once, within the window)",
        request=InputSerializer,
        responses=REPORTER_ACTION_RESPONSES,
    )
    def post(self, request: Request, code: str) -> Response:
        viewing, token = self.viewing(request, code)
        data = _input(self.InputSerializer, request.data)
        services.report_reopen(report=viewing.report, reason=data["reason"], user=request.user, token=data["token"])
        return _report_response(request, code, token)


class SupportThrottle(SharedRateThrottle):
    """settings.SUPPORT_RATE per address (anonymous) or per account, in the shared cache."""

    scope = "support"

    def get_rate(self) -> str | None:
        return settings.SUPPORT_RATE or None

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        ident = f"user:{request.user.pk}" if request.user.is_authenticated else client_ip(request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SupportView(APIView):
    throttle_classes = [SupportThrottle]

    @extend_schema_serializer(component_name="SupportInput")
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField()
        phone = serializers.CharField(required=False, allow_blank=True, default="")
        email = serializers.CharField(required=False, allow_blank=True, default="")
        otp = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)

    OutputSerializer = ReportPublicSerializer

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        seconds = max(1, math.ceil(wait or 1))
        exc = Throttled(detail=support_throttled_message(seconds))
        exc.wait = seconds  # type: ignore[attr-defined]  # DRF sets it only with its English suffix
        raise exc

    @extend_schema(
        summary="I have this problem too: follow a public report and hear of its answer",
        description=(
            "Without `otp`: a one-time code is sent to the phone or e-mail (202, the same answer whether or not "
            "it already follows). With the code: the support is stored (200). A signed-in person's own confirmed "
            "phone or e-mail, or none, needs no code."
        ),
        request=InputSerializer,
        responses={200: OutputSerializer, 202: OpenApiTypes.OBJECT, **PUBLIC_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        # Following is for other people: only a public report, whoever asks.
        viewing = selectors.report_for_viewer(code=code)
        if viewing is None:
            raise Http404
        try:
            values = _input(self.InputSerializer, request.data)
            support = services.report_support(
                report=viewing.report,
                name=values["name"],
                phone=values["phone"],
                email=values["email"],
                otp=values["otp"],
                user=request.user,
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            return validation_response(exc)
        except accounts.ThrottledError as exc:
            return _code_throttled(exc)
        if support is None:
            return _code_sent_response()
        return Response(self.OutputSerializer(selectors.report_get(code)).data)


class FollowView(SupportView):
    @extend_schema_serializer(component_name="FollowInput")
    class InputSerializer(serializers.Serializer[Any]):
        phone = serializers.CharField(required=False, allow_blank=True, default="")
        email = serializers.CharField(required=False, allow_blank=True, default="")
        otp = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)

    @extend_schema_serializer(component_name="FollowOutput")
    class FollowOutputSerializer(serializers.Serializer[Any]):
        following = serializers.BooleanField()
        follower_count = serializers.IntegerField()

    @extend_schema(
        summary="Follow a public report: hear of its status changes and its answer",
        description=(
            "Without `otp`: a one-time code is sent to the phone or e-mail (202). With the code: the contact "
            "follows (200, the number of followers; never who). A signed-in person may send neither: their "
            "account follows. Every message carries a link to stop."
        ),
        request=InputSerializer,
        responses={200: FollowOutputSerializer, 202: OpenApiTypes.OBJECT, **PUBLIC_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        viewing = selectors.report_for_viewer(code=code)
        if viewing is None:
            raise Http404
        try:
            values = _input(self.InputSerializer, request.data)
            follower = services.report_follow(
                report=viewing.report,
                phone=values["phone"],
                email=values["email"],
                otp=values["otp"],
                user=request.user,
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            return validation_response(exc)
        except accounts.ThrottledError as exc:
            return _code_throttled(exc)
        if follower is None:
            return _code_sent_response()
        count = selectors.report_follower_count(report=viewing.report)
        return Response(self.FollowOutputSerializer({"following": True, "follower_count": count}).data)


class FollowPushView(SupportView):
    InputSerializer = PushSubscriptionSerializer  # type: ignore[assignment]

    @extend_schema(
        summary="Follow a public report by Web Push: this browser hears of its status changes and its answer",
        description=(
            "The body is the browser's PushSubscription.toJSON(), made with the key of /api/v1/push/key. The "
            "subscription gets this report's updates only, not the warnings (unless it asked for those too)."
        ),
        request=PushSubscriptionSerializer,
        responses={200: FollowView.FollowOutputSerializer, **PUBLIC_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        viewing = selectors.report_for_viewer(code=code)
        if viewing is None:
            raise Http404
        serializer = PushSubscriptionSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(error_body(_("Đăng ký nhận thông báo không hợp lệ."), serializer.errors), status=400)
        data = serializer.validated_data
        try:
            services.report_follow_push(
                report=viewing.report,
                endpoint=data["endpoint"],
                p256dh=data["keys"]["p256dh"],
                auth=data["keys"]["auth"],
                user=request.user,
                client_address=client_ip(request),
            )
        except ValidationError as exc:
            return validation_response(exc)
        except PushLimitReached as exc:
            return Response(error_body(str(exc)), status=429)
        count = selectors.report_follower_count(report=viewing.report)
        return Response(FollowView.FollowOutputSerializer({"following": True, "follower_count": count}).data)


def support_throttled_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _("Bạn đã gửi quá nhiều yêu cầu theo dõi phản ánh. Hãy thử lại sau %(minutes)s phút.") % {"minutes": minutes}


class ReportLookupView(APIView):
    @extend_schema_serializer(component_name="LookupInput")
    class InputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(max_length=20)
        phone = serializers.CharField(max_length=30)
        otp = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)

    @extend_schema_serializer(component_name="LookupResult")
    class OutputSerializer(serializers.Serializer[Any]):
        report = ReportPrivateSerializer()
        reporter_token = serializers.CharField()

    @extend_schema(
        summary="The reporter finds their report by its code and a one-time code sent to their phone",
        description=(
            "Without `otp`: a code is sent by SMS when that phone sent that report (202, the same answer when "
            "it did not). With the code: the report with the reporter's details and a fresh reporter token."
        ),
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            202: OpenApiTypes.OBJECT,
            400: OpenApiTypes.OBJECT,
            429: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request: Request) -> Response:
        try:
            values = _input(self.InputSerializer, request.data)
            report = services.report_lookup(
                code=values["code"], phone=values["phone"], otp=values["otp"], ip_address=client_ip(request)
            )
        except ValidationError as exc:
            return validation_response(exc)
        except accounts.ThrottledError as exc:
            return _code_throttled(exc)
        if report is None:
            return _code_sent_response()
        found = selectors.report_get(report.code)
        # The reporter's view (public history only), with a fresh token to act as the reporter.
        result = {"report": found, "reporter_token": services.reporter_token(report)}
        return Response(self.OutputSerializer(result, context={"staff": False}).data)


class MyReportListView(ListAPIView[Report]):
    """My reports with their status and published answers, newest first."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = MyReportSerializer

    def get_queryset(self) -> Any:
        return selectors.my_reports(cast(User, self.request.user))

    @extend_schema(tags=["accounts"], summary="My reports with their status and answers")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
