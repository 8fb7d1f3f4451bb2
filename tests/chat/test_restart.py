"""A conversation survives restarts: the web side and two separate worker processes, with every
connection dropped between them, carry it from the menu to the report; nothing lived in memory."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test import Client

from channels.chat.models import ChatEvent, Conversation, Stage
from incidents.models import Report
from tests.chat.conftest import describe, follow, image, post, run_worker, text, worker_env
from tests.chat.test_conversation import ADDRESS, category_number, png
from tests.chat.zalo_server import FakeZalo


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("delete_chat_jobs_after", "demo")
def test_a_conversation_carries_on_across_restarts_of_the_web_server_and_the_worker(zalo: FakeZalo) -> None:
    user = "7001"
    env = worker_env(zalo)
    for payload in (follow(user), text(user, "1"), text(user, "Lê Văn Cường")):
        assert post(Client(), payload).status_code == 200

    first = run_worker(env)

    assert first.returncode == 0, describe(first)
    assert "họ và tên" in zalo.texts_to(user)[1] and "số điện thoại" in zalo.texts_to(user)[-1], describe(first)
    assert Conversation.objects.get(user_id=user).stage == Stage.PHONE

    # Everything goes down: this process's connections, a new web client, the worker gone. Messages
    # arriving meanwhile wait as stored events with their jobs.
    connections.close_all()
    photo = zalo.serve_file("/media/o-ga.png", png(), "image/png")
    for payload in (
        text(user, "0903 123 456"),
        text(user, ADDRESS),
        text(user, "Ổ gà lớn trước cổng trường"),
        image(user, photo),
        text(user, "#KT"),
        text(user, category_number("giao-thong")),
        text(user, "2"),  # the road's damage: medium
        text(user, "0"),  # whether it blocks traffic: skipped
        text(user, "2"),  # not published
    ):
        assert post(Client(), payload).status_code == 200
    assert ChatEvent.objects.filter(processed_at__isnull=True).count() == 9

    second = run_worker(env)

    assert second.returncode == 0, describe(second)
    [report] = Report.objects.all()
    assert (report.reporter_name, report.reporter_phone, report.title) == (
        "Lê Văn Cường",
        "+84903123456",
        "Ổ gà lớn trước cổng trường",
    )
    assert report.attachments.count() == 1
    assert report.question_answers == {"kich-thuoc": "vua"}
    assert report.code in zalo.texts_to(user)[-1]
    # The informational text of the category came with its first question.
    assert any("113" in sent and "hư hỏng" in sent for sent in zalo.texts_to(user))
    assert not ChatEvent.objects.filter(processed_at__isnull=True).exists()
    assert Conversation.objects.get(user_id=user).stage == Stage.CLOSED
