from django.urls import URLPattern, path, re_path

from . import messenger, pin, zalo

app_name = "chat"

urlpatterns: list[URLPattern] = [
    path("webhooks/zalo", zalo.webhook, name="zalo-webhook"),
    # Zalo's domain check names its file with either separator.
    re_path(r"^zalo[_-]verifier(?P<code>[\w-]{1,100})\.html$", zalo.site_verification, name="zalo-verifier"),
    path("webhooks/messenger", messenger.webhook, name="messenger-webhook"),
    # The pin page the Messenger bot links to (Messenger cannot share a location).
    path("chat/ghim/<str:token>", pin.pin_page, name="pin"),
]
