from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Thông báo"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the worker's configuration checks
