"""Stored files that are whole or absent: never half-written, never left behind by a rolled-back transaction.

Django's FileSystemStorage writes a file at its final name as the bytes arrive, so a process killed
mid-write (or a full disk) left a truncated file there, and a transaction that rolled back after its
files were written left them on disk with no row pointing at them. Here:

1. A file is written under a temporary name beside its own (`.<name>.part`), flushed to disk, and
   only then linked in under its name (a link, not a rename: it fails rather than replaces a file
   that took the name meanwhile). A kill or ENOSPC mid-write leaves at most a `.part` file.
2. Inside `files_removed_on_rollback()` (the services that store files around their transaction),
   the files stored by the block are deleted again when the block raises: its transaction rolled back.
3. What only a killed process can leave (a `.part`, or a whole file whose transaction never
   committed) is swept by `media_orphans_delete`, a daily job (common.tasks), once older than any
   transaction can be: the second line, not the first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"

# The files stored inside the innermost files_removed_on_rollback() block of this thread / task.
_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("stored_files", default=None)


def file_stored_note(storage: Storage, name: str) -> None:
    """Remember a file just stored, so that the enclosing files_removed_on_rollback() can delete it."""
    stored = _stored.get()
    if stored is not None:
        stored.append((storage, name))


@contextlib.contextmanager
def files_removed_on_rollback() -> Iterator[None]:
    """Put around a transaction that stores files: if the block raises, the files it stored are deleted.

    Around the outermost transaction of the operation (the one whose failure rolls their rows back).
    """
    stored: list[tuple[Storage, str]] = []
    token = _stored.set(stored)
    try:
        yield
    except BaseException:
        for storage, name in stored:
            try:
                storage.delete(name)
            except OSError:  # noqa: PERF203 - one file that cannot go does not keep the others
                logger.exception("Could not delete %s after a rollback; the orphan sweep will.", name)
        raise
    finally:
        _stored.reset(token)


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files appear whole or not at all (see the module's docstring)."""

    def _save(self, name: str, content: Any) -> str:
        full_path = Path(self.path(name))
        full_path.parent.mkdir(parents=True, exist_ok=True)
        part = full_path.with_name(f".{full_path.name}{PART_SUFFIX}")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as file:
                for chunk in content.chunks():
                    file.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                file.flush()
                os.fsync(file.fileno())
            while True:
                try:
                    os.link(part, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = Path(self.path(name))
        finally:
            part.unlink(missing_ok=True)
        if self.file_permissions_mode is not None:
            os.chmod(full_path, self.file_permissions_mode)
        self._ensure_location_group_id(str(full_path))  # type: ignore[attr-defined]  # Django 5.2, not in the stubs
        name = os.path.relpath(full_path, self.location).replace("\\", "/")
        file_stored_note(self, name)
        return name


def _referenced_names() -> set[str]:
    """Every file name a FileField of an installed model points at."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .exclude(**{f"{field.name}__isnull": True})
                    .values_list(field.name, flat=True)
                )
    return names


def media_orphans_delete(*, root: Path, folders: list[str], older_than: float) -> list[str]:
    """Delete, under `root`'s `folders`, the files no row points at and the `.part` files left by a killed
    writer, once older than `older_than` seconds (a file younger than that may belong to a transaction
    still open). The deleted names, relative to `root`."""
    referenced = _referenced_names()
    deadline = time.time() - older_than
    deleted = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or path.stat().st_mtime > deadline:
                continue
            name = path.relative_to(root).as_posix()
            if path.name.endswith(PART_SUFFIX) or name not in referenced:
                path.unlink(missing_ok=True)
                deleted.append(name)
    if deleted:
        logger.warning("Deleted %d stored files no report points at: %s", len(deleted), ", ".join(deleted[:20]))
    return deleted
