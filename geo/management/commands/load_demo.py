from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from geo.demo import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo province (Tỉnh Tây Ninh (demo), unit codes D…), its wards and districts, "
        "the report categories from data/categories.json and the agencies. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = demo_load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(", ".join(f"{name} {count}" for name, count in counts.items())))
