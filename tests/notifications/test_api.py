"""The Web Push API: subscribing a browser (endpoint and keys checked, capped per client), the key;
the service worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from notifications import webpush
from notifications.models import PushSubscription

from .push_server import BrowserKeys

User = get_user_model()

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every push host resolves to one public address (stubbed: nothing resolves or connects out)."""
    monkeypatch.setattr(webpush, "resolve_host", lambda host, port: ["93.184.215.14"])


def subscription(endpoint: str = "https://push.example.org/sub/abc") -> dict[str, Any]:
    keys = BrowserKeys()
    return {"endpoint": endpoint, "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64}}


def test_push_subscriptions(client: Client, db: None, public_dns: None) -> None:
    data = subscription()
    assert client.post("/api/v1/push/subscriptions", data, content_type="application/json").status_code == 201
    assert client.post("/api/v1/push/subscriptions", data, content_type="application/json").status_code == 201
    assert PushSubscription.objects.count() == 1
    bad = client.post("/api/v1/push/subscriptions", {"endpoint": "không phải url"}, content_type="application/json")
    assert bad.status_code == 400
    assert (
        client.delete(
            "/api/v1/push/subscriptions", {"endpoint": data["endpoint"]}, content_type="application/json"
        ).status_code
        == 204
    )
    assert PushSubscription.objects.count() == 0
    assert client.get("/api/v1/push/key").json()["public_key"]


@pytest.mark.parametrize(
    ("endpoint", "addresses", "field"),
    [
        ("http://127.0.0.1:8080/push", ["127.0.0.1"], "endpoint"),
        ("https://localhost/push", ["127.0.0.1", "::1"], "endpoint"),
        ("https://metadata.example/latest", ["169.254.169.254"], "endpoint"),
        ("https://intranet.example/push", ["10.0.0.8"], "endpoint"),
        ("https://mixed.example/push", ["93.184.215.14", "192.168.1.1"], "endpoint"),
        ("https://mapped.example/push", ["::ffff:127.0.0.1"], "endpoint"),
        ("http://push.example.org/push", ["93.184.215.14"], "endpoint"),
    ],
)
def test_push_subscription_refuses_endpoints_that_are_not_public_https(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch, endpoint: str, addresses: list[str], field: str
) -> None:
    monkeypatch.setattr(webpush, "resolve_host", lambda host, port: addresses)
    response = client.post("/api/v1/push/subscriptions", subscription(endpoint), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] and field in response.json()["errors"]
    assert not PushSubscription.objects.exists()


def test_push_subscription_checks_the_keys(client: Client, db: None, public_dns: None) -> None:
    data = {"endpoint": "https://push.example.org/sub/abc", "keys": {"p256dh": "BExample", "auth": "secret"}}
    response = client.post("/api/v1/push/subscriptions", data, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"p256dh", "auth"}
    long = subscription("https://push.example.org/" + "a" * 1000)
    assert client.post("/api/v1/push/subscriptions", long, content_type="application/json").status_code == 400
    assert not PushSubscription.objects.exists()


def test_push_subscriptions_are_capped_per_address_and_per_account(
    client: Client, db: None, public_dns: None, settings: SettingsWrapper
) -> None:
    settings.PUSH_MAX_PER_ADDRESS = 2
    settings.PUSH_MAX_PER_USER = 1
    here, there = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "203.0.113.8"}

    def post(endpoint: str, **extra: Any) -> Any:
        return client.post(
            "/api/v1/push/subscriptions", subscription(endpoint), content_type="application/json", **extra
        )

    assert post("https://push.example.org/1", **here).status_code == 201
    assert post("https://push.example.org/2", **here).status_code == 201
    refused = post("https://push.example.org/3", **here)
    assert refused.status_code == 429 and refused.json()["detail"] and refused.json()["errors"] == {}
    # Refreshing a known browser is no new subscription; another address has its own count.
    assert post("https://push.example.org/2", **here).status_code == 201
    assert post("https://push.example.org/3", **there).status_code == 201
    # An IPv6 /64 is one client, however many of its addresses it uses.
    assert post("https://push.example.org/6", REMOTE_ADDR="2001:4860:1::1").status_code == 201
    assert post("https://push.example.org/7", REMOTE_ADDR="2001:4860:1::2").status_code == 201
    assert post("https://push.example.org/8", REMOTE_ADDR="2001:4860:1::3:4").status_code == 429
    client.force_login(User.objects.create_user(username="dan_push", password="x"))
    assert post("https://push.example.org/4", **here).status_code == 201
    assert post("https://push.example.org/5", **here).status_code == 429
    assert PushSubscription.objects.count() == 6


def test_service_worker_is_served_from_the_root(client: Client) -> None:
    response = client.get("/push-sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b"showNotification" in response.content
