"""Area subscriptions and feeds: which reports an area selects (ward, district, radius at its edge), the
daily digest (confirmed addresses only, once per period, public items only, with its unsubscribe link),
the Atom feed (valid, public fields only, cacheable) and bad input."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import User
from boundaries.models import AdminUnit
from incidents import selectors, services
from incidents.areas import area_parse
from incidents.models import AreaSubscription, Report
from incidents.tasks import send_area_digests
from notifications.models import Notification
from tests.factories import report_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_once: None, db: None) -> None:
    """The demo loaded once for this module (tests.conftest.demo_once); each test runs in its own savepoint."""


ATOM = "{http://www.w3.org/2005/Atom}"
CENTER = (106.1, 11.3)  # lng, lat


def _place(report: Report, metres: float, azimuth_degrees: float = 0.0) -> None:
    """Moves the report's pin `metres` from CENTER on the spheroid (PostGIS' ST_Project)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_report SET location = ST_Project(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, "
            "%s, radians(%s))::geometry WHERE id = %s",
            [*CENTER, metres, azimuth_degrees, report.pk],
        )


def _codes(area_params: dict[str, str]) -> set[str]:
    return set(selectors.reports_in_area(area_parse(**area_params)).values_list("code", flat=True))


def test_a_radius_selects_up_to_its_edge_and_only_public_reports(leader: User) -> None:
    inside, edge, outside, hidden, unpinned = (report_make(title=f"Phản ánh {n}") for n in range(5))
    _place(inside, 10)
    _place(edge, 995, 90)
    _place(outside, 1005, 200)
    _place(hidden, 20)
    services.report_set_public(report=hidden, actor=leader, public=False, reason="Thông tin cá nhân")
    Report.objects.filter(pk=unpinned.pk).update(location=None)  # filed without a place: in no circle
    radius = {"lat": str(CENTER[1]), "lng": str(CENTER[0]), "radius": "1000"}
    assert _codes(radius) == {inside.code, edge.code}


def test_the_radius_predicate_is_served_by_the_geography_index(demo: None) -> None:
    area = area_parse(lat="11.3", lng="106.1", radius="1000")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # The predicate alone: with the list's newest-first order, a small table's planner may walk the
        # created_at index backwards instead (as it did once in CI), which says nothing about the radius.
        plan = selectors.reports_in_area(area).order_by().explain()
    assert "report_location_geography" in plan


def test_a_ward_and_a_district_select_by_the_reports_unit(demo: None) -> None:
    ward = AdminUnit.objects.get(code="D25450")
    here, elsewhere = report_make(ward="D25450"), report_make(ward="D25470")
    assert AdminUnit.objects.get(code="D25470").parent_id != ward.parent_id
    assert _codes({"ward": "D25450"}) == {here.code}
    assert _codes({"district": ward.parent.code if ward.parent else ""}) == {here.code}
    assert elsewhere.code in _codes({"ward": "D25470"})


BAD_AREAS: list[tuple[dict[str, str], str]] = [
    ({}, "ward"),
    ({"ward": "D25450", "district": "D703"}, "district"),
    ({"ward": "KHONG-CO"}, "ward"),
    ({"district": "D25450"}, "district"),  # a ward's code is no district
    ({"lat": "91", "lng": "106", "radius": "1000"}, "lat"),
    ({"lat": "11.3", "lng": "abc", "radius": "1000"}, "lng"),
    ({"lat": "11.3", "lng": "106.1", "radius": "50000"}, "radius"),
    ({"lat": "11.3", "lng": "106.1", "radius": "nan"}, "radius"),
]


def test_bad_areas_are_refused_by_field(demo: None) -> None:
    for params, field in BAD_AREAS:
        with pytest.raises(ValidationError) as refused:
            area_parse(**params)
        assert field in refused.value.message_dict, params


def _subscribe(email: str = "dan@example.vn", **area: str) -> AreaSubscription:
    return services.area_subscribe(email=email, area=area_parse(**(area or {"ward": "D25450"})))


def _link(body: str, path: str) -> tuple[str, str]:
    match = re.search(rf"https?://\S+{path}\?t=(\S+)", body)
    assert match is not None, body
    return urlsplit(match.group(0)).path, unquote(match.group(1))


def _confirm(client: Client, subscription: AreaSubscription) -> None:
    mail = Notification.objects.get(dedupe_key=f"area:{subscription.pk}:confirm")
    path, token = _link(mail.body, "/khu-vuc/xac-nhan/")
    assert client.get(path, {"t": token}).status_code == 200  # a mail scanner's visit confirms nothing
    assert AreaSubscription.objects.get(pk=subscription.pk).confirmed_at is None
    assert client.post(path, {"t": token}).status_code == 200
    assert AreaSubscription.objects.get(pk=subscription.pk).confirmed_at is not None


def _digests(email: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=email, dedupe_key__contains=":digest:").order_by("id"))


def test_the_digest_goes_once_per_period_to_confirmed_addresses_with_public_items_only(
    client: Client, leader: User
) -> None:
    confirmed, pending = _subscribe(), _subscribe("chua@example.vn")
    _confirm(client, confirmed)
    shown = report_make(ward="D25450", title="Ổ gà trước chợ", name="Nguyễn Văn Bình", phone="0912345678")
    hidden = report_make(ward="D25450", title="Nhà ông Tư lấn chiếm")
    services.report_set_public(report=hidden, actor=leader, public=False, reason="Thông tin cá nhân")
    services.report_answer(report=shown, actor=leader, body="Đã vá ổ gà.")
    until = timezone.now()
    assert services.area_digests_send(until=until) == 1
    assert services.area_digests_send(until=until) == 0  # the job run twice for one period
    [digest] = _digests("dan@example.vn")
    assert _digests("chua@example.vn") == [] and pending.confirmed_at is None
    assert shown.code in digest.body and "Đã vá ổ gà." in digest.body and "/khu-vuc/atom/?ward=D25450" in digest.body
    for private in (hidden.code, "lấn chiếm", "Bình", "912345678"):
        assert private not in digest.body
    # The next period lists only what is new since; an empty one sends nothing.
    assert services.area_digests_send(until=timezone.now()) == 0
    later = report_make(ward="D25450", title="Đèn đường tắt")
    assert services.area_digests_send(until=timezone.now()) == 1
    second = _digests("dan@example.vn")[-1]
    assert later.code in second.body and shown.code not in second.body
    # The unsubscribe link in it stops the next ones.
    path, token = _link(second.body, "/khu-vuc/huy/")
    assert client.get(path, {"t": token}).status_code == 200 and AreaSubscription.objects.filter(pk=confirmed.pk)
    assert client.post(path, {"t": token + "x"}).status_code == 400
    assert client.post(path, {"t": token}).status_code == 200
    assert not AreaSubscription.objects.filter(pk=confirmed.pk).exists()


def test_the_periodic_job_covers_the_period_it_was_scheduled_for_once(client: Client, demo: None) -> None:
    subscription = _subscribe(**{"lat": "11.3", "lng": "106.1", "radius": "2000"})
    _confirm(client, subscription)
    report = report_make()
    _place(report, 1500)
    stamp = int(timezone.now().timestamp()) + 1
    send_area_digests(timestamp=stamp)
    send_area_digests(timestamp=stamp)
    [digest] = _digests("dan@example.vn")
    assert report.code in digest.body and "bán kính 2000 m" in digest.body


def test_the_feed_is_valid_atom_with_public_fields_only_and_cacheable(client: Client, leader: User) -> None:
    shown = report_make(ward="D25450", title="Ổ gà trước chợ", name="Nguyễn Văn Bình", email="binh@example.vn")
    hidden = report_make(ward="D25450", title="Nhà ông Tư lấn chiếm")
    services.report_set_public(report=hidden, actor=leader, public=False, reason="Thông tin cá nhân")
    answer = services.report_answer(report=shown, actor=leader, body="Đã vá ổ gà.")
    response = client.get("/phan-anh/khu-vuc/atom/", {"ward": "D25450"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    feed = ET.fromstring(response.content)  # noqa: S314 (our own response)
    assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}id") and feed.findtext(f"{ATOM}updated")
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(ids) == len(set(ids)) == 2
    assert any(f"#tra-loi-{answer.pk}" in (i or "") for i in ids)
    for entry in entries:
        assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated")
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href", "").endswith(f"/phan-anh/{shown.code}/")
    text = response.content.decode()
    for private in (hidden.code, "lấn chiếm", "Bình", "binh@example.vn", "912345678"):
        assert private not in text


def test_the_feed_answers_bad_areas_with_400_and_the_reason(client: Client, demo: None) -> None:
    for query in ("", "?ward=KHONG-CO", "?lat=11&lng=106", "?lat=11&lng=106&radius=999999", "?ward=D25450&lat=1"):
        response = client.get(f"/phan-anh/khu-vuc/atom/{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"].startswith("text/plain") and response.content.decode().strip()


def test_the_subscription_page_sends_the_confirmation_and_shows_the_feed(client: Client, demo: None) -> None:
    page = client.get("/phan-anh/khu-vuc/")
    assert page.status_code == 200 and 'name="ward"' in page.content.decode()
    data = {"ward": "D25450", "email": "Dan@Example.vn", "radius": "1000", "action": "subscribe"}
    done = client.post("/phan-anh/khu-vuc/", data)
    assert done.status_code == 200 and "/phan-anh/khu-vuc/atom/?ward=D25450" in done.content.decode()
    subscription = AreaSubscription.objects.get()
    assert subscription.email == "dan@example.vn" and subscription.confirmed_at is None
    assert Notification.objects.filter(recipient="dan@example.vn", dedupe_key__endswith=":confirm").count() == 1
    for bad in ({**data, "email": "khong-hop-le"}, {**data, "email": ""}, {**data, "ward": "", "lat": "abc"}):
        refused = client.post("/phan-anh/khu-vuc/", bad)
        assert refused.status_code == 400 and "error-summary" in refused.content.decode()
    assert AreaSubscription.objects.count() == 1
    assert client.get("/phan-anh/khu-vuc/xac-nhan/", {"t": "gia-mao"}).status_code == 400
