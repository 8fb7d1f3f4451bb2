"""Staff forms for warnings; the service validates, the form only carries the values."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .models import Alert, Category, Certainty, Severity, Status, Urgency
from .services import AlertInput

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=DATETIME_FORMAT)


class AlertForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Cơ quan phát hành"), queryset=Agency.objects.none(), to_field_name="code", empty_label=None
    )
    headline = forms.CharField(label=_("Tiêu đề cảnh báo"), max_length=160)
    category = forms.ChoiceField(label=_("Lĩnh vực"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("Mức độ nghiêm trọng"), choices=Severity.choices, initial=Severity.MODERATE)
    urgency = forms.ChoiceField(label=_("Mức độ khẩn cấp"), choices=Urgency.choices, initial=Urgency.EXPECTED)
    certainty = forms.ChoiceField(label=_("Mức độ chắc chắn"), choices=Certainty.choices, initial=Certainty.LIKELY)
    starts_at = forms.DateTimeField(
        label=_("Bắt đầu"), widget=LocalDateTimeInput(), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        label=_("Kết thúc"),
        widget=LocalDateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=_("Cảnh báo tự hết hiệu lực sau thời điểm này."),
    )
    description = forms.CharField(
        label=_("Nội dung cảnh báo"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    instruction = forms.CharField(
        label=_("Hướng dẫn người dân"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000, required=False
    )
    area_description = forms.CharField(
        label=_("Mô tả vùng cảnh báo"),
        max_length=300,
        required=False,
        help_text=_("Để trống: lấy theo tên các phường, xã mà vùng phủ lên (nội dung này có trong tin nhắn SMS)."),
    )
    # Filled by the map editor (static/js/alert-editor.js): a JSON list of area parts.
    area = forms.CharField(widget=forms.HiddenInput(attrs={"id": "alert-area"}), required=False)

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        field.queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            pk__in=[a.pk for a in agencies]
        ).order_by("level", "name")

    def to_input(self) -> AlertInput:
        data = self.cleaned_data
        try:
            area = json.loads(data.get("area") or "[]")
        except ValueError:
            area = None
        return AlertInput(
            headline=data["headline"],
            description=data["description"],
            instruction=data.get("instruction", ""),
            category=data["category"],
            severity=data["severity"],
            urgency=data["urgency"],
            certainty=data["certainty"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            area=area,
            area_description=data.get("area_description", ""),
            agency=data["agency"].code,
        )


def area_parts_json(alert: Alert) -> str:
    """The alert's parts in the editor's format, to start editing from."""
    parts: list[dict[str, Any]] = []
    for part in alert.parts.all():
        if part.kind == "polygon" and part.polygon is not None:
            parts.append({"kind": "polygon", "geometry": json.loads(part.polygon.geojson)})
        elif part.kind == "circle" and part.center is not None:
            parts.append({"kind": "circle", "lat": part.center.y, "lng": part.center.x, "radius_m": part.radius_m})
        elif part.kind == "unit" and part.unit is not None:
            parts.append({"kind": "unit", "code": part.unit.code, "name": part.unit.name})
    return json.dumps(parts, ensure_ascii=False)


def initial_from(alert: Alert) -> dict[str, Any]:
    def local(value: datetime) -> str:
        return timezone.localtime(value).strftime(DATETIME_FORMAT)

    return {
        "agency": alert.agency.code,
        "headline": alert.headline,
        "category": alert.category,
        "severity": alert.severity,
        "urgency": alert.urgency,
        "certainty": alert.certainty,
        "starts_at": local(alert.starts_at),
        "ends_at": local(alert.ends_at),
        "description": alert.description,
        "instruction": alert.instruction,
        "area_description": alert.area_description,
        "area": area_parts_json(alert),
    }


STATUS_FILTERS = [
    ("", _("Tất cả")),
    (Status.DRAFT, _("Bản nháp")),
    (Status.SUBMITTED, _("Chờ duyệt")),
    (Status.APPROVED, _("Đang phát hành")),
    ("expired", _("Đã hết hạn")),
    (Status.SUPERSEDED, _("Đã được cập nhật")),
    (Status.CANCELLED, _("Đã hủy")),
]


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Trạng thái"), choices=STATUS_FILTERS, required=False)
