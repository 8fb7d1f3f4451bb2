from django.apps import AppConfig


class MailIntakeConfig(AppConfig):
    name = "channels.mail"
    label = "mail_intake"
    verbose_name = "Tiếp nhận qua thư điện tử"
    default_auto_field = "django.db.models.BigAutoField"
