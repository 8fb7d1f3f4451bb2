"""The intake takes voice messages and documents besides pictures (the chat and e-mail channels send
them): recognised by their content, each kind within its own size limit, private unless a picture."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import User
from incidents import services
from incidents.models import Attachment, Report
from tests.conftest import point_in

M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(64)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03" + bytes(59) + b"This program cannot be run in DOS mode." + bytes(200)


def _input() -> services.ReportInput:
    lng, lat = point_in("D25450")
    return services.ReportInput(
        kind="feedback",
        category="cay-xanh",
        title="Cây đổ chắn đường",
        description="Cây lớn đổ sau mưa, tôi gửi kèm tin nhắn thoại.",
        lng=lng,
        lat=lat,
        reporter=services.ReporterInput(name="Lê Văn Cường", phone="0912345678"),
    )


def _create(*files: SimpleUploadedFile) -> Report:
    zalo = services.Sender(channel="zalo", sms_receipt=False, reply_address="zalo:8412345")
    return services.report_create(data=_input(), sender=zalo, files=files)


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_a_voice_message_and_a_pdf_are_stored_privately(demo: None, media: Path, officer: User) -> None:
    # Names and the sender's content types say nothing: the content decides.
    report = _create(
        SimpleUploadedFile("voice", M4A, "application/octet-stream"),
        SimpleUploadedFile("don.bin", PDF, "text/plain"),
    )
    audio, document = report.attachments.order_by("id")
    assert (audio.kind, audio.content_type, audio.is_public) == ("audio", "audio/mp4", False)
    assert (document.kind, document.content_type, document.is_public) == ("document", "application/pdf", False)
    assert audio.file.name.endswith(".m4a") and document.file.name.endswith(".pdf")

    # Not on the public page nor served to anyone; the staff who handle it get both.
    page = Client().get(f"/phan-anh/{report.code}/").content.decode()
    for attachment in (audio, document):
        url = f"/phan-anh/{report.code}/tep/{attachment.pk}/"
        assert url not in page
        assert Client().get(url).status_code == 404
    staff = Client()
    staff.force_login(officer)
    served = staff.get(f"/phan-anh/{report.code}/tep/{document.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert b"".join(served.streaming_content) == PDF  # type: ignore[attr-defined]
    # So does the reporter, through the link the messages carry.
    token = services.reporter_token(report)
    assert Client().get(f"/phan-anh/{report.code}/tep/{audio.pk}/?t={token}").status_code == 200


@pytest.mark.django_db
def test_an_exe_renamed_pdf_is_refused_and_nothing_is_stored(demo: None, media: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        _create(
            SimpleUploadedFile("voice.m4a", M4A, "audio/mp4"),
            SimpleUploadedFile("don-khieu-nai.pdf", EXE, "application/pdf"),
        )
    (message,) = refused.value.message_dict["attachments"]
    assert message.startswith("Tệp “don-khieu-nai.pdf” không được chấp nhận: chỉ nhận ảnh")
    assert "âm thanh (MP3, M4A, AAC, OGG, WAV, AMR, FLAC)" in message and "tài liệu (PDF" in message
    assert (Report.objects.count(), Attachment.objects.count()) == (0, 0)
    assert not any(path.is_file() for path in media.rglob("*"))


@pytest.mark.django_db
def test_each_kind_has_its_own_size_limit(demo: None, media: Path, settings: Settings) -> None:
    settings.AUDIO_MAX_BYTES = len(M4A) - 1
    with pytest.raises(ValidationError) as refused:
        _create(SimpleUploadedFile("don.pdf", PDF), SimpleUploadedFile("ghi-am.m4a", M4A))
    assert refused.value.message_dict["attachments"] == [
        f"Tệp “ghi-am.m4a” quá lớn ({len(M4A)} byte); mỗi tệp âm thanh tối đa {len(M4A) - 1} byte."
    ]
    assert (Report.objects.count(), Attachment.objects.count()) == (0, 0)
    assert not any(path.is_file() for path in media.rglob("*"))
    # The same file within the audio limit passes; the PDF's own limit was never in question.
    settings.AUDIO_MAX_BYTES = len(M4A)
    assert _create(SimpleUploadedFile("ghi-am.m4a", M4A)).attachments.get().kind == "audio"
