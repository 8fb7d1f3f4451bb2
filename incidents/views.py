"""Report pages: public list and detail, and the files attached to reports."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role
from accounts.selectors import agency_ids_for, is_administrator

from . import selectors
from .models import Attachment, Report


def _can_see_private(request: HttpRequest, report: Report) -> bool:
    user = request.user
    if is_administrator(user):
        return True
    if user.is_authenticated and report.user_id == user.pk:
        return True
    return report.agency_id is not None and report.agency_id in agency_ids_for(user, [Role.OFFICER, Role.LEADER])


def report_detail(request: HttpRequest, code: str) -> HttpResponse:
    report = selectors.report_get(code)
    if report is None or (not report.is_public and not _can_see_private(request, report)):
        raise Http404("Không tìm thấy phản ánh.")
    answers = [answer for answer in report.answers.all() if answer.published_at is not None]
    return render(
        request,
        "incidents/report_detail.html",
        {
            "report": report,
            "answer": answers[-1] if answers else None,
            "events": selectors.report_public_events(report),
            "attachments": [a for a in report.attachments.all() if not a.is_hidden],
        },
    )


def report_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.ReportFilters(q=request.GET.get("q", "")[:200])
    page = Paginator(selectors.report_search(filters), 20).get_page(request.GET.get("page"))
    return render(request, "incidents/report_list.html", {"page": page, "filters": filters})


def _attachment(request: HttpRequest, code: str, pk: int) -> Attachment:
    attachment = Attachment.objects.select_related("report").filter(pk=pk, report__code=code).first()
    if attachment is None:
        raise Http404
    if (attachment.is_hidden or not attachment.report.is_public) and not _can_see_private(request, attachment.report):
        raise Http404
    return attachment


def _file_response(field: object, content_type: str, name: str) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type=content_type)  # type: ignore[attr-defined]
    # Served as a download unless it is media a browser shows safely.
    if not content_type.startswith(("image/", "video/", "audio/")) and content_type != "application/pdf":
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


def report_attachment(request: HttpRequest, code: str, pk: int) -> FileResponse:
    attachment = _attachment(request, code, pk)
    extension = attachment.file.name.rsplit(".", 1)[-1]
    return _file_response(attachment.file, attachment.content_type, f"{code}-{attachment.pk}.{extension}")


def report_attachment_thumbnail(request: HttpRequest, code: str, pk: int) -> FileResponse:
    attachment = _attachment(request, code, pk)
    if not attachment.thumbnail:
        raise Http404
    return _file_response(attachment.thumbnail, "image/jpeg", f"{code}-{attachment.pk}-thumb.jpg")
