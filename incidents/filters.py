"""The report filter vocabulary, its one parser, and the one definition of "overdue".

Every surface that filters reports (the report API and map, the public search page, the staff
worklist, the heatmap, the statistics and their export) names its filters with these query
parameters and reads them with `report_filters_parse`, so a parameter means the same thing and a
bad value gets the same refusal everywhere: a FilterError keyed by parameter, which the API answers
as its one error shape (`{"detail": ..., "errors": {name: [message]}}`, common.api.error_body) and
pages show beside the field.

Each surface accepts the names it offers (`names`); others in the query are ignored, as before.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from boundaries.models import AdminUnit, Level
from common.api import error_body
from common.gis import CoordinateError, parse_bbox
from common.inputs import InputError, parse_day

from .models import OPEN_STATUSES, Category, Report, ReportKind, ReportStatus

# Every parameter of the vocabulary.
Q_, CODE, SENDER_NAME, SENDER_PHONE = "q", "code", "sender_name", "sender_phone"
PROVINCE, DISTRICT, WARD, CATEGORY, AGENCY = "province", "district", "ward", "category", "agency"
KIND, STATUS, FROM, TO, BBOX, OVERDUE = "kind", "status", "from", "to", "bbox", "overdue"
# Only reports filed without a pin (whose place staff still have to set).
UNLOCATED = "unlocated"
# What each surface offers.
API_NAMES = frozenset((Q_, CODE, SENDER_NAME, SENDER_PHONE, DISTRICT, WARD, CATEGORY, KIND, STATUS, FROM, TO, BBOX))
MAP_NAMES = frozenset((DISTRICT, WARD, CATEGORY, KIND, STATUS, FROM, TO))
HEATMAP_NAMES = frozenset((CATEGORY, STATUS, FROM, TO, OVERDUE))
STATS_NAMES = frozenset((PROVINCE, DISTRICT, WARD, CATEGORY, AGENCY, FROM, TO))
# The public list page; the sender's name and phone only for staff.
PAGE_NAMES = frozenset((Q_, DISTRICT, WARD, CATEGORY, KIND, STATUS, FROM, TO, SENDER_NAME, SENDER_PHONE))
WORKLIST_NAMES = frozenset((Q_, CATEGORY, STATUS, OVERDUE, UNLOCATED))
SENDER_NAMES = frozenset((SENDER_NAME, SENDER_PHONE))
ALL_NAMES = API_NAMES | HEATMAP_NAMES | STATS_NAMES | PAGE_NAMES | WORKLIST_NAMES
# Names checked against the database when `known_codes`.
CODE_NAMES = frozenset((PROVINCE, DISTRICT, WARD, CATEGORY, AGENCY))

# "open": every status still being handled.
OPEN = "open"
# Dates in a form's own format are accepted too (the statistics page is often typed by hand).
DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
TRUE_VALUES = ("1", "true", "on")
FALSE_VALUES = ("", "0", "false", "off")
# Longest text kept: a code (of a unit, category, agency or report) is far shorter.
MAX_CODE = 60
MAX_TEXT = {Q_: 200, SENDER_NAME: 120, SENDER_PHONE: 30, BBOX: 200}

SENDER_SEARCH_REFUSED = "Chỉ cán bộ xử lý phản ánh mới tìm được theo họ tên hoặc số điện thoại người gửi."


@dataclass
class ReportFilters:
    """What reports are filtered by (selectors.reports_filtered applies it); empty means "any"."""

    q: str = ""
    code: str = ""
    sender_name: str = ""
    sender_phone: str = ""
    province: str = ""
    district: str = ""
    ward: str = ""
    category: str = ""
    # Applied by the statistics (an agency counts the agencies below it).
    agency: str = ""
    kind: str = ""
    # "", "open" or one status.
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    bbox: tuple[float, float, float, float] | None = None
    overdue: bool = False
    unlocated: bool = False


class FilterError(ValidationError):
    """Bad filter values, by parameter: {name: [message]} in the user's language.

    A ValidationError keyed by field, so the API's validation answer and a form's add_error take
    it as it is; `body()` is the API's one error shape.
    """

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__({name: list(messages) for name, messages in errors.items()})
        self.errors: dict[str, list[str]] = {name: list(messages) for name, messages in errors.items()}

    @property
    def detail(self) -> str:
        return next(iter(self.errors.values()))[0]

    def body(self) -> dict[str, Any]:
        return error_body(self.detail, self.errors)


def status_values(status: str) -> list[str]:
    """The statuses a status filter means: "open" is every status still being handled, else the one named."""
    return [str(value) for value in OPEN_STATUSES] if status == OPEN else [status]


def overdue_q(today: date | None = None) -> Q:
    """Overdue, the one definition: marked so (flagged past its deadline, or completed late), or still
    open past its deadline day (Vietnam time). The worklist, heatmap, filters and statistics all count it."""
    day = today or timezone.localdate()
    return Q(is_overdue=True) | Q(status__in=OPEN_STATUSES, deadline__lt=day)


def report_overdue(report: Report, today: date) -> bool:
    """`overdue_q` for one report in hand."""
    return report.is_overdue or (report.status in OPEN_STATUSES and report.deadline < today)


def overdue_sql(alias: str, today: date) -> tuple[str, list[Any]]:
    """`overdue_q` as an SQL condition on the report row `alias` (for hand-written aggregates), with its parameters."""
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    sql = f"({alias}.is_overdue OR ({alias}.status IN ({statuses}) AND {alias}.deadline < %s))"
    return sql, [*[str(s) for s in OPEN_STATUSES], today]


def report_filters_parse(
    params: Mapping[str, Any],
    *,
    names: Collection[str] = API_NAMES,
    sender_search: bool = False,
    known_codes: bool = False,
) -> ReportFilters:
    """The filters of a query string; FilterError with every bad value found, keyed by parameter.

    `names`: the parameters this surface offers (others are ignored). A sender's name and phone are
    search keys for staff only (`sender_search`): for anyone else they would tell who sent which
    report, so they are refused, not quietly dropped. `known_codes`: unit, category and agency codes
    must name existing ones (and a ward lie in the chosen district, a district in the province), for
    surfaces that show what they count; elsewhere an unknown code simply matches nothing.
    """
    errors: dict[str, list[str]] = {}

    def text(name: str) -> str:
        if name not in names:
            return ""
        return str(params.get(name) or "").strip()[: MAX_TEXT.get(name, MAX_CODE)]

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not sender_search:
        for name in (SENDER_NAME, SENDER_PHONE):
            if text(name):
                refuse(name, SENDER_SEARCH_REFUSED)

    def day(name: str) -> date | None:
        raw = text(name)
        if not raw:
            return None
        try:
            return parse_day(raw, name, DAY_FORMATS)
        except InputError:
            pass
        if any(_is_day(raw, fmt) for fmt in DAY_FORMATS):
            refuse(name, _("Ngày phải nằm trong khoảng năm 2000 đến 2100."))  # common.inputs.DAY_MIN, DAY_MAX
        else:
            refuse(name, _("Ngày không hợp lệ; hãy nhập theo dạng năm-tháng-ngày (2025-01-31) hoặc ngày/tháng/năm."))
        return None

    date_from, date_to = day(FROM), day(TO)
    if date_from and date_to and date_from > date_to:
        refuse(TO, _("“Đến ngày” phải sau hoặc bằng “Từ ngày”."))

    bbox = None
    if text(BBOX):
        try:
            bbox = parse_bbox(text(BBOX))
        except CoordinateError as exc:
            refuse(BBOX, str(exc))

    kind = text(KIND)
    if kind and kind not in ReportKind.values:
        refuse(KIND, _("Loại không hợp lệ."))
    status = text(STATUS)
    if status and status != OPEN and status not in ReportStatus.values:
        refuse(STATUS, _("Trạng thái không hợp lệ."))
    overdue = text(OVERDUE).lower()
    if overdue not in TRUE_VALUES + FALSE_VALUES:
        refuse(OVERDUE, "overdue phải là true hoặc false.")
    unlocated = text(UNLOCATED).lower()
    if unlocated not in TRUE_VALUES + FALSE_VALUES:
        refuse(UNLOCATED, "unlocated phải là true hoặc false.")

    codes = {name: text(name) for name in (PROVINCE, DISTRICT, WARD)}
    category, agency = text(CATEGORY), text(AGENCY)
    if known_codes:
        _check_codes(codes, category, agency, refuse)
    if errors:
        raise FilterError(errors)
    return ReportFilters(
        q=text(Q_),
        code=text(CODE),
        sender_name=text(SENDER_NAME),
        sender_phone=text(SENDER_PHONE),
        province=codes[PROVINCE],
        district=codes[DISTRICT],
        ward=codes[WARD],
        category=category,
        agency=agency,
        kind=kind,
        status=status,
        date_from=date_from,
        date_to=date_to,
        bbox=bbox,
        overdue=overdue in TRUE_VALUES,
        unlocated=unlocated in TRUE_VALUES,
    )


# Each parameter's field, in the order links write them.
FIELDS = {
    FROM: "date_from",
    TO: "date_to",
    PROVINCE: "province",
    DISTRICT: "district",
    WARD: "ward",
    CATEGORY: "category",
    AGENCY: "agency",
    Q_: "q",
    CODE: "code",
    SENDER_NAME: "sender_name",
    SENDER_PHONE: "sender_phone",
    KIND: "kind",
    STATUS: "status",
    BBOX: "bbox",
    OVERDUE: "overdue",
    UNLOCATED: "unlocated",
}


def report_filters_query(filters: ReportFilters) -> dict[str, str]:
    """The filters as query parameters, for links that keep them (what `report_filters_parse` reads back)."""
    query = {}
    for name, field in FIELDS.items():
        value = getattr(filters, field)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else ""
        if value:
            query[name] = value
    return query


def _is_day(raw: str, fmt: str) -> bool:
    try:
        datetime.strptime(raw, fmt)  # noqa: DTZ007 (a calendar day, no time)
    except ValueError:
        return False
    return True


def report_filters_parse_valid(
    params: Mapping[str, Any], *, names: Collection[str], sender_search: bool = False, known_codes: bool = False
) -> tuple[ReportFilters, dict[str, list[str]]]:
    """For pages: the filters of the valid values, and the problems of the others, which are left out
    (a page shows them beside their fields and still searches by the rest)."""
    try:
        return report_filters_parse(params, names=names, sender_search=sender_search, known_codes=known_codes), {}
    except FilterError as exc:
        errors = exc.errors
    kept = set(names) - set(errors)
    try:
        return report_filters_parse(params, names=kept, sender_search=sender_search, known_codes=known_codes), errors
    except FilterError:  # not expected: each check reads only its own names
        return ReportFilters(), errors


def _check_codes(codes: dict[str, str], category: str, agency: str, refuse: Any) -> None:
    wanted = [code for code in codes.values() if code]
    units: dict[str, AdminUnit] = {}
    if wanted:
        units = {u.code: u for u in AdminUnit.objects.filter(code__in=wanted).only("code", "level", "parent_id")}
    levels = {PROVINCE: Level.PROVINCE, DISTRICT: Level.DISTRICT, WARD: Level.WARD}
    labels = {PROVINCE: _("tỉnh, thành phố"), DISTRICT: _("quận, huyện"), WARD: _("phường, xã")}
    bad = set()
    for name, code in codes.items():
        if code and (code not in units or units[code].level != levels[name]):
            refuse(name, _("Không có %(kind)s mã “%(code)s”.") % {"kind": labels[name], "code": code})
            bad.add(name)
    # A ward outside the chosen district (or a district outside the province) can match nothing: say so.
    ward, district, province = (units.get(codes[name]) for name in (WARD, DISTRICT, PROVINCE))
    if ward and district and not bad & {WARD, DISTRICT} and ward.parent_id != district.pk:
        refuse(WARD, _("Phường, xã đã chọn không thuộc quận, huyện đã chọn."))
    if district and province and not bad & {DISTRICT, PROVINCE} and district.parent_id != province.pk:
        refuse(DISTRICT, _("Quận, huyện đã chọn không thuộc tỉnh, thành phố đã chọn."))
    if category and not Category.objects.filter(code=category).exists():
        refuse(CATEGORY, _("Không có chuyên mục mã “%(code)s”.") % {"code": category})
    if agency and not Agency.objects.filter(code=agency).exists():
        refuse(AGENCY, _("Không có cơ quan mã “%(code)s”.") % {"code": agency})
