"""The files of a report or of its answer: checked, decoded and stored the same way wherever they come from
(the intake of every channel, the officer's answer)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from common.storage import stored_files_delete

from .. import attachments as attachment_files
from ..models import Answer, Attachment, Report


def files_check(files: Sequence[UploadedFile], errors: dict[str, list[str]]) -> list[attachment_files.CheckedFile]:
    """The files' limits (count, type, size, total pixels) from their headers; nothing decoded yet.

    A refusal is added to `errors["attachments"]`, so it is told with every other problem of the input.
    """
    checked = []
    try:
        attachment_files.check_count(len(files))
        for upload in files:
            checked.append(attachment_files.check_upload(upload))
        attachment_files.check_total_pixels(checked)
    except attachment_files.AttachmentError as exc:
        errors.setdefault("attachments", []).append(str(exc))
    return checked


def files_decode(checked: Sequence[attachment_files.CheckedFile]) -> list[attachment_files.ProcessedFile]:
    """Decode the checked files (images re-encoded), before any transaction: it is the costly step."""
    try:
        return [attachment_files.process_checked(item) for item in checked]
    except attachment_files.AttachmentError as exc:
        raise ValidationError({"attachments": [str(exc)]}) from None


def attachment_store(
    report: Report, item: attachment_files.ProcessedFile, *, answer: Answer | None = None, is_public: bool | None = None
) -> Attachment:
    """Store one decoded file of the report (or of its `answer`). Public: as `is_public` says, else by its
    kind (attachments.PUBLIC_KINDS: pictures)."""
    attachment = Attachment(
        report=report,
        answer=answer,
        kind=str(item.kind),
        content_type=item.content_type,
        size=len(item.content),
        original_name=item.original_name,
        width=item.width,
        height=item.height,
        is_public=item.kind in attachment_files.PUBLIC_KINDS if is_public is None else is_public,
    )
    attachment.file.save(f"file.{item.extension}", ContentFile(item.content), save=False)
    if item.thumbnail:
        attachment.thumbnail.save("thumb.jpg", ContentFile(item.thumbnail), save=False)
    attachment.save()
    return attachment


def answers_unpublished_delete(report: Report) -> None:
    """Drop the report's answers that were never published (returned, reassigned) with their files: the
    rows now, the stored files once the transaction commits (a rollback keeps both)."""
    answers = report.answers.filter(published_at__isnull=True)
    stored = [
        (field.storage, field.name)
        for attachment in Attachment.objects.filter(answer__in=answers)
        for field in (attachment.file, attachment.thumbnail)
        if field
    ]
    answers.delete()
    # After the commit; a file the storage cannot delete then is left to the orphan sweep.
    transaction.on_commit(lambda: stored_files_delete(stored))
