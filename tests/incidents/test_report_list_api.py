"""The reports list (API and page) does its per-report work once per page: no serializer built per report, no
files or answers read for a page that shows none.

DRF builds a ModelSerializer's fields (model introspection, field copies) on each new serializer:
one per row made the list's Python cost grow with the page, several times its SQL.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pytest_django.fixtures import Settings

from incidents import services
from incidents.serializers import AttachmentSerializer, ReportPublicSerializer
from tests.factories import report_input


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(buffer, "PNG")
    return SimpleUploadedFile("anh.png", buffer.getvalue())


@pytest.mark.django_db
def test_the_list_builds_each_serializer_once_whatever_the_page_size(
    demo: None, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    for title in ("Cây đổ chắn đường", "Đèn đường hỏng", "Ổ gà trên đường"):
        services.report_create(data=report_input(title=title), files=[_photo()])
    built: dict[str, int] = {}

    def counting(serializer_class: type[Any]) -> Any:
        original = serializer_class.get_fields

        def get_fields(self: Any) -> Any:
            built[serializer_class.__name__] = built.get(serializer_class.__name__, 0) + 1
            return original(self)

        return mock.patch.object(serializer_class, "get_fields", get_fields)

    with counting(ReportPublicSerializer), counting(AttachmentSerializer):
        answer = Client().get("/api/v1/reports/", {"limit": 20})
    assert answer.status_code == 200
    features = answer.json()["results"]["features"]
    assert len(features) == 3
    assert all(len(feature["properties"]["attachments"]) == 1 for feature in features)
    assert built == {"ReportPublicSerializer": 1, "AttachmentSerializer": 1}


@pytest.mark.django_db
def test_the_list_page_reads_no_files_or_answers_it_does_not_show(demo: None) -> None:
    report = services.report_create(data=report_input(title="Cây đổ chắn đường"))
    with CaptureQueriesContext(connection) as queries:
        page = Client().get("/phan-anh/")
    assert page.status_code == 200 and report.code in page.content.decode()
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "incidents_report" in tables
    assert "incidents_attachment" not in tables and "incidents_answer" not in tables
