"""A report written offline is sent by the phone later (static/js/drafts.js) with the key it made when
the draft was saved: the form answers a repeated key with the first report, exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from incidents.models import Attachment, Report
from tests.incidents.test_pages import FORM_URL, form_data, png_bytes, solve_captcha

pytestmark = pytest.mark.django_db

KEY = "draft-6f1d9a52-4a8e-4c5b-9b0e-0d3c2f1e7a11"


def post(client: Client, data: dict[str, object], key: str | None = KEY) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    photo = SimpleUploadedFile("anh.png", png_bytes(), "image/png")
    return client.post(FORM_URL, {**data, "attachments": [photo]}, headers={**headers, "X-Requested-With": "fetch"})


def test_a_retried_draft_lands_once_even_after_its_captcha_is_used_up(client: Client, demo: None) -> None:
    data = {**form_data(), **solve_captcha(client.get(FORM_URL).content.decode())}
    first = post(client, data)
    assert first.status_code == 303, first.content.decode()[:2000]
    # The answer was lost on the way back: the phone sends the same draft again, same key.
    again = post(client, data)
    assert again.status_code == 303
    assert again["Location"] == first["Location"]
    report = Report.objects.get()
    assert first["Location"] == f"/phan-anh/{report.code}/?moi=1"
    assert Attachment.objects.filter(report=report).count() == 1


def test_the_key_is_the_callers_and_a_changed_draft_is_refused(client: Client, demo: None) -> None:
    data = {**form_data(), **solve_captcha(client.get(FORM_URL).content.decode())}
    assert post(client, data).status_code == 303
    changed = post(client, {**data, "title": "Một phản ánh khác"})
    assert changed.status_code == 409
    assert "Idempotency-Key" in changed.content.decode()
    # Another phone's same key is another key: its own report (with its own captcha).
    other = Client()
    data = {**form_data(), **solve_captcha(other.get(FORM_URL).content.decode())}
    assert post(other, data).status_code == 303
    assert Report.objects.count() == 2


def test_without_a_key_the_form_is_as_before_and_a_too_long_key_is_refused(client: Client, demo: None) -> None:
    data = {**form_data(), **solve_captcha(client.get(FORM_URL).content.decode())}
    refused = post(client, data, key="k" * 101)
    assert refused.status_code == 400
    assert "Idempotency-Key dài quá" in refused.content.decode()
    assert not Report.objects.exists()
    data = {**form_data(), **solve_captcha(client.get(FORM_URL).content.decode())}
    assert post(client, data, key=None).status_code == 303
    assert post(client, data, key=None).status_code == 400  # captcha used up
    assert Report.objects.count() == 1


def test_a_draft_is_sent_only_under_the_identity_it_was_written_under(client: Client, demo: None) -> None:
    """A shared phone: the service worker sends a draft with whatever session the phone has now; the form
    refuses one written by another account (or anonymously) instead of filing it under this one."""
    writer = User.objects.create_user(username="nhung", password="x")
    now = User.objects.create_user(username="khanh", password="x")
    client.force_login(now)
    data = {**form_data(), "reporter_phone": ""}
    for other in (str(writer.pk), "anonymous"):
        photo = SimpleUploadedFile("anh.png", png_bytes(), "image/png")
        refused = client.post(
            FORM_URL,
            {**data, "attachments": [photo]},
            headers={"Idempotency-Key": KEY, "X-Draft-Author": other, "X-Requested-With": "fetch"},
        )
        assert refused.status_code == 403
        assert "Bản nháp này do người khác viết trên máy này" in refused.content.decode()
    assert not Report.objects.exists()
    photo = SimpleUploadedFile("anh.png", png_bytes(), "image/png")
    own = client.post(
        FORM_URL,
        {**data, "attachments": [photo]},
        headers={"Idempotency-Key": KEY, "X-Draft-Author": str(now.pk), "X-Requested-With": "fetch"},
    )
    assert own.status_code == 303
    assert Report.objects.get().user == now


def test_the_form_takes_only_get_and_post(client: Client) -> None:
    # A PUT or DELETE is not a sending of the form: 405, naming the methods it takes, nothing stored.
    for method in (client.put, client.delete, client.patch):
        answer = method(FORM_URL)
        assert answer.status_code == 405
        assert answer["Allow"] == "GET, POST"
    assert not Report.objects.exists()
