"""The chat pin page on a phone (390 px wide, as an iPhone 12–15 in Messenger's browser)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from boundaries.models import AdminUnit
from channels.chat.models import ChatEvent, Conversation, Stage
from channels.chat.pin import pin_url
from tests.browser import chromium, wait_until_map_settles
from tests.chat.conftest import work
from tests.chat.graph_server import FakeGraph
from tests.chat.meta import graph, graph_server
from tests.conftest import point_in

__all__ = ["graph", "graph_server"]  # fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (demo)


def test_a_person_drops_a_pin_on_a_phone_and_it_enters_the_conversation(
    demo_site: str, graph: FakeGraph, output_dir: Path
) -> None:
    conversation = Conversation.objects.create(
        platform="messenger", user_id="7001", stage=Stage.ADDRESS, name="Phạm Thu Hà", phone="+84987654321"
    )
    lng, lat = point_in(WARD)
    ward = AdminUnit.objects.get(code=WARD)
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(demo_site + urlsplit(pin_url(conversation=conversation)).path)
            # The province's outline drawn (and fitted) before the person moves the map.
            page.wait_for_function("document.querySelectorAll('#pin-map .leaflet-overlay-pane path').length >= 7")
            # Fitting the province animates the zoom; a view set meanwhile would be undone.
            wait_until_map_settles(page, "ChatPin.map")
            assert page.locator("html").get_attribute("lang") == "vi"
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            send = page.get_by_role("button", name="Gửi vị trí này")
            assert send.is_disabled()

            page.evaluate("([lat, lng]) => ChatPin.map.setView([lat, lng], 16, { animate: false })", [lat, lng])
            page.get_by_role("button", name="Đặt ghim ở giữa bản đồ").click()
            page.wait_for_function(
                "name => document.getElementById('pin-status').textContent.includes(name)", arg=ward.name
            )
            # Touch targets of at least 44 × 44 CSS pixels.
            for name in ("Vị trí của tôi", "Đặt ghim ở giữa bản đồ", "Bỏ ghim", "Gửi vị trí này"):
                box = page.get_by_role("button", name=name).bounding_box()
                assert box is not None and box["height"] >= 44 and box["width"] >= 44, (name, box)
            page.screenshot(path=str(output_dir / "chat-pin-phone.png"), full_page=True)

            send.click()
            page.wait_for_url(re.compile(r"\?sent=1$"))
            assert "Đã gửi vị trí" in page.inner_text("#pin-sent")
            assert page.evaluate("document.activeElement.id") == "pin-sent"
            assert errors == []
        [event] = ChatEvent.objects.filter(platform="messenger", event_id__startswith="pin:")
        assert abs(event.payload["pin"]["lat"] - lat) < 1e-4 and abs(event.payload["pin"]["lng"] - lng) < 1e-4
        work()
        assert "#KT" in graph.texts_to("7001")[-1]
        conversation.refresh_from_db()
        assert conversation.stage == Stage.COLLECT
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'chat'")
