from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.province import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo province (Tỉnh Tây Ninh (demo), unit codes D…), its wards and districts, "
        "the report categories from data/categories.json and the agencies. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reports",
            type=int,
            default=0,
            help="Also create this many sample reports with staff accounts and history (make run uses 300)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = demo_load(stdout=self.stdout, reports=options["reports"])
        self.stdout.write(self.style.SUCCESS(", ".join(f"{name} {count}" for name, count in counts.items())))
