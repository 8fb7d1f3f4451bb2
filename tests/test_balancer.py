"""Two app servers (scripts/web.sh) behind nginx (scripts/balancer.sh, round robin) on the test database:
whatever one server starts (a session, a CSRF token, a captcha, a rate limit's count, an idempotency
key, a changed category), the other one continues. nginx's access log ($upstream_addr) shows which
server answered each request; the client never sees it.

One pair of servers for the module, the demo committed for it and flushed after it. The test that
stops a server runs last.
"""

from __future__ import annotations

import re
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from io import StringIO
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from incidents.models import Report
from tests.conftest import captcha_fields, point_in
from tests.factories import PASSWORD
from tests.servers import Balancer, balancer, database_url, web_server

# Per device: the 7th captcha within the hour is refused (429).
CAPTCHAS_PER_DEVICE = 6
SERVER_ENV = {
    # The servers trust the address nginx appends to X-Forwarded-For, as in production.
    "BEHIND_PROXY": "1",
    "CAPTCHA_API_RATE": f"{CAPTCHAS_PER_DEVICE}/hour",
    # Every client of this module is 127.0.0.1: the per-address bounds would mix the tests' counts.
    "INTAKE_ANON_IP_RATE": "",
}
# pytest-django makes the test database for marked tests; the servers' and the module's writes are
# committed (the module fixture), each test's own are rolled back.
pytestmark = pytest.mark.django_db


@dataclass
class Site:
    balancer: Balancer
    # "127.0.0.1:port" of each app server, as nginx logs them.
    first: str
    second: str
    stop_second: ExitStack
    citizen: User
    token: str


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: Any) -> Iterator[Site]:
    from rest_framework.authtoken.models import Token

    with django_db_blocker.unblock(), ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        database = database_url(connection.settings_dict)
        second_stack = stack.enter_context(ExitStack())
        # The servers start (seconds each) while the demo loads; they read nothing before a request.
        starting = [
            pool.submit(each.enter_context, web_server(database, workers=1, env=SERVER_ENV))
            for each in (stack, second_stack)
        ]
        # Rate-limit counts outlive other modules' flushes in the cache table.
        cache.clear()
        call_command("load_demo", stdout=StringIO())
        citizen = User.objects.create_user(username="dan-balancer", password=PASSWORD)
        token = Token.objects.create(user=citizen).key
        first, second = (future.result() for future in starting)
        front = stack.enter_context(balancer([first, second]))
        try:
            yield Site(
                balancer=front,
                first=first.removeprefix("http://"),
                second=second.removeprefix("http://"),
                stop_second=second_stack,
                citizen=citizen,
                token=token,
            )
        finally:
            stack.close()
            call_command("flush", "--no-input", stdout=StringIO())
            cache.clear()


@pytest.fixture
def closing_server() -> Iterator[str]:
    """ "host:port" of a server that reads each request whole and closes the connection without an answer."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def take(connection: socket.socket) -> None:
        with connection:
            data = b""
            while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            while length and len(body) < int(length[1]) and (chunk := connection.recv(65536)):
                body += chunk

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            take(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def category_open(code: str, *, active: bool) -> None:
    """Opens or closes a category as staff would, in a process of their own: committed on a connection
    of its own (the test's transaction is never committed)."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        autocommit=True,
    ) as staff:
        staff.execute("UPDATE incidents_category SET is_active = %s WHERE code = %s", [active, code])


def report_payload(title: str, **extra: Any) -> dict[str, Any]:
    lng, lat = point_in("D25450")
    return {
        "category": "cay-xanh",
        "title": title,
        "description": "Gửi qua bộ cân bằng tải.",
        "location": {"type": "Point", "coordinates": [lng, lat]},
        "reporter": {"name": "Trần Thị Bình", "phone": "0912000111"},
        **extra,
    }


def assert_alternate(site: Site, entries: list[dict[str, str]]) -> None:
    """Consecutive requests were answered by different servers, each by one server at its first try."""
    servers = [entry["upstream"] for entry in entries]
    assert set(servers) == {site.first, site.second}, entries
    assert all(servers[i] != servers[i + 1] for i in range(len(servers) - 1)), entries


def test_sign_in_report_and_look_up_with_each_request_on_the_other_server(site: Site) -> None:
    since = len(site.balancer.log())
    with httpx.Client(base_url=site.balancer.url, timeout=30) as client:
        form = client.get("/tai-khoan/dang-nhap/")
        assert form.status_code == 200
        csrf = client.cookies["csrftoken"]
        signed_in = client.post(
            "/tai-khoan/dang-nhap/",
            data={"csrfmiddlewaretoken": csrf, "username": site.citizen.username, "password": PASSWORD},
        )
        # The CSRF token from one server and the session the other one stored.
        assert signed_in.status_code == 302, signed_in.text[:500]
        sent = client.post(
            "/api/v1/reports/",
            json=report_payload("Cây đổ trước chợ"),
            headers={"X-CSRFToken": client.cookies["csrftoken"]},
        )
        assert sent.status_code == 201, sent.text
        code = sent.json()["code"]
        found = client.get(f"/api/v1/reports/{code}/")
        assert found.status_code == 200, found.text
        # The reporter's own view (the session is known on this server too).
        assert found.json()["code"] == code
        assert found.json()["reporter"]["reporter_phone"] == "+84912000111"
    assert Report.objects.get(code=code).user == site.citizen
    assert_alternate(site, site.balancer.served(since, 4))


def test_an_anonymous_report_keeps_its_captcha_and_idempotency_key_across_servers(site: Site) -> None:
    since = len(site.balancer.log())
    key = str(uuid.uuid4())
    payload = report_payload("Đèn đường tắt cả dãy", category="chieu-sang")
    with httpx.Client(base_url=site.balancer.url, timeout=30) as phone:
        # The captcha handed out by one server is answered on the other.
        payload |= captcha_fields(phone)
        sent = phone.post("/api/v1/reports/", json=payload, headers={"Idempotency-Key": key})
        assert sent.status_code == 201, sent.text
        # The app did not hear back and sends again: the other server answers with the same report.
        again = phone.post("/api/v1/reports/", json=payload, headers={"Idempotency-Key": key})
        assert again.status_code in (200, 201), again.text
        assert again.json()["code"] == sent.json()["code"]
    assert Report.objects.filter(title="Đèn đường tắt cả dãy").count() == 1
    assert_alternate(site, site.balancer.served(since, 3))


def test_a_rate_limit_counts_the_requests_of_both_servers(site: Site) -> None:
    since = len(site.balancer.log())
    with httpx.Client(base_url=site.balancer.url, timeout=30) as phone:
        answers = [phone.get("/api/v1/captcha") for _ in range(CAPTCHAS_PER_DEVICE + 1)]
    assert [answer.status_code for answer in answers] == [200] * CAPTCHAS_PER_DEVICE + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert_alternate(site, site.balancer.served(since, CAPTCHAS_PER_DEVICE + 1))


def test_a_rate_limit_holds_for_simultaneous_requests_on_both_servers(site: Site) -> None:
    with httpx.Client(base_url=site.balancer.url, timeout=30) as phone:
        assert phone.get("/api/v1/captcha").status_code == 200  # the device cookie, and one captcha
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda _: phone.get("/api/v1/captcha").status_code, range(12)))
    # Each server runs a request per thread; the count is one, however the requests interleave.
    assert sorted(answers) == [200] * (CAPTCHAS_PER_DEVICE - 1) + [429] * (12 - CAPTCHAS_PER_DEVICE + 1)


def test_a_category_closed_on_one_server_is_closed_on_all(site: Site) -> None:
    since = len(site.balancer.log())
    signed_in = {"Authorization": f"Token {site.token}"}
    with httpx.Client(base_url=site.balancer.url, timeout=30, headers=signed_in) as app:
        # Both servers have used the category.
        for number in range(2):
            sent = app.post("/api/v1/reports/", json=report_payload(f"Ổ gà số {number}", category="giao-thong"))
            assert sent.status_code == 201, sent.text
        # Staff close it (the admin, on a third process).
        category_open("giao-thong", active=False)
        try:
            for number in range(2, 4):
                refused = app.post("/api/v1/reports/", json=report_payload(f"Ổ gà số {number}", category="giao-thong"))
                assert refused.status_code == 400, refused.text
        finally:
            category_open("giao-thong", active=True)
    assert_alternate(site, site.balancer.served(since, 4))


def test_the_balancer_takes_the_largest_upload_the_app_takes(site: Site) -> None:
    config = (site.balancer.folder / "nginx.conf").read_text()
    assert f"client_max_body_size {settings.REQUEST_UPLOAD_MAX_BYTES};" in config


def test_static_files_are_kept_by_the_balancer(site: Site) -> None:
    with httpx.Client(base_url=site.balancer.url, timeout=30) as browser:
        page = browser.get("/")
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page.text)
        assert stylesheet, page.text[:1000]
        since = len(site.balancer.log())
        first, second = browser.get(stylesheet[1]), browser.get(stylesheet[1])
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    kept = site.balancer.served(since, 2)
    assert [entry["cache"] for entry in kept] == ["MISS", "HIT"], kept
    # The second never reached an app server.
    assert kept[1]["upstream"] == "-", kept


def test_a_post_that_reached_a_server_is_never_sent_to_another(site: Site, closing_server: str) -> None:
    """A server that takes the request and closes the connection without answering (it died meanwhile):
    a GET goes on to the next server, a POST is answered 503 (send again later) and never filed twice."""
    limit = {"BALANCER_MAX_BODY": "1m"}  # given: saves the script asking the settings again
    with balancer([closing_server, f"{site.first} backup"], env=limit) as front:
        with httpx.Client(base_url=front.url, timeout=30, headers={"Authorization": f"Token {site.token}"}) as app:
            assert app.get("/api/v1/categories/").status_code == 200
            lost = app.post("/api/v1/reports/", json=report_payload("Gửi một lần thôi"))
        # The app's outage answer: send again later (with the same Idempotency-Key).
        assert lost.status_code == 503, lost.text
        assert lost.json() == {"detail": "Hệ thống tạm thời không phản hồi. Hãy thử lại sau ít phút.", "errors": {}}
        assert int(lost.headers["Retry-After"]) > 0
        entries = front.served(0, 2)
    assert entries[0]["upstream"] == f"{closing_server},{site.first}", entries
    assert entries[1]["upstream"] == closing_server, entries
    assert not Report.objects.filter(title="Gửi một lần thôi").exists()


def test_requests_go_on_to_the_other_server_when_one_stops(site: Site) -> None:
    """Last: stops the second server."""
    site.stop_second.close()
    since = len(site.balancer.log())
    with httpx.Client(base_url=site.balancer.url, timeout=30, headers={"Authorization": f"Token {site.token}"}) as app:
        pages = [app.get(path) for path in ("/", "/api/v1/categories/", "/ban-do/", "/api/v1/categories/")]
        # Refused at connect, the POST never reached the stopped server: it goes on, once.
        sent = app.post("/api/v1/reports/", json=report_payload("Sau khi một máy dừng"))
    assert [page.status_code for page in pages] == [200] * 4
    assert sent.status_code == 201, sent.text
    entries = site.balancer.served(since, 5)
    # Each was answered by the first server, the stopped one tried at most once before nginx left it out.
    assert all(entry["upstream"].split(",")[-1] == site.first for entry in entries), entries
    assert sum(site.second in entry["upstream"] for entry in entries) <= 2, entries
    assert Report.objects.filter(title="Sau khi một máy dừng").count() == 1
