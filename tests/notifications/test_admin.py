"""The outbox in the admin: looked at, never written (the services write it)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from notifications.models import Notification
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_outbox_is_shown_whole_and_read_only() -> None:
    root = User.objects.create_superuser(username="root", password=PASSWORD)
    client = Client()
    client.force_login(root)
    message = Notification.objects.create(
        channel=Notification.Channel.EMAIL,
        recipient="dan@example.org",
        subject="Phản ánh đã được tiếp nhận",
        body="Nội dung thư",
        last_error="550 hộp thư đầy",
        dedupe_key="report-1-received",
    )
    page = client.get(f"/admin/notifications/notification/{message.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for value in (
        "dan@example.org",
        "Phản ánh đã được tiếp nhận",
        "Nội dung thư",
        "550 hộp thư đầy",
        "report-1-received",
    ):
        assert value in html
    # Shown as text, not as inputs.
    assert 'name="recipient"' not in html and 'name="body"' not in html
    assert client.get("/admin/notifications/notification/add/").status_code == 403
    changed = client.post(f"/admin/notifications/notification/{message.pk}/change/", {"recipient": "x@example.org"})
    assert changed.status_code == 403
    assert Notification.objects.get(pk=message.pk).recipient == "dan@example.org"
