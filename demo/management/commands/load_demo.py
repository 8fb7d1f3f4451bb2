from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.basemap import demo_basemap_load
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
        parser.add_argument(
            "--basemap",
            action="store_true",
            help="Also load the demo's basemap (an extract made from the demo province) with osm2pgsql (make run does)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = demo_load(stdout=self.stdout, reports=options["reports"])
        if options["basemap"]:
            # After demo_load's transaction: osm2pgsql loads over its own connection.
            loaded = demo_basemap_load()
            counts["basemap roads"] = loaded.roads
            counts["basemap places"] = loaded.places
        self.stdout.write(self.style.SUCCESS(", ".join(f"{name} {count}" for name, count in counts.items())))
