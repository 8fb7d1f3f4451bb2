from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maps.basemap import OSM_ATTRIBUTION
from maps.services import BasemapImportError, basemap_import


class Command(BaseCommand):
    help = (
        "Load an OpenStreetMap extract (.osm.pbf, .osm) of the province as our own basemap with osm2pgsql: "
        "roads, water and places with their names, served as vector tiles at /tiles/basemap/{z}/{x}/{y}.mvt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The extract, e.g. vietnam-latest.osm.pbf cut to the province")
        parser.add_argument(
            "--attribution",
            default=OSM_ATTRIBUTION,
            help="Shown on every map (HTML); OpenStreetMap's by default (ODbL)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = basemap_import(path=options["file"], attribution=options["attribution"])
        except BasemapImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"basemap: roads {result.roads}, waterways {result.waterways}, "
                f"water {result.water}, places {result.places}"
            )
        )
