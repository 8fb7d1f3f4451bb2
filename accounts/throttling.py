"""Login throttling glue for django-axes: the lockout answer (the client address is common.http.client_ip)."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from common.api import error_body


def cool_off_seconds() -> int:
    return int(round(float(settings.AXES_COOLOFF_TIME) * 3600))


def lockout_message() -> str:
    minutes = max(1, math.ceil(cool_off_seconds() / 60))
    return _(
        "Bạn đã nhập sai quá nhiều lần. Để bảo vệ tài khoản, việc đăng nhập tạm khoá; hãy thử lại sau %(minutes)s phút "
        "hoặc dùng chức năng “Quên mật khẩu”."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """429 with a Vietnamese message: JSON for the API, the lockout page for the site."""
    retry_after = str(cool_off_seconds())
    response: HttpResponse
    if request.path.startswith("/api/") or request.headers.get("X-Requested-With") == "XMLHttpRequest":
        response = JsonResponse(error_body(lockout_message()), status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = retry_after
    return response
