from django.urls import path

from . import api

urlpatterns = [
    path("subscriptions", api.PushSubscriptionView.as_view(), name="push-subscriptions"),
    path("subscriptions/state", api.PushSubscriptionStateView.as_view(), name="push-subscription-state"),
    path("key", api.PushKeyView.as_view(), name="push-key"),
]
