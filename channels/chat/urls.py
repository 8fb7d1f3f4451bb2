from django.urls import URLPattern, path

from . import zalo

app_name = "chat"

urlpatterns: list[URLPattern] = [
    path("webhooks/zalo", zalo.webhook, name="zalo-webhook"),
]
