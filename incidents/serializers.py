"""Report serialisers: separate shapes for the public, the reporter and staff.

Only the reporter and staff serialisers ever carry phone, e-mail or ID number.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Attachment, Category, CategoryQuestion, Report, ReportEvent


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a multipart part: the schema says binary (a plain FileField reads as a URL there)."""


class CategoryQuestionSerializer(serializers.ModelSerializer[CategoryQuestion]):
    """An extra question the category asks: answer it in question_answers under its code (variable false: an
    explanation to show, not to answer; values: the choices of a singlevaluelist or multivaluelist)."""

    # In the request's language (Accept-Language), Vietnamese by default, as the category's name.
    prompt = serializers.CharField(source="display_prompt", read_only=True)
    description = serializers.CharField(source="display_description", read_only=True)
    values = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()), source="values_shown", read_only=True
    )

    class Meta:
        model = CategoryQuestion
        fields = ["code", "prompt", "description", "datatype", "required", "variable", "order", "values"]


class CategorySerializer(serializers.ModelSerializer[Category]):
    questions = CategoryQuestionSerializer(many=True, read_only=True)
    # The name in the request's language (Accept-Language), Vietnamese by default.
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "description", "deadline_days", "duplicate_radius_m", "questions"]


class UnitBriefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class ReporterInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.CharField(required=False, allow_blank=True, default="")
    id_number = serializers.CharField(required=False, allow_blank=True, default="")
    is_organization = serializers.BooleanField(required=False, default=False)
    organization_name = serializers.CharField(required=False, allow_blank=True, default="")
    # Left out: the reporter's name is kept confidential (recorded as not stated).
    confidential = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: keep the name private; false: show it with the report; left out: kept private.",
    )


class JSONObjectField(serializers.JSONField):
    """A JSON object, also accepted as a JSON string (multipart forms)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("Phải là JSON hợp lệ.") from None
        if not isinstance(data, dict):
            raise serializers.ValidationError("Phải là một đối tượng JSON.")
        return data


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "array", "items": {"type": "string"}}]
        },
        "example": {"kich-thuoc": "lon", "do-sau-cm": 30, "loai-rac": ["sinh-hoat", "xay-dung"]},
    }
)
class QuestionAnswersField(JSONObjectField):
    """Answers to the category's extra questions, by question code (checked by the intake service)."""


class ReportInputSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(required=False, default="feedback", help_text="feedback | idea")
    category = serializers.CharField(help_text="A category code from /api/v1/categories/")
    title = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    location = JSONObjectField(required=False, help_text='GeoJSON Point: {"type": "Point", "coordinates": [lng, lat]}')
    lat = serializers.FloatField(required=False)
    lng = serializers.FloatField(required=False)
    address = serializers.CharField(required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reporter = JSONObjectField(required=False, default=dict)
    public = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Publish the report's content (never phone, e-mail or ID number); left out: published.",
    )
    question_answers = QuestionAnswersField(
        required=False,
        default=dict,
        help_text=(
            "Answers to the category's extra questions: {code: answer}; a string (the key of a "
            "singlevaluelist, an ISO 8601 datetime with its zone), a number, or a list of keys for a "
            "multivaluelist. A refused answer is reported under errors as question_answers.<code>."
        ),
    )
    urgent = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Urgent (handled at once, the agency's on-duty staff told): hotline operators only.",
    )
    attachments = serializers.ListField(child=UploadField(), required=False, default=list)
    captcha_key = serializers.CharField(
        required=False, default="", max_length=100, help_text="From GET /api/v1/captcha; anonymous callers only"
    )
    captcha_value = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100, help_text="What the person read in the picture"
    )

    def validate_location(self, value: dict[str, Any]) -> tuple[Any, Any]:
        coordinates = value.get("coordinates")
        if value.get("type") != "Point" or not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
            raise serializers.ValidationError(
                'Vị trí phải là GeoJSON Point: {"type": "Point", "coordinates": [kinh độ, vĩ độ]}.'
            )
        return coordinates[0], coordinates[1]

    def validate_reporter(self, value: dict[str, Any]) -> dict[str, Any]:
        serializer = ReporterInputSerializer(data=value)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "location" in attrs:
            attrs["lng"], attrs["lat"] = attrs.pop("location")
        elif attrs.get("lat") is None or attrs.get("lng") is None:
            raise serializers.ValidationError(
                {"location": ["Hãy chọn vị trí: location (GeoJSON Point) hoặc lat và lng."]}
            )
        return attrs


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "content_type", "size", "width", "height", "url", "thumbnail_url"]

    def get_url(self, attachment: Attachment) -> str:
        return reverse("report-attachment", args=[attachment.report.code, attachment.pk])

    def get_thumbnail_url(self, attachment: Attachment) -> str | None:
        if not attachment.thumbnail:
            return None
        return reverse("report-attachment-thumbnail", args=[attachment.report.code, attachment.pk])


class EventSerializer(serializers.ModelSerializer[ReportEvent]):
    action_label = serializers.CharField(source="get_action_display")
    agency = serializers.CharField(source="agency.name", default=None)

    class Meta:
        model = ReportEvent
        fields = ["action", "action_label", "from_status", "to_status", "agency", "note", "created_at"]


def _unit(unit: Any) -> dict[str, str] | None:
    return {"code": unit.code, "name": unit.name} if unit is not None else None


class ReportPublicSerializer(serializers.ModelSerializer[Report]):
    """What anyone may see. No phone, e-mail or ID number, ever; no name when confidential."""

    category = serializers.SerializerMethodField()
    ward = serializers.SerializerMethodField()
    district = serializers.SerializerMethodField()
    province = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")
    location = serializers.SerializerMethodField()
    reporter_name = serializers.CharField(source="public_reporter_name")
    answer = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "code",
            "kind",
            "category",
            "title",
            "description",
            "address",
            "location",
            "ward",
            "district",
            "province",
            "agency",
            "status",
            "status_label",
            "deadline",
            "is_overdue",
            "rejection_reason",
            "created_at",
            "completed_at",
            "occurred_at",
            "reporter_name",
            "support_count",
            "satisfied",
            "answer",
            "attachments",
            "url",
        ]

    def get_category(self, report: Report) -> dict[str, str]:
        return {"code": report.category.code, "name": report.category.display_name}

    def get_ward(self, report: Report) -> dict[str, str] | None:
        return _unit(report.ward)

    def get_district(self, report: Report) -> dict[str, str] | None:
        return _unit(report.district)

    def get_province(self, report: Report) -> dict[str, str] | None:
        return _unit(report.province)

    def get_agency(self, report: Report) -> dict[str, str] | None:
        return _unit(report.agency)

    def get_location(self, report: Report) -> dict[str, Any] | None:
        return point_geojson(report)

    def get_answer(self, report: Report) -> dict[str, Any] | None:
        published = [answer for answer in report.answers.all() if answer.published_at is not None]
        if not published:
            return None
        answer = published[-1]
        return {
            "body": answer.body,
            "agency": answer.agency.name if answer.agency else None,
            "published_at": answer.published_at,
            # Its files staff published with it (an after photo, the official reply when cleared).
            "attachments": [
                self._attachment.to_representation(a) for a in answer.attachments.all() if a.shown_publicly
            ],
        }

    def get_attachments(self, report: Report) -> list[dict[str, Any]]:
        visible = [a for a in report.attachments.all() if a.answer_id is None and a.shown_publicly]
        return [self._attachment.to_representation(a) for a in visible]

    @cached_property
    def _attachment(self) -> AttachmentSerializer:
        # One for all the rows a list serialises (DRF builds a serializer's fields anew for each instance).
        return AttachmentSerializer(context=self.context)

    def get_url(self, report: Report) -> str:
        return reverse("report-detail-page", args=[report.code])


class ReportCreatedSerializer(ReportPublicSerializer):
    """The answer to a new report: public fields plus the reporter's own token for rating or reopening."""

    token = serializers.SerializerMethodField()

    class Meta(ReportPublicSerializer.Meta):
        fields = [*ReportPublicSerializer.Meta.fields, "token"]

    def get_token(self, report: Report) -> str:
        from .services import reporter_token

        return reporter_token(report)


class ReporterDetailsSerializer(serializers.ModelSerializer[Report]):
    class Meta:
        model = Report
        fields = [
            "reporter_name",
            "reporter_phone",
            "reporter_email",
            "reporter_id_number",
            "is_organization",
            "organization_name",
            "confidential",
        ]


class ReportPrivateSerializer(ReportPublicSerializer):
    """For the reporter and for staff: adds the reporter's details and the full history."""

    reporter = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    question_answers = QuestionAnswersField(read_only=True)

    class Meta(ReportPublicSerializer.Meta):
        fields = [
            *ReportPublicSerializer.Meta.fields,
            "reporter",
            "events",
            "is_public",
            "hidden_reason",
            "question_answers",
        ]

    def get_reporter(self, report: Report) -> dict[str, Any]:
        return dict(ReporterDetailsSerializer(report).data)

    def get_events(self, report: Report) -> list[dict[str, Any]]:
        events = report.events.select_related("agency")
        if not self.context.get("staff"):
            events = events.filter(is_public=True)
        return list(EventSerializer(events, many=True).data)


_DATETIME = serializers.DateTimeField()


def report_created_data(report: Report, attachments: list[Attachment]) -> dict[str, Any]:
    """The 201 answer to an intake, built from the report in memory (ReportCreatedSerializer documents it).

    Intake is the busiest write path; building DRF serializer fields for every
    request cost more than storing the report.
    """
    from .services import reporter_token

    return {
        "code": report.code,
        "kind": report.kind,
        "category": {"code": report.category.code, "name": report.category.display_name},
        "title": report.title,
        "description": report.description,
        "address": report.address,
        "location": point_geojson(report),
        "ward": _unit(report.ward),
        "district": _unit(report.district),
        "province": _unit(report.province),
        "agency": _unit(report.agency),
        "status": report.status,
        "status_label": report.get_status_display(),
        "deadline": report.deadline.isoformat(),
        "is_overdue": report.is_overdue,
        "rejection_reason": report.rejection_reason,
        "created_at": _DATETIME.to_representation(report.created_at),
        "completed_at": None,
        "occurred_at": _DATETIME.to_representation(report.occurred_at) if report.occurred_at else None,
        "reporter_name": report.public_reporter_name,
        "support_count": report.support_count,
        "satisfied": report.satisfied,
        "answer": None,
        "attachments": list(AttachmentSerializer(attachments, many=True).data),
        "url": reverse("report-detail-page", args=[report.code]),
        "token": reporter_token(report),
    }


def point_geojson(report: Report) -> dict[str, Any] | None:
    """The report's pin as a GeoJSON Point; None (null) for a report filed without one, which GeoJSON allows
    as a Feature's geometry."""
    if report.location is None:
        return None
    return {"type": "Point", "coordinates": [round(report.location.x, 6), round(report.location.y, 6)]}


def report_feature(report: Report, data: dict[str, Any]) -> dict[str, Any]:
    properties = {key: value for key, value in data.items() if key != "location"}
    return {"type": "Feature", "id": report.code, "geometry": data["location"], "properties": properties}


class MyAnswerSerializer(serializers.Serializer[Any]):
    body = serializers.CharField()
    agency = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField()


class MyReportSerializer(serializers.Serializer[Any]):
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
            "category": report.category.display_name,
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
