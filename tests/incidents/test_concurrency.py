"""Tracking codes stay unique and gapless when many people send at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from incidents.models import Report
from tests.conftest import captcha_fields, point_in
from tests.servers import database_url, web_server

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 60


@pytest.fixture
def web(transactional_db: None) -> Iterator[str]:
    """The production web server (4 workers) on the test database, as `make run` serves the site."""
    # Sixty anonymous senders on one address: lift the per-address intake limit.
    with web_server(
        database_url(connection.settings_dict), workers=4, env={"INTAKE_ANON_IP_RATE": "", "CAPTCHA_API_RATE": ""}
    ) as url:
        yield url


def test_simultaneous_submissions_get_distinct_consecutive_codes(web: str) -> None:
    call_command("load_demo", stdout=StringIO())
    lng, lat = point_in("D25450")
    # Each sender is an app on its own device, with a captcha solved beforehand.
    senders = [httpx.Client(base_url=web, timeout=60) for _ in range(SENDERS)]
    answers = [captcha_fields(sender) for sender in senders]

    def send(number: int) -> httpx.Response:
        payload = {
            **answers[number],
            "category": "cay-xanh",
            "title": f"Phản ánh số {number}",
            "description": "Gửi cùng lúc với nhiều người khác.",
            "location": {"type": "Point", "coordinates": [lng, lat]},
            "reporter": {"name": f"Người gửi {number}", "phone": f"09{number:08d}"},
        }
        return senders[number].post("/api/v1/reports/", json=payload)

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        responses = list(pool.map(send, range(SENDERS)))
    for sender in senders:
        sender.close()
    assert [r.status_code for r in responses] == [201] * SENDERS, [r.text for r in responses if r.status_code != 201]
    codes = sorted(r.json()["code"] for r in responses)
    prefix = f"{timezone.localdate():%Y%m%d}"
    assert codes == [f"{prefix}{n:04d}" for n in range(1, SENDERS + 1)]
    assert Report.objects.count() == SENDERS
    titles = set(Report.objects.values_list("title", flat=True))
    assert titles == {f"Phản ánh số {n}" for n in range(SENDERS)}
