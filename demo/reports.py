"""Demo staff accounts and a few hundred sample reports with a believable history.

Reports go through the real services (intake, routing, workflow), then are
moved back in time so the demo shows three months of activity.
"""

from __future__ import annotations

import os
import random
from datetime import date, datetime, timedelta
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import CharField, Max, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from demo.questions import demo_answers
from incidents import services
from incidents.deadlines import add_working_days
from incidents.models import AnswerTemplate, Category, DailyCounter, Report, ReportEvent
from incidents.tokens import reporter_token
from notifications.models import Notification

SEED = 2025
DEMO_EMAIL_DOMAIN = "demo.tayninh.gov.vn"
# Staff accounts of the demo: (username, name, agency code, role).
STAFF = [
    ("quantri", "Quản trị viên tỉnh", "ubnd-d72", Role.ADMIN),
    ("lanhdao_pheduyet", "Lãnh đạo UBND tỉnh", "ubnd-d72", Role.LEADER),
    ("canbo.tptn", "Cán bộ TP Tây Ninh", "ubnd-d703", Role.OFFICER),
    ("lanhdao.tptn_pheduyet", "Lãnh đạo TP Tây Ninh", "ubnd-d703", Role.LEADER),
    ("canbo.phuong1", "Cán bộ Phường 1", "ubnd-d25450", Role.OFFICER),
    ("canbo.sogtvt", "Cán bộ Sở GTVT", "so-gtvt", Role.OFFICER),
    ("tongdai1022", "Tổng đài viên 1022", "ubnd-d72", Role.OPERATOR),
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hữu", "Thu"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc", "Tâm"]
TITLES = {
    "giao-thong": ["Ổ gà lớn giữa đường", "Mặt đường sụt lún", "Biển báo giao thông bị đổ"],
    "chieu-sang": ["Đèn đường không sáng", "Cột đèn bị nghiêng", "Đèn chiếu sáng bật cả ban ngày"],
    "cap-thoat-nuoc": ["Ngập nước sau mưa", "Nắp cống bị mất", "Vỡ ống nước sinh hoạt"],
    "ve-sinh-moi-truong": ["Rác thải đổ bừa bãi", "Điểm tập kết rác quá tải", "Xác động vật chết ven đường"],
    "o-nhiem": ["Khói đốt rác gây ô nhiễm", "Tiếng ồn từ xưởng sản xuất ban đêm", "Bụi từ công trình xây dựng"],
    "trat-tu-do-thi": ["Lấn chiếm vỉa hè buôn bán", "Quảng cáo dán trái phép", "Xe đậu chắn lối đi"],
    "xay-dung-trai-phep": ["Xây dựng không phép", "Công trình lấn ra lòng đường"],
    "dat-dai": ["Tranh chấp ranh giới đất", "San lấp đất nông nghiệp trái phép"],
    "an-ninh-trat-tu": ["Tụ tập gây mất trật tự", "Đua xe trái phép ban đêm"],
    "an-toan-thuc-pham": ["Quán ăn mất vệ sinh", "Bán thực phẩm không rõ nguồn gốc"],
    "y-te": ["Trạm y tế đóng cửa giờ hành chính", "Thiếu thuốc tại trạm y tế"],
    "giao-duc": ["Trường học xuống cấp", "Thu phí ngoài quy định"],
    "cay-xanh": ["Cây xanh có nguy cơ gãy đổ", "Cây đổ chắn ngang đường", "Cành cây chạm đường dây điện"],
    "thu-tuc-hanh-chinh": ["Hồ sơ giải quyết trễ hẹn", "Thái độ cán bộ tiếp dân"],
    "khac": ["Đề nghị lắp thêm ghế đá công viên", "Đề xuất mở thêm tuyến xe buýt"],
}
MOBILE_PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "086", "088", "070"]
STREETS = ["đường 30/4", "đường Cách Mạng Tháng Tám", "đường Trần Hưng Đạo", "đường Nguyễn Chí Thanh", "hẻm 12"]


@cache
def demo_password_hash() -> str:
    """The hash of every demo account's password, DEMO_PASSWORD (default shown in the README).

    Hashed once per process: the demo's accounts share one password, and each hash costs the hasher's
    full work (most of the time a demo load took, and the suite loads the demo in many tests).
    """
    return make_password(os.environ.get("DEMO_PASSWORD", "demo-12345"))


def demo_staff_load() -> list[User]:
    """Demo staff accounts, with the demo password."""
    users = []
    for username, name, agency_code, role in STAFF:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": name})
        if created:
            user.password = demo_password_hash()
            user.is_staff = role == Role.ADMIN
            user.is_superuser = role == Role.ADMIN
            user.save()
        StaffRole.objects.get_or_create(user=user, agency=Agency.objects.get(code=agency_code), role=role)
        users.append(user)
    return users


def _answer_templates() -> None:
    for category in Category.objects.all():
        AnswerTemplate.objects.get_or_create(
            category=category,
            title="Đã xử lý xong",
            defaults={
                "body": "Cơ quan đã kiểm tra hiện trường và xử lý xong nội dung phản ánh. "
                "Cảm ơn bạn đã đóng góp cho địa phương."
            },
        )


@transaction.atomic
def demo_reports_load(*, count: int = 300) -> int:
    """Create the sample reports unless the demo already has them; return how many were made."""
    _answer_templates()
    users = {user.username: user for user in demo_staff_load()}
    if Report.objects.filter(reporter_email__endswith="@" + DEMO_EMAIL_DOMAIN).exists():
        return 0
    admin = users["quantri"]
    rng = random.Random(SEED)
    categories = list(Category.objects.filter(is_active=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, %s))).geom g "
            "FROM boundaries_adminunit WHERE code = 'D72') s",
            [count, SEED],
        )
        points = cursor.fetchall()
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        (last_job,) = cursor.fetchone()
    last_notification = Notification.objects.aggregate(last=Max("id"))["last"] or 0
    now = timezone.now()
    made: list[tuple[Report, timedelta]] = []
    for index, (lng, lat) in enumerate(points):
        category = rng.choice(categories)
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        report = services.report_create(
            data=services.ReportInput(
                kind="idea" if category.code == "khac" else "feedback",
                category=category.code,
                title=rng.choice(TITLES.get(category.code, TITLES["khac"])),
                description=(
                    f"Người dân phản ánh: {rng.choice(TITLES.get(category.code, TITLES['khac'])).lower()} "
                    f"tại khu vực gần {rng.choice(STREETS)}. Đề nghị cơ quan chức năng kiểm tra, xử lý."
                ),
                lng=lng,
                lat=lat,
                address=f"Số {rng.randint(1, 250)} {rng.choice(STREETS)}",
                reporter=services.ReporterInput(
                    name=name,
                    phone=f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}",
                    email=f"nguoidan{index}@{DEMO_EMAIL_DOMAIN}",
                    confidential=rng.random() < 0.15,
                ),
                # Its own generator: the answers leave the rest of the demo as it was.
                question_answers=demo_answers(category.code, random.Random(f"{SEED}-{index}")),
            ),
            sender=services.sender_for(channel=rng.choice(["web", "app", "app", "hotline"])),
        )
        age = timedelta(days=rng.uniform(0.2, 90))
        _advance(report, age, rng, admin)
        made.append((report, age))
    _backdate(made, now)
    # The backdated history must not message anyone now.
    Notification.objects.filter(id__gt=last_notification).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id > %s", [last_job])
    return len(made)


def _advance(report: Report, age: timedelta, rng: random.Random, admin: User) -> None:
    """Move a report along the workflow: mostly answered, some open, a few refused, the newest untouched."""
    roll = rng.random()
    if age < timedelta(days=3) and roll < 0.8:
        return
    if roll < 0.07:
        services.report_reject(report=report, actor=admin, reason="out_of_scope", note="Chuyển cơ quan điện lực.")
        return
    recent = age < timedelta(days=20)
    if roll < 0.2 and recent:
        return
    services.report_start(report=report, actor=admin)
    if roll < 0.4 and recent:
        return
    services.report_answer(
        report=report,
        actor=admin,
        body="Đã kiểm tra hiện trường và xử lý xong. Cảm ơn bạn đã phản ánh.",
    )
    if rng.random() < 0.5:
        services.report_rate(report=report, satisfied=rng.random() < 0.8, user=None, token=reporter_token(report))


def rng_days(seed: int) -> float:
    # Up to a day and a half between steps: most answers on time, some late.
    return random.Random(seed).uniform(0.2, 1.6)


def _backdate(made: list[tuple[Report, timedelta]], now: datetime) -> None:
    """Shift each report and its history back by its age, with codes of the day it was sent."""
    made.sort(key=lambda item: -item[1])
    # Free today's codes first: the new ones may reuse them.
    Report.objects.filter(pk__in=[report.pk for report, _ in made]).update(
        code=Concat(Value("T"), Cast("id", output_field=CharField()))
    )
    per_day: dict[date, int] = {}
    for report, age in made:
        report.refresh_from_db()  # the workflow changed it through its own copies
        created = now - age
        day = timezone.localdate(created)
        per_day[day] = per_day.get(day, 0) + 1
        days = report.category.deadline_days or 10
        events = list(report.events.order_by("created_at", "id"))
        # Steps are spread over the report's life, a few days apart at most.
        step = min(age / (len(events) + 1), timedelta(days=rng_days(report.pk)))
        for position, event in enumerate(events):
            ReportEvent.objects.filter(pk=event.pk).update(created_at=created + step * position)
        completed = created + step * max(len(events) - 1, 0)
        deadline = add_working_days(day, days)
        Report.objects.filter(pk=report.pk).update(
            code=f"{day:%Y%m%d}{per_day[day]:04d}",
            created_at=created,
            deadline=deadline,
            completed_at=completed if report.completed_at else None,
            is_overdue=(completed.date() if report.completed_at else timezone.localdate()) > deadline,
        )
        report.answers.filter(published_at__isnull=False).update(published_at=completed, created_at=completed)
    # Counters follow the codes now in use, so the next real report continues the sequence.
    for day in {*per_day, timezone.localdate(now)}:
        codes = Report.objects.filter(code__startswith=f"{day:%Y%m%d}").values_list("code", flat=True)
        last = max((int(code[8:]) for code in codes), default=0)
        DailyCounter.objects.update_or_create(day=day, defaults={"last": last})
