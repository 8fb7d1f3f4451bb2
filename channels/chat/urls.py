from django.urls import URLPattern, path

from . import messenger, pin, zalo

app_name = "chat"

urlpatterns: list[URLPattern] = [
    path("webhooks/zalo", zalo.webhook, name="zalo-webhook"),
    path("webhooks/messenger", messenger.webhook, name="messenger-webhook"),
    # The pin page the Messenger bot links to (Messenger cannot share a location).
    path("chat/ghim/<str:token>", pin.pin_page, name="pin"),
]
