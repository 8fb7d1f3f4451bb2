"""The Atom feed of an area (a ward, a district, or a radius around a point, named in the URL): its new
public reports and published answers, public fields only, cacheable."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .areas import Area
from .selectors import AreaUpdate, area_updates

FEED_ITEMS = 30


class AreaFeed(Feed[AreaUpdate, Area]):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args: object, **kwargs: object) -> Area:
        area = kwargs["area"]
        assert isinstance(area, Area)  # noqa: S101 (the view parses it)
        return area

    def title(self, obj: Area) -> str:
        return _("Phản ánh ở %(area)s") % {"area": obj.describe()}

    def subtitle(self, obj: Area) -> str:
        return _("Phản ánh mới và kết quả xử lý được công khai")

    def link(self, obj: Area) -> str:
        return reverse("area-subscribe") + "?" + urlencode(obj.params())

    def items(self, obj: Area) -> list[AreaUpdate]:
        return area_updates(obj, limit=FEED_ITEMS)[:FEED_ITEMS]

    def item_title(self, item: AreaUpdate) -> str:
        if item.answer is not None:
            return _("Đã có kết quả: %(title)s") % {"title": item.report.title}
        return _("Phản ánh mới: %(title)s") % {"title": item.report.title}

    def item_description(self, item: AreaUpdate) -> str:
        report = item.report
        place = ", ".join(unit.name for unit in (report.ward, report.district) if unit is not None)
        head = f"{report.code} · {report.category.name} · {report.get_status_display()}" + (
            f" · {place}" if place else ""
        )
        text = item.answer.body if item.answer is not None else report.description
        return f"{head}\n{Truncator(text).chars(500)}"

    def item_link(self, item: AreaUpdate) -> str:
        return reverse("report-detail-page", args=[item.report.code])

    def item_guid(self, item: AreaUpdate) -> str:
        # Unique per entry: a report and its answers are separate entries.
        suffix = f"#tra-loi-{item.answer.pk}" if item.answer is not None else ""
        return self._site + self.item_link(item) + suffix

    item_guid_is_permalink = False

    def item_pubdate(self, item: AreaUpdate) -> datetime:
        return item.when

    def item_updateddate(self, item: AreaUpdate) -> datetime:
        return item.when

    def item_categories(self, item: AreaUpdate) -> list[str]:
        return [item.report.category.name]

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        self._site = request.build_absolute_uri("/").rstrip("/")
        return super().__call__(request, *args, **kwargs)
