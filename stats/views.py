"""The statistics page (/thong-ke/) and its shareable chart image (/thong-ke/bieu-do.png)."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.models import Agency
from boundaries.choices import district_choices, ward_choices
from boundaries.models import AdminUnit, Level
from common.replica import replica_reads
from incidents.filters import ReportFilters, report_filters_query
from incidents.forms import RENDERER
from incidents.models import Category
from incidents.selectors import category_list

from . import selectors as stats
from .api import StatsRequestError, area_parent, scope_param
from .chart import chart_png

# What stats/static/js/stats.js says, translatable here.
SCRIPT_TEXT = {
    "received": gettext_lazy("Tiếp nhận"),
    "answered": gettext_lazy("Đã trả lời"),
    "onTime": gettext_lazy("Trả lời đúng hạn"),
    "reports": gettext_lazy("Số phản ánh"),
    "failed": gettext_lazy("Không tải được biểu đồ; số liệu vẫn có trong bảng bên dưới."),
}


class StatsFilterForm(forms.Form):
    """The filter form; it only renders. stats.stats_filters_parse validates, for the API and the page alike."""

    default_renderer = RENDERER

    district = forms.CharField(label=gettext_lazy("Quận, huyện"), required=False, widget=forms.Select)
    ward = forms.CharField(label=gettext_lazy("Phường, xã"), required=False, widget=forms.Select)
    category = forms.CharField(label=gettext_lazy("Chuyên mục"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, scope: stats.StatsScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the period fields are added here, named as the API names them.
        date_widget = {"type": "date", "min": "2000-01-01", "max": "2100-12-31"}
        fields: dict[str, forms.Field] = {
            "from": forms.CharField(
                label=_("Từ ngày"), required=False, widget=forms.DateInput(attrs=date_widget, format="%Y-%m-%d")
            ),
            "to": forms.CharField(
                label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs=date_widget, format="%Y-%m-%d")
            ),
        }
        fields.update(self.fields)
        self.fields = fields
        district = str(self.data.get("district", "")) if self.is_bound else ""
        self.fields["district"].widget.choices = district_choices()
        self.fields["ward"].widget.choices = ward_choices(district)
        self.fields["category"].widget.choices = [("", _("— Mọi chuyên mục —"))] + [
            (c.code, c.display_name) for c in category_list()
        ]
        if scope.is_staff:
            self.fields["scope"] = forms.CharField(label=_("Phạm vi số liệu"), required=False, widget=forms.Select)
            self.fields["scope"].widget.choices = [
                ("agency", _("Cơ quan của tôi (đủ, gồm phản ánh không công khai)")),
                ("public", _("Số liệu công khai")),
            ]
            agencies = Agency.objects.filter(is_active=True).order_by("level", "name")
            if scope.agency_ids is not None:
                agencies = agencies.filter(pk__in=sorted(scope.agency_ids))
            self.fields["agency"] = forms.CharField(label=_("Cơ quan xử lý"), required=False, widget=forms.Select)
            self.fields["agency"].widget.choices = [("", _("— Mọi cơ quan —"))] + [(a.code, a.name) for a in agencies]

    @property
    def has_districts(self) -> bool:
        return len(self.fields["district"].widget.choices) > 1


def filters_description(filters: ReportFilters) -> str:
    """The filters in words, for the page and the image: "01/01/2025 – 31/03/2025 · Phường 1 · …"."""
    parts = []
    if filters.date_from or filters.date_to:
        start = f"{filters.date_from:%d/%m/%Y}" if filters.date_from else "…"
        end = f"{filters.date_to:%d/%m/%Y}" if filters.date_to else _("nay")
        parts.append(f"{start} – {end}")
    codes = [code for code in (filters.province, filters.district, filters.ward) if code]
    if codes:
        names = dict(AdminUnit.objects.filter(code__in=codes).values_list("code", "name"))
        parts.extend(names.get(code, code) for code in codes)
    if filters.category:
        category = Category.objects.filter(code=filters.category).first()
        parts.append(_("Chuyên mục: %(name)s") % {"name": category.display_name if category else filters.category})
    if filters.agency:
        agency = Agency.objects.filter(code=filters.agency).first()
        parts.append(_("Cơ quan: %(name)s") % {"name": agency.name if agency else filters.agency})
    return " · ".join(parts) if parts else _("Toàn bộ thời gian, mọi địa bàn và chuyên mục")


@replica_reads
@require_GET
def stats_page(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    try:
        public = scope_param(request)
    except StatsRequestError as exc:
        errors.update(exc.errors)
        public = False
    scope = stats.stats_scope_for(request.user, public=public)
    form = StatsFilterForm(request.GET or None, scope=scope)
    try:
        filters = stats.stats_filters_parse(request.GET)
    except stats.StatsFilterError as exc:
        errors.update(exc.errors)
        filters = ReportFilters()
    context: dict[str, Any] = {"form": form, "scope": scope, "errors": []}
    if errors:
        for name, message in errors.items():
            if name in form.fields:
                form.add_error(name, message)
        context["errors"] = [
            (form[name].id_for_label, form.fields[name].label, message) if name in form.fields else ("", name, message)
            for name, message in errors.items()
        ]
        return render(request, "stats/stats.html", context, status=400)

    today = timezone.localdate()
    reports = stats.stats_reports(scope, filters)
    area_level = "ward" if filters.district else "district"
    parent = area_parent(area_level, "", filters)
    if parent is None:
        # One province served (the usual case): list all its districts, those without reports too.
        provinces = list(AdminUnit.objects.current().filter(level=Level.PROVINCE).defer("geom")[:2])
        parent = provinces[0] if len(provinces) == 1 else None
    # The chart image is always of public numbers: its link keeps only the filters.
    public_query = report_filters_query(filters)
    query = {**public_query, "scope": "public"} if scope.is_staff and scope.public else public_query
    encoded = urlencode(query)

    def numbers() -> dict[str, Any]:
        # One aggregate query for every table, the staff's agency table included.
        overview = stats.stats_overview(
            reports, filters=filters, level=area_level, parent=parent, today=today, with_agencies=scope.is_staff
        )
        return overview.parts()

    if scope.public and settings.STATS_CACHE_SECONDS:
        # Everyone sees the same public numbers: the first visitor in a while pays for the
        # aggregates (about a second at a few hundred thousand reports), the rest read them back.
        key = (
            "stats-page:"
            + hashlib.sha256(
                f"{get_language()}|{today}|{area_level}|{parent.pk if parent else ''}|{sorted(query.items())}".encode()
            ).hexdigest()
        )
        cached: dict[str, Any] = cache.get_or_set(key, numbers, settings.STATS_CACHE_SECONDS) or numbers()
        context.update(cached)
        context["cache_seconds"] = settings.STATS_CACHE_SECONDS
    else:
        context.update(numbers())
    context.update(
        {
            "filters": filters,
            "description": filters_description(filters),
            "area_level": area_level,
            "query": encoded,
            "api": {
                name.replace("-", "_"): reverse(f"stats-{name}") + (f"?{encoded}" if encoded else "")
                for name in ("by-status", "by-category", "by-month")
            },
            "png_url": reverse("stats-chart-png") + (f"?{urlencode(public_query)}" if public_query else ""),
            "script_text": {key: str(value) for key, value in SCRIPT_TEXT.items()},
        }
    )
    if scope.is_staff:
        context["by_officer"] = stats.stats_by_officer(reports)
        context["csv_url"] = reverse("stats-export") + (f"?{encoded}" if encoded else "")
    return render(request, "stats/stats.html", context)


# --- The chart image (drawn by chart.py) ----------------------------------------------------------------


@replica_reads
@require_GET
def stats_chart_png(request: HttpRequest) -> HttpResponse:
    """The monthly bar chart as an image to share: always the public numbers, whoever asks."""
    try:
        filters = stats.stats_filters_parse(request.GET)
    except stats.StatsFilterError as exc:
        return HttpResponse(" ".join(exc.errors.values()), status=400, content_type="text/plain; charset=utf-8")
    today = timezone.localdate()
    buckets = stats.stats_by_month(stats.stats_reports(stats.PUBLIC_SCOPE, filters), filters=filters, today=today)
    now = timezone.localtime()
    png = chart_png(
        buckets,
        title=_("Số phản ánh tiếp nhận theo tháng"),
        subtitle=filters_description(filters),
        footer=_("Phản ánh công khai · số liệu lúc %(time)s · %(host)s")
        % {"time": f"{now:%H:%M %d/%m/%Y}", "host": request.get_host()},
    )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=300"
    response["Content-Disposition"] = 'inline; filename="thong-ke-phan-anh.png"'
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response
