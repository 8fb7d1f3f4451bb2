"""Web Push endpoints: only https URLs on public addresses are stored or posted to; keys are checked.

The resolver is stubbed (`webpush.resolve_host`): nothing here resolves a name or connects out.
"""

from __future__ import annotations

import base64
import ipaddress

import pytest
import requests
from pytest_django.fixtures import Settings as SettingsWrapper

from notifications import webpush

from .push_server import BrowserKeys

PUBLIC = "93.184.215.14"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a00:1::1",  # 6to4 around 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 towards 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001:db8::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not webpush.address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.215.14", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert webpush.address_is_public(ipaddress.ip_address(address))


def resolving(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> list[tuple[str, int]]:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        if not addresses:
            raise OSError("no such name")
        return list(addresses)

    monkeypatch.setattr(webpush, "resolve_host", resolve)
    return asked


@pytest.mark.parametrize(
    ("endpoint", "addresses"),
    [
        ("https://push.example.org/sub/1", ("127.0.0.1",)),
        ("https://push.example.org/sub/1", ("10.0.0.5",)),
        ("https://push.example.org/sub/1", ("169.254.169.254",)),
        ("https://push.example.org/sub/1", ("::1",)),
        ("https://push.example.org/sub/1", ("::ffff:127.0.0.1",)),
        ("https://push.example.org/sub/1", ("fe80::1%eth0",)),
        # One bad address among good ones is enough to refuse.
        ("https://push.example.org/sub/1", (PUBLIC, "10.0.0.5")),
        ("https://push.example.org/sub/1", ()),  # does not resolve
        ("https://[::1]/sub/1", ("::1",)),
        ("https://2130706433/sub/1", ("127.0.0.1",)),
        ("http://push.example.org/sub/1", (PUBLIC,)),  # not https
        ("https://push.example.org:8443/sub/1", (PUBLIC,)),  # not the https port
        ("https://user:secret@push.example.org/sub/1", (PUBLIC,)),
        ("ftp://push.example.org/sub/1", (PUBLIC,)),
        ("https:///sub/1", (PUBLIC,)),
        ("https://push.example.org/" + "a" * 1000, (PUBLIC,)),
        ("https://push.example.org:99999/", (PUBLIC,)),
    ],
)
def test_endpoint_check_refuses(monkeypatch: pytest.MonkeyPatch, endpoint: str, addresses: tuple[str, ...]) -> None:
    resolving(monkeypatch, *addresses)
    with pytest.raises(webpush.UnsafeEndpoint):
        webpush.endpoint_check(endpoint)


def test_endpoint_check_accepts_https_on_public_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = resolving(monkeypatch, PUBLIC, "2606:4700:4700::1111")
    webpush.endpoint_check("https://fcm.googleapis.com/fcm/send/abc:def")
    assert asked == [("fcm.googleapis.com", 443)]


def test_loopback_is_allowed_only_by_the_test_setting(
    monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    resolving(monkeypatch, "127.0.0.1")
    with pytest.raises(webpush.UnsafeEndpoint):
        webpush.endpoint_check("http://127.0.0.1:8123/push/live")
    settings.PUSH_ALLOW_LOOPBACK = True
    webpush.endpoint_check("http://127.0.0.1:8123/push/live")
    # Still nothing private, and plain http never towards a public host.
    resolving(monkeypatch, "10.0.0.5")
    with pytest.raises(webpush.UnsafeEndpoint):
        webpush.endpoint_check("http://push.example.org:8123/push/live")
    resolving(monkeypatch, PUBLIC)
    with pytest.raises(webpush.UnsafeEndpoint):
        webpush.endpoint_check("http://push.example.org/push/live")


def test_keys_are_checked() -> None:
    keys = BrowserKeys()
    assert webpush.keys_errors(p256dh=keys.p256dh, auth=keys.auth_b64) == {}
    assert webpush.keys_errors(p256dh=keys.p256dh + "==", auth=keys.auth_b64 + "==") == {}
    assert set(webpush.keys_errors(p256dh="BExample", auth="secret")) == {"p256dh", "auth"}
    # Right length, but not a point on the curve.
    not_a_point = base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode()
    assert set(webpush.keys_errors(p256dh=not_a_point, auth=keys.auth_b64)) == {"p256dh"}
    assert set(webpush.keys_errors(p256dh=keys.p256dh, auth=keys.auth_b64 + "AAAA")) == {"auth"}
    # Plain base64 (+ and /) is not base64url.
    assert set(webpush.keys_errors(p256dh=keys.p256dh, auth="ab/cd+efghijklmnopqrst")) == {"auth"}


def test_sending_resolves_through_the_check_and_never_connects_to_a_refused_address(
    monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    asked = resolving(monkeypatch, "10.0.0.1")
    with webpush._PushSession() as session, pytest.raises(webpush.UnsafeEndpoint):
        session.post("https://push.test/sub/1", data=b"", timeout=2)
    assert asked == [("push.test", 443)]
    # The https path goes through the same check: on loopback (tests only) it tries 127.0.0.1:443.
    settings.PUSH_ALLOW_LOOPBACK = True
    asked = resolving(monkeypatch, "127.0.0.1")
    with webpush._PushSession() as session, pytest.raises(requests.RequestException):
        session.post("https://push.test/sub/1", data=b"", timeout=2)
    assert asked == [("push.test", 443)]
