from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "channels.hotline"
    label = "hotline"
    verbose_name = "Tổng đài 1022"
