"""Reports from before the consent choice: the sender's name becomes confidential, the content stays."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents.models import Report
from tests.factories import report_make

BEFORE = [("incidents", "0008_report_consent")]
AFTER = [("incidents", "0009_confidential_without_recorded_choice")]


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_names_shown_without_a_recorded_choice_become_confidential(demo: None) -> None:
    old = report_make(title="Đèn đường hỏng trước khi có lựa chọn")
    chosen = report_make(title="Người gửi đã chọn công khai tên")
    Report.objects.filter(pk=old.pk).update(confidential=False, consent_channel="unknown", is_public=True)
    Report.objects.filter(pk=chosen.pk).update(confidential=False, consent_channel="web", consent_name_public=True)
    try:
        migrate(BEFORE)
        migrate(AFTER)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    old.refresh_from_db()
    chosen.refresh_from_db()
    assert old.confidential is True
    assert old.is_public is True
    assert chosen.confidential is False
