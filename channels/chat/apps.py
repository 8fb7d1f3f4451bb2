from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The platform adapters of the conversation engine: each module has `register()`, which plugs the
# platform's payload parser into the engine and its send into the outbox.
ADAPTERS = ("channels.chat.zalo", "channels.chat.messenger")


class ChatConfig(AppConfig):
    name = "channels.chat"
    label = "chat"
    verbose_name = _("Trò chuyện (Zalo, Messenger)")

    def ready(self) -> None:
        for adapter in ADAPTERS:
            import_module(adapter).register()
