"""CAP 1.2 documents for published warnings, and the Atom feed of current ones.

What the schema cannot check and aggregators still need: times with a numeric
offset (+07:00) and no fractional seconds, polygon pairs latitude first with at
most 6 decimals in closed rings of at least 4 pairs, circle radii in kilometres,
and `expires`, `description` and `area` always present.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone
from django.utils.translation import override
from lxml import etree

from .models import CAP_CATEGORY, Alert, AlertAreaPart, Category, Status

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_CONTENT_TYPE = "application/cap+xml"
ATOM_CONTENT_TYPE = "application/atom+xml"
LANGUAGE = "vi-VN"
# CAP readers handle a few hundred points per polygon; unit outlines are simplified to this.
MAX_RING_POINTS = 500
GEOCODE_NAME = "VN-ADMIN-CODE"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def cap_sender() -> str:
    configured = getattr(settings, "CAP_SENDER", "")
    if configured:
        return str(configured)
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"canhbao@{host}"


def cap_time(value: datetime) -> str:
    """2025-06-01T08:30:00+07:00: Vietnam's offset, whole seconds (CAP refuses "Z" and fractions)."""
    return value.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def _number(value: float) -> str:
    # At most 6 decimals (about 10 cm), without trailing zeros.
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pair(lng: float, lat: float) -> str:
    """CAP writes latitude first."""
    return f"{_number(lat)},{_number(lng)}"


def ring_string(coords: Iterable[tuple[float, ...]]) -> str | None:
    """A closed ring as CAP pairs "lat,lon lat,lon …"; None when too few distinct points remain."""
    pairs: list[str] = []
    for x, y, *_ in coords:
        pair = _pair(x, y)
        if not pairs or pairs[-1] != pair:
            pairs.append(pair)
    if len(pairs) > 1 and pairs[0] == pairs[-1]:
        pairs.pop()
    if len(set(pairs)) < 3:
        return None
    pairs.append(pairs[0])
    return " ".join(pairs)


def _rings(geom: Polygon | MultiPolygon) -> list[str]:
    """Exterior rings (CAP polygons have no holes), simplified until each is small enough."""
    polygons: list[Polygon] = [p for p in geom if isinstance(p, Polygon)] if isinstance(geom, MultiPolygon) else [geom]
    out: list[str] = []
    for polygon in polygons:
        shape: Polygon = polygon
        tolerance = 0.0002
        while shape.exterior_ring.num_points > MAX_RING_POINTS:
            # Preserving topology keeps the ring simple (valid) while it shrinks.
            simpler = polygon.simplify(tolerance, preserve_topology=True)
            if not isinstance(simpler, Polygon):
                break
            shape = simpler
            tolerance *= 2
        ring = ring_string(shape.exterior_ring.coords)
        if ring is not None:
            out.append(ring)
    return out


def _circle(part: AlertAreaPart) -> str:
    if part.center is None or part.radius_m is None:
        raise ValueError("A circle part needs its centre and radius.")
    radius_km = round(part.radius_m / 1000.0, 3)
    return f"{_pair(part.center.x, part.center.y)} {radius_km:g}"


def message_identifier(alert: Alert) -> str:
    """This version's current message: its own, or the Cancel message once it is cancelled."""
    if alert.status == Status.CANCELLED and alert.approved_at is not None:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, alert.identifier + '#cancel')}"
    return alert.identifier


def message_type(alert: Alert) -> str:
    if alert.status == Status.CANCELLED and alert.approved_at is not None:
        return "Cancel"
    return alert.msg_type


def message_sent(alert: Alert) -> datetime:
    if message_type(alert) == "Cancel" and alert.cancelled_at is not None:
        return alert.cancelled_at
    if alert.approved_at is None:
        raise ValueError("An unpublished alert has no CAP message.")
    return alert.approved_at


def references(alert: Alert) -> list[str]:
    """The messages this one replaces, oldest first, as "sender,identifier,sent"."""
    sender = cap_sender()
    chain: list[Alert] = []
    if message_type(alert) == "Cancel":
        chain.append(alert)
    previous = alert.references
    while previous is not None:
        chain.append(previous)
        previous = previous.references
    return [
        f"{sender},{version.identifier},{cap_time(version.approved_at)}"
        for version in reversed(chain)
        if version.approved_at is not None
    ]


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _area(info: etree._Element, alert: Alert) -> None:
    parts = list(alert.parts.all())
    drawn_polygons: list[str] = []
    circles: list[str] = []
    for part in parts:
        if part.kind == AlertAreaPart.Kind.POLYGON and part.polygon is not None:
            drawn_polygons.extend(_rings(part.polygon))
        elif part.kind == AlertAreaPart.Kind.CIRCLE:
            circles.append(_circle(part))
    if drawn_polygons or circles:
        area = _sub(info, "area")
        _sub(area, "areaDesc", alert.area_description)
        for ring in drawn_polygons:
            _sub(area, "polygon", ring)
        for circle in circles:
            _sub(area, "circle", circle)
    for part in parts:
        if part.kind == AlertAreaPart.Kind.UNIT and part.unit is not None:
            area = _sub(info, "area")
            _sub(area, "areaDesc", part.unit.name)
            for ring in _rings(part.unit.geom):
                _sub(area, "polygon", ring)
            geocode = _sub(area, "geocode")
            _sub(geocode, "valueName", GEOCODE_NAME)
            _sub(geocode, "value", part.unit.code)
    if not parts:
        # Always an area: aggregators drop messages without one.
        area = _sub(info, "area")
        _sub(area, "areaDesc", alert.area_description)
        for ring in _rings(alert.area):
            _sub(area, "polygon", ring)


# CAP documents and the feed are in Vietnamese (language vi-VN) whatever the reader's page language.
@override(settings.LANGUAGE_CODE)
def cap_document(alert: Alert, *, web_url: str = "") -> bytes:
    """The alert's current CAP 1.2 message (Alert, Update, or Cancel once cancelled) as UTF-8 XML."""
    msg_type = message_type(alert)
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(root, "identifier", message_identifier(alert))
    _sub(root, "sender", cap_sender())
    _sub(root, "sent", cap_time(message_sent(alert)))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", msg_type)
    _sub(root, "scope", "Public")
    if msg_type == "Cancel" and alert.cancel_reason:
        _sub(root, "note", alert.cancel_reason)
    refs = references(alert)
    if refs:
        _sub(root, "references", " ".join(refs))

    info = _sub(root, "info")
    _sub(info, "language", LANGUAGE)
    _sub(info, "category", CAP_CATEGORY[alert.category])
    _sub(info, "event", str(Category(alert.category).label))
    _sub(info, "responseType", "AllClear" if msg_type == "Cancel" else "Monitor")
    _sub(info, "urgency", "Past" if msg_type == "Cancel" else alert.urgency)
    _sub(info, "severity", alert.severity)
    _sub(info, "certainty", alert.certainty)
    _sub(info, "effective", cap_time(alert.starts_at))
    _sub(info, "onset", cap_time(alert.starts_at))
    _sub(info, "expires", cap_time(alert.ends_at))
    _sub(info, "senderName", alert.agency.name)
    headline = f"Đã hủy: {alert.headline}" if msg_type == "Cancel" else alert.headline
    _sub(info, "headline", headline)
    description = alert.description
    if msg_type == "Cancel":
        description = f"Cảnh báo này đã được hủy. {alert.cancel_reason}".strip() + "\n\n" + description
    _sub(info, "description", description)
    if alert.instruction and msg_type != "Cancel":
        _sub(info, "instruction", alert.instruction)
    if web_url:
        _sub(info, "web", web_url)
    _area(info, alert)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document


@override(settings.LANGUAGE_CODE)
def atom_feed(
    alerts: Iterable[Alert], *, feed_url: str, cap_url: Callable[[Alert], str], page_url: Callable[[Alert], str]
) -> bytes:
    """An Atom feed of current warnings, each entry linking to its CAP document."""
    A = f"{{{ATOM_NS}}}"
    feed = etree.Element(f"{A}feed", nsmap={None: ATOM_NS})
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", LANGUAGE)
    etree.SubElement(feed, f"{A}id").text = feed_url
    etree.SubElement(feed, f"{A}title").text = "Thông tin cảnh báo"
    etree.SubElement(feed, f"{A}subtitle").text = "Cảnh báo đang có hiệu lực (CAP 1.2)"
    etree.SubElement(feed, f"{A}link", rel="self", href=feed_url, type=ATOM_CONTENT_TYPE)
    author = etree.SubElement(feed, f"{A}author")
    etree.SubElement(author, f"{A}name").text = cap_sender()
    items = list(alerts)
    updated = max((message_sent(a) for a in items), default=None) or timezone.now()
    etree.SubElement(feed, f"{A}updated").text = cap_time(updated)
    for alert in items:
        entry = etree.SubElement(feed, f"{A}entry")
        etree.SubElement(entry, f"{A}id").text = message_identifier(alert)
        title = alert.headline if message_type(alert) != "Cancel" else f"Đã hủy: {alert.headline}"
        etree.SubElement(entry, f"{A}title").text = title
        etree.SubElement(entry, f"{A}updated").text = cap_time(message_sent(alert))
        etree.SubElement(entry, f"{A}published").text = cap_time(message_sent(alert))
        entry_author = etree.SubElement(entry, f"{A}author")
        etree.SubElement(entry_author, f"{A}name").text = alert.agency.name
        etree.SubElement(entry, f"{A}link", rel="alternate", type=CAP_CONTENT_TYPE, href=cap_url(alert))
        etree.SubElement(entry, f"{A}link", rel="related", type="text/html", href=page_url(alert))
        label = str(alert.get_category_display())
        etree.SubElement(entry, f"{A}category", term=CAP_CATEGORY[alert.category], label=label)
        etree.SubElement(entry, f"{A}summary").text = (
            f"{alert.get_severity_display()} — {alert.area_description}. "
            f"Từ {timezone.localtime(alert.starts_at):%H:%M %d/%m/%Y} "
            f"đến {timezone.localtime(alert.ends_at):%H:%M %d/%m/%Y}."
        )
    document: bytes = etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document
