from typing import Any

from django.core.management.base import BaseCommand

from incidents.routing import reports_relocate


class Command(BaseCommand):
    help = "Re-locate every stored report against the boundaries in force (after a boundary change)."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = reports_relocate()
        self.stdout.write(self.style.SUCCESS(f"{changed} reports changed ward, district or province"))
