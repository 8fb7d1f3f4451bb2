"""A citizen follows a report from its public page (phone 390x844, desktop 1366x900) with the code sent to
their e-mail; an officer answers; the answer's e-mail reaches them through the real SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ViewportSize

from incidents.models import ReportFollower
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.accounts.conftest import last_code
from tests.browser import chromium, page_errors
from tests.factories import answer_published, report_make
from tests.servers import SmtpServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
TOUCH = 44


def test_follow_a_report_from_its_page_and_receive_the_answer_by_email(
    demo_site: str, output_dir: Path, smtp_server: SmtpServer
) -> None:
    report = report_make(name="Nguyễn Văn Bình", phone="0912345678", email="binh@example.vn")
    followers = {name: f"theo-doi-{name}@example.vn" for name in WIDTHS}
    with chromium() as browser:
        for name, viewport in WIDTHS.items():
            page = browser.new_page(viewport=viewport)
            errors = page_errors(page)
            page.goto(f"{demo_site}/phan-anh/{report.code}/")
            section = page.get_by_role("region", name="Theo dõi phản ánh này")
            contact = section.get_by_label("Số điện thoại hoặc e-mail nhận tin")
            follow = section.get_by_role("button", name="Theo dõi", exact=True)
            me_too = section.get_by_role("button", name="Tôi cũng gặp vấn đề này")
            for target in (contact, follow, me_too):
                box = target.bounding_box()
                assert box is not None and box["height"] >= TOUCH, (name, box)
                assert box["x"] + box["width"] <= viewport["width"]
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            # By keyboard: type the address, then Enter sends the form's first button ("Theo dõi").
            contact.fill(followers[name])
            contact.press("Enter")
            code_box = page.get_by_label("Mã xác nhận (6 chữ số)")
            code_box.wait_for()
            code_box.fill(last_code(followers[name]))
            page.get_by_role("button", name="Xác nhận theo dõi").click()
            page.wait_for_selector(".message-success")
            assert "Bạn đang theo dõi phản ánh này" in page.inner_text(".messages")
            assert "1 người đang theo dõi" in page.inner_text("#theo-doi") or name == "desktop"
            page.screenshot(path=str(output_dir / f"follow-{name}.png"), full_page=True)
            assert errors == [], errors
            page.close()

    assert set(ReportFollower.objects.values_list("address", flat=True)) == set(followers.values())
    answer_published(report=report, body="UBND phường đã cắt và dọn cây đổ; đường đã thông xe.")
    for address in followers.values():
        [message] = Notification.objects.filter(recipient=address, dedupe_key__contains=":completed:")
        notification_deliver(notification_id=message.pk)
    received = {mail.rcpt_tos[0]: mail for mail in smtp_server.wait_for(2)}
    assert set(received) == set(followers.values())
    for mail in received.values():
        assert report.code in mail.subject
        assert "đường đã thông xe" in mail.body and "bo-theo-doi/?t=" in mail.body
        assert "binh@example.vn" not in mail.body and "0912345678" not in mail.body
    (output_dir / "follow-answer-email.txt").write_text(received[followers["phone"]].body)
