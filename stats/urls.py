"""The statistics page and its chart image, mounted at thong-ke/ by geo/urls.py (paths and names unchanged)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.stats_page, name="stats-page"),
    path("bieu-do.png", views.stats_chart_png, name="stats-chart-png"),
]
