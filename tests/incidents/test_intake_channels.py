"""One intake for every channel: a channel describes its sender as data (services.Sender) and calls
report_create; nothing in the intake branches on the channel's name."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from agencies.models import Role
from incidents import services
from incidents.models import ConsentChannel, Report
from notifications.models import Notification
from tests.factories import report_input, staff_make


def _input(title: str) -> services.ReportInput:
    return report_input(title=title, name="Lê Văn Cường", email="cuong@example.vn")


@pytest.mark.django_db
def test_a_channel_files_through_the_one_intake_with_its_own_sender(demo: None) -> None:
    chat = services.Sender(
        channel="zalo", sms_receipt=False, consent_channel=ConsentChannel.ZALO, reply_address="zalo:8412345"
    )
    mail = services.Sender(
        channel="email",
        sms_receipt=True,
        consent_channel=ConsentChannel.EMAIL,
        reply_address="cuong@example.vn",
        reply_thread="<abc@mail.example.vn>",
    )
    by_chat = services.report_create(data=_input("Qua Zalo"), sender=chat)
    by_mail = services.report_create(data=_input("Qua thư"), sender=mail)

    assert (by_chat.channel, by_chat.consent_channel, by_chat.user) == ("zalo", "zalo", None)
    assert (by_mail.channel, by_mail.consent_channel) == ("email", "email")
    # Where answers go back, as the channel said: kept on the report.
    assert (by_chat.reply_address, by_chat.reply_thread) == ("zalo:8412345", "")
    by_mail.refresh_from_db()
    assert (by_mail.reply_address, by_mail.reply_thread) == ("cuong@example.vn", "<abc@mail.example.vn>")
    assert by_chat.agency is not None and by_chat.status == "forwarded"  # routed like any report
    receipts = {
        code: set(
            Notification.objects.filter(dedupe_key__startswith=f"report:{code}:received").values_list(
                "channel", flat=True
            )
        )
        for code in (by_chat.code, by_mail.code)
    }
    # The chat showed its code in the conversation: the receipt goes by e-mail only.
    assert receipts == {by_chat.code: {"email"}, by_mail.code: {"sms", "email"}}


@pytest.mark.django_db
def test_the_site_and_app_sender_keeps_the_hotline_to_operators(demo: None) -> None:
    operator = staff_make("tongdai", "ubnd-d25450", Role.OPERATOR)
    officer = staff_make("canbo", "ubnd-d25450", Role.OFFICER)
    with pytest.raises(PermissionDenied):
        services.sender_for(user=officer, channel="hotline")
    sender = services.sender_for(user=operator, channel="hotline", ip_address="127.0.0.1")
    # The caller's report, typed in by the operator: not the operator's own, and acknowledged by SMS.
    assert (sender.account, sender.operator, sender.sms_receipt) == (None, operator, True)
    assert sender.consent_channel == "hotline"
    web = services.sender_for(user=officer, channel="web")
    assert (web.account, web.operator, web.sms_receipt, web.consent_channel) == (officer, None, False, "web")
    report = services.report_create(data=_input("Qua tổng đài"), sender=sender)
    assert Report.objects.get(pk=report.pk).events.get(action="created").actor == operator
