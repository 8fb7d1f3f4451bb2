"""Forms of the staff pages: the worklist filters and one small form per action on a report.

The forms check only the shape of the input; who may act and in which state is decided by
incidents.services, whose messages the views show on the form that was sent.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from boundaries.choices import ward_choices
from boundaries.models import Level
from boundaries.selectors import unit_point

from .attachments import ACCEPT_ATTRIBUTE
from .filters import STATUS, WORKLIST_NAMES, ReportFilters, report_filters_parse_valid
from .forms import MultipleFileField, MultipleFileInput
from .models import RejectionReason, Report, ReportStatus
from .selectors import category_list

OPEN = "open"
ALL = "all"
STATUS_FILTER_CHOICES = [
    (OPEN, _("Chưa hoàn thành")),
    (ReportStatus.RECEIVED.value, _("Tiếp nhận")),
    (ReportStatus.FORWARDED.value, _("Đã chuyển xử lý")),
    (ReportStatus.IN_PROGRESS.value, _("Đang xử lý")),
    (ReportStatus.AWAITING_APPROVAL.value, _("Chờ duyệt kết quả")),
    (ReportStatus.COMPLETED.value, _("Hoàn thành")),
    (ReportStatus.REJECTED.value, _("Từ chối")),
    (ALL, _("Tất cả trạng thái")),
]
REJECTION_CHOICES = [
    (RejectionReason.SPAM.value, _("Tin rác, không đúng sự thật")),
    (RejectionReason.DUPLICATE.value, _("Trùng với phản ánh khác")),
    (RejectionReason.OUT_OF_SCOPE.value, _("Không thuộc phạm vi tiếp nhận")),
]


class WorklistFilterForm(forms.Form):
    """Filters of the worklist; anything invalid is left out rather than refused."""

    q = forms.CharField(
        label=_("Tìm theo mã, tiêu đề, nội dung, địa chỉ"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(label=_("Trạng thái"), required=False, choices=STATUS_FILTER_CHOICES)
    category = forms.ChoiceField(label=_("Chuyên mục"), required=False)
    overdue = forms.BooleanField(label=_("Chỉ phản ánh quá hạn"), required=False)
    unlocated = forms.BooleanField(label=_("Chỉ phản ánh chưa có vị trí"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("— Mọi chuyên mục —"))] + [  # type: ignore[attr-defined]
            (c.code, c.display_name) for c in category_list()
        ]

    def filters(self) -> ReportFilters:
        """The filters (incidents.filters, the one parser); open reports unless another status is chosen."""
        data = self.data if self.is_bound else {}
        params = {name: str(data.get(name) or "") for name in WORKLIST_NAMES}
        status = params[STATUS] or OPEN
        params[STATUS] = "" if status == ALL else status
        filters, _errors = report_filters_parse_valid(params, names=WORKLIST_NAMES, known_codes=True)
        return filters


class StaffActionForm(forms.Form):
    """One action's form. `anchor` is the id of its section on the detail page; field ids start with it."""

    anchor = "action"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.anchor}-%s")
        super().__init__(*args, **kwargs)


class StartForm(StaffActionForm):
    anchor = "start"


class ApproveForm(StaffActionForm):
    anchor = "approve"


def _reason(label: Any, *, max_length: int, required_message: Any, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": required_message},
    )


class AnswerForm(StaffActionForm):
    anchor = "answer"

    body = forms.CharField(
        label=_("Nội dung trả lời"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Người dân đọc được câu trả lời này khi nó được công bố. Không ghi thông tin cá nhân."),
        error_messages={"required": _("Hãy nhập nội dung trả lời.")},
    )
    attachments = MultipleFileField(
        label=_("Tệp kèm kết quả"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text=_(
            "Văn bản trả lời (PDF) và ảnh sau khi xử lý. Ảnh được công bố cùng kết quả; văn bản thì tùy lựa "
            "chọn bên dưới."
        ),
    )
    # Not pre-ticked: an official reply names the reporter and their address.
    publish_documents = forms.BooleanField(
        label=_("Công bố văn bản trả lời cùng kết quả"),
        required=False,
        help_text=_(
            "Chỉ đánh dấu khi văn bản đã che họ tên, địa chỉ, số điện thoại của người gửi. Không đánh dấu: chỉ "
            "người gửi (qua đường dẫn trong tin nhắn) và cán bộ xem được."
        ),
    )


class ReturnForm(StaffActionForm):
    anchor = "return"

    note = _reason(_("Lý do trả lại"), max_length=1000, required_message=_("Hãy nhập lý do trả lại."), rows=3)


class RejectForm(StaffActionForm):
    anchor = "reject"

    reason = forms.ChoiceField(
        label=_("Lý do từ chối"),
        choices=REJECTION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Hãy chọn lý do từ chối."),
            "invalid_choice": _("Hãy chọn một trong các lý do từ chối."),
        },
    )
    note = forms.CharField(
        label=_("Ghi chú"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Công khai cùng lý do; ví dụ đơn vị có thẩm quyền hoặc mã phản ánh trùng."),
    )


def agency_choices(exclude: int | None) -> list[Any]:
    """Active agencies, grouped: province-level ones, then each district's and ward's under their parent."""
    agencies = list(Agency.objects.filter(is_active=True).select_related("parent").order_by("level", "name"))
    groups: dict[str, list[tuple[str, str]]] = {}
    for agency in agencies:
        if agency.pk == exclude:
            continue
        if agency.parent is None or agency.level == 1:
            group = str(_("Cấp tỉnh"))
        else:
            group = str(_("Trực thuộc %(name)s") % {"name": agency.parent.name})
        groups.setdefault(group, []).append((str(agency.pk), agency.name))
    return [("", _("— Chọn cơ quan —")), *groups.items()]


class ReassignForm(StaffActionForm):
    anchor = "reassign"

    agency = forms.ChoiceField(
        label=_("Chuyển đến cơ quan"),
        error_messages={
            "required": _("Hãy chọn cơ quan nhận."),
            "invalid_choice": _("Cơ quan này không có trong danh sách; hãy chọn lại."),
        },
    )
    note = forms.CharField(
        label=_("Ghi chú"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Công khai trong quá trình xử lý; ví dụ vì sao chuyển."),
    )

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = agency_choices(report.agency_id)  # type: ignore[attr-defined]

    def clean_agency(self) -> Agency:
        agency = Agency.objects.filter(pk=self.cleaned_data["agency"], is_active=True).first()
        if agency is None:
            raise ValidationError(_("Cơ quan này không có trong danh sách; hãy chọn lại."))
        return agency


class MergeForm(StaffActionForm):
    anchor = "merge"

    into = forms.CharField(
        label=_("Mã phản ánh gộp vào"),
        max_length=16,
        help_text=_("Mã của phản ánh gốc, ví dụ 202310040003. Phản ánh này sẽ đóng; người gửi theo dõi phản ánh gốc."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Hãy nhập mã phản ánh gộp vào.")},
    )

    def __init__(self, *args: Any, can_see: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_see = can_see

    def clean_into(self) -> Report:
        code = "".join(self.cleaned_data["into"].split())
        target = Report.objects.filter(code=code).first()
        if target is None or (self.can_see is not None and not self.can_see(target)):
            raise ValidationError(_("Không tìm thấy phản ánh mã “%(code)s”.") % {"code": code[:16]})
        return target


class RedactForm(StaffActionForm):
    anchor = "redact"

    title = forms.CharField(label=_("Tiêu đề"), max_length=200, error_messages={"required": _("Hãy nhập tiêu đề.")})
    description = forms.CharField(
        label=_("Nội dung"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Hãy nhập nội dung.")},
    )
    reason = _reason(
        _("Lý do sửa"),
        max_length=500,
        required_message=_("Hãy nhập lý do che thông tin."),
    )
    reason.help_text = _("Chỉ cán bộ thấy; ghi vào lịch sử xử lý.")


class VisibilityForm(StaffActionForm):
    anchor = "visibility"

    public = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1", widget=forms.HiddenInput
    )
    reason = _reason(_("Lý do"), max_length=300, required_message=_("Hãy nhập lý do."))
    reason.help_text = _("Chỉ cán bộ thấy; ghi vào lịch sử xử lý.")


class UrgentForm(StaffActionForm):
    anchor = "urgent"

    urgent = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1", widget=forms.HiddenInput
    )


class LocationForm(StaffActionForm):
    """The pin of a report filed without one: a ward's centre, or coordinates (the service checks them)."""

    anchor = "location"

    ward = forms.CharField(label=_("Phường, xã (đặt ghim ở trung tâm)"), required=False, widget=forms.Select)
    lat = forms.CharField(label=_("hoặc vĩ độ"), required=False, max_length=30)
    lng = forms.CharField(label=_("kinh độ"), required=False, max_length=30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ward"].widget.choices = ward_choices(empty_label=_("— Chọn phường, xã —"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ward, lat, lng = (str(data.get(name) or "").strip() for name in ("ward", "lat", "lng"))
        if ward and (lat or lng):
            raise ValidationError(_("Chọn phường, xã hoặc nhập toạ độ, không cả hai."))
        if ward:
            point = unit_point(ward, level=Level.WARD)
            if point is None:
                raise ValidationError(_("Không có phường, xã này."))
            data["lng"], data["lat"] = point
        elif not (lat and lng):
            raise ValidationError(_("Hãy chọn phường, xã hoặc nhập vĩ độ và kinh độ."))
        return data


class AttachmentHideForm(StaffActionForm):
    reason = _reason(_("Lý do ẩn tệp"), max_length=300, required_message=_("Hãy nhập lý do ẩn tệp."))

    def __init__(self, *args: Any, attachment_id: int, **kwargs: Any) -> None:
        self.anchor = f"attachment-{attachment_id}"
        super().__init__(*args, **kwargs)
