from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from demo.basemap import demo_basemap_load


class Command(BaseCommand):
    help = (
        "Load the demo's basemap alone (an OpenStreetMap XML extract written from the demo province's wards, "
        "loaded with osm2pgsql); load_demo --basemap does it with the rest of the demo, the benchmark on its own."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = demo_basemap_load()
        self.stdout.write(self.style.SUCCESS(f"basemap roads {loaded.roads}, places {loaded.places}"))
