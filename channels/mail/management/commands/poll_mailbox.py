"""Poll the intake mailbox now (the worker does it every minute): `manage.py poll_mailbox`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...services import MailboxUnavailable, mail_poll, mailbox_settings


class Command(BaseCommand):
    help = "Lấy thư mới trong hộp thư tiếp nhận (INTAKE_IMAP_*) và tạo phản ánh."

    def handle(self, *args: Any, **options: Any) -> None:
        if mailbox_settings() is None:
            raise CommandError("Kênh thư điện tử đang tắt: chưa đặt INTAKE_IMAP_HOST và INTAKE_IMAP_USER.")
        try:
            outcomes = mail_poll()
        except MailboxUnavailable as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{name}: {count}" for name, count in sorted(outcomes.items())) or "không có thư mới"
        self.stdout.write(summary)
