"""Report pages: the report form, the public list and detail, and the files attached to reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods
from django_stubs_ext import StrOrPromise

from accounts import services as accounts
from accounts.forms import CodeForm
from accounts.models import User
from agencies.models import Role
from agencies.selectors import agency_ids_for, is_staff_member
from common.http import client_ip, stored_file_response
from common.replica import replica_reads

from . import selectors, services
from .areas import Area, area_parse
from .feeds import AreaFeed
from .filters import ReportFilters
from .forms import AreaForm, FollowForm, ReportForm, ReportLookupForm, ReportSearchForm
from .models import Attachment, Channel, Report
from .throttles import caller_scope, device_cookie_set, intake_count, intake_limit
from .tokens import RATE_ANCHOR

PAGE_SIZE = 20
SENDER_SEARCH_IGNORED = _(
    "Chỉ cán bộ xử lý phản ánh mới tìm được theo họ tên hoặc số điện thoại người gửi; điều kiện đó đã được bỏ qua."
)
# What static/js/report-form.js says, translatable here; {name} parts are filled in by the script.
FORM_SCRIPT_TEXT = {
    "pinAlt": _("Ghim vị trí phản ánh"),
    "locating": _("Đang xác định phường, xã…"),
    "located": _("Vị trí đã chọn: {place}"),
    "nearEdge": _("(sát ranh giới, cách {metres} m)"),
    "locateFailed": _("Chưa xác định được phường, xã (lỗi kết nối). Vị trí vẫn được giữ; hãy thử lại sau."),
    "outside": _("Vị trí nằm ngoài địa bàn tiếp nhận. Hãy đặt ghim trong phạm vi tỉnh."),
    "unitChosen": _(
        "Đã chọn {name}. Bấm vào bản đồ để đặt ghim đúng chỗ; nếu không, phản ánh sẽ được ghim ở giữa phường, xã."
    ),
    "pinCleared": _("Đã bỏ ghim."),
    "geoUnsupported": _("Trình duyệt này không hỗ trợ lấy vị trí. Hãy bấm vào bản đồ."),
    "geoLocating": _("Đang lấy vị trí của bạn…"),
    "geoDenied": _("Bạn chưa cho phép trang web biết vị trí. Hãy bấm vào bản đồ hoặc chọn phường, xã."),
    "geoFailed": _("Không lấy được vị trí của bạn. Hãy bấm vào bản đồ hoặc chọn phường, xã."),
    "placesSearching": _("Đang tìm…"),
    "placesNone": _("Không tìm thấy địa điểm nào."),
    "placesFound": _("{count} kết quả. Dùng phím mũi tên để chọn."),
    "placesFailed": _("Không tìm được lúc này (lỗi kết nối)."),
    "wardPlaceholder": _("— Chọn phường, xã —"),
    "nearbyFound": _("Có {count} phản ánh tương tự đang xử lý ở gần đây."),
    "support": _("Tôi cũng gặp vấn đề này"),
    "supportSending": _("Đang gửi…"),
    "supportDone": _(
        "Cảm ơn bạn. Bạn đã cùng phản ánh {code}; khi có kết quả xử lý, bạn sẽ được báo qua số điện thoại "
        "hoặc e-mail đã để lại. Không cần gửi thêm phản ánh trùng."
    ),
    "supportView": _("Xem phản ánh {code}"),
    "supportFailed": _("Chưa gửi được. Hãy thử lại."),
    "supportNeedContact": _("Hãy nhập họ tên và số điện thoại hoặc e-mail."),
    "sentOn": _("Gửi ngày {date}"),
    "opensNewTab": _("(mở trong thẻ mới)"),
    "filesChosen": _("Đã chọn {count} tệp:"),
    "tooManyFiles": _("Chỉ được gửi tối đa {max} tệp; hãy bớt {extra} tệp."),
    "fileTooLarge": _("Tệp “{name}” lớn hơn {max} MB, sẽ không được nhận."),
    "sending": _("Đang gửi…"),
    "captchaFailed": _("Không đổi được ảnh lúc này."),
    # The installable app (static/js/photos.js, drafts.js): photos shrunk, progress, reports kept offline.
    "shrinking": _("Đang thu nhỏ ảnh…"),
    "shrunk": _("{name}: thu nhỏ từ {before} còn {after}"),
    "uploading": _("Đang tải lên: {percent}%"),
    "uploaded": _("Đã tải lên, đang chờ xác nhận…"),
    "savedOffline": _(
        "Chưa có kết nối mạng: phản ánh đã được lưu trên máy này và sẽ tự gửi khi có mạng trở lại. "
        "Mã phản ánh sẽ hiện ở đây và trong danh sách phản ánh đang chờ gửi."
    ),
    "saveFailed": _("Không lưu được phản ánh trên máy này. Hãy thử gửi lại khi có mạng."),
    "draftOpened": _("Bạn đang sửa một phản ánh đã lưu trên máy. Hãy nhập lại mã xác nhận rồi bấm “Gửi phản ánh”."),
}
# Codes of the reports sent from this browser session: the sender may open them even when not public.
SESSION_SENT = "incidents_sent"
SESSION_SENT_MAX = 20


def _sent_here(request: HttpRequest, code: str) -> bool:
    return code in request.session.get(SESSION_SENT, [])


def _remember_sent(request: HttpRequest, code: str) -> None:
    sent = [c for c in request.session.get(SESSION_SENT, []) if c != code]
    request.session[SESSION_SENT] = [*sent, code][-SESSION_SENT_MAX:]


def _is_operator(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and agency_ids_for(request.user, [Role.OPERATOR]))


def _viewing(request: HttpRequest, code: str) -> selectors.ReportViewing:
    """The report if this visitor may see it (selectors.report_for_viewer); 404 as for an unknown code."""
    viewing = selectors.report_for_viewer(
        code=code,
        user=request.user,
        token=request.GET.get("t") or request.POST.get("token") or "",
        sent=request.session.get(SESSION_SENT, []),
    )
    if viewing is None:
        raise Http404("Không tìm thấy phản ánh.")
    return viewing


def draft_author(user: Any) -> str:
    """Who a draft kept on the phone was written by (static/js/drafts.js; data-author in base.html)."""
    return str(user.pk) if user.is_authenticated else "anonymous"


def _replayed(request: HttpRequest, key: str) -> Report | None:
    """The report an earlier sending with this key created (its answer was lost), or None."""
    probe = ReportForm(request.POST, request.FILES, user=request.user, captcha=False)
    if not probe.is_valid():
        return None
    return services.report_replay(
        data=probe.to_input(),
        files=request.FILES.getlist("attachments"),
        idempotency_key=key,
        idempotency_scope=caller_scope(request),
    )


def _sent(request: HttpRequest, report: Report) -> HttpResponse:
    _remember_sent(request, report.code)
    url = reverse("report-detail-page", args=[report.code]) + "?moi=1"
    # An operator entering a call goes back where they came from (the 1022 desk's ?next=), with the new code.
    back = request.GET.get("next", "")
    if report.channel == Channel.HOTLINE and back and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        url = f"{back}{'&' if '?' in back else '?'}{urlencode({'moi': report.code})}"
    return device_cookie_set(request, HttpResponseRedirect(url, status=303))


@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    status = 200
    standing = intake_limit(request)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, user=request.user)
        # A report written offline is sent with the key the phone made for it (static/js/drafts.js), as the
        # API takes it: a retry after a lost answer gets the first report, before the used-up captcha.
        key = request.headers.get("Idempotency-Key", "").strip() or None
        written_by = request.headers.get("X-Draft-Author")
        if written_by is not None and written_by != draft_author(request.user):
            # A shared phone: a draft written under another identity is never filed under this one.
            form.add_error(None, _("Bản nháp này do người khác viết trên máy này; chỉ người viết gửi được."))
            key, status = None, 403
        try:
            replayed = _replayed(request, key) if key else None
        except services.IdempotencyConflict as exc:
            form.add_error(None, str(exc))
            replayed, status = None, 409
        except ValidationError as exc:
            form.add_service_errors(exc)
            replayed, key = None, None
        if replayed is not None:
            return _sent(request, replayed)
        # The form (captcha included) is checked first and the limit before anything costly; a refusal
        # shows the form again with all that was typed and the pin, so nothing is lost.
        valid = form.is_valid() and status == 200
        if standing.wait is not None:
            form.add_error(None, standing.message())
            status = 429
        elif valid:
            try:
                report = services.report_create(
                    data=form.to_input(),
                    # A hotline operator enters what a caller says on the phone.
                    sender=services.sender_for(
                        user=request.user,
                        channel=Channel.HOTLINE if _is_operator(request) else Channel.WEB,
                        ip_address=client_ip(request),
                    ),
                    files=request.FILES.getlist("attachments"),
                    idempotency_key=key,
                    idempotency_scope=caller_scope(request) if key else "",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                intake_count(request)
                return _sent(request, report)
        status = status if status != 200 else 400
    else:
        form = ReportForm(user=request.user)
    # The form's script sends with fetch and keeps the chosen files in the page; a plain POST loses them.
    sent_by_script = request.headers.get("X-Requested-With") == "fetch"
    files_lost = request.method == "POST" and bool(request.FILES.getlist("attachments")) and not sent_by_script
    response = render(
        request,
        "incidents/report_form.html",
        {
            "form": form,
            "files_lost": files_lost,
            "remaining": standing.remaining if standing.near else None,
            "attachment_max_count": settings.ATTACHMENT_MAX_COUNT,
            "attachment_max_bytes": settings.ATTACHMENT_MAX_BYTES,
            "script_text": FORM_SCRIPT_TEXT,
        },
        status=status,
    )
    if standing.wait is not None:
        response["Retry-After"] = str(standing.wait)
    return device_cookie_set(request, response)


def _reporter_token(request: HttpRequest, viewing: selectors.ReportViewing) -> str | None:
    """The token that lets this visitor act as the reporter: from the link we sent, or a fresh one."""
    if not viewing.reporter:
        return None
    token = request.GET.get("t") or request.POST.get("token") or ""
    return (
        token
        if token and services.reporter_token_valid(viewing.report, token)
        else services.reporter_token(viewing.report)
    )


def report_detail(request: HttpRequest, code: str) -> HttpResponse:
    viewing = _viewing(request, code)
    report = viewing.report
    token = _reporter_token(request, viewing)
    answers = [answer for answer in report.answers.all() if answer.published_at is not None]
    # The reporter and the staff also see the files not published (a voice message, the official reply
    # naming the reporter); everyone else the public ones.
    files = selectors.report_files_for_viewer(report=report, private=viewing.reporter or viewing.staff)
    for file in files:
        # A file not published opens for the reporter with their token (staff by their session).
        suffix = f"?{urlencode({'t': token})}" if token and not file.is_public else ""
        file.url = reverse("report-attachment", args=[report.code, file.pk]) + suffix  # type: ignore[attr-defined]
        file.thumb_url = (  # type: ignore[attr-defined]
            reverse("report-attachment-thumbnail", args=[report.code, file.pk]) + suffix if file.thumbnail else ""
        )
    attachments = [a for a in files if a.answer_id is None]
    return render(
        request,
        "incidents/report_detail.html",
        {
            "report": report,
            "answer": answers[-1] if answers else None,
            "answer_files": [a for a in files if answers and a.answer_id == answers[-1].pk],
            # Earlier answers (before the report was reopened), newest first, each with its files.
            "earlier_answers": [(a, [f for f in files if f.answer_id == a.pk]) for a in reversed(answers[:-1])],
            "events": selectors.report_public_events(report),
            "attachments": attachments,
            "media": [a for a in attachments if a.kind in (Attachment.Kind.VIDEO, Attachment.Kind.AUDIO)],
            "pictures": [a for a in attachments if a.kind == Attachment.Kind.IMAGE],
            "documents": [a for a in attachments if a.kind == Attachment.Kind.DOCUMENT],
            "just_sent": request.GET.get("moi") == "1" and _sent_here(request, report.code),
            "reporter_token": token,
            # A link from a message that no longer works: say how to get a new one instead of hiding the forms.
            "link_expired": bool(request.GET.get("t")) and token is None,
            "rate_anchor": RATE_ANCHOR,
            "can_reopen": token is not None and services.report_can_reopen(report),
            "follow_form": FollowForm() if report.is_public else None,
            "follower_count": selectors.report_follower_count(report=report),
        },
    )


@require_http_methods(["POST"])
def report_rate(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter says whether the answer satisfied them."""
    return _reporter_acts(
        request,
        code,
        lambda report, token: services.report_rate(
            report=report, satisfied=request.POST.get("satisfied") == "1", user=request.user, token=token
        ),
        done=_("Cảm ơn bạn đã đánh giá kết quả xử lý."),
    )


@require_http_methods(["POST"])
def report_reopen(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter reopens an answered report, once, with a reason."""
    return _reporter_acts(
        request,
        code,
        lambda report, token: services.report_reopen(
            report=report, reason=request.POST.get("reason", ""), user=request.user, token=token
        ),
        done=_("Phản ánh đã được mở lại và chuyển cho cơ quan xử lý."),
    )


def _reporter_acts(
    request: HttpRequest, code: str, act: Callable[[Report, str | None], object], *, done: StrOrPromise
) -> HttpResponse:
    """A reporter's action on their report (signed in, or with the token of their link), then back to it.

    Someone who is not its reporter finds no such report (404); a refusal is said on the page."""
    report = _viewing(request, code).report
    token = request.POST.get("token")
    try:
        act(report, token)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return _back_to_report(report, token)


def _back_to_report(report: Report, token: str | None) -> HttpResponseRedirect:
    url = reverse("report-detail-page", args=[report.code])
    return HttpResponseRedirect(f"{url}?{urlencode({'t': token})}" if token else url, status=303)


@replica_reads
def report_list(request: HttpRequest) -> HttpResponse:
    form = ReportSearchForm(request.GET or None, sender_search=is_staff_member(request.user))
    filters = form.filters()
    # An exact code typed in the look-up opens that report, as a number typed at a counter would.
    if filters.q and request.GET.get("page") is None and (code := selectors.report_public_code(filters.q)):
        return HttpResponseRedirect(reverse("report-detail-page", args=[code]))
    # The list shows no files or answers: not the API's prefetches of them (three queries a page).
    reports = selectors.report_search(filters).prefetch_related(None)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/report_list.html",
        {
            "page": page,
            "form": form,
            "filters": filters,
            "searched": filters != ReportFilters(),
            "sender_notice": SENDER_SEARCH_IGNORED if form.sender_refused else "",
        },
    )


def _attachment(request: HttpRequest, code: str, pk: int) -> tuple[Attachment, bool]:
    """The file if this visitor may see it, and whether anyone may (then its answer is cacheable by anyone)."""
    # Anyone's first, without reading the visitor's session or account: a public photo's answer is then
    # the same for everyone (no Vary: Cookie), so shared caches and CDNs keep it.
    anyone = selectors.report_for_viewer(code=code, user=None)
    if anyone is not None:
        attachment = Attachment.objects.filter(pk=pk, report=anyone.report).first()
        if attachment is not None and attachment.shown_publicly:
            return attachment, True
    viewing = _viewing(request, code)
    attachment = Attachment.objects.filter(pk=pk, report=viewing.report).first()
    # A file staff hid, or one not public (a voice message, a document, an unpublished answer's file):
    # only the report's sender and the staff who handle the report.
    if attachment is None or (not attachment.shown_publicly and not (viewing.reporter or viewing.staff)):
        raise Http404("Không tìm thấy phản ánh.")
    return attachment, False


def report_attachment(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    attachment, public = _attachment(request, code, pk)
    extension = attachment.file.name.rsplit(".", 1)[-1]
    return stored_file_response(
        request,
        attachment.file,
        content_type=attachment.content_type,
        filename=f"{code}-{attachment.pk}.{extension}",
        public=public,
    )


def report_attachment_thumbnail(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    attachment, public = _attachment(request, code, pk)
    if not attachment.thumbnail:
        raise Http404
    return stored_file_response(
        request,
        attachment.thumbnail,
        content_type="image/jpeg",
        filename=f"{code}-{attachment.pk}-thumb.jpg",
        public=public,
    )


# The look-up in progress (code and phone typed at step 1), until the code sent is typed back.
SESSION_LOOKUP = "incidents_lookup"


@require_http_methods(["GET", "POST"])
def report_lookup(request: HttpRequest) -> HttpResponse:
    """Step 1 of "find my report": the report's code and the sender's phone; a code goes to that phone."""
    form = ReportLookupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            code, phone = form.cleaned_data["code"].strip(), form.cleaned_data["phone"]
            try:
                services.report_lookup(code=code, phone=phone, ip_address=client_ip(request))
            except ValidationError as exc:
                form.add_error("phone", exc.messages)
            except accounts.ThrottledError as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                request.session[SESSION_LOOKUP] = {"code": code, "phone": phone}
                return HttpResponseRedirect(reverse("report-lookup-code"), status=303)
    return render(request, "incidents/report_lookup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def report_lookup_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code sent by SMS; the right one opens the report as its reporter (with a fresh link)."""
    pending = request.session.get(SESSION_LOOKUP)
    if not pending:
        return redirect("report-lookup")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                report = services.report_lookup(
                    code=pending["code"], phone=pending["phone"], otp=form.cleaned_data["code"]
                )
            except ValidationError as exc:
                form.add_error("code", exc.message_dict.get("otp", exc.messages))
            else:
                if report is not None:
                    del request.session[SESSION_LOOKUP]
                    _remember_sent(request, report.code)
                    url = reverse("report-detail-page", args=[report.code])
                    token = services.reporter_token(report)
                    return HttpResponseRedirect(f"{url}?{urlencode({'t': token})}", status=303)
    return render(
        request,
        "incidents/report_lookup_code.html",
        {"form": form, "code": pending["code"], "ttl": settings.OTP_TTL_SECONDS},
        status=status,
    )


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    page = Paginator(selectors.my_reports(user), 20).get_page(request.GET.get("trang"))
    return render(request, "accounts/my_reports.html", {"page": page, "reports": page.object_list})


# The follow or "me too" waiting for the code sent to its contact: {code, action, contact, name}.
SESSION_FOLLOW = "incidents_follow"
FOLLOW_ACTIONS = ("follow", "support")
FOLLOW_DONE = {
    "follow": _(
        "Bạn đang theo dõi phản ánh này: khi có cập nhật (chuyển trạng thái, kết quả xử lý), bạn sẽ nhận tin. "
        "Mỗi tin có đường dẫn để bỏ theo dõi."
    ),
    "support": _(
        "Cảm ơn bạn. Bạn đã cùng phản ánh; khi có kết quả xử lý, bạn sẽ nhận tin. Không cần gửi thêm phản ánh trùng."
    ),
}


def _public_report(request: HttpRequest, code: str) -> Report:
    """A report anyone may follow: public (a hidden one answers 404, as an unknown code)."""
    report = _viewing(request, code).report
    if not report.is_public:
        raise Http404("Không tìm thấy phản ánh.")
    return report


def _follow_act(
    request: HttpRequest, report: Report, pending: dict[str, str], otp: str = ""
) -> tuple[object | None, dict[str, list[str]]]:
    """Runs the follow or "me too" `pending` asks: (its result, or None while a code is awaited; errors)."""
    value = pending["contact"].strip()
    contact = ({"email": value} if "@" in value else {"phone": value}) if value else {}
    try:
        if pending["action"] == "support":
            result: object | None = services.report_support(
                report=report,
                name=pending["name"],
                otp=otp,
                user=request.user,
                ip_address=client_ip(request),
                **contact,
            )
        else:
            result = services.report_follow(
                report=report, otp=otp, user=request.user, ip_address=client_ip(request), **contact
            )
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for name, problems in (exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}).items():
            field = {"phone": "contact", "email": "contact", "name": "name", "otp": "code"}.get(name, "")
            errors.setdefault(field, []).extend(problems)
        return None, errors
    return result, {}


def _followed(request: HttpRequest, report: Report, action: str) -> HttpResponseRedirect:
    messages.success(request, FOLLOW_DONE[action])
    return HttpResponseRedirect(reverse("report-detail-page", args=[report.code]) + "#theo-doi", status=303)


@require_http_methods(["GET", "POST"])
def report_follow(request: HttpRequest, code: str) -> HttpResponse:
    """Follow a public report, or say "me too": at once for a signed-in account, else once the contact
    typed proves itself with the code sent to it (the next step)."""
    report = _public_report(request, code)
    form = FollowForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action", "")
        if action not in FOLLOW_ACTIONS:
            form.add_error(None, _("Hãy chọn “Theo dõi” hoặc “Tôi cũng gặp vấn đề này”."))
        elif form.is_valid():
            pending = {"code": report.code, "action": action, **form.cleaned_data}
            try:
                result, errors = _follow_act(request, report, pending)
            except accounts.ThrottledError as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                for field, problems in errors.items():
                    form.add_error(field or None, problems)
                if not errors and result is not None:
                    return _followed(request, report, action)
                if not errors:
                    request.session[SESSION_FOLLOW] = pending
                    return HttpResponseRedirect(reverse("report-follow-confirm", args=[report.code]), status=303)
    return render(
        request,
        "incidents/report_follow.html",
        {"report": report, "form": form, "follower_count": selectors.report_follower_count(report=report)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def report_follow_confirm(request: HttpRequest, code: str) -> HttpResponse:
    """The code sent to the contact, typed back: then the follow or "me too" is stored."""
    report = _public_report(request, code)
    pending = request.session.get(SESSION_FOLLOW)
    if not pending or pending.get("code") != report.code:
        return redirect("report-follow", code=report.code)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result, errors = _follow_act(request, report, pending, otp=form.cleaned_data["code"])
            if result is not None:
                del request.session[SESSION_FOLLOW]
                return _followed(request, report, pending["action"])
            for problems in errors.values():
                form.add_error("code", problems)
    return render(
        request,
        "incidents/report_follow_code.html",
        {"report": report, "form": form, "contact": pending["contact"], "ttl": settings.OTP_TTL_SECONDS},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def report_unfollow(request: HttpRequest, code: str) -> HttpResponse:
    """The link in every message to a follower: a button to stop them (a GET changes nothing, since mail
    scanners open links), then done."""
    token = request.GET.get("t") or request.POST.get("t") or ""
    if request.method == "POST":
        if services.report_unfollow(token=token) == code:
            return render(request, "incidents/report_unfollow.html", {"code": code, "done": True})
        return render(request, "incidents/report_unfollow.html", {"code": code, "bad": True}, status=400)
    valid = services.follower_from_token(token)
    if valid is None or valid[1] != code:
        return render(request, "incidents/report_unfollow.html", {"code": code, "bad": True}, status=400)
    return render(request, "incidents/report_unfollow.html", {"code": code, "token": token})


def _area(form: AreaForm) -> Area | None:
    """The area the valid form names, or None with the problems put on its fields."""
    try:
        return area_parse(**form.area_params())
    except ValidationError as exc:
        for name, problems in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    return None


@require_http_methods(["GET", "POST"])
def area_subscribe(request: HttpRequest) -> HttpResponse:
    """Choose an area (ward, district, or a point and radius) and get its feed's address, or its daily
    e-mail digest (confirmed by the link sent to the address)."""
    form = AreaForm(request.POST or (request.GET if request.GET else None))
    status, area, subscribed = 200, None, False
    if form.is_bound:
        status = 400
        action = request.POST.get("action", "feed")
        if form.is_valid() and (area := _area(form)) is not None:
            if request.method != "POST" or action != "subscribe":
                status = 200
            elif not form.cleaned_data["email"].strip():
                form.add_error("email", _("Hãy nhập địa chỉ e-mail để nhận tin tổng hợp."))
            else:
                try:
                    services.area_subscribe(email=form.cleaned_data["email"], area=area)
                except ValidationError as exc:
                    for name, problems in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, problems)
                else:
                    status, subscribed = 200, True
            if status != 200:
                area = None
    return render(
        request,
        "incidents/area_subscribe.html",
        {
            "form": form,
            "area": area,
            "feed_url": services.area_feed_url(area) if area is not None else "",
            "subscribed": subscribed,
            "script_text": FORM_SCRIPT_TEXT,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def area_confirm(request: HttpRequest) -> HttpResponse:
    """The link in the confirmation e-mail: a button (a GET changes nothing: mail scanners open links)."""
    token = request.GET.get("t") or request.POST.get("t") or ""
    if request.method == "POST":
        subscription = services.area_confirm(token=token)
        if subscription is not None:
            area = services.subscription_area(subscription)
            context = {"done": True, "area": area, "feed_url": services.area_feed_url(area)}
            return render(request, "incidents/area_link.html", {**context, "purpose": "confirm"})
    elif services.area_token_valid(token, purpose="confirm"):
        return render(request, "incidents/area_link.html", {"token": token, "purpose": "confirm"})
    return render(request, "incidents/area_link.html", {"bad": True, "purpose": "confirm"}, status=400)


@require_http_methods(["GET", "POST"])
def area_unsubscribe(request: HttpRequest) -> HttpResponse:
    """The link in every digest: a button, then no more digests."""
    token = request.GET.get("t") or request.POST.get("t") or ""
    if request.method == "POST" and services.area_unsubscribe(token=token):
        return render(request, "incidents/area_link.html", {"done": True, "purpose": "stop"})
    if request.method == "GET" and services.area_token_valid(token, purpose="stop"):
        return render(request, "incidents/area_link.html", {"token": token, "purpose": "stop"})
    return render(request, "incidents/area_link.html", {"bad": True, "purpose": "stop"}, status=400)


@cache_control(public=True, max_age=300)
def area_feed(request: HttpRequest) -> HttpResponse:
    """/phan-anh/khu-vuc/atom/?ward=… | ?district=… | ?lat=…&lng=…&radius=… (metres)."""
    try:
        area = area_parse(**{name: request.GET.get(name, "") for name in ("ward", "district", "lat", "lng", "radius")})
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    response: HttpResponse = AreaFeed()(request, area=area)
    return response
