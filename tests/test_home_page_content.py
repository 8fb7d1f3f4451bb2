"""The home page leads as the seed portals do: send and look up first, then the warnings in force, the
reports answered lately and the headline numbers (public aggregates only)."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from incidents.models import Report
from tests.factories import report_make

pytestmark = pytest.mark.django_db


def test_home_leads_with_send_and_look_up_then_answers_and_numbers(
    client: Client, demo: None, settings: SettingsWrapper
) -> None:
    settings.STATS_CACHE_SECONDS = 0
    answered = report_make(title="Đèn đường hỏng trước chợ", name="Trần Thị Bình")
    open_ = report_make(title="Rác tồn đọng ở hẻm 12")
    Report.objects.filter(pk=answered.pk).update(first_answered_at=answered.created_at, status="completed")
    hidden = report_make(title="Phản ánh đã ẩn")
    Report.objects.filter(pk=hidden.pk).update(first_answered_at=hidden.created_at, is_public=False)

    text = html.unescape(client.get("/").content.decode())
    main = text[text.index('<main id="main">') :]
    # The two actions come before anything else on the page.
    send, look_up = main.index(">Gửi phản ánh</a>"), main.index(">Tra cứu</a>")
    assert max(send, look_up) < main.index("Cảnh báo đang có hiệu lực") < main.index("Phản ánh mới được trả lời")
    assert answered.title in main and open_.title not in main and hidden.title not in main
    # Aggregates only: nobody's name or phone on the home page.
    assert "Trần Thị Bình" not in text and "0912345678" not in text
    numbers = main[main.index('<dl class="home-numbers">') :]
    numbers = numbers[: numbers.index("</dl>")]
    # The statistics' public scope: the hidden report is not counted.
    assert "Phản ánh đã nhận</dt><dd>2</dd>" in numbers and "Đã trả lời</dt><dd>1</dd>" in numbers
