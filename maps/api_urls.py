from django.urls import path

from . import heatmap_views, map_api

urlpatterns = [
    path("reports/clusters", map_api.ReportClusterView.as_view(), name="reports-clusters"),
    path("stats/heatmap", heatmap_views.HeatmapView.as_view(), name="stats-heatmap"),
    path("stats/choropleth", heatmap_views.ChoroplethView.as_view(), name="stats-choropleth"),
]
