from django.urls import path

from . import map_views

urlpatterns = [
    path("ban-do/", map_views.report_map, name="report-map"),
    path("tiles/reports/<int:z>/<int:x>/<int:y>.mvt", map_views.report_tile_view, name="report-tile"),
    path("tiles/basemap/<int:z>/<int:x>/<int:y>.mvt", map_views.basemap_tile_view, name="basemap-tile"),
]
