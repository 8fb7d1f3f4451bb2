"""The officers' "export this map": one self-contained HTML file (folium) of the reports and wards in
the heatmap's current view, for a meeting or an offline briefing.

Nothing in the file is fetched from elsewhere: Leaflet's script and style (with its images as data
URIs) come from our own static files and are written into the file, and there is no tile layer (a
briefing room may have no network); the wards draw the ground. Every text a person wrote (titles,
names) is escaped: folium's tooltips and popups put property values into the page as HTML.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import datetime

import folium
from django.contrib.gis.geos import Polygon
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from incidents.filters import ReportFilters
from incidents.models import OPEN_STATUSES, Report, ReportStatus

from . import heatmap

MAX_EXPORT_REPORTS = 2000
STATUS_LABELS = dict(ReportStatus.choices)
# The heatmap's choropleth colours (heatmap.js), light to dark.
WARD_COLOURS = ["#ffffcc", "#ffeda0", "#feb24c", "#f03b20", "#bd0026"]
OPEN_COLOUR, DONE_COLOUR, OVERDUE_COLOUR = "#1d5fa8", "#2e7d32", "#b00020"


def _static_text(path: str) -> str:
    found = finders.find(path)
    if isinstance(found, str):
        with open(found, encoding="utf-8") as file:
            return file.read()
    with staticfiles_storage.open(path) as file:  # collected files only (no source folder)
        return str(file.read().decode("utf-8"))


def _static_data_uri(path: str) -> str:
    found = finders.find(path)
    if isinstance(found, str):
        with open(found, "rb") as file:
            data = file.read()
    else:
        with staticfiles_storage.open(path) as file:
            data = file.read()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _leaflet_inline() -> tuple[str, str]:
    """(style, script) of our vendored Leaflet, ready to sit inside <style> and <script>."""
    css = re.sub(
        r"url\((images/[\w.-]+\.png)\)",
        lambda m: f"url({_static_data_uri('vendor/leaflet/' + m.group(1))})",
        _static_text("vendor/leaflet/leaflet.css"),
    )
    # The source map comment would send devtools looking for a file that is not there.
    js = re.sub(r"//# sourceMappingURL=\S+", "", _static_text("vendor/leaflet/leaflet.js"))
    # Never the case in Leaflet; kept true whatever version is vendored.
    js = js.replace("</script", "<\\/script")
    return css, js


def _ward_colour(count: int, top: int) -> str:
    if not count or not top:
        return "#f2f2f2"
    index = min(len(WARD_COLOURS) - 1, int(count / top * len(WARD_COLOURS)))
    return WARD_COLOURS[index]


def _report_colour(report: Report, overdue: bool) -> str:
    if overdue:
        return OVERDUE_COLOUR
    return OPEN_COLOUR if report.status in OPEN_STATUSES else DONE_COLOUR


def map_export_html(
    *,
    scope: heatmap.Scope,
    filters: ReportFilters,
    bbox: tuple[float, float, float, float],
    zoom: int,
    now: datetime | None = None,
) -> str:
    """The HTML file: the wards in view (count and overdue rate) and the reports in view (newest
    first, at most MAX_EXPORT_REPORTS), under the heatmap's filters and the user's staff access."""
    moment = timezone.localtime(now)
    wards = heatmap.ward_choropleth(scope, filters, bbox, heatmap.pixel_degrees(zoom))
    view = Polygon.from_bbox(bbox)
    in_view = heatmap.filtered_reports(scope, filters).filter(location__coveredby=view)
    # Overdue as the heatmap's own "overdue" filter has it.
    overdue_only = dataclasses.replace(filters, overdue=True)
    overdue_ids = set(
        heatmap.filtered_reports(scope, overdue_only).filter(location__coveredby=view).values_list("pk", flat=True)
    )
    reports = list(in_view.select_related("category", "ward").order_by("-created_at", "-id")[: MAX_EXPORT_REPORTS + 1])
    truncated = len(reports) > MAX_EXPORT_REPORTS
    reports = reports[:MAX_EXPORT_REPORTS]

    title = _("Bản đồ phản ánh — xuất ngày %(date)s") % {"date": date_format(moment, "SHORT_DATETIME_FORMAT")}
    figure = folium.Figure(title=escape(title))
    west, south, east, north = bbox
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=zoom, tiles=None, height="70vh")
    # folium links Leaflet, jQuery, Bootstrap and fonts from CDNs by default: none of them, ours inline.
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    css, js = _leaflet_inline()
    figure.header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css", index=0)
    figure.header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js", index=1)

    top = wards["max_count"]
    ward_features = []
    for feature in wards["features"]:
        p = feature["properties"]
        rate = "" if p["overdue_rate"] is None else f"{round(p['overdue_rate'] * 100)}%"
        ward_features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "code": escape(p["code"]),
                    "name": escape(p["name"]),
                    "district": escape(p["district"]),
                    "count": p["count"],
                    "overdue": p["overdue"],
                    "rate": rate,
                    "colour": _ward_colour(p["count"], top),
                },
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": ward_features},
        name=escape(_("Phường, xã")),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#555555",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "district", "count", "overdue", "rate"],
            aliases=[
                escape(a)
                for a in (_("Phường, xã"), _("Quận, huyện"), _("Số phản ánh"), _("Quá hạn"), _("Tỷ lệ quá hạn"))
            ],
        ),
    ).add_to(fmap)

    report_features = []
    for report in reports:
        if report.location is None:  # not in the view's box: only pinned reports are
            continue
        overdue = report.pk in overdue_ids
        report_features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [report.location.x, report.location.y]},
                "properties": {
                    "code": escape(report.code),
                    "title": escape(report.title),
                    "status": escape(
                        str(STATUS_LABELS.get(report.status, report.status))
                    ),  # folium dumps JSON: no lazy text
                    "category": escape(report.category.display_name),
                    "created": escape(date_format(timezone.localtime(report.created_at), "SHORT_DATE_FORMAT")),
                    "overdue": escape(_("Quá hạn")) if overdue else "",
                    "colour": _report_colour(report, overdue),
                },
            }
        )
    fields = ["code", "title", "status", "category", "created", "overdue"]
    aliases = [escape(a) for a in (_("Mã"), _("Tiêu đề"), _("Trạng thái"), _("Chuyên mục"), _("Ngày gửi"), "")]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": report_features},
        name=escape(_("Phản ánh")),
        marker=folium.CircleMarker(radius=6, weight=1, fill=True, fill_opacity=0.9),
        style_function=lambda f: {"color": "#ffffff", "fillColor": f["properties"]["colour"]},
        tooltip=folium.GeoJsonTooltip(fields=["code", "title"], aliases=aliases[:2]),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)

    figure.html.add_child(folium.Element(_summary_html(title, filters, reports, overdue_ids, truncated)))
    html = figure.render()
    # folium's page names no language; ours is Vietnamese (or the officer's).
    return html.replace("<html>", f'<html lang="{escape(get_language() or "vi")}">', 1)


def _summary_html(
    title: str, filters: ReportFilters, reports: list[Report], overdue_ids: set[int], truncated: bool
) -> str:
    """The heading, the filters in force and the reports as a table under the map (readable printed)."""
    shown = []
    if filters.category:
        shown.append(format_html("{}: {}", _("Chuyên mục"), filters.category))
    if filters.status:
        label = (
            _("Đang mở (chưa hoàn thành)")
            if filters.status == "open"
            else STATUS_LABELS.get(filters.status, filters.status)
        )
        shown.append(format_html("{}: {}", _("Trạng thái"), label))
    if filters.date_from:
        shown.append(format_html("{}: {}", _("Từ ngày"), date_format(filters.date_from, "SHORT_DATE_FORMAT")))
    if filters.date_to:
        shown.append(format_html("{}: {}", _("Đến ngày"), date_format(filters.date_to, "SHORT_DATE_FORMAT")))
    if filters.overdue:
        shown.append(escape(_("Chỉ phản ánh quá hạn")))
    rows = format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                r.code,
                r.title,
                STATUS_LABELS.get(r.status, r.status),
                r.category.display_name,
                r.ward.name if r.ward else "",
                _("Quá hạn") if r.pk in overdue_ids else "",
            )
            for r in reports
        ),
    )
    note = (
        format_html(
            "<p>{}</p>",
            _("Vùng xem có quá nhiều phản ánh; chỉ %(n)s phản ánh mới nhất được xuất.") % {"n": MAX_EXPORT_REPORTS},
        )
        if truncated
        else ""
    )
    return format_html(
        '<main style="font-family: system-ui, sans-serif; padding: 0 1rem 2rem">'
        "<h1>{}</h1><p>{}</p><p>{}</p>{}"
        "<style>main table {{ border-collapse: collapse }} "
        "main th, main td {{ padding: .25rem .75rem; text-align: left; border-bottom: 1px solid #ddd }}</style>"
        "<table><caption>{}</caption><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>"
        "</thead><tbody>{}</tbody></table></main>",
        title,
        format_html_join("; ", "{}", ((s,) for s in shown)) or _("Không lọc thêm."),
        _("%(count)s phản ánh trong vùng xem.") % {"count": len(reports)},
        note,
        _("Danh sách phản ánh"),
        _("Mã"),
        _("Tiêu đề"),
        _("Trạng thái"),
        _("Chuyên mục"),
        _("Phường, xã"),
        rows,
    )
