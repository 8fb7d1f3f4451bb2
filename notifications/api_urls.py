from django.urls import path

from . import api

urlpatterns = [
    path("subscriptions", api.PushSubscriptionView.as_view(), name="push-subscriptions"),
    path("key", api.PushKeyView.as_view(), name="push-key"),
]
