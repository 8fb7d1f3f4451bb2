"""`manage.py backup` (`make backup`): the database and the stored files, consistent with each other.

1. pg_dump (custom format) takes one snapshot of the whole database.
2. The files that snapshot's rows point at (every FileField of every model, read back from the dump
   itself) are copied beside it. A stored file is written and linked in before its row commits and
   never changed afterwards (common.storage: random write-once names), so every file a row of the
   snapshot names was on disk before the snapshot began: copying after the dump finds each of them.
   Files of later rows are not copied (they are not in the dump either). The one way to miss a file
   is its deletion between the dump and the copy (an unpublished answer dropped meanwhile): then the
   backup fails, naming it, and is simply taken again. It is never left looking whole.

The backup is a folder BACKUP_DIR/<UTC time>/ with database.dump, media/ and manifest.json, written
as <time>.partial and renamed when complete. scripts/restore.sh puts one back (README: Backup and restore).
With an S3 bucket (S3_BUCKET) the files are downloaded from it the same way, and restore.sh uploads
them into the bucket configured where it runs (manage.py files_restore).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models
from django.utils import timezone

from common.storage import stored_file_copy_out


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump / pg_restore, and the environment carrying the password."""
    db = connection.settings_dict
    options = ["-h", str(db["HOST"] or "127.0.0.1"), "-p", str(db["PORT"] or 5432), "-U", str(db["USER"])]
    return options, {**os.environ, "PGPASSWORD": str(db["PASSWORD"] or "")}


def _file_columns() -> dict[str, list[str]]:
    """table -> the columns holding stored file names."""
    columns: dict[str, list[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                columns.setdefault(model._meta.db_table, []).append(field.column)
    return columns


def _copy_value(text: str) -> str | None:
    """A value of PostgreSQL's COPY text format."""
    if text == r"\N":
        return None
    escapes = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
    for escaped, plain in escapes.items():
        text = text.replace(escaped, plain)
    return text


def referenced_files(dump: Path) -> set[str]:
    """The stored file names the dump's rows point at, read from the dump (not from the live database)."""
    names: set[str] = set()
    for table, wanted in _file_columns().items():
        data = subprocess.run(  # noqa: S603 - our arguments; the PostgreSQL client tools are found on PATH
            ["pg_restore", "--data-only", f"--table={table}", "-f", "-", str(dump)],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        positions: list[int] = []
        inside = False
        for line in data.splitlines():
            if line.startswith("COPY "):
                header = line[line.index("(") + 1 : line.index(")")].split(", ")
                positions = [header.index(column) for column in wanted]
                inside = True
            elif line == r"\.":
                inside = False
            elif inside:
                values = line.split("\t")
                names.update(value for p in positions if (value := _copy_value(values[p])))
    return names


class Command(BaseCommand):
    help = "Backs up the database (pg_dump) and the stored files its rows point at, into one folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", default=str(settings.BACKUP_DIR), help="Folder for backups (BACKUP_DIR).")

    def handle(self, *args: Any, to: str, **options: Any) -> None:
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        final = Path(to) / stamp
        work = Path(to) / f"{stamp}.partial"
        work.mkdir(parents=True)
        try:
            manifest = self._backup(work)
            work.rename(final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        self.stdout.write(f"{final} ({manifest['files']} files)")

    def _backup(self, work: Path) -> dict[str, Any]:
        options, env = _pg_environment()
        dump = work / "database.dump"
        name = str(connection.settings_dict["NAME"])
        subprocess.run(  # noqa: S603 - our arguments; the PostgreSQL client tools are found on PATH
            ["pg_dump", "--format=custom", "--no-owner", *options, "-f", str(dump), name],  # noqa: S607
            check=True,
            env=env,
        )
        names = sorted(referenced_files(dump))
        # From the disk or the S3 bucket, whichever stores the files (common.storage).
        missing = [name for name in names if not stored_file_copy_out(default_storage, name, work / "media" / name)]
        if missing:
            raise CommandError(
                f"{len(missing)} files the dump names are not in the file storage (deleted since?):"
                f" {', '.join(missing[:20])}. Take the backup again."
            )
        manifest = {"created": timezone.now().isoformat(), "database": dump.name, "files": len(names)}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return manifest
