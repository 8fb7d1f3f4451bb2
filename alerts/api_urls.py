from django.urls import path

from . import api

urlpatterns = [
    path("", api.AlertCollectionView.as_view(), name="alerts"),
    path("active", api.ActiveView.as_view(), name="alerts-active"),
    path("feed.atom", api.FeedView.as_view(), name="alert-feed"),
    path("preview", api.PreviewView.as_view(), name="alert-preview"),
    path("<int:pk>.cap", api.CapView.as_view(), name="alert-cap"),
    path("<int:pk>/", api.AlertDetailView.as_view(), name="alert-detail"),
    path("<int:pk>/submit", api.SubmitView.as_view(), name="alert-submit"),
    path("<int:pk>/approve", api.ApproveView.as_view(), name="alert-approve"),
    path("<int:pk>/cancel", api.CancelView.as_view(), name="alert-cancel"),
    path("<int:pk>/update", api.UpdateView.as_view(), name="alert-update"),
]
