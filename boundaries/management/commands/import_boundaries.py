from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boundaries.services import BoundaryImportError, boundaries_import


class Command(BaseCommand):
    help = (
        "Import administrative units of one level from GeoJSON (.geojson or .geojson.gz), "
        "Shapefile or GeoPackage. Upserts by code in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--level", type=int, required=True, choices=[1, 2, 3])
        parser.add_argument("--code-field", default="code")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--kind-field", default="kind")
        parser.add_argument("--parent-field", default="parent_code")
        parser.add_argument("--srid", type=int, default=None, help="Source SRID when the file does not say")
        parser.add_argument(
            "--retire-missing",
            action="store_true",
            help="End the validity of units of this level that the file no longer has",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count, then roll back")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = boundaries_import(
                path=options["path"],
                level=options["level"],
                code_field=options["code_field"],
                name_field=options["name_field"],
                kind_field=options["kind_field"],
                parent_field=options["parent_field"],
                srid=options["srid"],
                retire_missing=options["retire_missing"],
                dry_run=options["dry_run"],
            )
        except BoundaryImportError as exc:
            raise CommandError(str(exc)) from exc
        for code, reason in result.repaired:
            self.stdout.write(f"repaired {code}: {reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{'dry run, nothing saved: ' if result.dry_run else ''}"
                f"read {result.read}, created {result.created}, updated {result.updated}, "
                f"unchanged {result.unchanged}, retired {result.retired}, "
                f"repaired {len(result.repaired)}, pieces {result.pieces}"
            )
        )
