"""CAP 1.2 documents and the Atom feed: valid against the official schema, plus what the schema cannot check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from lxml import etree

from accounts.models import User
from alerts import services
from alerts.models import Alert
from tests.conftest import point_in

from .conftest import DISTRICT, WARD, alert_input, published

pytestmark = pytest.mark.django_db

XSD = Path(settings.BASE_DIR).parent / "shared" / "schemas" / "cap12.xsd"
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
ATOM = {"a": "http://www.w3.org/2005/Atom"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
PAIR = re.compile(r"^-?\d{1,2}(\.\d{1,6})?,-?\d{1,3}(\.\d{1,6})?$")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def fetch(client: Client, alert: Alert, schema: etree.XMLSchema) -> etree._Element:
    response = client.get(f"/api/v1/alerts/{alert.pk}.cap")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/cap+xml")
    root = etree.fromstring(response.content)
    assert schema.validate(root), schema.error_log
    check_beyond_schema(root)
    return root


def num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def one(root: etree._Element, path: str) -> str:
    [node] = root.xpath(path, namespaces=NS)
    return str(node.text)


def check_beyond_schema(root: etree._Element) -> None:
    """What aggregators need and the XSD does not say."""
    for path in ("cap:sent", "cap:info/cap:effective", "cap:info/cap:onset", "cap:info/cap:expires"):
        value = one(root, path)
        assert TIME.match(value), (path, value)
        assert value.endswith("+07:00")
    assert one(root, "cap:scope") == "Public"
    assert one(root, "cap:info/cap:language") == "vi-VN"
    assert one(root, "cap:info/cap:description").strip()
    areas = root.xpath("cap:info/cap:area", namespaces=NS)
    assert areas
    for area in areas:
        assert area.findtext("cap:areaDesc", namespaces=NS).strip()
        shapes = area.xpath("cap:polygon | cap:circle", namespaces=NS)
        assert shapes
    for polygon in root.xpath("//cap:polygon", namespaces=NS):
        pairs = polygon.text.split(" ")
        assert len(pairs) >= 4 and pairs[0] == pairs[-1]
        for pair in pairs:
            assert PAIR.match(pair), pair
            lat, lon = (float(v) for v in pair.split(","))
            # Vietnam: latitude first means 8..24, longitude 102..110.
            assert 8 < lat < 24 and 102 < lon < 110, pair
    for circle in root.xpath("//cap:circle", namespaces=NS):
        centre, radius = circle.text.split(" ")
        assert PAIR.match(centre)
        assert float(radius) > 0


def test_alert_update_cancel_documents(client: Client, officer: User, leader: User, schema: etree.XMLSchema) -> None:
    lng, lat = point_in(WARD)
    first = published(
        officer,
        leader,
        area=[
            {"kind": "unit", "code": WARD},
            {"kind": "circle", "lat": lat, "lng": lng, "radius_m": 1500},
            {
                "kind": "polygon",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[lng, lat], [lng + 0.01, lat], [lng + 0.01, lat + 0.01], [lng, lat]]],
                },
            },
        ],
    )
    root = fetch(client, first, schema)
    assert one(root, "cap:msgType") == "Alert"
    assert one(root, "cap:identifier") == first.identifier
    assert one(root, "cap:status") == "Actual"
    assert one(root, "cap:info/cap:category") == "Geo"
    assert one(root, "cap:info/cap:headline") == first.headline
    assert one(root, "cap:info/cap:senderName") == first.agency.name
    assert not root.xpath("cap:references", namespaces=NS)
    # The circle: centre latitude first, radius in kilometres.
    assert one(root, "//cap:circle") == f"{num(lat)},{num(lng)} 1.5"
    # The drawn triangle comes back as a closed ring, latitude first.
    drawn = [p.text for p in root.xpath("//cap:polygon", namespaces=NS) if p.text.startswith(f"{num(lat)},")]
    assert drawn and drawn[0].split(" ")[1] == f"{num(lat)},{num(lng + 0.01)}"
    # The admin unit: its own area with a geocode.
    [unit_area] = root.xpath("//cap:area[cap:geocode]", namespaces=NS)
    assert unit_area.findtext("cap:geocode/cap:value", namespaces=NS) == WARD
    assert unit_area.findtext("cap:geocode/cap:valueName", namespaces=NS)

    second = services.alert_publish_update(
        alert=first, actor=leader, data=alert_input(headline="Cập nhật", area=[{"kind": "unit", "code": DISTRICT}])
    )
    update = fetch(client, second, schema)
    assert one(update, "cap:msgType") == "Update"
    first_sent = one(root, "cap:sent")
    assert one(update, "cap:references") == f"{one(root, 'cap:sender')},{first.identifier},{first_sent}"

    services.alert_cancel(alert=second, actor=leader, reason="Hết mưa")
    cancel = fetch(client, second, schema)
    assert one(cancel, "cap:msgType") == "Cancel"
    assert one(cancel, "cap:identifier") != second.identifier
    references = one(cancel, "cap:references").split(" ")
    assert f"{one(update, 'cap:sender')},{second.identifier},{one(update, 'cap:sent')}" in references
    # The district outline, simplified for CAP, stays a valid closed ring.
    assert len(cancel.xpath("//cap:polygon", namespaces=NS)) >= 1


def test_unpublished_alerts_have_no_cap(client: Client, officer: User) -> None:
    draft = services.alert_create(actor=officer, data=alert_input())
    assert client.get(f"/api/v1/alerts/{draft.pk}.cap").status_code == 404


def test_atom_feed_links_current_alerts(client: Client, officer: User, leader: User, schema: etree.XMLSchema) -> None:
    alert = published(officer, leader)
    services.alert_create(actor=officer, data=alert_input(headline="Bản nháp không lên feed"))
    response = client.get("/api/v1/alerts/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    entries = feed.findall("a:entry", ATOM)
    assert [e.findtext("a:title", namespaces=ATOM) for e in entries] == [alert.headline]
    [cap_link] = entries[0].xpath("a:link[@type='application/cap+xml']", namespaces=ATOM)
    href = cap_link.get("href")
    assert href.startswith("http://testserver/") and href.endswith(f"/api/v1/alerts/{alert.pk}.cap")
    # The link leads to a valid CAP document.
    linked = client.get(href.removeprefix("http://testserver"))
    assert schema.validate(etree.fromstring(linked.content))
    assert TIME.match(feed.findtext("a:updated", namespaces=ATOM))


READERS = [
    None,
    "*/*",
    "application/cap+xml",
    "application/xml",
    "text/xml",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json",
    "image/png",
]


def test_cap_and_feed_answer_any_reader(client: Client, officer: User, leader: User) -> None:
    """A .cap URL is the CAP document whatever the reader asks for (aggregators send CAP's own type)."""
    alert = published(officer, leader)
    for accept in READERS:
        check_reader(client, alert, {} if accept is None else {"HTTP_ACCEPT": accept})


def check_reader(client: Client, alert: Alert, headers: dict[str, Any]) -> None:
    response = client.get(f"/api/v1/alerts/{alert.pk}.cap", **headers)
    assert response.status_code == 200, response.content
    # XML: the document declares its own encoding (UTF-8).
    assert response["Content-Type"] == "application/cap+xml"
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert etree.fromstring(response.content).tag == "{urn:oasis:names:tc:emergency:cap:1.2}alert"
    feed = client.get("/api/v1/alerts/feed.atom", **headers)
    assert feed.status_code == 200, feed.content
    assert feed["Content-Type"] == "application/atom+xml"
    assert etree.fromstring(feed.content).tag == "{http://www.w3.org/2005/Atom}feed"
    # Not found stays an API error: JSON, in the one error shape.
    missing = client.get("/api/v1/alerts/987654321.cap", **headers)
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert missing.json()["detail"]
