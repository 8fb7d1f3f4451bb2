"""Staff pages: the officer's worklist and a report's processing page with its action forms.

Every action is a small POST view that calls one function of incidents.services (which checks
who may do it), then redirects back with a message (303). A service's PermissionDenied becomes
a 403 page, its ValidationError the page again with the message on the form sent (400).
Reports the user may not see (agencies.staff_access) are answered with 404, like unknown codes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Role
from agencies.selectors import agency_ids_for, is_staff_member
from agencies.staff_access import StaffAccess, request_staff_access
from common.http import client_ip
from common.phones import phone_display

from . import selectors, services
from .filters import report_overdue
from .models import AnswerTemplate, Attachment, Report, ReportStatus
from .staff_forms import (
    AnswerForm,
    ApproveForm,
    AttachmentHideForm,
    LocationForm,
    MergeForm,
    ReassignForm,
    RedactForm,
    RejectForm,
    ReturnForm,
    StaffActionForm,
    StartForm,
    UrgentForm,
    VisibilityForm,
    WorklistFilterForm,
)

PAGE_SIZE = 25
APPROVAL_TAB = "cho-duyet"
View = TypeVar("View", bound=Callable[..., HttpResponse])


def _approvals(access: StaffAccess) -> QuerySet[Report]:
    return access.led(Report.objects.all()).filter(status=ReportStatus.AWAITING_APPROVAL)


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "incidents/staff/forbidden.html", {"message": message}, status=403)


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/staff/not_found.html", status=404)


def staff_required(view: View) -> View:
    """Anonymous people go to the sign-in page; signed-in people without a staff role get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="login")
        if not is_staff_member(request.user):
            return forbidden(request, _("Trang này chỉ dành cho cán bộ xử lý phản ánh."))
        return view(request, *args, **kwargs)

    return never_cache(wrapper)  # type: ignore[return-value]


# --- Worklist -------------------------------------------------------------------------------------------


def deadline_state(report: Report, today: date) -> tuple[str, int]:
    """('overdue' | 'today' | 'soon' | 'ok' | 'closed', days): how the deadline stands for an open report."""
    days = (report.deadline - today).days
    if not report.is_open:
        return ("closed", days)
    if report_overdue(report, today):
        return ("overdue", -days)
    if days == 0:
        return ("today", 0)
    return ("soon" if days <= 2 else "ok", days)


@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    """Staff start here: a 1022 operator, who handles no report, at their desk (channels.hotline), others at
    their worklist."""
    access = request_staff_access(request)
    if not access.everything and not access.agency_ids and agency_ids_for(request.user, [Role.OPERATOR]):
        return redirect("hotline-desk")
    return redirect("staff-report-list")


@require_GET
@staff_required
def report_list(request: HttpRequest) -> HttpResponse:
    access = request_staff_access(request)
    tab = APPROVAL_TAB if request.GET.get("tab") == APPROVAL_TAB and access.is_leader else ""
    form = WorklistFilterForm(request.GET or None)
    filters = form.filters()
    today = timezone.localdate()
    filtered = bool(filters.q or filters.category or filters.overdue or filters.unlocated)
    if tab:
        base, filters.status = _approvals(access), ""
    else:
        base = access.visible(Report.objects.all())
    reports = selectors.report_search(filters, base=base).prefetch_related(None)
    reports = reports.order_by(*selectors.WORKLIST_ORDER)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    for report in page:
        report.deadline_state, report.deadline_days = deadline_state(report, today)  # type: ignore[attr-defined]
    return render(
        request,
        "incidents/staff/report_list.html",
        {
            "page": page,
            "form": form,
            "tab": tab,
            "approval_tab": APPROVAL_TAB,
            "show_approvals": access.is_leader,
            "approval_count": _approvals(access).count() if access.is_leader else 0,
            "no_agency": not access.everything and not access.agency_ids,
            "filtered": filtered,
        },
    )


# --- Detail ---------------------------------------------------------------------------------------------


def _visible_report(request: HttpRequest, code: str) -> Report | None:
    report = (
        Report.objects.select_related(
            "category", "agency", "ward", "district", "province", "user", "merged_into", "agency__parent"
        )
        .filter(code=code)
        .first()
    )
    if report is None or not request_staff_access(request).sees(report):
        return None
    return report


def _error_summary(form: StaffActionForm) -> list[tuple[str, str]]:
    items = [(form.anchor, str(message)) for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        bound = form[name]
        anchor = f"{bound.auto_id}_0" if bound.widget_type == "radioselect" else bound.auto_id
        items.extend((anchor, f"{bound.label}: {message}") for message in errors)
    return items


def _detail(request: HttpRequest, report: Report, *, failed: StaffActionForm | None = None) -> HttpResponse:
    access = request_staff_access(request)
    leads = access.leads(report)

    def form(cls: type[StaffActionForm], **kwargs: Any) -> StaffActionForm:
        candidate = cls(**kwargs)
        if failed is not None and failed.anchor == candidate.anchor:
            return failed
        return candidate

    # The report's own files; each answer's are shown with it.
    attachments = [attachment for attachment in report.attachments.all() if attachment.answer_id is None]
    answers = list(report.answers.select_related("author", "agency", "approved_by").prefetch_related("attachments"))
    published = [answer for answer in answers if answer.published_at is not None]
    pending = [answer for answer in answers if answer.published_at is None]
    templates = list(AnswerTemplate.objects.filter(category=report.category_id))
    visible = report.is_public
    context = {
        "report": report,
        "deadline_state": deadline_state(report, timezone.localdate()),
        "reporter_phone": phone_display(report.reporter_phone) if report.reporter_phone else "",
        "attachments": [
            (attachment, form(AttachmentHideForm, attachment_id=attachment.pk)) for attachment in attachments
        ],
        "answer": published[-1] if published else None,
        "pending_answer": pending[-1] if pending and report.status == ReportStatus.AWAITING_APPROVAL else None,
        "events": report.events.select_related("actor", "agency"),
        "question_answers": selectors.report_question_answers(report=report),
        "answer_templates": templates,
        "answer_templates_data": {str(t.pk): t.body for t in templates},
        "leads": leads,
        "can_start": report.status in (ReportStatus.RECEIVED, ReportStatus.FORWARDED),
        "can_answer": report.status in (ReportStatus.FORWARDED, ReportStatus.IN_PROGRESS),
        "can_approve": leads and report.status == ReportStatus.AWAITING_APPROVAL,
        "awaiting_other": not leads and report.status == ReportStatus.AWAITING_APPROVAL,
        "is_open": report.is_open,
        "start_form": form(StartForm),
        "answer_form": form(AnswerForm),
        "approve_form": form(ApproveForm),
        "return_form": form(ReturnForm),
        "reject_form": form(RejectForm),
        "reassign_form": form(ReassignForm, report=report),
        "merge_form": form(MergeForm),
        "redact_form": form(RedactForm, initial={"title": report.title, "description": report.description}),
        "visibility_form": form(VisibilityForm, initial={"public": "0" if visible else "1"}),
        "urgent_form": form(UrgentForm, initial={"urgent": "0" if report.urgent else "1"}),
        "location_form": form(LocationForm) if report.location is None else None,
        "failed": failed.anchor if failed is not None else "",
        "errors": _error_summary(failed) if failed is not None else [],
    }
    return render(request, "incidents/staff/report_detail.html", context, status=400 if failed is not None else 200)


@require_GET
@staff_required
def report_detail(request: HttpRequest, code: str) -> HttpResponse:
    report = _visible_report(request, code)
    if report is None:
        return not_found(request)
    return _detail(request, report)


# --- Actions --------------------------------------------------------------------------------------------


def _act(
    request: HttpRequest,
    code: str,
    make_form: Callable[[Report], StaffActionForm],
    perform: Callable[[Report, dict[str, Any]], str],
) -> HttpResponse:
    """Validate the form, run the service, then redirect back with its message (or show what went wrong)."""
    report = _visible_report(request, code)
    if report is None:
        return not_found(request)
    form = make_form(report)
    if form.is_valid():
        try:
            message = perform(report, form.cleaned_data)
        except PermissionDenied as exc:
            return forbidden(request, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, message)
            report.refresh_from_db(fields=["agency"])
            if request_staff_access(request).sees(report):
                url = reverse("staff-report-detail", args=[report.code])
            else:
                url = reverse("staff-report-list")
            return HttpResponseRedirect(url, status=303)
    return _detail(request, report, failed=form)


def _action_view(
    make_form: Callable[[HttpRequest, Report], StaffActionForm],
    perform: Callable[[HttpRequest, Report, dict[str, Any]], str],
) -> Callable[..., HttpResponse]:
    @require_POST
    @staff_required
    def view(request: HttpRequest, code: str) -> HttpResponse:
        return _act(
            request,
            code,
            lambda report: make_form(request, report),
            lambda report, data: perform(request, report, data),
        )

    return view


def _start(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    services.report_start(report=report, actor=request.user)
    return _("Đã bắt đầu xử lý phản ánh %(code)s.") % {"code": report.code}


def _answer(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    answer = services.report_answer(
        report=report,
        actor=request.user,
        body=data["body"],
        files=data["attachments"],
        publish_documents=data["publish_documents"],
    )
    if answer.published_at is None:
        return _("Đã lưu kết quả trả lời; kết quả đang chờ lãnh đạo duyệt trước khi công bố.")
    return _("Đã công bố kết quả trả lời; phản ánh đã hoàn thành.")


def _approve(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    services.report_approve_answer(report=report, actor=request.user)
    return _("Đã duyệt và công bố kết quả; phản ánh đã hoàn thành.")


def _return(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    services.report_return_answer(report=report, actor=request.user, note=data["note"])
    return _("Đã trả lại kết quả cho cán bộ xử lý để sửa.")


def _reject(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    services.report_reject(report=report, actor=request.user, reason=data["reason"], note=data["note"])
    return _("Đã từ chối phản ánh %(code)s; người gửi sẽ được báo lý do.") % {"code": report.code}


def _reassign(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    agency = data["agency"]
    services.report_reassign(report=report, actor=request.user, agency=agency, note=data["note"])
    return _("Đã chuyển phản ánh %(code)s đến %(agency)s.") % {"code": report.code, "agency": agency.name}


def _merge(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    target = data["into"]
    services.report_merge(report=report, actor=request.user, into=target)
    return _("Đã gộp phản ánh %(code)s vào %(target)s.") % {"code": report.code, "target": target.code}


def _redact(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    services.report_redact(
        report=report,
        actor=request.user,
        title=data["title"],
        description=data["description"],
        reason=data["reason"],
    )
    return _("Đã sửa tiêu đề và nội dung; lý do đã được ghi vào lịch sử.")


def _visibility(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    services.report_set_public(report=report, actor=request.user, public=data["public"], reason=data["reason"])
    if data["public"]:
        return _("Phản ánh đã được công khai lại.")
    return _("Phản ánh đã được ẩn khỏi trang công khai.")


def _urgent(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    services.report_set_urgent(report=report, actor=request.user, urgent=data["urgent"])
    if data["urgent"]:
        return _("Đã đánh dấu khẩn; cán bộ trực của cơ quan đã được báo.")
    return _("Đã bỏ đánh dấu khẩn.")


def _location(request: HttpRequest, report: Report, data: dict[str, Any]) -> str:
    located = services.report_set_location(
        report=report, actor=request.user, lat=data["lat"], lng=data["lng"], ip_address=client_ip(request)
    )
    place = located.ward.name if located.ward else located.province.name
    return _("Đã xác định vị trí tại %(place)s; phản ánh do %(agency)s xử lý.") % {
        "place": place,
        "agency": located.agency.name if located.agency else "—",
    }


def _can_see(request: HttpRequest) -> Callable[[Report], bool]:
    access = request_staff_access(request)
    return lambda target: target.is_public or access.sees(target)


start = _action_view(lambda request, report: StartForm(request.POST), _start)
answer = _action_view(lambda request, report: AnswerForm(request.POST, request.FILES), _answer)
approve = _action_view(lambda request, report: ApproveForm(request.POST), _approve)
return_answer = _action_view(lambda request, report: ReturnForm(request.POST), _return)
reject = _action_view(lambda request, report: RejectForm(request.POST), _reject)
reassign = _action_view(lambda request, report: ReassignForm(request.POST, report=report), _reassign)
merge = _action_view(lambda request, report: MergeForm(request.POST, can_see=_can_see(request)), _merge)
redact = _action_view(lambda request, report: RedactForm(request.POST), _redact)
visibility = _action_view(lambda request, report: VisibilityForm(request.POST), _visibility)
urgent = _action_view(lambda request, report: UrgentForm(request.POST), _urgent)
location = _action_view(lambda request, report: LocationForm(request.POST), _location)


@require_POST
@staff_required
def attachment_hide(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    report = _visible_report(request, code)
    attachment = Attachment.objects.filter(pk=pk, report=report).first() if report is not None else None
    if attachment is None:
        return not_found(request)

    def perform(report: Report, data: dict[str, Any]) -> str:
        services.attachment_hide(attachment=attachment, actor=request.user, reason=data["reason"])
        return _("Đã ẩn tệp đính kèm khỏi trang công khai.")

    return _act(request, code, lambda report: AttachmentHideForm(request.POST, attachment_id=pk), perform)
