"""`make backup` (manage.py backup) and scripts/restore.sh: a backup restored into a fresh database has
every report, attachment (its file, byte for byte) and audit event of the original."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from pytest_django.fixtures import Settings

from agencies.models import Role
from audit.models import AuditEvent
from incidents import services
from incidents.models import Attachment, Report
from tests.factories import report_input, staff_make
from tests.servers import database_url

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RESTORED = f"{connection.settings_dict['NAME']}_restored"


def _rows(url: str, sql: str) -> set[tuple[object, ...]]:
    with psycopg.connect(url) as db:
        return set(db.execute(sql).fetchall())


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_every_report_file_and_audit_event(
    demo: None, settings: Settings, tmp_path: Path
) -> None:
    officer = staff_make("canbo", "ubnd-d25450", Role.OFFICER)
    settings.MEDIA_ROOT = tmp_path / "media"
    report = services.report_create(
        data=report_input(), files=[SimpleUploadedFile("don.pdf", PDF), SimpleUploadedFile("ghi-chu.pdf", PDF + b"%2")]
    )
    services.report_start(report=report, actor=officer)  # an audited staff action
    assert report.attachments.count() == 2 and AuditEvent.objects.exists()

    call_command("backup", to=str(tmp_path / "backups"))
    (backup,) = (tmp_path / "backups").iterdir()
    assert not backup.name.endswith(".partial")

    source = database_url(connection.settings_dict).replace("postgis://", "postgresql://")
    target = source.rsplit("/", 1)[0] + f"/{RESTORED}"
    admin = source.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{RESTORED}"')
        db.execute(f'CREATE DATABASE "{RESTORED}"')
    try:
        restored_media = tmp_path / "restored-media"
        env = {**os.environ, "DATABASE_URL": target, "MEDIA_ROOT": str(restored_media)}
        subprocess.run(["bash", "scripts/restore.sh", str(backup)], cwd=settings.BASE_DIR, env=env, check=True)

        for sql in (
            "SELECT code, title, status FROM incidents_report",
            "SELECT id, report_id, file, thumbnail, size FROM incidents_attachment",
            "SELECT id, action, object_ref, created_at FROM accounts_auditevent",  # audit's table kept its name
            "SELECT id, recipient, status FROM notifications_notification",
        ):
            assert _rows(target, sql) == _rows(source, sql), sql
        assert _rows(target, "SELECT count(*) FROM incidents_report") == {(Report.objects.count(),)}
        for attachment in Attachment.objects.all():
            for field in (attachment.file, attachment.thumbnail):
                if field:
                    assert (restored_media / field.name).read_bytes() == Path(field.path).read_bytes()
        # A restored database is a working one: the map's triggers came back with it.
        with psycopg.connect(target) as db:
            db.execute("UPDATE incidents_report SET status = 'closed' WHERE code = %s", [report.code])
        # A second restore over it is refused rather than mixed in.
        again = subprocess.run(["bash", "scripts/restore.sh", str(backup)], cwd=settings.BASE_DIR, env=env, check=False)
        assert again.returncode == 1
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')
