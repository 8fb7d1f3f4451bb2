"""The captcha's alternative for people who cannot see it: its letters read aloud (flite, offline)."""

from __future__ import annotations

import re
import shutil

import pytest
from captcha.conf import settings as captcha_settings
from captcha.models import CaptchaStore
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is installed by scripts/system-deps.sh")
def test_the_form_offers_the_captcha_as_sound(client: Client, demo: None) -> None:
    text = client.get("/phan-anh/gui/").content.decode()
    match = re.search(r'<audio class="captcha-audio-player" controls preload="none" src="([^"]+)"', text)
    assert match is not None
    key = match.group(1).rstrip("/").rsplit("/", 1)[-1].removesuffix(".wav")
    assert CaptchaStore.objects.filter(hashkey=key).exists()
    assert f'name="captcha_0" value="{key}"' in text

    response = client.get(match.group(1))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    sound = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert sound[:4] == b"RIFF" and sound[8:12] == b"WAVE" and len(sound) > 10_000


def test_without_flite_the_picture_stands_alone(client: Client, demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # django-simple-captcha reads its settings once, into its own module.
    monkeypatch.setattr(captcha_settings, "CAPTCHA_FLITE_PATH", None)
    text = client.get("/phan-anh/gui/").content.decode()
    assert "captcha-audio" not in text and 'class="captcha-image"' in text
