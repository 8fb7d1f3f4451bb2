"""Warning pages without a browser: English rendering, access rules."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from accounts.models import SavedPlace, User
from alerts.models import AlertEvent
from boundaries.models import AdminUnit

from .conftest import WARD, published

pytestmark = pytest.mark.django_db


def test_public_page_in_english(client: Client, demo: None) -> None:
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    text = html.unescape(client.get("/canh-bao/").content.decode())
    assert '<html lang="en">' in text
    for english in [
        "<h1>Warnings</h1>",
        "Get warnings in this browser",
        "Atom feed (CAP 1.2)",
        "Map of the warning areas",
    ]:
        assert english in text, english
    for vietnamese in ["Thông tin cảnh báo", "Nhận cảnh báo trên trình duyệt", "Nguồn tin Atom"]:
        assert vietnamese not in text, vietnamese


def test_public_page_lists_current_alerts_in_vietnamese(client: Client, officer: User, leader: User) -> None:
    alert = published(officer, leader)
    text = html.unescape(client.get("/canh-bao/").content.decode())
    assert '<html lang="vi">' in text and "<h1>Thông tin cảnh báo</h1>" in text
    assert alert.headline in text
    assert alert.headline in html.unescape(client.get(f"/canh-bao/{alert.pk}/").content.decode())


def test_staff_pages_need_a_staff_role(client: Client, officer: User) -> None:
    assert client.get("/canh-bao/quan-ly/").status_code == 302
    citizen = User.objects.create_user(username="dan", password="x")
    client.force_login(citizen)
    assert client.get("/canh-bao/quan-ly/").status_code == 403
    client.force_login(officer)
    assert client.get("/canh-bao/quan-ly/").status_code == 200
    assert client.get("/canh-bao/quan-ly/tao/").status_code == 200


def test_staff_form_shows_errors_and_keeps_nothing(client: Client, officer: User) -> None:
    client.force_login(officer)
    response = client.post(
        "/canh-bao/quan-ly/tao/",
        {
            "agency": "ubnd-d703",
            "headline": "<script>alert(1)</script>",
            "category": "flood",
            "severity": "Severe",
            "urgency": "Expected",
            "certainty": "Likely",
            "starts_at": "2030-01-02T10:00",
            "ends_at": "2030-01-01T10:00",
            "description": "Nội dung",
            "area": "[]",
        },
    )
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Thời gian kết thúc phải sau thời gian bắt đầu." in text
    assert "Cần ít nhất một vùng" in text
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_loading_the_demo_messages_nobody(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    from alerts.models import Alert, Status
    from notifications.models import Notification

    def jobs() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM procrastinate_jobs")
            return int(cursor.fetchone()[0])

    before = jobs()
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    assert jobs() == before and Notification.objects.count() == 0
    assert sorted(Alert.objects.values_list("status", flat=True)) == [Status.APPROVED, Status.APPROVED, Status.DRAFT]
    assert sum(alert.display_status == "expired" for alert in Alert.objects.all()) == 1


def test_staff_pages_show_people_only_in_bands(client: Client, officer: User, leader: User) -> None:
    """The detail page and the editor's words give a band, never the exact count of people in an area."""
    User.objects.filter(username__startswith="nguoidan").update(notify_alerts=False)
    ward = AdminUnit.objects.get(code=WARD)
    for index in range(13):
        person = User.objects.create_user(username=f"dan_{index}", password="x", notify_alerts=True)
        SavedPlace.objects.create(user=person, label="Nhà", ward=ward)
    alert = published(officer, leader)
    AlertEvent.objects.create(alert=alert, action=AlertEvent.Action.DELIVERED, details={"people": 13, "browsers": 0})
    client.force_login(officer)
    page = client.get(f"/canh-bao/quan-ly/{alert.pk}/").content.decode()
    count = re.search(r'<dd id="people-count">(.*?)</dd>', page, re.S)
    assert count is not None and count.group(1).strip().startswith("Từ 10 đến 100 người đã đăng ký")
    [delivered] = [item for item in re.findall(r"<li>(.*?)</li>", page, re.S) if "Từ 10 đến 100 người" in item]
    assert "13" not in re.sub(r"<time.*?</time>", "", delivered)
    editor = client.get("/canh-bao/quan-ly/tao/").content.decode()
    assert "%(band)s" in editor and "%(count)s" not in editor
