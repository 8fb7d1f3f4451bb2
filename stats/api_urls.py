"""GET /api/v1/stats/… (mounted under api/v1/ by geo/urls.py; paths and names unchanged)."""

from django.urls import path

from . import api

urlpatterns = [
    path("stats/summary", api.StatsSummaryView.as_view(), name="stats-summary"),
    path("stats/by-status", api.StatsByStatusView.as_view(), name="stats-by-status"),
    path("stats/by-category", api.StatsByCategoryView.as_view(), name="stats-by-category"),
    path("stats/by-area", api.StatsByAreaView.as_view(), name="stats-by-area"),
    path("stats/by-month", api.StatsByMonthView.as_view(), name="stats-by-month"),
    path("stats/by-agency", api.StatsByAgencyView.as_view(), name="stats-by-agency"),
    path("stats/export.csv", api.StatsExportView.as_view(), name="stats-export"),
]
