"""The province's Zalo OA and Facebook page as QR codes and links, where configured: the served SVG is
read back by an independent decoder (zxing-cpp) to the configured URL."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import zxingcpp
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

ZALO = "https://zalo.me/4318652113256451234"
FACEBOOK = "https://www.facebook.com/congdan.tayninh"
SVG = "{http://www.w3.org/2000/svg}"


def decode_svg(svg: bytes) -> str:
    """Draw the SVG's path (horizontal strokes one module high, as segno writes it) and read the QR code."""
    root = ET.fromstring(svg)  # noqa: S314 (our own response)
    path = root.find(f"{SVG}path")
    assert path is not None
    scale = float(re.fullmatch(r"scale\((\d+(?:\.\d+)?)\)", path.get("transform", "scale(1)")).group(1))  # type: ignore[union-attr]
    size = round(float(root.get("width", "0")) / scale)
    modules = np.zeros((size, size), dtype=bool)
    x = y = 0.0
    for command, first, second in re.findall(r"([MmHh])(-?[\d.]+)(?:\s+(-?[\d.]+))?", path.get("d", "")):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            end = float(first) if command == "H" else x + float(first)
            modules[int(y), int(x) : int(end)] = True
            x = end
    image = np.where(np.kron(modules, np.ones((6, 6), dtype=bool)), 0, 255).astype(np.uint8)
    [found] = zxingcpp.read_barcodes(image)
    return str(found.text)


@pytest.fixture
def pages(settings: SettingsWrapper) -> None:
    settings.ZALO_OA_URL = ZALO
    settings.FACEBOOK_PAGE_URL = FACEBOOK


def test_the_qr_codes_read_back_to_the_configured_pages(client: Client, db: None, pages: None) -> None:
    for name, url in (("zalo", ZALO), ("facebook", FACEBOOK)):
        response = client.get(f"/ma-qr/{name}.svg")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert "max-age=86400" in response["Cache-Control"]
        assert decode_svg(response.content) == url


def test_the_pages_are_shown_only_where_configured(client: Client, db: None, settings: SettingsWrapper) -> None:
    settings.ZALO_OA_URL = ZALO
    settings.FACEBOOK_PAGE_URL = ""
    for page in ("/", "/phan-anh/gui/"):
        html = client.get(page).content.decode()
        assert f'href="{ZALO}"' in html and 'src="/ma-qr/zalo.svg"' in html, page
        assert 'alt="Mã QR đến Zalo OA của tỉnh"' in html, page
        assert "/ma-qr/facebook.svg" not in html, page
    assert client.get("/ma-qr/facebook.svg").status_code == 404
    settings.ZALO_OA_URL = ""
    assert "channel-links" not in client.get("/").content.decode()
    assert client.get("/ma-qr/zalo.svg").status_code == 404
