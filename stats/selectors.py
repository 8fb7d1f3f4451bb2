"""Read-only statistics of reports: counts, on-time share and answer times, aggregated in the database.

Definitions (the page and the README say the same):
- received: every report in scope and period (by the day it was sent, Vietnam time);
- open: received, forwarded, in progress or awaiting approval;
- answered: the report has a published answer; its answer time runs from sending to the FIRST
  published answer (a reopened report keeps its first answer time);
- on time: the first published answer came on or before the deadline day (Vietnam time);
- overdue open: still open and past its deadline.

The public sees only public reports (the rule of the public list, incidents.selectors.reports_public); staff
see the reports agencies.staff_access gives them, hidden ones included (administrators: everything).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from agencies.models import Agency
from agencies.selectors import is_staff_member
from agencies.staff_access import NO_ACCESS, StaffAccess, staff_access_for
from boundaries.models import AdminUnit, Level
from common.db import read_cursor
from incidents.filters import STATS_NAMES, FilterError, ReportFilters, overdue_sql, report_filters_parse
from incidents.models import (
    OPEN_STATUSES,
    Answer,
    Category,
    Channel,
    Report,
    ReportKind,
    ReportStatus,
    category_display_name,
)
from incidents.selectors import reports_filtered, reports_public

# The longest period one request may ask for, by month (keeps the month series bounded).
MAX_MONTHS = 240
# Rows per database round trip when exporting.
EXPORT_CHUNK = 2000


# --- Filters and scope -------------------------------------------------------------------------------


class StatsFilterError(ValueError):
    """Bad filters, as {parameter: message} in the user's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def stats_filters_parse(params: Mapping[str, Any]) -> ReportFilters:
    """Validate the query parameters (incidents.filters, the one parser); raise StatsFilterError with every problem."""
    try:
        return report_filters_parse(params, names=STATS_NAMES, known_codes=True)
    except FilterError as exc:
        raise StatsFilterError({name: messages[0] for name, messages in exc.errors.items()}) from None


@dataclass(frozen=True)
class StatsScope:
    """Which reports a viewer's numbers count: public ones, or those their staff access sees."""

    public: bool
    access: StaffAccess = NO_ACCESS
    is_staff: bool = False

    @property
    def agency_ids(self) -> frozenset[int] | None:
        """The agencies whose reports are counted (None: every report)."""
        return None if self.access.everything else self.access.agency_ids

    @property
    def label(self) -> str:
        return "public" if self.public else "agency"


PUBLIC_SCOPE = StatsScope(public=True)


def stats_scope_for(user: User | AnonymousUser, *, public: bool = False) -> StatsScope:
    """Staff get the full numbers of the reports they see (agencies.staff_access) unless they ask for public ones."""
    if not is_staff_member(user):
        return PUBLIC_SCOPE
    if public:
        return StatsScope(public=True, is_staff=True)
    return StatsScope(public=False, access=staff_access_for(user), is_staff=True)


def _agency_tree(code: str) -> list[int]:
    """The agency with this code and all agencies below it: a district UBND counts its wards' reports."""
    table = Agency._meta.db_table
    with read_cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE tree(id) AS (
                SELECT id FROM {table} WHERE code = %s
                UNION
                SELECT a.id FROM {table} a JOIN tree ON a.parent_id = tree.id
            ) SELECT id FROM tree
            """,  # noqa: S608 (table name from model metadata)
            [code],
        )
        return [row[0] for row in cursor.fetchall()]


def stats_reports(scope: StatsScope, filters: ReportFilters) -> QuerySet[Report]:
    """The reports the numbers count, filtered; plain columns only, so the database can use its indexes."""
    reports = reports_public() if scope.public else scope.access.visible(Report.objects.all())
    # reports_filtered leaves the agency to the statistics: an agency counts the agencies below it.
    reports = reports_filtered(reports, filters)
    if filters.agency:
        reports = reports.filter(agency_id__in=_agency_tree(filters.agency))
    return reports.order_by()


# --- The facts every number comes from ---------------------------------------------------------------

FACT_COLUMNS = (
    "id",
    "code",
    "kind",
    "channel",
    "is_public",
    "status",
    "created_at",
    "deadline",
    "is_overdue",
    "category_id",
    "province_id",
    "district_id",
    "ward_id",
    "agency_id",
    "first_answered_at",
)


def _facts(reports: QuerySet[Report], *, today: date) -> tuple[str, list[Any]]:
    """`WITH facts AS (…)` (and its parameters): one row per counted report with its answer facts.

    answered_at is the first published answer (Report.first_answered_at, kept by a trigger on answers);
    answer_hours and on_time follow from it; overdue_open is "still open and past the deadline"; month is
    the month of sending (Vietnam time), as a date on its first day.
    """
    inner, inner_params = reports.values(*FACT_COLUMNS).query.sql_with_params()
    open_statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    overdue, overdue_params = overdue_sql("r", today)
    # NOT MATERIALIZED: a query reading the facts twice (the overview) then scans the reports twice,
    # each scan able to use the filters' indexes, instead of first copying every row to a temporary store.
    sql = f"""
        WITH facts AS NOT MATERIALIZED (
            SELECT r.*, r.first_answered_at AS answered_at,
                   date_trunc('month', r.created_at AT TIME ZONE %s)::date AS month,
                   EXTRACT(EPOCH FROM r.first_answered_at - r.created_at) / 3600.0 AS answer_hours,
                   CASE WHEN r.first_answered_at IS NULL THEN NULL
                        ELSE (r.first_answered_at AT TIME ZONE %s)::date <= r.deadline END AS on_time,
                   (r.status IN ({open_statuses}) AND {overdue}) AS overdue_open
            FROM ({inner}) r
        )
    """  # noqa: S608 (fixed SQL, values as parameters)
    statuses = [str(s) for s in OPEN_STATUSES]
    return sql, [settings.TIME_ZONE, settings.TIME_ZONE, *statuses, *overdue_params, *inner_params]


def _measure_sql() -> tuple[str, list[Any]]:
    """The aggregate columns every breakdown carries, in Measures field order."""
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    sql = f"""
        count(*),
        count(*) FILTER (WHERE status IN ({statuses})),
        count(*) FILTER (WHERE status = %s),
        count(*) FILTER (WHERE status = %s),
        count(*) FILTER (WHERE overdue_open),
        count(answered_at),
        count(*) FILTER (WHERE on_time),
        avg(answer_hours)
    """
    return sql, [*[str(s) for s in OPEN_STATUSES], str(ReportStatus.COMPLETED), str(ReportStatus.REJECTED)]


MEASURE_COUNT = 8


@dataclass
class Measures:
    received: int = 0
    open: int = 0
    completed: int = 0
    rejected: int = 0
    overdue_open: int = 0
    answered: int = 0
    answered_on_time: int = 0
    avg_answer_hours: float | None = None

    @classmethod
    def from_row(cls, values: Sequence[Any]) -> Measures:
        received, open_, completed, rejected, overdue, answered, on_time, avg = values
        return cls(
            received=received or 0,
            open=open_ or 0,
            completed=completed or 0,
            rejected=rejected or 0,
            overdue_open=overdue or 0,
            answered=answered or 0,
            answered_on_time=on_time or 0,
            avg_answer_hours=None if avg is None else float(avg),
        )

    @property
    def on_time_share(self) -> float | None:
        """Answered on time / answered, 0..1; None while nothing is answered."""
        return self.answered_on_time / self.answered if self.answered else None

    @property
    def on_time_percent(self) -> float | None:
        share = self.on_time_share
        return None if share is None else round(share * 100, 1)

    @property
    def avg_answer_days(self) -> float | None:
        return None if self.avg_answer_hours is None else round(self.avg_answer_hours / 24, 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "open": self.open,
            "completed": self.completed,
            "rejected": self.rejected,
            "overdue_open": self.overdue_open,
            "answered": self.answered,
            "answered_on_time": self.answered_on_time,
            "on_time_share": _round(self.on_time_share, 4),
            "avg_answer_hours": _round(self.avg_answer_hours, 1),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with read_cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _grouped(reports: QuerySet[Report], key_sql: str, *, today: date) -> dict[Any, Measures]:
    """Measures per value of key_sql (a column or expression of the facts), in one query."""
    facts, params = _facts(reports, today=today)
    measures, measure_params = _measure_sql()
    sql = f"{facts} SELECT {key_sql}, {measures} FROM facts GROUP BY 1"  # noqa: S608 (key_sql is ours)
    rows = _fetch(sql, [*params, *measure_params])
    return {row[0]: Measures.from_row(row[1:]) for row in rows}


# --- Selectors ---------------------------------------------------------------------------------------


@dataclass
class Summary(Measures):
    median_answer_hours: float | None = None
    p90_answer_hours: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["avg_answer_days"] = self.avg_answer_days
        data["median_answer_hours"] = _round(self.median_answer_hours, 1)
        data["p90_answer_hours"] = _round(self.p90_answer_hours, 1)
        return data


# The median and 90th percentile of answer times, as one array.
PERCENTILES_SQL = "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY answer_hours)"


def _summary(measures: Measures, percentiles: Sequence[float | None] | None) -> Summary:
    median, p90 = percentiles or (None, None)  # no answer time at all: NULL, not an array
    return Summary(
        **{name: getattr(measures, name) for name in Measures.__dataclass_fields__},
        median_answer_hours=None if median is None else float(median),
        p90_answer_hours=None if p90 is None else float(p90),
    )


def stats_summary(reports: QuerySet[Report], *, today: date) -> Summary:
    """Totals over the reports, with the median and 90th percentile of answer times: one query."""
    facts, params = _facts(reports, today=today)
    measures, measure_params = _measure_sql()
    sql = f"{facts} SELECT {measures}, {PERCENTILES_SQL} FROM facts"  # noqa: S608 (fixed SQL, values as parameters)
    row = _fetch(sql, [*params, *measure_params])[0]
    return _summary(Measures.from_row(row[:MEASURE_COUNT]), row[MEASURE_COUNT])


@dataclass(frozen=True)
class Bucket:
    """One row of a breakdown: a key (status, code, month…), its label, and the measures."""

    key: str
    label: str
    measures: Measures = field(default_factory=Measures)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, **self.measures.as_dict()}


# What each breakdown groups the facts by. The functions below turn {key: Measures} into buckets, for the
# single-breakdown selectors (one query each) and the overview (one query for all) alike.
AREA_COLUMNS = {"province": "province_id", "district": "district_id", "ward": "ward_id"}
AREA_LEVELS = {"province": Level.PROVINCE, "district": Level.DISTRICT, "ward": Level.WARD}


def _by_most(buckets: list[Bucket]) -> list[Bucket]:
    return sorted(buckets, key=lambda b: (-b.measures.received, b.label, b.key))


def _status_buckets(grouped: Mapping[Any, Measures]) -> list[Bucket]:
    return [
        Bucket(key=value, label=str(label), measures=grouped.get(value, Measures()))
        for value, label in ReportStatus.choices
    ]


def _category_buckets(grouped: Mapping[Any, Measures]) -> list[Bucket]:
    names = Category.objects.filter(pk__in=list(grouped)).values_list("pk", "code", "name", "name_en")
    return _by_most(
        [
            Bucket(key=code, label=category_display_name(name=name, name_en=name_en), measures=grouped[pk])
            for pk, code, name, name_en in names
        ]
    )


def _area_buckets(grouped: Mapping[Any, Measures], *, parent: AdminUnit | None) -> list[Bucket]:
    with_reports = Q(pk__in=[pk for pk in grouped if pk is not None])
    if parent is None:
        units = AdminUnit.objects.filter(with_reports)
    else:
        # Only the parent's units count (reports elsewhere are left out); every current one is listed.
        units = parent.children.filter(with_reports | Q(pk__in=parent.children.current().values("pk")))
    buckets = _by_most(
        [
            Bucket(key=code, label=name, measures=grouped.get(pk, Measures()))
            for pk, code, name in units.values_list("pk", "code", "name")
        ]
    )
    # Reports without a unit at this level (filed without a pin, whose place staff have not set yet) have a
    # row of their own in a table of every unit; a parent's table lists only what lies in its units.
    if parent is None and None in grouped:
        buckets.append(Bucket(key="", label=_("Chưa xác định vị trí"), measures=grouped[None]))
    return buckets


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_buckets(grouped: Mapping[Any, Measures], *, filters: ReportFilters, today: date) -> list[Bucket]:
    # From the period's start (or the first report's month) to its end (or the later of this month and the
    # last report's), at most MAX_MONTHS.
    months = list(grouped)
    month = _month_start(filters.date_from) if filters.date_from else min(months, default=None)
    last = _month_start(filters.date_to or max([*months, today]))
    buckets: list[Bucket] = []
    while month is not None and month <= last and len(buckets) < MAX_MONTHS:
        label = f"{month.month:02d}/{month.year}"
        buckets.append(Bucket(key=f"{month:%Y-%m}", label=label, measures=grouped.get(month, Measures())))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)  # the next month's first day
    return buckets


def _agency_buckets(grouped: Mapping[Any, Measures]) -> list[Bucket]:
    agencies = Agency.objects.filter(pk__in=[pk for pk in grouped if pk is not None]).values_list("pk", "code", "name")
    buckets = _by_most([Bucket(key=code, label=name, measures=grouped[pk]) for pk, code, name in agencies])
    if None in grouped:
        buckets.append(Bucket(key="", label=_("Chưa giao cơ quan"), measures=grouped[None]))
    return buckets


def stats_by_status(reports: QuerySet[Report], *, today: date) -> list[Bucket]:
    """Measures per status, every status listed (zero included), in workflow order."""
    return _status_buckets(_grouped(reports, "status", today=today))


def stats_by_category(reports: QuerySet[Report], *, today: date) -> list[Bucket]:
    """Per category, most reports first; categories without reports are left out."""
    return _category_buckets(_grouped(reports, "category_id", today=today))


def stats_by_area(
    reports: QuerySet[Report], *, level: str, today: date, parent: AdminUnit | None = None
) -> list[Bucket]:
    """Per province, district or ward. Under a parent unit every current child is listed, zero included."""
    return _area_buckets(_grouped(reports, AREA_COLUMNS[level], today=today), parent=parent)


def stats_by_month(reports: QuerySet[Report], *, filters: ReportFilters, today: date) -> list[Bucket]:
    """Per month of sending (Vietnam time), oldest first, months without reports included as zeros.

    The months run from the period's start (or the first report) to its end (or this month).
    """
    return _month_buckets(_grouped(reports, "month", today=today), filters=filters, today=today)


def stats_by_agency(reports: QuerySet[Report], *, today: date) -> list[Bucket]:
    """Per handling agency (staff only), most reports first; reports not yet routed last."""
    return _agency_buckets(_grouped(reports, "agency_id", today=today))


@dataclass
class Overview:
    """Everything the statistics page shows, from one aggregate query (`stats_overview`)."""

    summary: Summary
    by_status: list[Bucket]
    by_category: list[Bucket]
    by_month: list[Bucket]
    by_area: list[Bucket]
    by_agency: list[Bucket] | None = None

    def parts(self) -> dict[str, Any]:
        """The parts by name (by_agency only when computed), as the page's template takes them."""
        parts = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {name: value for name, value in parts.items() if value is not None}


def stats_overview(
    reports: QuerySet[Report],
    *,
    filters: ReportFilters,
    level: str,
    parent: AdminUnit | None,
    today: date,
    with_agencies: bool = False,
) -> Overview:
    """The summary and the breakdowns by status, category, month and area (and agency if asked), the same
    as the stats_by_… selectors give, in one query: one pass over the facts with GROUPING SETS (and one
    more over the answered ones for the percentiles), instead of a pass per breakdown."""
    columns = {"status": "status", "category": "category_id", "month": "month", "area": AREA_COLUMNS[level]}
    if with_agencies:
        columns["agency"] = "agency_id"
    names, keys = list(columns), ", ".join(columns.values())
    facts, params = _facts(reports, today=today)
    measures, measure_params = _measure_sql()
    sets = ", ".join(["()", *(f"({column})" for column in columns.values())])
    sql = f"""
        {facts}
        SELECT GROUPING({keys}), {keys}, {measures}, (SELECT {PERCENTILES_SQL} FROM facts)
        FROM facts GROUP BY GROUPING SETS ({sets})
    """  # noqa: S608 (fixed SQL, values as parameters)
    # GROUPING() has a bit per key, first key highest, set when the row is NOT grouped by that key:
    # a row of the set (status) has every bit but status's.
    every = (1 << len(names)) - 1
    set_of = {every ^ (1 << (len(names) - 1 - index)): index for index in range(len(names))}
    grouped: dict[str, dict[Any, Measures]] = {name: {} for name in names}
    summary = Summary()
    for mask, *values in _fetch(sql, [*params, *measure_params]):
        row_measures = Measures.from_row(values[len(names) : len(names) + MEASURE_COUNT])
        if mask == every:
            summary = _summary(row_measures, values[-1])
        else:
            index = set_of[mask]
            grouped[names[index]][values[index]] = row_measures
    return Overview(
        summary=summary,
        by_status=_status_buckets(grouped["status"]),
        by_category=_category_buckets(grouped["category"]),
        by_month=_month_buckets(grouped["month"], filters=filters, today=today),
        by_area=_area_buckets(grouped["area"], parent=parent),
        by_agency=_agency_buckets(grouped["agency"]) if with_agencies else None,
    )


@dataclass(frozen=True)
class OfficerRow:
    name: str
    answers: int
    on_time: int
    avg_answer_hours: float | None

    @property
    def on_time_percent(self) -> float | None:
        return round(self.on_time / self.answers * 100, 1) if self.answers else None

    @property
    def avg_answer_days(self) -> float | None:
        return None if self.avg_answer_hours is None else round(self.avg_answer_hours / 24, 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "answers": self.answers,
            "on_time": self.on_time,
            "avg_answer_hours": _round(self.avg_answer_hours, 1),
        }


def stats_by_officer(reports: QuerySet[Report], *, limit: int = 50) -> list[OfficerRow]:
    """Published answers per author (staff only): one grouped query over the counted reports' answers."""
    inner, params = reports.values("id", "created_at", "deadline").query.sql_with_params()
    answers = Answer._meta.db_table
    sql = f"""
        WITH r AS MATERIALIZED ({inner})
        SELECT a.author_id, count(*),
               count(*) FILTER (WHERE (a.published_at AT TIME ZONE %s)::date <= r.deadline),
               avg(EXTRACT(EPOCH FROM a.published_at - r.created_at) / 3600.0)
        FROM {answers} a JOIN r ON r.id = a.report_id
        WHERE a.published_at IS NOT NULL
        GROUP BY a.author_id ORDER BY 2 DESC, 1 LIMIT %s
    """  # noqa: S608 (table name from model metadata)
    rows = _fetch(sql, [*params, settings.TIME_ZONE, limit])
    ids = [row[0] for row in rows if row[0] is not None]
    people = {u.pk: u for u in User.objects.filter(pk__in=ids).only("username", "first_name", "last_name")}
    result = []
    for author_id, count, on_time, avg in rows:
        person = people.get(author_id)
        name = (person.get_full_name() or person.username) if person else _("(tài khoản đã xoá)")
        result.append(
            OfficerRow(name=name, answers=count, on_time=on_time, avg_answer_hours=None if avg is None else float(avg))
        )
    return result


# --- Export ------------------------------------------------------------------------------------------


EXPORT_HEADER = (
    "ma_phan_anh",
    "ngay_gui",
    "han_xu_ly",
    "ngay_tra_loi",
    "so_gio_tra_loi",
    "dung_han",
    "qua_han",
    "trang_thai",
    "loai",
    "kenh",
    "chuyen_muc",
    "tinh_thanh",
    "quan_huyen",
    "phuong_xa",
    "co_quan_xu_ly",
    "cong_khai",
)


def stats_export_rows(reports: QuerySet[Report], *, today: date) -> Iterator[tuple[str, ...]]:
    """One row per report, in id order, in chunks by id (each chunk one query): no reporter data, no free text."""
    statuses = dict(ReportStatus.choices)
    kinds = dict(ReportKind.choices)
    channels = dict(Channel.choices)
    units, categories, agencies = AdminUnit._meta.db_table, Category._meta.db_table, Agency._meta.db_table
    # qua_han is "overdue", the one definition (incidents.filters), not "answered late".
    overdue, overdue_params = overdue_sql("f", today)
    select = f"""
        SELECT f.id, f.code, to_char(f.created_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI'), f.deadline,
               to_char(f.answered_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI'), round(f.answer_hours::numeric, 1),
               f.on_time, {overdue}, f.status, f.kind, f.channel,
               c.name, p.name, d.name, w.name, ag.name, f.is_public
        FROM facts f
        JOIN {categories} c ON c.id = f.category_id
        JOIN {units} p ON p.id = f.province_id
        LEFT JOIN {units} d ON d.id = f.district_id
        LEFT JOIN {units} w ON w.id = f.ward_id
        LEFT JOIN {agencies} ag ON ag.id = f.agency_id
        ORDER BY f.id
    """  # noqa: S608 (table names from model metadata)
    last = 0
    while True:
        facts, params = _facts(reports.filter(pk__gt=last).order_by("pk")[:EXPORT_CHUNK], today=today)
        chunk = _fetch(facts + select, [*params, settings.TIME_ZONE, settings.TIME_ZONE, *overdue_params])
        if not chunk:
            return
        for _pk, code, created, deadline, answered, hours, on_time, late, status, kind, channel, *rest in chunk:
            *names, is_public = rest
            yield (
                code,
                created,
                deadline.isoformat(),
                answered or "",
                "" if hours is None else str(hours),
                "" if on_time is None else _yes_no(on_time),
                _yes_no(late),
                statuses.get(status, status),
                kinds.get(kind, kind),
                channels.get(channel, channel),
                *[name or "" for name in names],
                _yes_no(is_public),
            )
        last = chunk[-1][0]


def _yes_no(value: bool) -> str:
    return "có" if value else "không"
