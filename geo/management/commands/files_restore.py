"""`manage.py files_restore FOLDER`: put a backup's stored files (its media/ folder) back into the file
storage configured here, under their own names: MEDIA_ROOT, or the S3 bucket when S3_BUCKET is set.

scripts/restore.sh runs it; a file already stored under its name is kept (stored names are written once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.storage import stored_file_copy_in


class Command(BaseCommand):
    help = "Puts a backup's files (its media/ folder) back into the configured file storage (disk or S3 bucket)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="The backup's media/ folder.")

    def handle(self, *args: Any, folder: str, **options: Any) -> None:
        root = Path(folder)
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder")
        files = sorted(path for path in root.rglob("*") if path.is_file())
        for path in files:
            stored_file_copy_in(default_storage, path.relative_to(root).as_posix(), path)
        self.stdout.write(f"{len(files)} files restored")
