import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from maps.basemap import basemap_source

# What static/js/map.js and pin-picker.js say on every map page (templates/_map_scripts.html puts it in
# the page as JSON); {name} parts are filled in by the scripts.
MAP_SCRIPT_TEXT = {
    "zoomedTo": _("Đã phóng to tới {place}. Chạm lại vào đúng chỗ để đặt ghim."),
    "zoomCloser": _(
        "Bản đồ đang ở mức cả tỉnh nên chưa đặt ghim. Hãy phóng to gần hơn, "
        "hoặc chọn phường, xã để ghim ở giữa phường, xã."
    ),
    "farFromAddress": _(
        "Ghim cách {place} (phường, xã trong địa chỉ đã nhập) khoảng {km} km. Hãy kiểm tra lại ghim hoặc địa chỉ."
    ),
}


def map_settings(request: HttpRequest) -> dict[str, Any]:
    """Basemap settings every map page reads, so the basemap is chosen in one place: our own vector tiles
    when a basemap is imported, else the outside MAP_TILE_URL, else none (static/js/map.js then lets our
    boundaries carry the map). Looked up only by a page that shows a map."""

    @functools.cache
    def chosen() -> tuple[str, str]:
        own = basemap_source()
        if own is not None:
            url = reverse("basemap-tile", args=[0, 0, 0]).replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")
            return url, own.attribution
        return settings.MAP_TILE_URL, settings.MAP_TILE_ATTRIBUTION

    return {
        "MAP_TILE_URL": lazy(lambda: chosen()[0], str)(),
        "MAP_TILE_ATTRIBUTION": lazy(lambda: chosen()[1], str)(),
        "MAP_DEFAULT_CENTER": settings.MAP_DEFAULT_CENTER,
        "MAP_SCRIPT_TEXT": MAP_SCRIPT_TEXT,
    }
