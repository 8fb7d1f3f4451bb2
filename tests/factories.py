"""Test data made through the real services, in one place."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from agencies.models import Agency, StaffRole
from incidents import services
from incidents.models import Report
from tests.conftest import point_in

PASSWORD = "Mật-khẩu-dài-123"


def report_input(
    *,
    ward: str = "D25450",
    category: str = "cay-xanh",
    title: str = "Cây đổ chắn đường",
    description: str = "Cây lớn đổ sau mưa.",
    address: str = "",
    **reporter: Any,
) -> services.ReportInput:
    """What a person sends from inside a demo ward (needs the `demo` fixture); `reporter`'s fields
    replace the default name and phone."""
    lng, lat = point_in(ward)
    return services.ReportInput(
        kind="feedback",
        category=category,
        title=title,
        description=description,
        lng=lng,
        lat=lat,
        address=address,
        reporter=services.ReporterInput(**{"name": "Nguyễn Văn An", "phone": "0912345678", **reporter}),
    )


def report_make(*, channel: str = "web", user: User | None = None, **fields: Any) -> Report:
    """A report sent by `user` (None: anonymously) on `channel`; `fields` as report_input takes them."""
    return services.report_create(data=report_input(**fields), sender=services.sender_for(user=user, channel=channel))


def pin(report: Report) -> tuple[float, float]:
    """(lng, lat) of a report that has a pin (every report but one a channel filed without a place)."""
    assert report.location is not None, report.code
    return report.location.x, report.location.y


def staff_make(username: str, agency_code: str, role: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    StaffRole.objects.create(user=user, agency=Agency.objects.get(code=agency_code), role=role)
    return user


def answer_published(*, report: Report, body: str, agency_code: str = "ubnd-d25450") -> None:
    """An officer of the agency answers the report; its leader approves where the agency asks for that."""
    from agencies.models import Role

    services.report_answer(report=report, actor=staff_make("canbo", agency_code, Role.OFFICER), body=body)
    if not report.answers.filter(published_at__isnull=False).exists():
        services.report_approve_answer(report=report, actor=staff_make("lanhdao", agency_code, Role.LEADER))
