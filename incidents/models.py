"""Reports and their reference data: categories (chuyên mục); the agencies that handle them are in agencies/."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from boundaries.models import AdminUnit
from common.gis import SRID


class Category(models.Model):
    """A report category (chuyên mục / lĩnh vực), managed by administrators."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    # Shown on English pages (blank: the Vietnamese name); messages to citizens, CAP and the feed keep `name`.
    name_en = models.CharField("tên tiếng Anh", max_length=200, blank=True)
    description = models.TextField(blank=True)
    # Working days to answer; empty means settings.REPORT_DEADLINE_DAYS.
    deadline_days = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    # Radius in which open reports of this category are offered as duplicates.
    duplicate_radius_m = models.PositiveIntegerField(default=250)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the page's language: what every page and the API show."""
        return category_display_name(name=self.name, name_en=self.name_en)


def localized(*, vi: str, en: str) -> str:
    """The one rule for a text kept in both languages (category names, questions, their choices): English
    when the active language is English and an English text exists, else the Vietnamese text."""
    language = get_language() or ""
    return en if en and language.split("-")[0] == "en" else vi


def category_display_name(*, name: str, name_en: str) -> str:
    """A category's shown name, for instances and values() rows alike (the rule is `localized`)."""
    return localized(vi=name, en=name_en)


class QuestionType(models.TextChoices):
    """The datatypes of an extra question: exactly Open311 GeoReport v2's attribute datatypes."""

    STRING = "string", "Chuỗi ngắn"
    NUMBER = "number", "Số"
    DATETIME = "datetime", "Ngày giờ"
    TEXT = "text", "Văn bản dài"
    SINGLE = "singlevaluelist", "Chọn một"
    MULTI = "multivaluelist", "Chọn nhiều"


LIST_TYPES = (QuestionType.SINGLE, QuestionType.MULTI)


class CategoryQuestion(models.Model):
    """An extra question a category asks of every report (Open311: a service definition's attribute).

    `variable` False is an explanation shown with the questions, not asked; its answers, when any, are
    refused. Answers are stored on the report (Report.question_answers) keyed by `code`.
    """

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="questions", verbose_name="chuyên mục"
    )
    # Looked up by (category, code): the unique constraint's index serves it.
    code = models.SlugField(
        "mã", db_index=False, max_length=50, help_text="Mã câu hỏi (mã thuộc tính Open311), duy nhất trong chuyên mục."
    )
    prompt = models.CharField("câu hỏi", max_length=300)
    prompt_en = models.CharField(
        "câu hỏi (tiếng Anh)",
        max_length=300,
        blank=True,
        help_text="Để trống: trang tiếng Anh hiện câu hỏi tiếng Việt.",
    )
    description = models.TextField("giải thích", blank=True)
    description_en = models.TextField(
        "giải thích (tiếng Anh)", blank=True, help_text="Để trống: trang tiếng Anh hiện lời giải thích tiếng Việt."
    )
    datatype = models.CharField("kiểu trả lời", max_length=20, choices=QuestionType.choices)
    required = models.BooleanField("bắt buộc", default=False)
    variable = models.BooleanField(
        "cần trả lời",
        default=True,
        help_text="Bỏ chọn: chỉ là lời giải thích hiện cùng các câu hỏi, không cần trả lời.",
    )
    order = models.PositiveSmallIntegerField("thứ tự", default=0)
    values = models.JSONField(
        "các lựa chọn",
        default=list,
        blank=True,
        help_text='Chỉ cho kiểu chọn một / chọn nhiều: [{"key": "nho", "name": "Nhỏ", "name_en": "Small"}, …] '
        '("name_en" không bắt buộc)',
    )
    active = models.BooleanField("đang dùng", default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "câu hỏi thêm"
        verbose_name_plural = "câu hỏi thêm"
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="category_question_code_unique"),
            # An informational text asks nothing, so nothing in it can be required.
            models.CheckConstraint(
                condition=Q(variable=True) | Q(required=False), name="category_question_informational_optional"
            ),
            models.CheckConstraint(condition=Q(datatype__in=QuestionType.values), name="category_question_datatype"),
            # The list types and only they have choices (their shape is checked by clean()).
            models.CheckConstraint(
                condition=(Q(datatype__in=LIST_TYPES) & ~Q(values=[])) | (~Q(datatype__in=LIST_TYPES) & Q(values=[])),
                name="category_question_values_for_lists",
            ),
        ]

    def __str__(self) -> str:
        return self.prompt

    def clean(self) -> None:
        super().clean()
        if self.values is None:  # a form's empty JSON box: no choices
            self.values = []
        if problem := question_values_problem(self.datatype, self.values):
            raise ValidationError({"values": problem})

    @property
    def display_prompt(self) -> str:
        """The prompt in the page's language (the rule is `localized`)."""
        return localized(vi=self.prompt, en=self.prompt_en)

    @property
    def display_description(self) -> str:
        return localized(vi=self.description, en=self.description_en)

    def value_choices(self) -> list[tuple[str, str]]:
        """The list's (key, name shown in the page's language) pairs."""
        return [
            (str(item["key"]), localized(vi=str(item.get("name", item["key"])), en=str(item.get("name_en") or "")))
            for item in self.values or []
            if isinstance(item, dict) and "key" in item
        ]

    def values_shown(self) -> list[dict[str, str]]:
        """The list's choices as {"key", "name"}, named in the page's language."""
        return [{"key": key, "name": name} for key, name in self.value_choices()]

    def value_name(self, key: str) -> str:
        """The name shown for one of the list's keys (the key itself when it is not among them)."""
        return dict(self.value_choices()).get(key, key)


def question_values_problem(datatype: str, values: Any) -> str:
    """Why `values` does not fit a question of `datatype` ("" when it does): the list types need a
    non-empty list of {"key", "name"} (and optionally "name_en", blank allowed) with distinct keys; the other
    types take no values."""
    if datatype not in LIST_TYPES:
        return "Chỉ câu hỏi chọn một hoặc chọn nhiều mới có các lựa chọn." if values else ""
    if not isinstance(values, list) or not values:
        return "Câu hỏi chọn một hoặc chọn nhiều cần ít nhất một lựa chọn."
    keys = []
    for item in values:
        if (
            not isinstance(item, dict)
            or set(item) - {"name_en"} != {"key", "name"}
            or not all(isinstance(item[k], str) and item[k].strip() for k in ("key", "name"))
            or not isinstance(item.get("name_en", ""), str)
        ):
            return (
                'Mỗi lựa chọn có hai phần "key" và "name", đều là chữ, không để trống, và có thể thêm "name_en" (chữ).'
            )
        keys.append(item["key"])
    if len(set(keys)) != len(keys):
        return "Các lựa chọn không được trùng “key”."
    return ""


class ReportKind(models.TextChoices):
    FEEDBACK = "feedback", _("Phản ánh, kiến nghị")
    IDEA = "idea", _("Hiến kế")


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Tiếp nhận")
    FORWARDED = "forwarded", _("Đã chuyển xử lý")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    AWAITING_APPROVAL = "awaiting_approval", _("Chờ duyệt kết quả")
    COMPLETED = "completed", _("Hoàn thành")
    REJECTED = "rejected", _("Từ chối")


OPEN_STATUSES = (
    ReportStatus.RECEIVED,
    ReportStatus.FORWARDED,
    ReportStatus.IN_PROGRESS,
    ReportStatus.AWAITING_APPROVAL,
)


class RejectionReason(models.TextChoices):
    SPAM = "spam", "Tin rác, không đúng sự thật"
    DUPLICATE = "duplicate", "Trùng với phản ánh khác"
    OUT_OF_SCOPE = "out_of_scope", "Không thuộc phạm vi tiếp nhận"


class Channel(models.TextChoices):
    WEB = "web", "Cổng thông tin"
    APP = "app", "Ứng dụng di động"
    HOTLINE = "hotline", "Tổng đài 1022"
    EMAIL = "email", "Thư điện tử"
    ZALO = "zalo", "Zalo"
    MESSENGER = "messenger", "Facebook Messenger"
    OPEN311 = "open311", "Open311"


class ConsentChannel(models.TextChoices):
    """Where a reporter's choice about publication was made (Report.consent_channel)."""

    WEB = "web", "Biểu mẫu trên cổng"
    APP = "app", "API, ứng dụng"
    HOTLINE = "hotline", "Tổng đài viên ghi theo người gọi"
    EMAIL = "email", "Thư điện tử"
    ZALO = "zalo", "Zalo"
    MESSENGER = "messenger", "Facebook Messenger"
    OPEN311 = "open311", "Ứng dụng Open311"
    UNKNOWN = "unknown", "Không ghi nhận (phản ánh gửi trước khi có lựa chọn)"


class Report(models.Model):
    """A citizen's report (phản ánh) or idea (hiến kế), pinned on the map."""

    code = models.CharField(max_length=16, unique=True, help_text="YYYYMMDD + daily sequence.")
    kind = models.CharField(max_length=10, choices=ReportKind.choices, default=ReportKind.FEEDBACK)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000)
    # None: filed by a channel that could not find the place (an e-mail without a map link or a known
    # address): routed over the province by category, on no map, until staff set the pin.
    location = models.PointField(
        srid=SRID, null=True, blank=True, help_text=f"The pin, WGS 84 longitude/latitude (EPSG:{SRID})."
    )
    address = models.CharField(max_length=300, blank=True, help_text="Số nhà, đường, khu phố.")
    occurred_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)

    ward = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    province = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")

    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.RECEIVED)
    deadline = models.DateField(help_text="Hạn xử lý, counted in working days.")
    is_overdue = models.BooleanField(default=False)
    # Urgent (seed 004: taken 24/7 by the 1022 hotline): first in its agency's worklist, on-duty staff told at once.
    urgent = models.BooleanField("khẩn", default=False, db_default=False)
    rejection_reason = models.CharField(max_length=20, choices=RejectionReason.choices, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    reopen_count = models.PositiveSmallIntegerField(default=0)
    satisfied = models.BooleanField(null=True, blank=True, help_text="The reporter's rating of the answer.")
    support_count = models.PositiveIntegerField(default=0)

    # Answers to the category's extra questions ({code: value, or [values] for a multivaluelist}), as
    # report_create cleaned them. Staff only: answers may describe the reporter or their home.
    question_answers = models.JSONField(default=dict, db_default={}, blank=True)

    # The reporter. Phone, e-mail and ID number are never shown publicly.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    reporter_name = models.CharField(max_length=120)
    reporter_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    reporter_email = models.EmailField(blank=True)
    reporter_id_number = models.CharField(max_length=20, blank=True, help_text="CMND/CCCD")
    # Where answers go back on the channel the report came by: "zalo:<user id>", "messenger:<page-scoped
    # id>", an e-mail address or "+84…"; and the Message-ID of the e-mail that filed it, to reply in its
    # thread. Personal data: never public.
    reply_address = models.CharField(max_length=254, blank=True, db_default="")
    reply_thread = models.CharField(max_length=998, blank=True, db_default="")
    is_organization = models.BooleanField(default=False)
    organization_name = models.CharField(max_length=200, blank=True)
    # Personal data is not public unless the reporter chose it (the decree on personal data wants an
    # explicit choice): confidential unless they said otherwise.
    confidential = models.BooleanField(default=True, help_text="Giữ bí mật thông tin cá nhân (tên không công khai).")
    # What the reporter chose, when and where, as stated at intake; None: not stated (the default applied).
    consent_name_public = models.BooleanField(null=True, blank=True, help_text="Chose to show their name.")
    consent_report_public = models.BooleanField(null=True, blank=True, help_text="Chose to publish the report.")
    consent_at = models.DateTimeField(null=True, blank=True)
    # Rows stored before the choice was asked (and raw inserts) read "unknown": nothing was recorded.
    consent_channel = models.CharField(
        max_length=10, choices=ConsentChannel.choices, db_default=ConsentChannel.UNKNOWN.value
    )

    is_public = models.BooleanField(default=True, help_text="Shown on the public list and map.")
    hidden_reason = models.CharField(max_length=300, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the first answer was published: kept by a trigger on answers (migration 0006), so the
    # statistics' answer times read a column instead of looking up answers report by report.
    first_answered_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="report_status_deadline"),
            models.Index(fields=["agency", "status"], name="report_agency_status"),
            models.Index(fields=["reporter_phone"], name="report_reporter_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="report_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(is_organization=False) | ~Q(organization_name=""), name="report_organization_named"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # first_answered_at belongs to the answers' trigger: a full save of a report loaded earlier
        # must not write a stale copy of it back.
        if kwargs.get("update_fields") is None and not self._state.adding and self.pk is not None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "first_answered_at"
            ]
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def public_reporter_name(self) -> str:
        if self.confidential:
            return "Thông tin người gửi được giữ bí mật"
        return self.organization_name if self.is_organization else self.reporter_name


class DailyCounter(models.Model):
    """The last sequence number handed out on a day, for report codes."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField()


class ReportEvent(models.Model):
    """One step in a report's history: who did what, when, and why."""

    class Action(models.TextChoices):
        CREATED = "created", _("Tiếp nhận phản ánh")
        FORWARDED = "forwarded", _("Chuyển xử lý")
        STARTED = "started", _("Bắt đầu xử lý")
        ANSWERED = "answered", _("Trả lời")
        APPROVED = "approved", _("Duyệt kết quả")
        RETURNED = "returned", _("Trả lại để sửa kết quả")
        COMPLETED = "completed", _("Hoàn thành")
        REJECTED = "rejected", _("Từ chối")
        REASSIGNED = "reassigned", _("Chuyển cơ quan khác")
        MERGED = "merged", _("Gộp vào phản ánh trùng")
        REOPENED = "reopened", _("Mở lại")
        RATED = "rated", _("Đánh giá kết quả")
        SUPPORTED = "supported", _("Người dân khác cùng phản ánh")
        REDACTED = "redacted", _("Che thông tin cá nhân")
        HIDDEN = "hidden", _("Ẩn khỏi công khai")
        SHOWN = "shown", _("Công khai lại")
        ATTACHMENT_HIDDEN = "attachment_hidden", _("Ẩn tệp đính kèm")
        OVERDUE = "overdue", _("Quá hạn xử lý")
        # Staff set the pin of a report filed without one (incidents.services.locate).
        LOCATED = "located", _("Xác định vị trí")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReportStatus.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    is_public = models.BooleanField(default=True, help_text="Shown in the public history.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Answer(models.Model):
    """The result of processing (kết quả xử lý); public once published."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="answers")
    body = models.TextField(max_length=10000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    agency = models.ForeignKey(Agency, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class AnswerTemplate(models.Model):
    """A ready answer officers start from, per category."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="answer_templates")
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["category", "title"]

    def __str__(self) -> str:
        return self.title


class ReportSupport(models.Model):
    """Another person who has the same problem ("tôi cũng gặp vấn đề này")."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "phone"], condition=~Q(phone=""), name="support_once_per_phone"),
        ]


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random names: a stored file's address says nothing about its report or uploader.
    return f"reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{os.path.splitext(filename)[1]}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Ảnh"
        VIDEO = "video", "Video"
        AUDIO = "audio", "Âm thanh"
        DOCUMENT = "document", "Tài liệu"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    # A file of the officer's answer (the official reply, an "after" photo) rather than of the report.
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=120, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Shown with the public report (a report's file when the report is; an answer's once it is
    # published). Never by default: intake sets it for pictures only (attachments.PUBLIC_KINDS), staff
    # choose it for each file of an answer. Others are served to the reporter and the staff only.
    is_public = models.BooleanField(default=False, db_default=False)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    @property
    def shown_publicly(self) -> bool:
        """Whether anyone who may see the report sees this file (else its reporter and the staff only)."""
        if not self.is_public or self.is_hidden:
            return False
        return self.answer is None or self.answer.published_at is not None


# The same rule as Attachment.shown_publicly, for queries.
ATTACHMENT_SHOWN_PUBLICLY = Q(is_public=True, is_hidden=False) & (
    Q(answer__isnull=True) | Q(answer__published_at__isnull=False)
)


class IdempotencyKey(models.Model):
    """A client's retry key: the same key answers with the first result."""

    key = models.CharField(max_length=100, unique=True)
    request_hash = models.CharField(max_length=64)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class ReportFollower(models.Model):
    """Someone who gets a public report's updates (status changes, the published answer).

    Either a signed-in account (its messages go to the account's confirmed phone and e-mail) or a phone
    or e-mail address proven with a one-time code. A supporter ("me too") follows too. Who follows is
    never public: pages show the count only. The address is personal data.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"
        PUSH = "push", "Web Push"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers")
    # Web Push: the browser that chose it (address "push:<its id>"); gone with the subscription.
    push = models.ForeignKey(
        "notifications.PushSubscription", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="followed_reports"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices, blank=True)
    address = models.CharField(max_length=254, blank=True, help_text="E.164 or a lower-cased e-mail address.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["address"], name="follower_address", condition=~Q(address=""))]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "channel", "address"], condition=~Q(address=""), name="follower_once_per_contact"
            ),
            models.UniqueConstraint(
                fields=["report", "user"], condition=Q(address=""), name="follower_once_per_account"
            ),
            # A contact has its channel; without one the account is the follower.
            models.CheckConstraint(
                condition=(Q(address="") & Q(channel="") & Q(user__isnull=False) & Q(push__isnull=True))
                | (~Q(address="") & Q(channel__in=["email", "sms"]) & Q(push__isnull=True))
                | (Q(channel="push") & Q(push__isnull=False)),
                name="follower_contact_or_account",
            ),
        ]

    def __str__(self) -> str:
        return f"follower #{self.pk} of {self.report_id}"


class AreaSubscription(models.Model):
    """An e-mail digest of new public reports and answers in a ward, a district or a radius around a point
    (as FixMyStreet's local alerts). Pending until the address confirms by the link sent to it; the digest
    covers what happened after `sent_until` (or the confirmation), up to the period it is sent for."""

    email = models.EmailField(help_text="Lower-cased. Personal data: never public.")
    # A ward or a district (reports match by their ward/district, an indexed foreign key) ...
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # ... or a circle: reports whose pin is within radius_m metres (ST_DWithin on geography).
    center = models.PointField(srid=SRID, null=True, blank=True, help_text=f"WGS 84 (EPSG:{SRID}).")
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The end of the last period a digest was made for: each report and answer goes out once.
    sent_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "created_at"], name="area_subscription_email")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(center__isnull=True) & Q(radius_m__isnull=True))
                | (Q(unit__isnull=True) & Q(center__isnull=False) & Q(radius_m__gte=1)),
                name="area_subscription_unit_or_circle",
            ),
        ]

    def __str__(self) -> str:
        return f"area subscription #{self.pk}"
