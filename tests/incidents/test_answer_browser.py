"""The reporter opens the link of the answer's message on a phone (390 px, as in Zalo's browser), rates the
answer and reopens the report, without an account."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import ViewportSize
from pytest_django.fixtures import Settings

from agencies.models import Role
from incidents import services
from incidents.models import Report, ReportStatus
from notifications.models import Notification
from tests.browser import chromium
from tests.conftest import point_in
from tests.factories import staff_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE_390: ViewportSize = {"width": 390, "height": 844}
TOUCH = 44  # the smallest target a finger hits reliably, in CSS pixels


def test_the_reporter_rates_and_reopens_from_the_messages_link_on_a_phone(
    demo_site: str, output_dir: Path, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    lng, lat = point_in("D25450")
    zalo = services.Sender(channel="zalo", sms_receipt=False, reply_address="zalo:8412345")
    data = services.ReportInput(
        kind="feedback",
        category="cay-xanh",
        title="Cây đổ chắn đường Cách Mạng Tháng Tám",
        description="Cây lớn đổ sau mưa.",
        lng=lng,
        lat=lat,
        reporter=services.ReporterInput(name="Lê Văn Cường", phone="0912345678"),
    )
    report = services.report_create(data=data, sender=zalo)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 160, 60)).save(photo, "JPEG")
    services.report_answer(
        report=report,
        actor=staff_make("lanhdao", "ubnd-d25450", Role.LEADER),
        body="UBND phường đã cắt và dọn cây đổ; đường đã thông xe.",
        files=[SimpleUploadedFile("sau.jpg", photo.getvalue())],
    )
    message = Notification.objects.get(channel="zalo", dedupe_key__startswith=f"report:{report.code}:completed")
    match = re.search(r"https?://\S+#danh-gia", message.body)
    assert match is not None, message.body
    link = urlsplit(match.group(0))

    with chromium() as browser:
        page = browser.new_page(viewport=PHONE_390)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{demo_site}{link.path}?{link.query}#{link.fragment}")
        assert page.locator("html").get_attribute("lang") == "vi"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
        assert page.get_by_role("img", name="Ảnh kèm kết quả 1 (bấm để xem cỡ lớn)").is_visible()
        rate = page.get_by_role("group", name="Bạn có hài lòng với kết quả xử lý?")
        satisfied = rate.get_by_role("button", name="Hài lòng", exact=True)
        unsatisfied = rate.get_by_role("button", name="Chưa hài lòng")
        reason = page.get_by_label("Vấn đề vẫn chưa được giải quyết? Mở lại phản ánh (một lần) và cho biết lý do")
        reopen = page.get_by_role("button", name="Mở lại phản ánh")
        for target in (satisfied, unsatisfied, reason, reopen):
            box = target.bounding_box()
            assert box is not None and box["height"] >= TOUCH and box["x"] + box["width"] <= PHONE_390["width"]
        page.screenshot(path=str(output_dir / "answer-rate-phone.png"), full_page=True)

        unsatisfied.click()
        page.wait_for_selector(".message-success")
        assert "Cảm ơn bạn đã đánh giá" in page.inner_text(".messages")
        assert "Bạn đã đánh giá: chưa hài lòng." in page.inner_text("#danh-gia")
        page.get_by_label("Vấn đề vẫn chưa được giải quyết?", exact=False).fill("Gốc cây vẫn còn trên vỉa hè.")
        page.get_by_role("button", name="Mở lại phản ánh").click()
        page.wait_for_selector("text=Phản ánh đã được mở lại")
        page.screenshot(path=str(output_dir / "answer-reopened-phone.png"), full_page=True)
        assert errors == []

    report = Report.objects.get(pk=report.pk)
    assert (report.satisfied, report.status, report.reopen_count) == (False, ReportStatus.IN_PROGRESS, 1)
