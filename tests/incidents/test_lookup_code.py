"""The look-up (the public report list's search box): an exact report code opens that report."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import report_make

pytestmark = pytest.mark.django_db


def test_an_exact_code_opens_the_report(client: Client, demo: None) -> None:
    report = report_make()
    for typed in (report.code, f"  {report.code} ", report.code.lower()):
        response = client.get("/phan-anh/", {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == f"/phan-anh/{report.code}/"


def test_other_words_still_search(client: Client, demo: None) -> None:
    report = report_make(title="Cây đổ chắn đường")
    response = client.get("/phan-anh/", {"q": "cay do"})
    assert response.status_code == 200
    assert report.code in response.content.decode()
    # Part of a code is a search, not a jump.
    response = client.get("/phan-anh/", {"q": report.code[:-1]})
    assert response.status_code == 200


def test_a_code_of_a_report_not_public_is_not_opened(client: Client, demo: None) -> None:
    report = report_make()
    type(report).objects.filter(pk=report.pk).update(is_public=False)
    response = client.get("/phan-anh/", {"q": report.code})
    assert response.status_code == 200
