"""The mails the intake processed, in the admin: listed with what became of each, never written by hand."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from channels.mail.models import InboundMail
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_processed_mails_are_listed_with_their_reason_and_read_only() -> None:
    client = Client()
    client.force_login(User.objects.create_superuser(username="root", password=PASSWORD))
    row = InboundMail.objects.create(
        key="<ooo@example.vn>",
        from_address="cuong@example.vn",
        subject="Vắng mặt",
        outcome=InboundMail.Outcome.SKIPPED,
        reason="Thư tự động (Auto-Submitted: auto-replied).",
    )

    listing = client.get("/admin/mail_intake/inboundmail/")
    assert listing.status_code == 200
    assert "Thư tự động (Auto-Submitted: auto-replied)." in listing.content.decode()
    page = client.get(f"/admin/mail_intake/inboundmail/{row.pk}/change/")
    assert page.status_code == 200 and 'name="reason"' not in page.content.decode()
    assert client.get("/admin/mail_intake/inboundmail/add/").status_code == 403
    assert client.post(f"/admin/mail_intake/inboundmail/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert InboundMail.objects.filter(pk=row.pk).exists()
