from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Phản ánh kiến nghị"

    def ready(self) -> None:
        from .models import Category
        from .selectors import category_cache_clear

        # Signals only for cache invalidation: a changed category is seen at once here.
        for signal in (post_save, post_delete):
            signal.connect(lambda **kwargs: category_cache_clear(), sender=Category, weak=False)
