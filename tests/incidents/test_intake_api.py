"""Sending reports through the API the mobile app is built against."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from agencies.models import Role
from incidents.deadlines import add_working_days
from incidents.models import Attachment, Category, Report, ReportEvent
from notifications.models import Notification
from tests.conftest import captcha_fields, point_in
from tests.factories import staff_make

pytestmark = pytest.mark.django_db

WARD = "D25450"


def _payload(**changes: object) -> dict[str, Any]:
    lng, lat = point_in(WARD)
    payload: dict[str, Any] = {
        "kind": "feedback",
        "category": "cay-xanh",
        "title": "Cây đổ chắn ngang đường",
        "description": "Sau cơn mưa tối qua, một cây lớn đổ chắn ngang đường, xe máy không qua được.",
        "location": {"type": "Point", "coordinates": [lng, lat]},
        "address": "Số 12 đường 30/4, khu phố 1",
        "reporter": {
            "name": "Nguyễn Văn An",
            "phone": "0912 345 678",
            "email": "an@example.vn",
            "id_number": "079123456789",
        },
    }
    payload.update(changes)
    return payload


def _post(client: Client, payload: dict[str, Any], **headers: str) -> Any:
    """Send a report as an anonymous app does: with a solved captcha."""
    payload = {**captcha_fields(client), **payload}
    return client.post("/api/v1/reports/", json.dumps(payload), content_type="application/json", headers=headers)


def test_categories_are_listed(client: Client, demo: None) -> None:
    body = client.get("/api/v1/categories/").json()
    assert {"code": "giao-thong", "name": "Giao thông và hạ tầng đường bộ"}.items() <= body[0].items()
    assert len(body) == 15


def test_a_report_is_routed_numbered_and_given_a_deadline(client: Client, demo: None) -> None:
    response = _post(client, _payload())
    assert response.status_code == 201, response.content
    body = response.json()
    today = timezone.localdate()
    assert body["code"].startswith(f"{today:%Y%m%d}") and len(body["code"]) == 12
    assert body["status"] == "forwarded" and body["status_label"] == "Đã chuyển xử lý"
    assert body["ward"] == {"code": WARD, "name": "Phường 1"}
    assert body["district"]["code"] == "D703" and body["province"]["code"] == "D72"
    # Trees have no specialised department: the ward's own agency handles it.
    assert body["agency"]["code"] == f"ubnd-{WARD.lower()}"
    days = Category.objects.get(code="cay-xanh").deadline_days
    assert days is not None
    assert body["deadline"] == add_working_days(today, days).isoformat()
    report = Report.objects.get(code=body["code"])
    assert report.reporter_phone == "+84912345678"
    assert list(report.events.values_list("action", flat=True)) == ["created", "forwarded"]
    # The reporter saw the code on screen: the receipt goes by e-mail only (no paid SMS);
    # the agency hears by e-mail. All through the outbox.
    recipients = set(Notification.objects.values_list("channel", "recipient"))
    assert ("email", "an@example.vn") in recipients and ("email", "ubnd-d25450@demo.tayninh.gov.vn") in recipients
    assert not Notification.objects.filter(channel="sms").exists()


def test_a_specialised_agency_wins_for_its_categories(client: Client, demo: None) -> None:
    body = _post(client, _payload(category="giao-thong")).json()
    assert body["agency"]["code"] == "so-gtvt"


def test_lat_lng_are_accepted_instead_of_geojson(client: Client, demo: None) -> None:
    payload = _payload()
    lng, lat = payload.pop("location")["coordinates"]
    response = _post(client, {**payload, "lat": lat, "lng": lng})
    assert response.status_code == 201
    assert response.json()["ward"]["code"] == WARD


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"location": {"type": "Point", "coordinates": [106.1, 95]}}, "location", "lat phải nằm trong khoảng"),
        ({"location": {"type": "Point", "coordinates": [107.5, 8.0]}}, "location", "ngoài địa bàn tiếp nhận"),
        ({"location": {"type": "Polygon", "coordinates": [[1, 2]]}}, "location", "GeoJSON Point"),
        ({"location": "{not json"}, "location", "JSON hợp lệ"),
        ({"title": "  "}, "title", "Tiêu đề không được để trống"),
        ({"title": "x" * 201}, "title", "dài quá 200 ký tự"),
        ({"category": "khong-co"}, "category", "Chuyên mục không tồn tại"),
        ({"kind": "complaint"}, "kind", "feedback"),
        ({"reporter": {"name": "An", "phone": "123"}}, "reporter.phone", "không hợp lệ"),
        ({"reporter": {"name": "An"}}, "reporter.phone", "phải để lại số điện thoại"),
        ({"reporter": {"name": "An", "phone": "0912345678", "id_number": "12ab"}}, "reporter.id_number", "9 hoặc 12"),
        ({"reporter": {"name": "An", "phone": "0912345678", "email": "not-an-email"}}, "reporter.email", "email"),
        ({"occurred_at": (timezone.now() + timedelta(days=2)).isoformat()}, "occurred_at", "tương lai"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(
    client: Client, demo: None, changes: dict[str, Any], field: str, message: str
) -> None:
    response = _post(client, _payload(**changes))
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    assert message.lower() in json.dumps(body["errors"][field], ensure_ascii=False).lower()
    assert not Report.objects.exists() and not Notification.objects.exists()


def test_script_in_text_is_stored_as_text_and_escaped(client: Client, demo: None) -> None:
    title = '<script>alert("x")</script> Đèn hỏng'
    code = _post(client, _payload(title=title)).json()["code"]
    assert Report.objects.get(code=code).title == title
    assert client.get(f"/api/v1/reports/{code}/").json()["title"] == title
    page = client.get(f"/phan-anh/{code}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Đèn hỏng" in page
    assert '<script>alert("x")' not in page


def test_a_retry_with_the_same_idempotency_key_returns_the_first_report(client: Client, demo: None) -> None:
    first = _post(client, _payload(), **{"Idempotency-Key": "9b1f0c2e-retry"})
    again = _post(client, _payload(), **{"Idempotency-Key": "9b1f0c2e-retry"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["code"] == first.json()["code"]
    assert Report.objects.count() == 1
    other = _post(client, _payload(title="Một phản ánh khác"), **{"Idempotency-Key": "9b1f0c2e-retry"})
    assert other.status_code == 409
    assert Report.objects.count() == 1


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (11.0, 19.0, 48.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_multipart_with_a_photo_strips_its_location_and_serves_a_thumbnail(client: Client, demo: None) -> None:
    payload = _payload()
    photo = _jpeg_with_gps()
    assert b"Exif" in photo
    form: dict[str, Any] = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
    upload = io.BytesIO(photo)
    upload.name = "IMG_0001.jpg"
    form["attachments"] = [upload]
    response = client.post("/api/v1/reports/", {**form, **captcha_fields(client)})
    assert response.status_code == 201, response.content
    body = response.json()
    (attachment,) = body["attachments"]
    assert attachment["kind"] == "image" and attachment["content_type"] == "image/jpeg"
    stored = b"".join(client.get(attachment["url"]).streaming_content)  # type: ignore[attr-defined]
    assert stored[:2] == b"\xff\xd8" and b"Exif" not in stored and b"PhoneMaker" not in stored
    thumbnail = client.get(attachment["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    # A hidden photo is gone from the public, file included.
    Attachment.objects.update(is_hidden=True, hidden_reason="Ảnh có biển số xe")
    assert client.get(attachment["url"]).status_code == 404
    assert client.get(f"/api/v1/reports/{body['code']}/").json()["attachments"] == []


def test_a_fake_image_is_refused(client: Client, demo: None) -> None:
    form: dict[str, Any] = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in _payload().items()}
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "photo.jpg"
    form["attachments"] = [fake]
    response = client.post("/api/v1/reports/", {**form, **captcha_fields(client)})
    assert response.status_code == 400
    assert "attachments" in response.json()["errors"]
    assert not Report.objects.exists() and not Attachment.objects.exists()


PRIVATE = ("+84912345678", "0912345678", "0912 345 678", "912345678", "an@example.vn", "079123456789")


def test_public_json_and_html_carry_no_personal_contact_data(client: Client, demo: None) -> None:
    shown = {"name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "an@example.vn", "confidential": False}
    code = _post(client, _payload(reporter={**shown, "id_number": "079123456789"})).json()["code"]
    documents = [
        client.get(f"/api/v1/reports/{code}/").content.decode(),
        client.get("/api/v1/reports/").content.decode(),
        client.get(f"/phan-anh/{code}/").content.decode(),
        client.get("/phan-anh/").content.decode(),
    ]
    for document in documents:
        assert code in document
        for secret in PRIVATE:
            assert secret not in document
    assert "Nguyễn Văn An" in documents[0]


def test_a_confidential_report_shows_no_name(client: Client, demo: None) -> None:
    reporter = {"name": "Trần Thị Bình", "phone": "0987654321", "confidential": True}
    code = _post(client, _payload(reporter=reporter)).json()["code"]
    for url in (f"/api/v1/reports/{code}/", "/api/v1/reports/", f"/phan-anh/{code}/"):
        assert "Trần Thị Bình" not in client.get(url).content.decode()


def test_list_is_geojson_with_bbox_and_filters(client: Client, demo: None) -> None:
    inside = _post(client, _payload()).json()["code"]
    lng, lat = point_in(WARD)
    body = client.get("/api/v1/reports/", {"bbox": f"{lng - 0.01},{lat - 0.01},{lng + 0.01},{lat + 0.01}"}).json()
    assert body["count"] == 1 and body["results"]["type"] == "FeatureCollection"
    feature = body["results"]["features"][0]
    assert feature["id"] == inside and feature["geometry"]["type"] == "Point"
    far = client.get("/api/v1/reports/", {"bbox": "100,10,100.1,10.1"}).json()
    assert far["count"] == 0
    assert client.get("/api/v1/reports/", {"category": "giao-thong"}).json()["count"] == 0
    assert client.get("/api/v1/reports/", {"status": "open"}).json()["count"] == 1
    assert client.get("/api/v1/reports/", {"q": "cay do"}).json()["count"] == 1  # diacritics ignored
    assert client.get("/api/v1/reports/", {"bbox": "1,2,3"}).status_code == 400
    assert client.get("/api/v1/reports/", {"from": "22-11-2026"}).status_code == 400


def test_sender_search_matches_only_that_sender(client: Client, demo: None) -> None:
    mine = _post(client, _payload(reporter={"name": "Nguyễn Văn An", "phone": "0912 345 678", "confidential": False}))
    mine = mine.json()["code"]
    _post(client, _payload(reporter={"name": "Lê Văn Cường", "phone": "0901234567", "confidential": False}))
    _post(client, _payload(reporter={"name": "Nguyễn Văn An", "phone": "0912345678", "confidential": True}))
    # A search key for staff only (anyone else gets 400: tests/incidents/test_public_actions.py).
    client.force_login(staff_make("canbo", "ubnd-d25450", Role.OFFICER))
    found = client.get("/api/v1/reports/", {"sender_phone": "912345678"}).json()
    assert [f["id"] for f in found["results"]["features"]] == [mine]
    by_name = client.get("/api/v1/reports/", {"sender_name": "nguyen van an"}).json()
    assert [f["id"] for f in by_name["results"]["features"]] == [mine]
    assert client.get("/api/v1/reports/", {"sender_name": "nguyen"}).json()["count"] == 0


def test_nearby_open_reports_are_offered_before_filing(client: Client, demo: None) -> None:
    code = _post(client, _payload()).json()["code"]
    lng, lat = point_in(WARD)

    def nearby(dlat: float, category: str) -> list[dict[str, Any]]:
        params = {"lat": str(lat + dlat), "lng": str(lng), "category": category}
        found: list[dict[str, Any]] = client.get("/api/v1/reports/nearby", params).json()
        return found

    assert [item["code"] for item in nearby(0.0005, "cay-xanh")] == [code]
    assert nearby(0.01, "cay-xanh") == []
    assert nearby(0.0, "y-te") == []


def test_places_are_found_without_diacritics(client: Client, demo: None) -> None:
    found = client.get("/api/v1/places/", {"q": "phuong 1 tay ninh"}).json()
    assert found[0]["code"] == WARD and found[0]["name"] == "Phường 1"
    assert client.get("/api/v1/places/", {"q": "x"}).status_code == 400


def test_places_read_an_address_as_intake_does(client: Client, demo: None) -> None:
    # The pin picker asks which ward a typed address names; the name search alone finds nothing in it.
    address = "Số 12 đường 30/4, Phường 1, Thành phố Tây Ninh"
    assert client.get("/api/v1/places/", {"q": address}).json() == []
    found = client.get("/api/v1/places/", {"q": address, "address": "1"}).json()
    assert [(place["code"], place["level"]) for place in found] == [(WARD, 3)]


def test_events_record_the_intake(client: Client, demo: None) -> None:
    code = _post(client, _payload()).json()["code"]
    created = ReportEvent.objects.get(report__code=code, action="created")
    assert created.ip_address == "127.0.0.1"


def test_the_created_answer_matches_its_documented_shape(client: Client, demo: None) -> None:
    from incidents.serializers import ReportCreatedSerializer

    body = _post(client, _payload()).json()
    assert set(body) == set(ReportCreatedSerializer().fields)
    stored = client.get(f"/api/v1/reports/{body['code']}/").json()
    for key in ("code", "ward", "district", "province", "agency", "deadline", "created_at", "location", "status"):
        assert body[key] == stored[key], key


def test_place_search_adds_street_addresses_from_the_geocoder(client: Client, demo: None, settings: Any) -> None:
    from tests.geocoder_server import GeocoderServer, Place

    street = Place("Đường 30/4, Phường 1, Thành phố Tây Ninh, Tây Ninh, Việt Nam", 11.3101, 106.0987)
    with GeocoderServer(places=[street]) as server:
        settings.GEOCODER_URL = server.url
        assert all(p["source"] == "boundary" for p in client.get("/api/v1/places/", {"q": "phuong 1"}).json())
        found = client.get("/api/v1/places/", {"q": "phuong 1", "geocode": "1"}).json()
        assert found[0]["source"] == "boundary" and found[0]["code"] == WARD
        assert found[-1] == {
            "code": "",
            "name": street.display_name,
            "kind": "Địa chỉ",
            "level": 0,
            "parent": "",
            "lat": 11.3101,
            "lng": 106.0987,
            "source": "geocoder",
        }
        assert server.requests[0].params["q"] == "phuong 1"
    settings.GEOCODER_URL = ""
    plain = client.get("/api/v1/places/", {"q": "phuong 1", "geocode": "1"}).json()
    assert all(place["source"] == "boundary" for place in plain)


def test_an_api_client_that_says_nothing_gets_confidential_and_the_choice_is_recorded(
    client: Client, demo: None
) -> None:
    code = _post(client, _payload()).json()["code"]
    report = Report.objects.get(code=code)
    assert report.confidential is True
    # Not stated is recorded as not stated, not as a choice.
    assert (report.consent_name_public, report.consent_channel) == (None, "app")
    assert report.consent_at is not None
    for url in (f"/api/v1/reports/{code}/", "/api/v1/reports/", f"/phan-anh/{code}/", "/phan-anh/"):
        document = client.get(url).content.decode()
        assert code in document, url
        for secret in ("Nguyễn Văn An", *PRIVATE):
            assert secret not in document, (url, secret)
    shown = _post(client, _payload(reporter={"name": "Lê Văn Hiện", "phone": "0901234567", "confidential": False}))
    report = Report.objects.get(code=shown.json()["code"])
    assert (report.confidential, report.consent_name_public) == (False, True)
    assert "Lê Văn Hiện" in client.get(f"/api/v1/reports/{report.code}/").content.decode()


def _flat_png(size: tuple[int, int]) -> io.BytesIO:
    """A one-colour PNG: a few kilobytes of file, millions of pixels to decode."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 200)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "anh.png"
    return buffer


def _multipart(client: Client, payload: dict[str, Any], files: list[io.BytesIO]) -> dict[str, Any]:
    form: dict[str, Any] = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
    form["attachments"] = files
    return {**form, **captcha_fields(client)}


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the images decoded during the test."""
    from incidents import attachments

    calls: list[str] = []
    original = attachments._process_image

    def recording(data: bytes, detected: Any, name: str) -> Any:
        calls.append(name)
        return original(data, detected, name)

    monkeypatch.setattr(attachments, "_process_image", recording)
    return calls


def test_a_report_refused_for_its_text_decodes_none_of_its_images(
    client: Client, demo: None, decoded: list[str]
) -> None:
    files = [_flat_png((2000, 2000)) for _ in range(3)]
    response = client.post("/api/v1/reports/", _multipart(client, _payload(category="khong-co", title=" "), files))
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"category", "title"}
    assert decoded == []
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_images_over_the_total_pixel_cap_are_refused_before_decoding(
    client: Client, demo: None, decoded: list[str], settings: Any
) -> None:
    settings.IMAGE_MAX_TOTAL_PIXELS = 5_000_000
    files = [_flat_png((2000, 1000)) for _ in range(3)]  # 6 million together, each well under IMAGE_MAX_PIXELS
    response = client.post("/api/v1/reports/", _multipart(client, _payload(), files))
    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"]["attachments"]
    assert "6.000.000 điểm ảnh" in message and "5.000.000 điểm ảnh" in message
    assert decoded == []
    assert not Report.objects.exists() and not Attachment.objects.exists()
    # Under the cap, the same images are taken.
    files = [_flat_png((2000, 1000)) for _ in range(2)]
    response = client.post("/api/v1/reports/", _multipart(client, _payload(), files))
    assert response.status_code == 201, response.content
    assert len(decoded) == 2 and Attachment.objects.count() == 2


# --- Anonymous callers: captcha, device, idempotency keys ---------------------------------------------


def test_the_api_hands_out_a_captcha_and_a_device_cookie(client: Client, demo: None) -> None:
    response = client.get("/api/v1/captcha")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["expires_in"] == 600 and body["image_url"].startswith("http://testserver/captcha/image/")
    image = client.get(body["image_url"].removeprefix("http://testserver"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    cookie = response.cookies["device"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 365 * 24 * 3600


@pytest.mark.parametrize(
    ("answer", "message"),
    [({}, "Hãy nhập mã xác nhận"), ({"captcha_value": "sai"}, "Mã xác nhận không đúng")],
)
def test_an_anonymous_report_needs_the_captcha(
    client: Client, demo: None, answer: dict[str, Any], message: str
) -> None:
    fields = captcha_fields(client)
    payload = {**_payload(), "captcha_key": fields["captcha_key"], **answer}
    response = client.post("/api/v1/reports/", json.dumps(payload), content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert message in body["detail"] and message in body["errors"]["captcha"][0]
    assert not Report.objects.exists()
    payload["captcha_value"] = fields["captcha_value"]
    again = client.post("/api/v1/reports/", json.dumps(payload), content_type="application/json")
    if answer:  # one try per captcha: after a wrong answer, the right one is refused too
        assert again.status_code == 400 and "captcha" in again.json()["errors"]
    else:
        assert again.status_code == 201


def test_a_signed_in_app_needs_no_captcha(client: Client, demo: None) -> None:
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    user = User.objects.create_user(username="dan", password="x", phone="+84912345678")
    token = Token.objects.create(user=user)
    response = client.post(
        "/api/v1/reports/",
        json.dumps(_payload()),
        content_type="application/json",
        headers={"Authorization": f"Token {token.key}"},
    )
    assert response.status_code == 201, response.content


def test_an_idempotency_key_belongs_to_its_caller(client: Client, demo: None) -> None:
    first = _post(client, _payload(), **{"Idempotency-Key": "1"})
    assert first.status_code == 201
    # Another device sending the same key (and the same report) gets a report of its own, not the first
    # one nor its reporter token.
    other = Client()
    second = _post(other, _payload(), **{"Idempotency-Key": "1"})
    assert second.status_code == 201, second.content
    assert second.json()["code"] != first.json()["code"] and second.json()["token"] != first.json()["token"]
    # Each one's retry still answers with its own.
    assert _post(other, _payload(), **{"Idempotency-Key": "1"}).json()["code"] == second.json()["code"]
    assert _post(client, _payload(), **{"Idempotency-Key": "1"}).json()["code"] == first.json()["code"]
    assert Report.objects.count() == 2


def test_an_idempotency_key_over_the_limit_is_refused_not_cut(client: Client, demo: None) -> None:
    response = _post(client, _payload(), **{"Idempotency-Key": "k" * 101})
    assert response.status_code == 400, response.content
    body = response.json()
    assert "100 ký tự" in body["detail"] and "idempotency_key" in body["errors"]
    assert not Report.objects.exists()
    assert _post(client, _payload(), **{"Idempotency-Key": "k" * 100}).status_code == 201


def test_the_captcha_expiry_sweep_has_an_index() -> None:
    # Each captcha check deletes the expired captchas; without an index that scans the whole table.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'captcha_captchastore' AND indexdef LIKE %s",
            ["%(expiration)%"],
        )
        assert cursor.fetchall()
