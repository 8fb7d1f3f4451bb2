"""Forms of the report pages: they turn what a person typed into service input and back into messages.

Validation of the report itself (lengths, phone numbers, files, whether the pin lies in our area)
belongs to incidents.services; the forms only check the shape of the input and the captcha.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from agencies.models import Role
from agencies.selectors import agency_ids_for
from boundaries.choices import district_choices, ward_choices
from boundaries.models import Level
from boundaries.selectors import unit_list, unit_point
from common.inputs import DAY_MAX, DAY_MIN

from .attachments import ACCEPT_ATTRIBUTE
from .filters import PAGE_NAMES, SENDER_NAMES, ReportFilters, report_filters_parse_valid
from .models import Category, CategoryQuestion, QuestionType, ReportKind, ReportStatus
from .selectors import category_list, category_list_with_questions
from .services import ReporterInput, ReportInput

# Where each field-keyed error of services.report_create is shown.
SERVICE_FIELDS = {
    "kind": "kind",
    "category": "category",
    "title": "title",
    "description": "description",
    "address": "address",
    "location": "lat",
    "occurred_at": "occurred_at",
    "attachments": "attachments",
    "reporter.name": "reporter_name",
    "reporter.phone": "reporter_phone",
    "reporter.email": "reporter_email",
    "reporter.id_number": "reporter_id_number",
    "reporter.organization_name": "organization_name",
    "urgent": "urgent",
}

User = AbstractBaseUser | AnonymousUser


class FormRenderer(DjangoTemplates):
    """Django's widget templates plus the project's templates/ folder (for the captcha widget)."""

    @cached_property
    def engine(self) -> Any:
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(forms.__file__).parent / "templates",
                    Path(settings.BASE_DIR) / "templates",
                ],
                "NAME": "incidents-forms",
                "OPTIONS": {},
            }
        )


RENDERER = FormRenderer()


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [single(item, initial) for item in files]


class CaptchaInput(CaptchaTextInput):
    """The captcha with a Vietnamese alternative text, a button for a new picture and proper labels."""

    template_name = "incidents/captcha_widget.html"
    # One answer box: a plain label for it, not a fieldset around the hidden key and the box.
    use_fieldset = False


def _text(attrs: dict[str, Any] | None = None) -> forms.TextInput:
    return forms.TextInput(attrs=attrs or {})


QUESTION_PREFIX = "q__"
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def question_field_name(category: str, code: str) -> str:
    """The form field of a category's question: every category's questions are in the page (the script
    shows the chosen category's), so the name carries both codes."""
    return f"{QUESTION_PREFIX}{category}__{code}"


def _question_field(question: CategoryQuestion) -> forms.Field:
    """The form field asking a question. Whether it is answered, and rightly, is the intake's to say
    (services.question_answers_clean), so every field is optional here and only carries the shape."""
    common: dict[str, Any] = {
        "label": question.display_prompt,
        "help_text": question.display_description,
        "required": False,
    }
    choices = question.value_choices()
    if question.datatype == QuestionType.SINGLE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if question.datatype == QuestionType.MULTI:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if question.datatype == QuestionType.DATETIME:
        widget: forms.Widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)
    elif question.datatype == QuestionType.NUMBER:
        widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    elif question.datatype == QuestionType.TEXT:
        widget = forms.Textarea(attrs={"rows": 3})
    else:
        widget = forms.TextInput()
    return forms.CharField(widget=widget, **common)


@dataclass
class QuestionGroup:
    """A category's questions on the form: (question, its field, or None for an explanation)."""

    category: Category
    items: list[tuple[CategoryQuestion, BoundField | None]]


class ReportForm(forms.Form):
    """The report form (phản ánh / hiến kế); anonymous senders also answer the captcha."""

    default_renderer = RENDERER
    required_css_class = "required"

    kind = forms.ChoiceField(
        label=_("Loại"),
        choices=[(ReportKind.FEEDBACK.value, _("Phản ánh, kiến nghị")), (ReportKind.IDEA.value, _("Hiến kế"))],
        initial=ReportKind.FEEDBACK.value,
        widget=forms.RadioSelect,
        error_messages={"required": _("Hãy chọn loại: phản ánh, kiến nghị hoặc hiến kế.")},
    )
    category = forms.ChoiceField(
        label=_("Chuyên mục"),
        error_messages={
            "required": _("Hãy chọn chuyên mục."),
            "invalid_choice": _("Chuyên mục không tồn tại; hãy chọn lại."),
        },
    )
    # Only a hotline operator's form has it (seed 004: urgent calls are taken 24/7).
    urgent = forms.BooleanField(
        label=_("Khẩn: cần xử lý ngay"),
        required=False,
        help_text=_(
            "Cơ quan nhận được xếp phản ánh lên đầu và báo ngay cán bộ trực bằng SMS và e-mail, kể cả ngoài giờ."
        ),
    )
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, widget=forms.HiddenInput)
    district = forms.CharField(label=_("Quận, huyện"), required=False, widget=forms.Select)
    ward = forms.CharField(
        label=_("Phường, xã"),
        required=False,
        widget=forms.Select,
        help_text=_("Không đặt được ghim trên bản đồ? Chọn phường, xã: phản ánh sẽ được ghim ở giữa phường, xã đó."),
    )
    address = forms.CharField(
        label=_("Địa chỉ chi tiết"),
        required=False,
        max_length=300,
        help_text=_("Số nhà, đường, khu phố, ấp hoặc điểm mốc gần đó."),
        widget=_text({"autocomplete": "street-address"}),
    )
    title = forms.CharField(
        label=_("Tiêu đề"),
        max_length=200,
        help_text=_("Một câu ngắn, ví dụ “Ổ gà lớn trước số 12 đường 30/4”."),
        error_messages={"required": _("Hãy nhập tiêu đề.")},
    )
    description = forms.CharField(
        label=_("Nội dung"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Mô tả vấn đề: chuyện gì, từ khi nào, ảnh hưởng ra sao. Tối đa 5000 ký tự."),
        error_messages={"required": _("Hãy nhập nội dung phản ánh.")},
    )
    occurred_at = forms.DateTimeField(
        label=_("Thời gian xảy ra"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"],
        help_text=_("Không bắt buộc."),
        error_messages={"invalid": _("Thời gian không hợp lệ; hãy chọn ngày và giờ.")},
    )
    attachments = MultipleFileField(
        label=_("Tệp đính kèm"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    reporter_type = forms.ChoiceField(
        label=_("Gửi với tư cách"),
        choices=[("individual", _("Cá nhân")), ("organization", _("Tổ chức"))],
        initial="individual",
        widget=forms.RadioSelect,
    )
    organization_name = forms.CharField(
        label=_("Tên tổ chức"), required=False, max_length=200, widget=_text({"autocomplete": "organization"})
    )
    reporter_name = forms.CharField(
        label=_("Họ và tên"),
        max_length=120,
        widget=_text({"autocomplete": "name"}),
        error_messages={"required": _("Hãy nhập họ và tên.")},
    )
    reporter_phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=30,
        help_text=_("Có thể bỏ số 0 ở đầu, ví dụ 0912 345 678 hoặc 912 345 678. Không công khai."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("Hãy nhập số điện thoại để nhận kết quả.")},
    )
    reporter_email = forms.EmailField(
        label=_("Thư điện tử (e-mail)"),
        required=False,
        max_length=254,
        help_text=_("Không bắt buộc. Không công khai."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Địa chỉ e-mail không hợp lệ, ví dụ ten@example.com.")},
    )
    reporter_id_number = forms.CharField(
        label=_("Số CCCD/CMND"),
        required=False,
        max_length=20,
        help_text=_("Không bắt buộc; 12 chữ số (CCCD) hoặc 9 chữ số (CMND). Không công khai."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # Nothing is ticked for the sender: personal data is public only by their explicit choice.
    show_name = forms.BooleanField(
        label=_("Đồng ý công khai họ tên (hoặc tên tổ chức) cùng phản ánh"),
        required=False,
        help_text=_(
            "Không chọn thì thông tin cá nhân của bạn được giữ bí mật: tên không hiện ở phản ánh; cơ quan xử lý "
            "vẫn liên hệ được với bạn."
        ),
    )
    is_public = forms.BooleanField(
        label=_("Đồng ý công khai phản ánh"),
        required=False,
        help_text=_(
            "Nội dung, vị trí và kết quả xử lý hiện trên trang tra cứu và bản đồ. Số điện thoại, e-mail và "
            "số CCCD/CMND không bao giờ được công khai. Không chọn thì chỉ bạn và cơ quan xử lý xem được."
        ),
    )

    def __init__(self, *args: Any, user: User | None = None, captcha: bool = True, **kwargs: Any) -> None:
        """`captcha=False` only to recognise a repeated sending (its captcha was used up by the first)."""
        self.user = user
        signed_in = bool(user is not None and user.is_authenticated)
        # An operator types in the caller's details, not their own.
        operator = signed_in and bool(agency_ids_for(user, [Role.OPERATOR]))  # type: ignore[arg-type]
        if signed_in and not operator and not args and "data" not in kwargs:
            initial = kwargs.setdefault("initial", {})
            initial.setdefault("reporter_name", user.get_full_name() or user.get_username())  # type: ignore[union-attr]
            initial.setdefault("reporter_email", getattr(user, "email", "") or "")
            initial.setdefault("reporter_phone", getattr(user, "phone", "") or "")
        super().__init__(*args, **kwargs)
        fields = self.fields
        categories = list(category_list_with_questions())
        fields["category"].choices = [("", _("— Chọn chuyên mục —"))] + [  # type: ignore[attr-defined]
            (c.code, c.display_name) for c in categories
        ]
        self.question_groups = self._questions_add(categories)
        fields["district"].widget.choices = district_choices(_("— Chọn quận, huyện —"))
        district = str(self.data.get("district", "")) if self.is_bound else ""
        fields["ward"].widget.choices = ward_choices(district, empty_label=_("— Chọn phường, xã —"))
        limit_mb = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        fields["attachments"].help_text = _(
            "Ảnh, video, âm thanh, PDF hoặc tài liệu Word, Excel, PowerPoint. Tối đa %(count)s tệp, mỗi tệp "
            "không quá %(size)s MB."
        ) % {"count": settings.ATTACHMENT_MAX_COUNT, "size": limit_mb}
        if operator:
            fields["reporter_name"].label = _("Họ và tên người gọi")
            fields["reporter_phone"].label = _("Số điện thoại người gọi")
            # The operator asks and ticks only what the caller agreed to.
            fields["show_name"].label = _("Người gọi đồng ý công khai họ tên cùng phản ánh")
            fields["is_public"].label = _("Người gọi đồng ý công khai phản ánh")
        else:
            del fields["urgent"]
        if signed_in:
            # Signed-in senders are reached through their account.
            fields["reporter_phone"].required = False
        elif captcha:
            fields["captcha"] = CaptchaField(
                label=_("Mã xác nhận"),
                help_text=_("Nhập các chữ cái trong ảnh (không phân biệt chữ hoa, chữ thường)."),
                widget=CaptchaInput,
                error_messages={
                    "invalid": _("Mã xác nhận không đúng. Hãy nhập các chữ trong ảnh mới."),
                    "required": _("Hãy nhập mã xác nhận."),
                    "incomplete": _("Hãy nhập mã xác nhận."),
                },
            )

    def _questions_add(self, categories: list[Category]) -> list[QuestionGroup]:
        groups = []
        for category in categories:
            items = []
            for question in category.questions.all():
                name = question_field_name(category.code, question.code) if question.variable else ""
                if name:
                    self.fields[name] = _question_field(question)
                items.append((question, self[name] if name else None))
            if items:
                groups.append(QuestionGroup(category=category, items=items))
        return groups

    def question_group(self) -> QuestionGroup | None:
        """The questions of the chosen category, if it asks any."""
        chosen = str(self.data.get("category", "")) if self.is_bound else ""
        return next((group for group in self.question_groups if group.category.code == chosen), None)

    def _answers(self) -> dict[str, Any]:
        """The chosen category's answers as the intake takes them (a local datetime gets the site's zone)."""
        group = self.question_group()
        answers: dict[str, Any] = {}
        for question, field in group.items if group else []:
            value = self.cleaned_data.get(field.name) if field else None
            if value in (None, "", []):
                continue
            if question.datatype == QuestionType.DATETIME:
                try:
                    value = timezone.make_aware(datetime.fromisoformat(str(value).strip())).isoformat()
                except ValueError:
                    pass  # the intake says what is wrong with it
            answers[question.code] = value
        return answers

    @property
    def has_districts(self) -> bool:
        return len(self.fields["district"].widget.choices) > 1

    def clean_ward(self) -> str:
        code = str(self.cleaned_data.get("ward") or "").strip()
        if code and not unit_list(level=Level.WARD).filter(code=code).exists():
            raise ValidationError(_("Phường, xã này không có trong danh sách; hãy chọn lại."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lng = str(data.get("lat") or "").strip(), str(data.get("lng") or "").strip()
        if not lat and not lng:
            ward = data.get("ward")
            point = unit_point(ward, level=Level.WARD) if ward else None
            if point is not None:
                data["lng"], data["lat"] = point
            elif not self.has_error("ward"):
                self.add_error("lat", _("Hãy đặt ghim trên bản đồ, hoặc chọn phường, xã nơi xảy ra sự việc."))
        if data.get("reporter_type") == "organization" and not str(data.get("organization_name") or "").strip():
            self.add_error("organization_name", _("Hãy nhập tên tổ chức."))
        return data

    def to_input(self) -> ReportInput:
        data = self.cleaned_data
        organization = data.get("reporter_type") == "organization"
        return ReportInput(
            kind=data["kind"],
            category=data["category"],
            title=data["title"],
            description=data["description"],
            lng=data["lng"],
            lat=data["lat"],
            address=data.get("address") or "",
            occurred_at=data.get("occurred_at"),
            reporter=ReporterInput(
                name=data.get("reporter_name") or "",
                phone=data.get("reporter_phone") or "",
                email=data.get("reporter_email") or "",
                id_number=data.get("reporter_id_number") or "",
                is_organization=organization,
                organization_name=(data.get("organization_name") or "") if organization else "",
                confidential=not data.get("show_name"),
            ),
            is_public=bool(data.get("is_public")),
            urgent=bool(data.get("urgent")),
            question_answers=self._answers(),
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show the service's field-keyed messages on the fields they are about."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        category = str(self.data.get("category", ""))
        for key, messages in exc.message_dict.items():
            field = SERVICE_FIELDS.get(key)
            if key.startswith("question_answers."):
                field = question_field_name(category, key.removeprefix("question_answers."))
            self.add_error(field if field in self.fields else None, messages)

    @property
    def location_errors(self) -> list[str]:
        return [*self.errors.get("lat", []), *self.errors.get("lng", [])]

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for every error, in the order of the page, for the box at the top."""
        items: list[tuple[str, str]] = [("", str(message)) for message in self.non_field_errors()]
        order = [
            "kind",
            "category",
            "urgent",
            "lat",
            "lng",
            "district",
            "ward",
            "address",
            "title",
            "description",
            "occurred_at",
            "attachments",
            "reporter_type",
            "organization_name",
            "reporter_name",
            "reporter_phone",
            "reporter_email",
            "reporter_id_number",
            "confidential",
            "is_public",
            "captcha",
        ]
        group = self.question_group()
        at = order.index("category") + 1
        order[at:at] = [field.name for _question, field in group.items if field] if group else []
        for name in order:
            for message in self.errors.get(name, []):
                if name.startswith(QUESTION_PREFIX) and self[name].use_fieldset:  # choices: the first one
                    anchor = f"id_{name}_0"
                elif name in ("lat", "lng"):
                    anchor = "location"
                elif name in ("kind", "reporter_type"):
                    anchor = f"id_{name}_0"
                elif name == "captcha":
                    anchor = "id_captcha_1"
                else:
                    anchor = f"id_{name}"
                items.append((anchor, str(message)))
        return items


STATUS_CHOICES = [("", _("— Mọi trạng thái —")), ("open", _("Chưa hoàn thành"))] + [
    (value, label) for value, label in ReportStatus.choices
]


# The public list's query names its period date_from/date_to (its links keep them); the API says from/to.
PAGE_FIELDS = {"from": "date_from", "to": "date_to"}


def _search_day(label: Any) -> forms.CharField:
    """A day of the search form, typed as a date picker gives it or as ngày/tháng/năm (checked by incidents.filters)."""
    attrs = {"type": "date", "min": DAY_MIN.isoformat(), "max": DAY_MAX.isoformat()}
    return forms.CharField(label=label, required=False, widget=forms.DateInput(attrs=attrs, format="%Y-%m-%d"))


class ReportSearchForm(forms.Form):
    """The look-up form of the public list; every field is optional. It renders; incidents.filters parses
    (the one parser of the API, map, heatmap and statistics), and its refusals show on their fields."""

    default_renderer = RENDERER

    q = forms.CharField(
        label=_("Tìm theo mã, tiêu đề, nội dung hoặc địa chỉ"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    district = forms.CharField(label=_("Quận, huyện"), required=False, widget=forms.Select)
    ward = forms.CharField(label=_("Phường, xã"), required=False, widget=forms.Select)
    category = forms.CharField(label=_("Chuyên mục"), required=False, widget=forms.Select)
    kind = forms.CharField(
        label=_("Loại"),
        required=False,
        widget=forms.Select(
            choices=[
                ("", _("— Phản ánh và hiến kế —")),
                (ReportKind.FEEDBACK.value, _("Phản ánh, kiến nghị")),
                (ReportKind.IDEA.value, _("Hiến kế")),
            ]
        ),
    )
    status = forms.CharField(label=_("Trạng thái"), required=False, widget=forms.Select(choices=STATUS_CHOICES))
    date_from = _search_day(_("Gửi từ ngày"))
    date_to = _search_day(_("Đến ngày"))
    sender_name = forms.CharField(
        label=_("Họ tên người gửi"),
        required=False,
        max_length=120,
        help_text=_("Chỉ tìm đúng người gửi: nhập đủ họ và tên."),
    )
    sender_phone = forms.CharField(
        label=_("Số điện thoại người gửi"),
        required=False,
        max_length=30,
        help_text=_("Chỉ tìm đúng người gửi: nhập đủ số điện thoại. Phản ánh giữ bí mật người gửi không hiện."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )

    ADVANCED = ("district", "ward", "category", "kind", "status", "date_from", "date_to", "sender_name", "sender_phone")
    SENDER = ("sender_name", "sender_phone")

    def __init__(self, *args: Any, sender_search: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A sender's name and phone are search keys for staff only (see incidents.filters).
        self.sender_refused = False
        self.sender_search = sender_search
        if not sender_search:
            for name in self.SENDER:
                del self.fields[name]
            self.sender_refused = self.is_bound and any(str(self.data.get(name, "")).strip() for name in self.SENDER)
        self.fields["district"].widget.choices = district_choices()
        district = str(self.data.get("district", "")) if self.is_bound else ""
        self.fields["ward"].widget.choices = ward_choices(district)
        self.fields["category"].widget.choices = [("", _("— Mọi chuyên mục —"))] + [
            (c.code, c.display_name) for c in category_list()
        ]

    @property
    def advanced_used(self) -> bool:
        return self.is_bound and any(str(self.data.get(name, "")).strip() for name in self.ADVANCED)

    @property
    def has_districts(self) -> bool:
        return len(self.fields["district"].widget.choices) > 1

    def filters(self) -> ReportFilters:
        """The filters of the valid values: a bad one is reported on its field and left out of the search."""
        if not self.is_bound:
            return ReportFilters()
        params = {name: self.data.get(PAGE_FIELDS.get(name, name), "") for name in PAGE_NAMES}
        filters, errors = report_filters_parse_valid(
            params, names=PAGE_NAMES if self.sender_search else PAGE_NAMES - SENDER_NAMES, sender_search=True
        )
        for name, messages in errors.items():
            field = PAGE_FIELDS.get(name, name)
            self.add_error(field if field in self.fields else None, messages)
        return filters


class ReportLookupForm(forms.Form):
    """The reporter's own look-up: the report's code and the phone it was sent with."""

    default_renderer = RENDERER

    code = forms.CharField(
        label=_("Mã phản ánh"),
        max_length=20,
        help_text=_("Mã in trong tin nhắn hoặc e-mail xác nhận, ví dụ 202501150001."),
        widget=_text({"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Hãy nhập mã phản ánh.")},
    )
    phone = forms.CharField(
        label=_("Số điện thoại đã dùng khi gửi"),
        max_length=30,
        help_text=_("Mã xác nhận sẽ được gửi tới số này qua SMS nếu đúng là số đã gửi phản ánh."),
        widget=_text({"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("Hãy nhập số điện thoại.")},
    )


class FollowForm(forms.Form):
    """Follow a public report, or say "me too": a phone or e-mail to hear of its updates (a signed-in person
    may leave it empty: their account follows), and for "me too" a name."""

    default_renderer = RENDERER

    contact = forms.CharField(
        label=_("Số điện thoại hoặc e-mail nhận tin"),
        max_length=254,
        required=False,
        help_text=_("Một mã xác nhận sẽ được gửi tới đây; chỉ khi bạn nhập lại mã, bạn mới nhận tin về phản ánh."),
        widget=_text({"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Họ và tên (khi bạn cũng gặp vấn đề này)"),
        max_length=120,
        required=False,
        widget=_text({"autocomplete": "name"}),
    )

    def contact_kwargs(self) -> dict[str, str]:
        value = self.cleaned_data["contact"].strip()
        return {"email": value} if "@" in value else {"phone": value}


RADIUS_CHOICES = [
    ("250", _("250 m")),
    ("500", _("500 m")),
    ("1000", _("1 km")),
    ("2000", _("2 km")),
    ("5000", _("5 km")),
]


class AreaForm(forms.Form):
    """An area to follow (a ward, a district, or a point on the map with a radius) and, to get the e-mail
    digest, an address. The ward chosen wins over its district; the point is used when neither is."""

    default_renderer = RENDERER

    district = forms.ChoiceField(label=_("Quận, huyện"), required=False)
    ward = forms.ChoiceField(label=_("Phường, xã"), required=False)
    lat = forms.CharField(
        label=_("Vĩ độ của điểm"), required=False, max_length=20, widget=_text({"inputmode": "decimal"})
    )
    lng = forms.CharField(
        label=_("Kinh độ của điểm"), required=False, max_length=20, widget=_text({"inputmode": "decimal"})
    )
    radius = forms.ChoiceField(label=_("Bán kính quanh điểm"), choices=RADIUS_CHOICES, initial="1000", required=False)
    email = forms.CharField(
        label=_("E-mail nhận tin tổng hợp hằng ngày"),
        max_length=254,
        required=False,
        help_text=_("Thư xác nhận sẽ được gửi tới đây; bạn chỉ nhận tin sau khi bấm đường dẫn trong thư."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = district_choices(_("— Chọn quận, huyện —"))
        cast(forms.ChoiceField, self.fields["ward"]).choices = ward_choices(empty_label=_("— Chọn phường, xã —"))

    def area_params(self) -> dict[str, str]:
        data = self.cleaned_data
        if data.get("ward"):
            return {"ward": data["ward"]}
        if data.get("district"):
            return {"district": data["district"]}
        return {"lat": data.get("lat") or "", "lng": data.get("lng") or "", "radius": data.get("radius") or ""}
