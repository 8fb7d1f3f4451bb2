"""Following a report by Web Push: the browser's subscription (through the API the report page's button
calls) gets that report's updates through the outbox's push channel, and no warnings."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from incidents.models import ReportFollower
from notifications import webpush
from notifications.models import Notification, PushSubscription
from notifications.services import notification_deliver, notification_enqueue_to_anonymous_browsers
from tests.factories import answer_published, report_make
from tests.notifications.push_server import BrowserKeys, FakePushService

pytestmark = pytest.mark.django_db


def test_a_browser_follows_a_report_by_web_push_and_receives_its_update(
    client: Client, demo: None, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake push service listens on loopback; the check resolves its name there (stubbed resolver).
    settings.PUSH_ALLOW_LOOPBACK = True
    monkeypatch.setattr(webpush, "resolve_host", lambda host, port: ["127.0.0.1"])
    report = report_make(name="Nguyễn Văn Bình", phone="0912345678", email="binh@example.vn")
    # The report's page offers it, off until pressed; its script calls the API below.
    page = client.get(f"/phan-anh/{report.code}/").content.decode()
    assert 'id="follow-push-button" aria-pressed="false"' in page
    assert f'data-url="/api/v1/reports/{report.code}/follow/push"' in page and "js/follow-push." in page
    keys = BrowserKeys()
    with FakePushService() as push:
        port = push.url.rsplit(":", 1)[1]
        subscription = {
            "endpoint": f"http://push.test:{port}/push/follower",
            "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64},
        }
        url = f"/api/v1/reports/{report.code}/follow/push"
        for _ in range(2):  # a second press changes nothing
            answer = client.post(url, subscription, content_type="application/json")
            assert answer.status_code == 200, answer.content
        assert answer.json() == {"following": True, "follower_count": 1}
        bad = client.post(url, {"endpoint": "không phải url"}, content_type="application/json")
        assert bad.status_code == 400 and "detail" in bad.json()
        assert client.post("/api/v1/reports/000000000000/follow/push", subscription).status_code == 404

        (browser,) = PushSubscription.objects.all()
        assert browser.warnings is False
        (follower,) = ReportFollower.objects.filter(report=report)
        assert (follower.channel, follower.push_id) == ("push", browser.pk)
        # It asked for this report only: a warning to every browser without an account skips it.
        assert notification_enqueue_to_anonymous_browsers(dedupe_prefix="alert:1:", subject="Bão", push="{}") == []

        answer_published(report=report, body="UBND phường đã cắt và dọn cây đổ; đường đã thông xe.")
        pushes = Notification.objects.filter(channel="webpush", push_subscription=browser)
        assert pushes.count() >= 1
        for message in pushes:
            notification_deliver(notification_id=message.pk)
        received = [json.loads(keys.decrypt(request.body)) for request in push.requests]
    assert received and all(message["url"].endswith(f"/phan-anh/{report.code}/") for message in received)
    assert any("đường đã thông xe" in message["body"] for message in received)
    assert all("binh@example.vn" not in json.dumps(message) for message in received)
    assert set(pushes.values_list("status", flat=True)) == {"sent"}


def test_the_warnings_button_concerns_only_warnings_not_a_followed_report(
    client: Client, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A browser that follows a report by Web Push is not subscribed to warnings (the warnings page asks);
    stopping warnings keeps the subscription while it carries the report's updates."""
    monkeypatch.setattr(webpush, "resolve_host", lambda host, port: ["93.184.215.14"])
    report = report_make()
    keys = BrowserKeys()
    subscription = {
        "endpoint": "https://push.example.org/sub/family",
        "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64},
    }
    endpoint = {"endpoint": subscription["endpoint"]}
    url = "/api/v1/push/subscriptions"

    def warnings() -> bool:
        state = client.post(f"{url}/state", endpoint, content_type="application/json")
        assert state.status_code == 200
        return bool(state.json()["warnings"])

    follow = client.post(f"/api/v1/reports/{report.code}/follow/push", subscription, content_type="application/json")
    assert follow.status_code == 200
    assert warnings() is False
    # "Stop" pressed anyway (an older page): the report's updates keep coming, the browser stays subscribed.
    kept = client.delete(url, endpoint, content_type="application/json")
    assert (kept.status_code, kept.json()) == (200, {"kept": True})
    (browser,) = PushSubscription.objects.all()
    assert ReportFollower.objects.filter(report=report, push=browser).exists()
    # Warnings asked for on the same subscription, then stopped: only the flag changes.
    assert client.post(url, subscription, content_type="application/json").status_code == 201
    assert warnings() is True
    assert client.delete(url, endpoint, content_type="application/json").status_code == 200
    assert warnings() is False
    assert PushSubscription.objects.get(pk=browser.pk).warnings is False
    assert ReportFollower.objects.filter(report=report, push=browser).exists()
    # Nothing else uses it once the follow goes: stopping warnings removes it (204: the browser unsubscribes).
    ReportFollower.objects.filter(push=browser).delete()
    assert client.delete(url, endpoint, content_type="application/json").status_code == 204
    assert not PushSubscription.objects.exists()
