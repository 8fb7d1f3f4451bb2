"""The processing workflow: staff take up, answer, approve, return, reject, reassign and merge reports; the
reporter rates and reopens; others follow a report; the reporter finds theirs again.

Every state change goes through one function here that checks who may do it, records who/when/why in
the report's history and tells the people concerned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User as Account
from agencies.models import Agency, Role
from agencies.staff_access import report_staff_may_act, report_staff_visible
from common.storage import files_removed_on_rollback
from common.text import clean_text

from ..attachments import PUBLIC_KINDS, AttachmentKind, ProcessedFile
from ..models import OPEN_STATUSES, Answer, RejectionReason, Report, ReportStatus, ReportSupport
from ..tokens import reporter_token_valid
from .base import Action, User, _account, _audit, _collect, _expect, _locked, _require, _transition
from .files import answers_unpublished_delete, attachment_store, files_check, files_decode
from .following import contact_confirmed, contact_target, follower_add, followers_merge
from .messages import _notify_agency, _notify_answer, _notify_followers, _notify_reporter


@transaction.atomic
def report_start(*, report: Report, actor: User) -> Report:
    """An officer takes the report up (Đang xử lý)."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, [ReportStatus.FORWARDED, ReportStatus.RECEIVED], "bắt đầu xử lý")
    event = _transition(report, action=Action.STARTED, to_status=ReportStatus.IN_PROGRESS, actor=actor)
    report.save(update_fields=["status", "updated_at"])
    _notify_followers(report, event)
    _audit(actor, "report.start", report)
    return report


def report_answer(
    *,
    report: Report,
    actor: User,
    body: str,
    files: Sequence[UploadedFile] = (),
    publish_documents: bool = False,
) -> Answer:
    """Record the answer, with its files (the official reply as PDF, an "after" photo), checked like a
    report's. It is published at once when the agency needs no approval or a leader wrote it.

    The files are shown with the published answer as a report's are: pictures yes; documents (the
    official reply names the reporter, their address) only when `publish_documents` (staff confirm it
    carries no personal data); otherwise the reporter (through their link) and the staff see them.
    """
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    errors: dict[str, list[str]] = {}
    text = _collect(errors, "body", clean_text, body, max_length=10000, field_label="Nội dung trả lời")
    checked = files_check(files, errors)
    if errors:
        raise ValidationError(errors)
    # Images are decoded before the report's row is locked: the costly step holds no lock.
    decoded = files_decode(checked)
    with files_removed_on_rollback():
        return _answer_store(report, actor, text, decoded, publish_documents)


@transaction.atomic
def _answer_store(
    report: Report, actor: User, text: str, files: Sequence[ProcessedFile], publish_documents: bool
) -> Answer:
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, [ReportStatus.FORWARDED, ReportStatus.IN_PROGRESS], "trả lời")
    answer = Answer.objects.create(report=report, body=text, author=_account(actor), agency=report.agency)
    for item in files:
        public = item.kind in PUBLIC_KINDS or (publish_documents and item.kind == AttachmentKind.DOCUMENT)
        attachment_store(report, item, answer=answer, is_public=public)
    _transition(report, action=Action.ANSWERED, to_status=ReportStatus.AWAITING_APPROVAL, actor=actor, is_public=False)
    is_leader = report_staff_may_act(user=actor, report=report, roles=[Role.LEADER])
    if report.agency is not None and report.agency.answer_requires_approval and not is_leader:
        report.save(update_fields=["status", "updated_at"])
        _audit(actor, "report.answer", report, answer=answer.pk, published=False)
        return answer
    _publish(report, answer, actor)
    _audit(actor, "report.answer", report, answer=answer.pk, published=True)
    return answer


@transaction.atomic
def report_approve_answer(*, report: Report, actor: User) -> Answer:
    """A leader approves the pending answer (Duyệt): it goes public and the report is completed."""
    report = _locked(report)
    _require(actor, report, [Role.LEADER])
    _expect(report, [ReportStatus.AWAITING_APPROVAL], "duyệt kết quả")
    answer = report.answers.filter(published_at__isnull=True).order_by("-created_at").first()
    if answer is None:
        raise ValidationError("Không có kết quả nào chờ duyệt.")
    _publish(report, answer, actor)
    _audit(actor, "report.approve", report, answer=answer.pk)
    return answer


@transaction.atomic
def report_return_answer(*, report: Report, actor: User, note: str) -> Report:
    """A leader sends the pending answer back to the officer with a reason."""
    report = _locked(report)
    _require(actor, report, [Role.LEADER])
    _expect(report, [ReportStatus.AWAITING_APPROVAL], "trả lại kết quả")
    reason = clean_text(note, max_length=1000, field_label="Lý do trả lại")
    answers_unpublished_delete(report)
    _transition(
        report, action=Action.RETURNED, to_status=ReportStatus.IN_PROGRESS, actor=actor, note=reason, is_public=False
    )
    report.save(update_fields=["status", "updated_at"])
    _audit(actor, "report.return", report, note=reason)
    return report


def _publish(report: Report, answer: Answer, actor: User) -> None:
    now = timezone.now()
    answer.approved_by = _account(actor)
    answer.published_at = now
    answer.save(update_fields=["approved_by", "published_at"])
    _transition(report, action=Action.APPROVED, to_status=None, actor=actor, is_public=False)
    event = _transition(report, action=Action.COMPLETED, to_status=ReportStatus.COMPLETED, actor=actor)
    report.completed_at = now
    report.is_overdue = report.deadline < timezone.localdate(now)
    report.save(update_fields=["status", "completed_at", "is_overdue", "updated_at"])
    _notify_answer(report, answer)
    _notify_followers(report, event, answer=answer)


@transaction.atomic
def report_reject(*, report: Report, actor: User, reason: str, note: str = "") -> Report:
    """Refuse a report (spam, duplicate, out of scope), with the reason shown publicly."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, OPEN_STATUSES, "từ chối")
    if reason not in RejectionReason.values:
        raise ValidationError("Lý do từ chối phải là spam, duplicate hoặc out_of_scope.")
    text = clean_text(note, max_length=1000, field_label="Ghi chú", required=False)
    report.rejection_reason = reason
    event = _transition(
        report,
        action=Action.REJECTED,
        to_status=ReportStatus.REJECTED,
        actor=actor,
        note=f"{RejectionReason(reason).label}. {text}".strip(),
    )
    report.completed_at = timezone.now()
    report.save(update_fields=["status", "rejection_reason", "completed_at", "updated_at"])
    _notify_reporter(report, "rejected")
    _notify_followers(report, event)
    _audit(actor, "report.reject", report, reason=reason)
    return report


@transaction.atomic
def report_reassign(*, report: Report, actor: User, agency: Agency, note: str = "") -> Report:
    """Hand the report to another agency (wrong jurisdiction or field)."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, OPEN_STATUSES, "chuyển cơ quan")
    if agency.pk == report.agency_id or not agency.is_active:
        raise ValidationError("Hãy chọn một cơ quan khác, đang hoạt động.")
    answers_unpublished_delete(report)
    previous = report.agency.code if report.agency else ""
    report.agency = agency
    text = clean_text(note, max_length=1000, field_label="Ghi chú", required=False)
    event = _transition(
        report,
        action=Action.REASSIGNED,
        to_status=ReportStatus.FORWARDED,
        actor=actor,
        agency=agency,
        note=f"Chuyển đến {agency.name}. {text}".strip(),
    )
    report.save(update_fields=["agency", "status", "updated_at"])
    _notify_agency(report)
    _notify_followers(report, event)
    _audit(actor, "report.reassign", report, from_agency=previous, to_agency=agency.code)
    return report


@transaction.atomic
def report_merge(*, report: Report, actor: User, into: Report) -> Report:
    """Close a duplicate into another open report; its reporter follows the other one."""
    report = _locked(report)
    target = _locked(into)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, OPEN_STATUSES, "gộp")
    if not target.is_public and not report_staff_visible(user=actor, report=target):
        # A hidden report of another agency is as unknown as a code that does not exist.
        raise ValidationError({"into": ["Không có phản ánh mã này."]})
    if target.pk == report.pk or target.merged_into_id is not None or target.status == ReportStatus.REJECTED:
        raise ValidationError("Chỉ gộp được vào một phản ánh khác chưa bị từ chối hoặc gộp.")
    report.merged_into = target
    report.rejection_reason = RejectionReason.DUPLICATE
    report.completed_at = timezone.now()
    event = _transition(
        report, action=Action.MERGED, to_status=ReportStatus.REJECTED, actor=actor, note=f"Trùng với {target.code}."
    )
    report.save(update_fields=["merged_into", "rejection_reason", "status", "completed_at", "updated_at"])
    ReportSupport.objects.bulk_create(
        [
            ReportSupport(
                report=target,
                user=report.user,
                name=report.reporter_name,
                phone=report.reporter_phone,
                email=report.reporter_email,
            )
        ],
        ignore_conflicts=True,
    )
    Report.objects.filter(pk=target.pk).update(support_count=target.supports.count())
    followers_merge(report=report, into=target)
    _notify_reporter(report, "merged")
    _notify_followers(report, event)
    _audit(actor, "report.merge", report, into=target.code)
    return report


def report_can_reopen(report: Report) -> bool:
    """Whether the reporter may still reopen: answered, not reopened before, within the window."""
    return (
        report.status == ReportStatus.COMPLETED
        and report.reopen_count == 0
        and report.completed_at is not None
        and timezone.now() - report.completed_at <= timedelta(days=settings.REPORT_REOPEN_DAYS)
    )


def _require_reporter(report: Report, user: User | None, token: str | None) -> None:
    if user is not None and user.is_authenticated and report.user_id == user.pk:
        return
    if token and reporter_token_valid(report, token):
        return
    raise PermissionDenied("Chỉ người gửi phản ánh mới làm được việc này.")


@transaction.atomic
def report_rate(*, report: Report, satisfied: bool, user: User | None = None, token: str | None = None) -> Report:
    report = _locked(report)
    _require_reporter(report, user, token)
    _expect(report, [ReportStatus.COMPLETED], "đánh giá")
    # One rating per answer: it cannot be changed (a reopened report's next answer is rated anew).
    if report.events.filter(action=Action.RATED, created_at__gte=report.completed_at).exists():
        raise ValidationError("Bạn đã đánh giá kết quả này rồi.")
    report.satisfied = satisfied
    _transition(
        report,
        action=Action.RATED,
        to_status=None,
        actor=user,
        note="Hài lòng với kết quả." if satisfied else "Chưa hài lòng với kết quả.",
    )
    report.save(update_fields=["satisfied", "updated_at"])
    return report


@transaction.atomic
def report_reopen(*, report: Report, reason: str, user: User | None = None, token: str | None = None) -> Report:
    """The reporter reopens an answered report, once, within settings.REPORT_REOPEN_DAYS."""
    report = _locked(report)
    _require_reporter(report, user, token)
    _expect(report, [ReportStatus.COMPLETED], "mở lại")
    if report.reopen_count >= 1:
        raise ValidationError("Phản ánh chỉ được mở lại một lần.")
    if report.completed_at and timezone.now() - report.completed_at > timedelta(days=settings.REPORT_REOPEN_DAYS):
        raise ValidationError(f"Đã quá {settings.REPORT_REOPEN_DAYS} ngày kể từ khi có kết quả, không thể mở lại.")
    text = clean_text(reason, max_length=2000, field_label="Lý do mở lại")
    report.reopen_count = F("reopen_count") + 1
    report.completed_at = None
    report.satisfied = False
    event = _transition(report, action=Action.REOPENED, to_status=ReportStatus.IN_PROGRESS, actor=user, note=text)
    report.save(update_fields=["reopen_count", "completed_at", "satisfied", "status", "updated_at"])
    report.refresh_from_db()
    _notify_agency(report)
    _notify_followers(report, event)
    return report


def report_support(
    *,
    report: Report,
    name: str,
    phone: str = "",
    email: str = "",
    otp: str = "",
    user: User | None = None,
    ip_address: str | None = None,
) -> ReportSupport | None:
    """Another person follows an open report instead of filing a duplicate; they hear of the answer.

    A phone or address hears nothing until it is proven: without `otp` a one-time code is sent to it
    and None returned; with the code typed back, the support is stored. The answer is the same
    whether or not that contact already follows (a second confirmation changes nothing), so it
    tells no one who follows what. A signed-in person's own confirmed phone or e-mail (or none: the
    account alone) needs no code. Raises ValidationError, accounts.ThrottledError, accounts.OtpError.
    """
    _expect(report, OPEN_STATUSES, "cùng phản ánh")
    errors: dict[str, list[str]] = {}
    clean_name = _collect(errors, "name", clean_text, name, max_length=120, field_label="Họ và tên") or ""
    account = _account(user)
    target = contact_target(errors, phone=phone, email=email)
    if target is None and account is None and not errors.get("phone") and not errors.get("email"):
        errors.setdefault("phone", []).append("Hãy để lại số điện thoại hoặc e-mail để nhận kết quả.")
    if errors:
        raise ValidationError(errors)
    if target is not None and not contact_confirmed(target=target, account=account, otp=otp, ip_address=ip_address):
        return None
    return _support_store(report, clean_name, target, account, user)


@transaction.atomic
def _support_store(
    report: Report, name: str, target: accounts.Target | None, account: Account | None, user: User | None
) -> ReportSupport:
    report = _locked(report)
    _expect(report, OPEN_STATUSES, "cùng phản ánh")
    same = report.supports.all()
    if target is None:
        same = same.filter(user=account, phone="", email="")
    elif target.channel == accounts.Channel.SMS:
        same = same.filter(phone=target.address)
    else:
        same = same.filter(email__iexact=target.address)
    # A supporter hears of the report's updates as any follower does (and stops them the same way).
    follower_add(report=report, target=target, account=account)
    support = same.first()
    if support is not None:
        return support
    support = ReportSupport.objects.create(
        report=report,
        user=account,
        name=name,
        phone=target.address if target and target.channel == accounts.Channel.SMS else "",
        email=target.address if target and target.channel == accounts.Channel.EMAIL else "",
    )
    report.support_count = report.supports.count()
    _transition(report, action=Action.SUPPORTED, to_status=None, actor=user)
    report.save(update_fields=["support_count", "updated_at"])
    return support


def report_lookup(*, code: str, phone: str, otp: str = "", ip_address: str | None = None) -> Report | None:
    """The reporter finds their report by its code and their phone, proven by a one-time code.

    Without `otp` a code is sent when that phone sent that report, and None returned; the limits are
    counted and the answer is the same when it did not (nor does the code exist), so the look-up tells
    no one who sent what. With the right code, the report. Raises ValidationError (bad phone, wrong or
    expired code: keyed "otp"), accounts.ThrottledError.
    """
    target = accounts.otp_target(phone=phone)
    report = Report.objects.filter(code=code.strip()[:20], reporter_phone=target.address).first()
    if not otp:
        accounts.otp_request(target=target, purpose=accounts.Purpose.REPORTER, ip=ip_address, send=report is not None)
        return None
    try:
        accounts.otp_verify_contact(target=target, purpose=accounts.Purpose.REPORTER, code=otp)
    except accounts.OtpError as exc:
        raise ValidationError({"otp": [str(exc)]}) from None
    if report is None:
        # A proven phone that did not send this report: said like a wrong code.
        raise ValidationError({"otp": ["Mã xác nhận không đúng."]})
    return report
