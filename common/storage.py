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

On an S3-compatible bucket (settings.STORAGES when S3_BUCKET is set) `AtomicS3Storage` gives the same:
an object appears only once its PUT completes (the protocol's own guarantee: no `.part` needed), under
a name no other object has (a conditional PUT), noted for 2.; the sweep of 3. walks the bucket's
listing instead of the disk, and also aborts multipart uploads a killed process left open. Private
files are handed out as short-lived signed URLs (`stored_file_signed_url`), never as object URLs: the
objects are written without any ACL, so the bucket's own private default holds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, Protocol, cast

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
        stored_files_delete(stored)
        raise
    finally:
        _stored.reset(token)


def stored_files_delete(stored: list[tuple[Storage, str]]) -> None:
    """Delete these stored files; one that cannot go (a disk error, a bucket that does not answer) is
    logged and left to the orphan sweep, never raised: the transaction that dropped its row has ended."""
    for storage, name in stored:
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001, PERF203 - one file that cannot go does not keep the others
            logger.exception("Could not delete the stored file %s; the orphan sweep will.", name)


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


class StorageUnavailableError(OSError):
    """The file storage (an S3-compatible bucket) could not be reached or refused the request."""


class BucketStorage(Protocol):
    """What a storage other than the disk offers here (common.s3.AtomicS3Storage)."""

    def stored_files(self, folder: str) -> Iterator[tuple[str, float]]: ...
    def uploads_abandoned_abort(self, folders: list[str], deadline: float) -> list[str]: ...
    def object_open(self, name: str) -> tuple[IO[bytes], int]: ...
    def signed_url(
        self, name: str, *, seconds: int, content_type: str, disposition: str, cache_control: str
    ) -> str: ...
    def object_download(self, name: str, target: Path) -> bool: ...
    def object_upload(self, name: str, source: Path) -> None: ...


def _bucket(storage: Storage) -> BucketStorage:
    return cast(BucketStorage, storage)


def _stored_files(storage: Storage, folder: str) -> Iterator[tuple[str, float]]:
    """(name, modification time) of every file stored under `folder`, from the disk or the bucket's listing."""
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                yield path.relative_to(root).as_posix(), path.stat().st_mtime
    else:
        yield from _bucket(storage).stored_files(folder)


def media_orphans_delete(*, storage: Storage, folders: list[str], older_than: float) -> list[str]:
    """Delete, under the `folders` of `storage` (the disk or the bucket), the files no row points at and
    the `.part` files left by a killed writer, once older than `older_than` seconds (a file younger than
    that may belong to a transaction still open); on a bucket, also abort the multipart uploads a killed
    writer left open that long. The deleted names."""
    referenced = _referenced_names()
    deadline = time.time() - older_than
    deleted = []
    for folder in folders:
        for name, modified in _stored_files(storage, folder):
            if modified > deadline:
                continue
            if name.rsplit("/", 1)[-1].endswith(PART_SUFFIX) or name not in referenced:
                storage.delete(name)
                deleted.append(name)
    if not isinstance(storage, FileSystemStorage):
        deleted += _bucket(storage).uploads_abandoned_abort(folders, deadline)
    if deleted:
        logger.warning("Deleted %d stored files no report points at: %s", len(deleted), ", ".join(deleted[:20]))
    return deleted


def stored_file_open(storage: Storage, name: str) -> tuple[IO[bytes], int]:
    """The stored file, open to be streamed out as it is read (never loaded whole), and its size."""
    if isinstance(storage, FileSystemStorage):
        file = storage.open(name, "rb")
        return file, file.size
    return _bucket(storage).object_open(name)


def stored_file_signed_url(
    storage: Storage, name: str, *, seconds: int, content_type: str, disposition: str, cache_control: str
) -> str | None:
    """A URL of the storage itself serving this file for `seconds` only (signed), with these response
    headers; None when the storage has no such URL (the local disk: the application serves the file)."""
    if isinstance(storage, FileSystemStorage):
        return None
    return _bucket(storage).signed_url(
        name, seconds=seconds, content_type=content_type, disposition=disposition, cache_control=cache_control
    )


def stored_file_copy_out(storage: Storage, name: str, target: Path) -> bool:
    """Copy a stored file to `target` on the local disk (a backup); False if there is no such file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(storage, FileSystemStorage):
        source = Path(storage.path(name))
        if not source.is_file():
            return False
        shutil.copy2(source, target)
        return True
    return _bucket(storage).object_download(name, target)


def stored_file_copy_in(storage: Storage, name: str, source: Path) -> None:
    """Put a local file (from a backup) back under exactly `name`; a file already there is kept (stored
    names are written once: the same name is the same file)."""
    if isinstance(storage, FileSystemStorage):
        target = Path(storage.path(name))
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        return
    _bucket(storage).object_upload(name, source)
