from django.urls import path

from . import heatmap_views

urlpatterns = [
    path("ban-do-nhiet/", heatmap_views.heatmap_page, name="staff-heatmap"),
    path("ban-do-nhiet/xuat/", heatmap_views.heatmap_export, name="staff-heatmap-export"),
    path("ban-do-nhiet/phuong/<str:code>/", heatmap_views.ward_reports, name="staff-heatmap-ward"),
]
