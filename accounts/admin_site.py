"""The Django admin is the administrators' tool only; officers, leaders and operators work in /can-bo/.

`User.is_staff` plays no part: /admin/ opens for active superusers and administrators of a
provincial agency (agencies.selectors.is_administrator, asked through common.admin), and for nobody else. Sign-in goes
through the site's own page (throttled and audited), not the admin's login form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as BaseAdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from common.admin import request_is_administrator


class AdminSite(admin.AdminSite):
    site_header = "Quản trị Phản ánh hiện trường"
    site_title = "Quản trị"
    index_title = "Danh mục, cơ quan, địa giới và tài khoản"

    def has_permission(self, request: HttpRequest) -> bool:
        return request_is_administrator(request)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from django.contrib.auth.views import redirect_to_login  # not at import: apps load this module

            # Signed out: the site's sign-in page. Signed in but not an administrator: a plain
            # refusal, not the admin's own sign-in form.
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise PermissionDenied
            response: HttpResponse = inner(request, *args, **kwargs)
            return response

        return guarded if cacheable else never_cache(guarded)

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            if not self.has_permission(request):
                raise PermissionDenied
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        from django.contrib.auth.views import redirect_to_login  # not at import: apps load this module

        return redirect_to_login(request.GET.get("next") or reverse("admin:index", current_app=self.name))


class AdminConfig(BaseAdminConfig):
    default_site = "accounts.admin_site.AdminSite"
