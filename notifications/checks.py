"""What the worker needs configured before it starts: checked by `manage.py worker` (and `check --deploy`).

Without it a worker with SMS_BACKEND=http and no gateway URL started, took every job and
failed each message until its retries ran out: nobody was told, and nothing said why.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string

WORKER_TAG = "worker"


@register(WORKER_TAG, deploy=True)
def sms_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    backend = settings.SMS_BACKEND
    if backend == "console":
        return []
    if backend == "http":
        url = settings.SMS_GATEWAY_URL
        if not url.startswith(("http://", "https://")):
            return [
                Error(
                    "SMS_BACKEND=http needs SMS_GATEWAY_URL, the gateway's http(s) address "
                    f"(got {url!r}); without it no SMS can be sent.",
                    id="notifications.E001",
                )
            ]
        return []
    try:
        import_string(backend)
    except ImportError as exc:
        return [
            Error(
                f"SMS_BACKEND={backend!r} is neither 'console', 'http' nor an importable class: {exc}",
                id="notifications.E002",
            )
        ]
    return []
