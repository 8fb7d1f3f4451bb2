"""Office hours (seed 004): an ordinary report filed outside them is acknowledged with the time its
processing starts, the next opening; an urgent one is handled now. The clock is passed in, not waited for."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from incidents import services
from incidents.deadlines import office_opening
from notifications.models import Notification
from tests.conftest import point_in

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: str, hour: int, minute: int = 0) -> datetime:
    year, month, date = (int(part) for part in day.split("-"))
    return datetime(year, month, date, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        (at("2026-12-08", 9), None),  # Tuesday morning: open
        (at("2026-12-08", 7, 29), at("2026-12-08", 7, 30)),
        (at("2026-12-08", 11, 30), at("2026-12-08", 13, 30)),  # lunch
        (at("2026-12-08", 17), at("2026-12-09", 7, 30)),
        (at("2026-12-05", 22), at("2026-12-07", 7, 30)),  # Saturday night: Monday
        (at("2026-04-29", 18), at("2026-05-04", 7, 30)),  # 30/4 and 1/5 are holidays, then the weekend
        (datetime(2026, 12, 8, 1, 0, tzinfo=ZoneInfo("UTC")), None),  # 08:00 in Vietnam
    ],
)
def test_the_next_opening(moment: datetime, opening: datetime | None) -> None:
    assert office_opening(moment) == opening


def test_other_office_hours_come_from_the_setting(settings: SettingsWrapper) -> None:
    settings.OFFICE_HOURS = "08:00-12:00,13:00-16:30"
    assert office_opening(at("2026-12-08", 7, 45)) == at("2026-12-08", 8)
    assert office_opening(at("2026-12-08", 16, 40)) == at("2026-12-09", 8)


def receipt_of(now: datetime, phone: str) -> str:
    lng, lat = point_in("D25450")
    services.report_create(
        data=services.ReportInput(
            kind="feedback",
            category="cay-xanh",
            title="Cây đổ",
            description="Cây lớn đổ sau mưa.",
            lng=lng,
            lat=lat,
            reporter=services.ReporterInput(name="Nguyễn Văn An", phone=phone, email=f"{phone[-4:]}@example.vn"),
        ),
        sender=services.sender_for(channel="email"),
        now=now,
    )
    sms = Notification.objects.get(channel="sms", recipient=f"+84{phone[1:]}").body
    mail = Notification.objects.get(channel="email", recipient=f"{phone[-4:]}@example.vn").body
    assert sms == mail  # one receipt, every channel
    return sms


def test_a_report_filed_out_of_hours_is_acknowledged_with_the_next_opening(demo: None) -> None:
    night = receipt_of(at("2026-12-05", 22), "0912000001")
    assert "Phản ánh gửi ngoài giờ hành chính, sẽ được xử lý từ 07:30 ngày 07/12/2026." in night
    day = receipt_of(at("2026-12-08", 9), "0912000002")
    assert "ngoài giờ" not in day and "Hạn xử lý" in day
