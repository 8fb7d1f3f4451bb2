from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Nhật ký thao tác"

    def ready(self) -> None:
        from django.contrib.auth import signals

        from . import signals as audit_signals

        signals.user_logged_in.connect(audit_signals.on_logged_in, dispatch_uid="audit.login")
        signals.user_logged_out.connect(audit_signals.on_logged_out, dispatch_uid="audit.logout")
        signals.user_login_failed.connect(audit_signals.on_login_failed, dispatch_uid="audit.login_failed")
