"""The statistics chart as a PNG image (/thong-ke/bieu-do.png draws it): received reports per month."""

from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from .selectors import Bucket

PNG_SIZE = (1200, 630)  # the size link previews (Open Graph) show without cropping
PNG_MAX_MONTHS = 36
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/usr/share/fonts/TTF")]
# Fonts with Vietnamese letters (DejaVu from Debian's fonts-dejavu-core, see scripts/system-deps.sh).
FONT_FILES = {
    False: ["DejaVuSans.ttf", "LiberationSans-Regular.ttf"],
    True: ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"],
}
EXTRA_FONT_DIRS = [Path("/usr/share/fonts/truetype/liberation")]


@lru_cache(maxsize=16)
def chart_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when installed; else Liberation Sans; else Pillow's own font (may lack some accents)."""
    for name in FONT_FILES[bold]:
        for folder in [*FONT_DIRS, *EXTRA_FONT_DIRS]:
            path = folder / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _nice_step(top: int) -> int:
    """A round gridline step giving about five lines up to `top`."""
    raw = max(top, 1) / 5
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, int(factor * power))
    return max(1, int(10 * power))


def chart_png(buckets: list[Bucket], *, title: str, subtitle: str, footer: str) -> bytes:
    """A bar chart of received reports per month, as PNG bytes."""
    width, height = PNG_SIZE
    image = Image.new("RGB", PNG_SIZE, "white")
    draw = ImageDraw.Draw(image)
    ink, muted, grid, bar = "#1a1a1a", "#555555", "#dddddd", "#1d5fa8"
    draw.text((48, 32), title, font=chart_font(34, bold=True), fill=ink)
    draw.text((48, 80), subtitle, font=chart_font(20), fill=muted)
    draw.text((48, height - 40), footer, font=chart_font(16), fill=muted)
    left, right, top, bottom = 110, width - 48, 140, height - 110
    buckets = buckets[-PNG_MAX_MONTHS:]
    if not buckets or not any(b.measures.received for b in buckets):
        empty = _("Chưa có số liệu trong khoảng đã chọn.")
        draw.text((left, (top + bottom) // 2), empty, font=chart_font(24), fill=muted)
    else:
        most = max(b.measures.received for b in buckets)
        step = _nice_step(most)
        ceiling = step * math.ceil(most / step)
        label_font = chart_font(16)
        for value in range(0, ceiling + 1, step):
            y = bottom - (bottom - top) * value / ceiling
            draw.line([(left, y), (right, y)], fill=grid, width=1)
            text = f"{value:,}".replace(",", ".")
            draw.text((left - 12, y), text, font=label_font, fill=muted, anchor="rm")
        slot = (right - left) / len(buckets)
        bar_width = max(2.0, slot * 0.7)
        every = max(1, math.ceil(len(buckets) / 12))  # at most about 12 month labels
        value_font = chart_font(16 if slot >= 40 else 12)
        for index, bucket in enumerate(buckets):
            x = left + slot * index + (slot - bar_width) / 2
            y = bottom - (bottom - top) * bucket.measures.received / ceiling
            if bucket.measures.received:
                draw.rectangle([(x, y), (x + bar_width, bottom)], fill=bar)
                if slot >= 28:
                    count = str(bucket.measures.received)
                    draw.text((x + bar_width / 2, y - 6), count, font=value_font, fill=ink, anchor="md")
            if index % every == 0:
                draw.text((x + bar_width / 2, bottom + 12), bucket.label, font=label_font, fill=ink, anchor="mt")
        draw.line([(left, bottom), (right, bottom)], fill=ink, width=2)
        draw.text((right, bottom + 40), _("Tháng tiếp nhận"), font=label_font, fill=muted, anchor="ra")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
