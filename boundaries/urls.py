from django.urls import path

from . import api

urlpatterns = [
    path("locate", api.LocateView.as_view(), name="boundaries-locate"),
    path("", api.UnitListView.as_view(), name="boundaries-list"),
    path("<str:code>/", api.UnitDetailView.as_view(), name="boundaries-detail"),
]
