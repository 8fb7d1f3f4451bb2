"""Draw the app's icons once (the files are committed): a white map pin on the site's blue (--brand).

Run: .venv/bin/python scripts/make_icons.py  (writes static/icons/).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (11, 83, 148)  # --brand in static/css/site.css
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
SCALE = 4  # drawn large, then shrunk: smooth edges without an anti-aliasing library


def pin(draw: ImageDraw.ImageDraw, size: int, extent: float) -> None:
    """A pin filling `extent` of the icon's height, centred: a disc over a point, with a hole."""
    height = size * extent
    radius = height * 0.34
    cx, top = size / 2, (size - height) / 2
    cy = top + radius
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=WHITE)
    shoulder = cy + radius * 0.58
    draw.polygon([(cx - radius * 0.82, shoulder), (cx + radius * 0.82, shoulder), (cx, top + height)], fill=WHITE)
    hole = radius * 0.42
    draw.ellipse((cx - hole, cy - hole, cx + hole, cy + hole), fill=BRAND)


def icon(size: int, *, maskable: bool) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        # Full bleed: the launcher cuts its own shape; the pin stays inside the 80 % safe zone.
        draw.rectangle((0, 0, big, big), fill=BRAND)
        pin(draw, big, 0.52)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.18, fill=BRAND)
        pin(draw, big, 0.7)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
        icon(size, maskable=True).save(OUT / f"icon-maskable-{size}.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    icon(32, maskable=False).save(OUT / "favicon-32.png", optimize=True)
    icon(64, maskable=False).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])


if __name__ == "__main__":
    main()
