"""Read-only report queries: public look-up, nearby duplicates, place search."""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Concat

from accounts.models import User
from agencies.staff_access import report_staff_visible
from boundaries.models import Level
from boundaries.places import Unaccent, folded
from common.gis import SRID, metres_to_degrees
from common.phones import PhoneError, phone_normalize

from .areas import Area
from .filters import ReportFilters, overdue_q, status_values
from .models import (
    ATTACHMENT_SHOWN_PUBLICLY,
    LIST_TYPES,
    OPEN_STATUSES,
    Answer,
    Attachment,
    Category,
    CategoryQuestion,
    QuestionType,
    Report,
    ReportEvent,
    ReportFollower,
    ReportSupport,
)
from .tokens import reporter_token_valid

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def category_by_code(code: str) -> Category | None:
    """The active category with this code, or None. Read from the database each time (one indexed row):
    a copy kept per process let a category staff had just closed through one app server go on taking
    reports on the others."""
    return category_list().filter(code=code).first()


def category_questions(*, category: Category) -> QuerySet[CategoryQuestion]:
    """The category's active extra questions, informational texts (variable False) included, in the order
    they are asked."""
    return CategoryQuestion.objects.filter(category=category, active=True).order_by("order", "id")


class QuestionsAnnotation(TypedDict):
    has_questions: bool


if TYPE_CHECKING:
    # A category with `has_questions` (categories_with_questions), for type checkers only.
    CategoryAsking = WithAnnotations[Category, QuestionsAnnotation]


def category_list_with_questions() -> QuerySet[Category]:
    """The active categories, each with its active questions (`questions`, in order) in one more query."""
    asked = CategoryQuestion.objects.filter(active=True).order_by("order", "id")
    return category_list().prefetch_related(Prefetch("questions", queryset=asked))


def categories_with_questions(*, categories: QuerySet[Category] | None = None) -> QuerySet[CategoryAsking]:
    """`categories` (default: the active ones), each annotated with `has_questions`: whether it has an active
    question (Open311's `metadata`), in the same query."""
    base = category_list() if categories is None else categories
    return base.annotate(has_questions=Exists(CategoryQuestion.objects.filter(category=OuterRef("pk"), active=True)))


@dataclass(frozen=True)
class QuestionAnswer:
    """One of a category's questions with a report's answer, as staff read it (list keys shown by name)."""

    code: str
    prompt: str
    answer: str  # "" when not answered


def report_question_answers(*, report: Report) -> list[QuestionAnswer]:
    """The category's questions a report was asked, in their order, with its answers: the active questions,
    and any answered one since withdrawn or deleted (the answer is the record); explanations left out."""
    answers = report.question_answers or {}
    questions = CategoryQuestion.objects.filter(category_id=report.category_id, variable=True).filter(
        Q(active=True) | Q(code__in=list(answers))
    )
    shown = [
        QuestionAnswer(code=q.code, prompt=q.display_prompt, answer=_answer_shown(q, answers.get(q.code)))
        for q in questions.order_by("order", "id")
    ]
    known = {q.code for q in shown}
    shown.extend(
        QuestionAnswer(code=code, prompt=code, answer=_answer_shown(None, value))
        for code, value in answers.items()
        if code not in known
    )
    return shown


def _answer_shown(question: CategoryQuestion | None, value: object) -> str:
    if value is None or value == "" or value == []:
        return ""
    values = value if isinstance(value, list) else [value]
    if question is not None and question.datatype in LIST_TYPES:
        return ", ".join(question.value_name(str(key)) for key in values)
    if question is not None and question.datatype == QuestionType.DATETIME:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:  # not stored by the intake: shown as it is
            return str(value)
        return f"{moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)):%d/%m/%Y %H:%M}"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")  # decimal comma, as written in Vietnam
    return ", ".join(str(item) for item in values)


def _with_public_parts(reports: QuerySet[Report]) -> QuerySet[Report]:
    return reports.select_related("category", "ward", "district", "province", "agency").prefetch_related(
        # The report's own files shown to all; the answer's come with the answer.
        Prefetch("attachments", queryset=Attachment.objects.filter(ATTACHMENT_SHOWN_PUBLICLY, answer__isnull=True)),
        Prefetch(
            "answers",
            queryset=Answer.objects.filter(published_at__isnull=False)
            .select_related("agency")
            .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.filter(ATTACHMENT_SHOWN_PUBLICLY))),
        ),
    )


def reports_public() -> QuerySet[Report]:
    """Reports anyone may see: public, not hidden by staff."""
    return Report.objects.filter(is_public=True)


def reports_recently_answered(*, limit: int = 5) -> list[Report]:
    """The public reports answered most recently (the home page shows them)."""
    reports = reports_public().filter(first_answered_at__isnull=False).order_by("-first_answered_at", "-id")
    return list(_with_public_parts(reports)[:limit])


def report_public_code(typed: str) -> str | None:
    """The code of the public report whose code is exactly `typed` (spaces and case aside), else None."""
    typed = typed.strip()
    if not typed or len(typed) > Report._meta.get_field("code").max_length:  # type: ignore[operator]
        return None
    return reports_public().filter(code__iexact=typed).values_list("code", flat=True).first()


def _day_start(day: date) -> datetime:
    """Midnight of the day in Vietnam time (the service's TIME_ZONE)."""
    return datetime(day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


# A staff worklist's order: urgent reports first (seed 004), then the nearest deadline, then the oldest.
WORKLIST_ORDER = ("-urgent", "deadline", "created_at", "id")


def report_search(filters: ReportFilters, *, base: QuerySet[Report] | None = None) -> QuerySet[Report]:
    """Public reports (or `base`) matching the filters, newest first, with what a list shows."""
    reports = reports_filtered(base if base is not None else reports_public(), filters)
    return _with_public_parts(reports).order_by("-created_at", "-id")


def reports_filtered(reports: QuerySet[Report], filters: ReportFilters) -> QuerySet[Report]:
    """The reports of `reports` that match the filters: the one filtering the list, map, heatmap and statistics share.

    Text search ignores diacritics and case ("phuong 8" finds "Phường 8"). A sender's
    name or phone matches only reports of exactly that sender, and never confidential
    ones, so a search cannot reveal who sent what. Dates are days in Vietnam time,
    compared as instants on the indexed created_at rather than a cast per row.
    """
    if filters.q:
        words = filters.q.strip()
        reports = reports.annotate(
            folded=folded(Concat("title", Value(" "), "description", Value(" "), "address", output_field=TextField()))
        ).filter(Q(folded__contains=Unaccent(Value(words.lower()))) | Q(code=words))
    if filters.code:
        reports = reports.filter(code=filters.code.strip())
    if filters.sender_name or filters.sender_phone:
        reports = reports.filter(confidential=False)
        if filters.sender_name:
            reports = reports.annotate(sender=folded("reporter_name")).filter(
                sender=Unaccent(Value(" ".join(filters.sender_name.split()).lower()))
            )
        if filters.sender_phone:
            try:
                reports = reports.filter(reporter_phone=phone_normalize(filters.sender_phone))
            except PhoneError:
                reports = reports.none()
    if filters.province:
        reports = reports.filter(province__code=filters.province)
    if filters.district:
        reports = reports.filter(district__code=filters.district)
    if filters.ward:
        reports = reports.filter(ward__code=filters.ward)
    if filters.category:
        reports = reports.filter(category__code=filters.category)
    if filters.kind:
        reports = reports.filter(kind=filters.kind)
    if filters.status:
        reports = reports.filter(status__in=status_values(filters.status))
    if filters.date_from:
        reports = reports.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        reports = reports.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.bbox:
        reports = reports.filter(location__coveredby=Polygon.from_bbox(filters.bbox))
    if filters.overdue:
        reports = reports.filter(overdue_q())
    if filters.unlocated:
        reports = reports.filter(location__isnull=True)
    return reports


def report_get(code: str) -> Report | None:
    return _with_public_parts(Report.objects.filter(code=code)).first()


@dataclass(frozen=True)
class ReportViewing:
    """A report as one viewer may see it: whether they sent it, whether they handle it."""

    report: Report
    reporter: bool
    staff: bool


def report_for_viewer(
    *, code: str, user: User | AnonymousUser | None = None, token: str = "", sent: Collection[str] = ()
) -> ReportViewing | None:
    """The report with this code if this viewer may see it; else None, exactly as for an unknown code.

    Every public page and API action asks this first, before any status or input check, so a
    hidden report answers like one that does not exist. A public report anyone may see; a hidden
    one only its reporter (their account, a valid reporter `token`, or a code in `sent`, the reports
    sent from this browser session) and the staff who handle it. `user=None` asks as anyone.
    """
    # A malformed code (a NUL byte, a page of text) names no report and never reaches the database.
    report = report_get(code) if len(code) <= 32 and "\x00" not in code else None
    if report is None:
        return None
    account = user if isinstance(user, User) and user.is_authenticated else None
    reporter = bool(
        (account is not None and report.user_id == account.pk)
        or report.code in sent
        or (token and reporter_token_valid(report, token))
    )
    staff = account is not None and report_staff_visible(user=account, report=report)
    if not (report.is_public or reporter or staff):
        return None
    return ReportViewing(report=report, reporter=reporter, staff=staff)


def report_files_for_viewer(*, report: Report, private: bool) -> list[Attachment]:
    """The report's files and its published answers' files one viewer sees, in order: those shown publicly,
    and with `private` (its reporter, the staff who handle it) also those not published; never hidden ones
    nor an unpublished answer's."""
    files = Attachment.objects.filter(report=report)
    if private:
        files = files.filter(Q(answer__isnull=True) | Q(answer__published_at__isnull=False), is_hidden=False)
    else:
        files = files.filter(ATTACHMENT_SHOWN_PUBLICLY)
    return list(files.order_by("id"))


def report_public_events(report: Report) -> QuerySet[ReportEvent]:
    return report.events.filter(is_public=True).select_related("agency")


def reports_nearby_open(*, lng: float, lat: float, category: Category, limit: int = 5) -> list[Report]:
    """Open public reports of the category near the pin, nearest first: likely duplicates."""
    point = Point(lng, lat, srid=SRID)
    radius = category.duplicate_radius_m
    return list(
        _with_public_parts(
            reports_public().filter(
                category=category,
                status__in=OPEN_STATUSES,
                # The degree box uses the spatial index; the metric distance decides.
                location__dwithin=(point, metres_to_degrees(radius, lat)),
            )
        )
        .annotate(distance=Distance("location", point))
        .filter(distance__lte=D(m=radius))
        .order_by("distance")[:limit]
    )


def my_reports(user: User) -> QuerySet[Report]:
    """The citizen's reports, and the public ones they follow or support, newest first, with their published
    answers and files (annotated `sent`: theirs; `following`, `supporting`).

    Reports sent without signing in count as theirs too when they came from the phone number the
    account has proven it holds; so do follows and supports made with a proven phone or e-mail.
    """
    mine = Q(user=user)
    contacts = Q(user=user)
    if user.phone and user.phone_verified_at is not None:
        mine |= Q(user__isnull=True, reporter_phone=user.phone)
        contacts |= Q(phone=user.phone)
    if user.email and user.email_verified_at is not None:
        contacts |= Q(email__iexact=user.email)
    followed = Q(user=user)
    if user.phone and user.phone_verified_at is not None:
        followed |= Q(channel="sms", address=user.phone)
    if user.email and user.email_verified_at is not None:
        followed |= Q(channel="email", address=user.email.lower())
    following = Exists(ReportFollower.objects.filter(followed, report=OuterRef("pk")))
    supporting = Exists(ReportSupport.objects.filter(contacts, report=OuterRef("pk")))
    return (
        Report.objects.annotate(sent=ExpressionWrapper(mine, output_field=BooleanField()))
        .annotate(following=following, supporting=supporting)
        .filter(mine | ((Q(following=True) | Q(supporting=True)) & Q(is_public=True)))
        .select_related("category", "agency", "ward", "district")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.filter(published_at__isnull=False)
                .select_related("agency")
                .prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.filter(is_hidden=False), to_attr="files")
                )
                .order_by("published_at", "id"),
                to_attr="published_answers",
            )
        )
        .order_by("-created_at", "-id")
    )


def report_follower_count(*, report: Report) -> int:
    """How many follow the report: the only thing anyone but the staff learns about its followers."""
    return ReportFollower.objects.filter(report=report).count()


class _DWithin(Func):
    function = "ST_DWithin"
    output_field = BooleanField()


_GEOGRAPHY: PointField[Any, Any] = PointField(geography=True, srid=SRID)


def reports_in_area(area: Area) -> QuerySet[Report]:
    """Public reports in the area: by their ward or district (an indexed foreign key), or within the radius
    with ST_DWithin on geography (metres on the spheroid; the index on location::geography serves it).
    A report without a pin is in no circle."""
    reports = reports_public()
    if area.unit is not None:
        return reports.filter(**{"ward" if area.unit.level == Level.WARD else "district": area.unit})
    return reports.filter(
        _DWithin(
            Cast("location", _GEOGRAPHY),
            Cast(Value(area.center, output_field=PointField(srid=SRID)), _GEOGRAPHY),
            Value(float(area.radius_m or 0)),
        )
    )


@dataclass(frozen=True)
class AreaUpdate:
    """A line of a digest or an entry of a feed: a new report, or a published answer (`answer` set)."""

    when: datetime
    report: Report
    answer: Answer | None = None


def area_updates(
    area: Area, *, since: datetime | None = None, until: datetime | None = None, limit: int = 50
) -> list[AreaUpdate]:
    """The area's new public reports and published answers in (since, until], newest first, `limit` of each
    kind at most. Public fields only are read by callers: the report's code, title, category, status, ward,
    description and the answer's text."""
    reports = reports_in_area(area).select_related("category", "ward", "district")
    answers = Answer.objects.filter(published_at__isnull=False, report__in=reports_in_area(area)).select_related(
        "report", "report__category", "report__ward", "agency"
    )
    if since is not None:
        reports, answers = reports.filter(created_at__gt=since), answers.filter(published_at__gt=since)
    if until is not None:
        reports, answers = reports.filter(created_at__lte=until), answers.filter(published_at__lte=until)
    updates = [AreaUpdate(when=r.created_at, report=r) for r in reports.order_by("-created_at", "-id")[:limit]]
    updates += [
        AreaUpdate(when=a.published_at, report=a.report, answer=a)
        for a in answers.order_by("-published_at", "-id")[:limit]
        if a.published_at is not None
    ]
    return sorted(updates, key=lambda u: u.when, reverse=True)
