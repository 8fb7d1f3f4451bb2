"""GeoReport v2 over real HTTP, in both formats: discovery, services, service definitions and requests,
checked against the community schemas and the specification's element names; every error case answered
in the specification's error shape; an independent client (the PyPI package `georeport`) reading us; and
creating requests, tested from the specification's text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone
from georeport import GeoReport

from .conftest import DEMO_KEY, PRIVATE, Site
from .spec import (
    ATTRIBUTE,
    CREATED,
    CREATED_SCHEMA,
    DISCOVERY,
    DISCOVERY_SCHEMA,
    ENDPOINT,
    SERVICE,
    W3C,
    check_error,
    check_xml_requests,
    children,
    nonempty,
    parsed,
    validate,
)

pytestmark = pytest.mark.django_db
FORMATS = ("json", "xml")
JURISDICTION = "tayninh.gov.vn"


def get(http: httpx.Client, path: str, fmt: str, **params: str) -> Any:
    response = http.get(f"{path}.{fmt}", params=params)
    assert response.status_code == 200, response.text[:300]
    return parsed(response, fmt)


def json_ids(body: list[dict[str, Any]]) -> set[str]:
    return {request["service_request_id"] for request in body}


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_both_formats(site: Site, http: httpx.Client, fmt: str) -> None:
    body = get(http, "/discovery", fmt)
    if fmt == "json":
        validate(body, DISCOVERY_SCHEMA)
        [endpoint] = body["endpoints"]
        assert (endpoint["url"], endpoint["formats"]) == (site.url, ["text/xml", "application/json"])
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    else:
        assert body.tag == "discovery" and children(body) == DISCOVERY
        [endpoint] = body.find("endpoints").findall("endpoint")
        assert children(endpoint) == ENDPOINT
        assert [f.text for f in endpoint.find("formats").findall("format")] == ["text/xml", "application/json"]


def test_services_and_definitions_in_both_formats(site: Site, http: httpx.Client) -> None:
    services = nonempty(get(http, "/services", "json", jurisdiction_id=JURISDICTION))
    validate(services, "services.json")
    by_code = {service["service_code"]: service for service in services}
    tree = by_code["cay-xanh"]
    assert (tree["service_name"], tree["type"], tree["metadata"]) == ("Cây xanh", "realtime", False)
    assert "cay xanh" in tree["keywords"]  # a keyword without diacritics
    assert by_code["giao-thong"]["group"] == "Sở Giao thông Vận tải"  # the department that handles it
    assert by_code["giao-thong"]["metadata"] is True  # it asks extra questions

    root = get(http, "/services", "xml")
    assert root.tag == "services" and len(root.findall("service")) == len(root) == len(services)
    for node in root.findall("service"):
        assert children(node) == SERVICE
        service = by_code[node.findtext("service_code")]
        assert node.findtext("metadata") == ("true" if service["metadata"] else "false")
        assert node.findtext("service_name") == service["service_name"]

    for service in services:
        definition = get(http, f"/services/{service['service_code']}", "json")
        validate(definition, "service-definition.json")
        assert definition["service_code"] == service["service_code"]
        assert bool(definition["attributes"]) == service["metadata"]
        for attribute in definition["attributes"]:
            assert list(attribute) == ATTRIBUTE
    road = get(http, "/services/giao-thong", "json")["attributes"]
    assert [(a["code"], a["variable"], a["order"]) for a in road] == [
        ("khan-cap", False, 1),
        ("kich-thuoc", True, 2),
        ("can-tro", True, 3),
    ]
    assert road[1]["datatype"] == "singlevaluelist" and road[1]["values"][2] == {"key": "lon", "name": "Lớn, trên 1 m"}
    xml = get(http, "/services/giao-thong", "xml")
    assert xml.tag == "service_definition" and children(xml) == ["service_code", "attributes"]
    attributes = xml.find("attributes").findall("attribute")
    assert [children(node) for node in attributes] == [ATTRIBUTE] * 3
    values = attributes[1].find("values").findall("value")
    assert [(v.findtext("key"), children(v)) for v in values] == [(k, ["key", "name"]) for k in ("nho", "vua", "lon")]
    assert get(http, "/services/cay-xanh", "xml").find("attributes").findall("attribute") == []


def test_requests_public_fields_in_both_formats(site: Site, http: httpx.Client) -> None:
    reports = site.reports
    body = nonempty(get(http, "/requests", "json"))
    validate(body, "requests.json")
    found = {request["service_request_id"]: request for request in body}
    # The default window is the last 90 days; a hidden report is nobody's business.
    assert {reports["open"].code, reports["photo"].code, reports["closed"].code} <= set(found)
    assert not {reports["hidden"].code, reports["old"].code} & set(found)

    closed, open_ = found[reports["closed"].code], found[reports["open"].code]
    assert (closed["status"], closed["status_notes"]) == ("closed", "Đã cắt tỉa cành cây.")
    assert (open_["status"], open_["status_notes"]) == ("open", "Đã chuyển xử lý")
    assert reports["open"].agency is not None and open_["agency_responsible"] == reports["open"].agency.name
    assert open_["expected_datetime"] == f"{reports['open'].deadline:%Y-%m-%d}T23:59:59+07:00"
    assert open_["service_notice"] and closed["service_notice"] is None
    assert open_["address"].startswith("12 Lê Lợi, Phường 1,") and open_["address_id"] == "D25450"
    assert all(W3C.match(open_[name]) for name in ("requested_datetime", "updated_datetime"))
    assert open_["media_url"] is None
    photo = httpx.get(found[reports["photo"].code]["media_url"])
    assert (photo.status_code, photo.headers["content-type"]) == (200, "image/jpeg")

    xml = get(http, "/requests", "xml")
    nodes = {node.findtext("service_request_id"): node for node in check_xml_requests(xml)}
    assert set(nodes) == set(found)
    assert nodes[reports["closed"].code].findtext("status_notes") == "Đã cắt tỉa cành cây."
    assert nodes[reports["open"].code].findtext("media_url") == ""  # an empty element: none
    for fmt in FORMATS:
        text = http.get(f"/requests.{fmt}").text
        assert not [value for value in PRIVATE if value in text]

    one = get(http, f"/requests/{reports['photo'].code}", "json")
    validate(one, "requests.json")
    assert [request["service_request_id"] for request in one] == [reports["photo"].code]
    [node] = check_xml_requests(get(http, f"/requests/{reports['photo'].code}", "xml"))
    assert node.findtext("media_url") == one[0]["media_url"]


def test_requests_filters(site: Site, http: httpx.Client) -> None:
    reports = site.reports
    # A list of ids overrides every other filter (not the window, not the service); hidden stays hidden.
    listed = ",".join(reports[name].code for name in ("old", "hidden", "open"))
    body = get(http, "/requests", "json", service_request_id=listed, service_code="chieu-sang", status="closed")
    assert json_ids(body) == {reports["old"].code, reports["open"].code}
    xml = get(http, "/requests", "xml", service_request_id=listed)
    assert {node.findtext("service_request_id") for node in check_xml_requests(xml)} == json_ids(body)

    assert json_ids(get(http, "/requests", "json", service_code="chieu-sang")) == {reports["photo"].code}
    closed = get(http, "/requests", "json", status="closed")
    assert json_ids(closed) == {reports["closed"].code}
    assert reports["closed"].code not in json_ids(get(http, "/requests", "json", status="open"))
    both = get(http, "/requests", "json", status="open,closed")
    assert reports["closed"].code in json_ids(both) and reports["open"].code in json_ids(both)

    now = timezone.now()
    window = {
        "start_date": (now - timedelta(days=101)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (now - timedelta(days=99)).astimezone(timezone.get_fixed_timezone(-300)).isoformat(),
    }
    assert json_ids(get(http, "/requests", "json", **window)) == {reports["old"].code}
    # A day alone is a W3C date; with only a start, the 90 days after it.
    since = get(http, "/requests", "json", start_date=f"{now - timedelta(days=1):%Y-%m-%d}")
    assert reports["open"].code in json_ids(since)
    empty = get(http, "/requests", "xml", service_code="no-such-service")
    assert empty.tag == "service_requests" and len(empty) == 0


ERRORS = [
    # (method, path, params or form, status)
    ("GET", "/requests", {"start_date": "hôm qua"}, 400),
    ("GET", "/requests", {"start_date": "2026-01-01T00:00:00"}, 400),  # no time zone
    ("GET", "/requests", {"start_date": "2026-13-45T00:00:00Z"}, 400),
    ("GET", "/requests", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400),
    ("GET", "/requests", {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, 400),
    ("GET", "/requests", {"status": "pending"}, 400),
    ("GET", "/requests", {"service_code": "a\x00b"}, 400),  # refused before any view by the request guard
    ("GET", "/services", {"jurisdiction_id": "sfgov.org"}, 404),
    ("GET", "/services/no-such-service", {}, 404),
    ("GET", "/requests/000000000000", {}, 404),
    ("GET", "/tokens/12345", {}, 404),
    ("GET", "/no-such-resource", {}, 404),
    ("POST", "/services", {}, 405),
    ("POST", "/requests", {"service_code": "cay-xanh", "lat": "11.3", "long": "106.1"}, 403),  # no key
    ("POST", "/requests", {"api_key": "not-a-key-we-issued", "service_code": "cay-xanh"}, 403),
    ("POST", "/requests", {"api_key": DEMO_KEY}, 400),  # no service_code
    ("POST", "/requests", {"api_key": DEMO_KEY, "service_code": "no-such-service"}, 404),
    ("POST", "/requests", {"api_key": DEMO_KEY, "service_code": "cay-xanh"}, 400),  # no location
    ("POST", "/requests", {"api_key": DEMO_KEY, "service_code": "cay-xanh", "lat": "0", "long": "0"}, 400),
    ("POST", "/requests", {"api_key": DEMO_KEY, "service_code": "cay-xanh", "address_id": "NOPE"}, 400),
    ("POST", "/requests", {"api_key": DEMO_KEY, "service_code": "cay-xanh", "lat": "91", "long": "106"}, 400),
    ("POST", "/requests", {"api_key": DEMO_KEY, "jurisdiction_id": "sfgov.org"}, 404),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_error_in_the_specifications_shape(site: Site, http: httpx.Client, fmt: str) -> None:
    for method, path, values, status in ERRORS:
        if method == "GET":
            response = http.get(f"{path}.{fmt}", params=values)
        else:
            response = http.request(method, f"{path}.{fmt}", data=values)
        assert check_error(response, fmt, status), (path, values)
    revoked = http.post(f"/requests.{fmt}", data={"api_key": site.revoked_key, "service_code": "cay-xanh"})
    check_error(revoked, fmt, 403)
    as_json = http.post(f"/requests.{fmt}", json={"api_key": DEMO_KEY, "service_code": "cay-xanh"})
    check_error(as_json, fmt, 400)
    hidden = http.get(f"/requests/{site.reports['hidden'].code}.{fmt}")
    check_error(hidden, fmt, 404)


def test_an_unknown_format_is_refused_in_xml(site: Site, http: httpx.Client) -> None:
    # XML is the format the specification requires: what a client asking for another one gets.
    for path in ("/services.csv", "/requests.html", "/discovery.yaml"):
        check_error(http.get(path), "xml", 400)


def test_a_key_is_limited(site: Site, http: httpx.Client, settings: Any) -> None:
    settings.OPEN311_KEY_RATE = "2/hour"
    form = {"api_key": site.limited_key}  # counted before anything else is checked
    assert [http.post("/requests.json", data=form).status_code for _ in range(2)] == [400, 400]
    limited = http.post("/requests.xml", data=form)
    assert "api_key" in check_error(limited, "xml", 429)[0]
    assert int(limited.headers["Retry-After"]) > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_georeport_client_reads_us(site: Site, fmt: str) -> None:
    """`georeport` (PyPI), an Open311 client not written by us: services, a definition and requests."""
    client = GeoReport(site.url, jurisdiction=JURISDICTION, output_format=fmt)
    services = client.get_service_list()
    assert "cay-xanh" in {service["service_code"] for service in services}
    definition = client.get_service_definition("giao-thong")
    assert definition["service_code"] == "giao-thong"
    # In XML the client hands back xmltodict's parse: the list is under its item name, and a list of one
    # element would be that element itself (a dict, not a list of one); three attributes stay a list.
    attributes = definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"]
    assert [attribute["code"] for attribute in attributes] == ["khan-cap", "kich-thuoc", "can-tro"]
    requests = client.get_service_requests(status="closed")
    code = site.reports["closed"].code
    if fmt == "xml":
        # Its quirk again: one request comes back as a dict.
        assert isinstance(requests, dict)
        requests = [requests]
    assert [request["service_request_id"] for request in requests] == [code]
    assert requests[0]["status_notes"] == "Đã cắt tỉa cành cây."
    one = client.get_service_request(site.reports["photo"].code)
    assert one["service_request_id"] == site.reports["photo"].code and one["media_url"]


# The specification's example POST ("Example Request" under POST Service Request), with only what names
# our deployment changed: our key and jurisdiction, one of our services and its attributes, a point in one
# of our wards, and a Vietnamese phone number (our intake keeps phone numbers it can send an SMS to).
SPEC_EXAMPLE = (
    "api_key={key}&jurisdiction_id=tayninh.gov.vn&service_code=giao-thong&lat={lat}&long={lng}"
    "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456"
    "&first_name=john&last_name=smith&phone=0912000111&description=A+large+sinkhole+is+destroying+the+street"
    "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
    "&attribute[kich-thuoc]=lon&attribute[can-tro]=mot-phan"
)
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_create_from_the_specifications_text(site: Site, http: httpx.Client) -> None:
    from incidents.models import Report
    from tests.conftest import point_in

    lng, lat = point_in("D25450")
    body = SPEC_EXAMPLE.format(key=DEMO_KEY, lat=lat, lng=lng)
    first = http.post("/requests.json", content=body, headers=FORM)
    assert first.status_code == 201, first.text
    answer = parsed(first, "json")
    validate(answer, CREATED_SCHEMA)  # the id, never a token beside it
    [created] = answer
    code = created["service_request_id"]
    assert created["account_id"] == "123456" and created["service_notice"]

    # "creates exactly one report per retry of the same request": the same POST again is the same request.
    again = http.post("/requests.xml", content=body, headers=FORM)
    assert again.status_code == 200, again.text
    [request] = parsed(again, "xml").findall("request")
    assert children(request) == CREATED and request.findtext("service_request_id") == code
    description = "A large sinkhole is destroying the street"
    assert Report.objects.filter(channel="open311", description=description).count() == 1

    [shown] = get(http, f"/requests/{code}", "json")
    assert (shown["status"], shown["service_code"]) == ("open", "giao-thong")
    assert shown["description"] == "A large sinkhole is destroying the street"
    assert (round(shown["lat"], 5), round(shown["long"], 5)) == (round(lat, 5), round(lng, 5))
    assert shown["address"].startswith("1234 5th street, Phường 1,")
    # What the client sent about its user is private, whatever it was.
    for fmt in FORMATS:
        text = http.get(f"/requests/{code}.{fmt}").text + http.get(f"/requests.{fmt}").text
        assert not [v for v in ("smit333", "john", "smith", "0912000111", "tt222111", "123456", "flickr") if v in text]

    report = Report.objects.select_related("open311__client", "ward").get(code=code)
    assert (report.channel, report.consent_channel, report.user) == ("open311", "open311", None)
    assert (report.reporter_name, report.reporter_email) == ("john smith", "smit333@sfgov.edu")
    assert report.reporter_phone == "+84912000111" and report.confidential
    assert report.ward is not None and report.ward.code == "D25450" and report.agency is not None  # by containment
    assert report.question_answers == {"kich-thuoc": "lon", "can-tro": "mot-phan"}  # for staff, never in GET
    link = report.open311
    assert (link.client.key_prefix, link.device_id, link.account_id) == (DEMO_KEY[:12], "tt222111", "123456")
    assert link.media_url == "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"


def test_create_locates_by_address_and_refuses_what_it_cannot_keep(site: Site, http: httpx.Client) -> None:
    from incidents.models import Report

    def post(fmt: str = "json", headers: dict[str, str] | None = None, **form: str) -> httpx.Response:
        values = {"api_key": DEMO_KEY, "service_code": "chieu-sang", "description": "Đèn hỏng", **form}
        return http.post(f"/requests.{fmt}", data=values, headers=headers)

    by_ward = post(address_id="D25450", description="Đèn hỏng theo mã phường")
    assert by_ward.status_code == 201, by_ward.text
    by_address = post(address_string="Khu phố 3, Phường 1, Thành phố Tây Ninh", description="Đèn hỏng theo địa chỉ")
    assert by_address.status_code == 201, by_address.text
    for response in (by_ward, by_address):
        report = Report.objects.get(code=response.json()[0]["service_request_id"])
        assert report.ward is not None and report.ward.code == "D25450" and report.agency is not None
    # No contact at all: GeoReport v2 makes every contact field optional; the client answers for its user.
    assert Report.objects.get(code=by_ward.json()[0]["service_request_id"]).reporter_phone == ""

    # Three wards of Hòa Thành are "Long Thành …": the client must say which, or send lat/long.
    ambiguous = post("xml", address_string="Long Thành, Thị xã Hòa Thành")
    assert "Phường Long Thành Bắc" in check_error(ambiguous, "xml", 400)[0]
    # An address naming no place we know is still a request: filed without a pin, routed by category over
    # the province (the lighting department), its address kept for the staff who set the pin.
    nowhere = post(address_string="Phố Không Có, Huyện Không Có", description="Đèn hỏng không rõ nơi")
    assert nowhere.status_code == 201, nowhere.text
    unplaced = Report.objects.select_related("agency").get(code=nowhere.json()[0]["service_request_id"])
    assert unplaced.location is None and unplaced.address == "Phố Không Có, Huyện Không Có"
    assert unplaced.agency is not None and unplaced.agency.code == "so-gtvt"
    check_error(post(description="Đèn hỏng không nói ở đâu"), "json", 400)
    for media_url in ("http://10.0.0.7/anh.jpg", "http://localhost/anh.jpg", "file:///etc/passwd", "http://[::1]/a"):
        refused = post(address_id="D25450", media_url=media_url, description=f"Ảnh {media_url}")
        assert check_error(refused, "json", 400)[0].startswith("media_url")
        assert not Report.objects.filter(description=f"Ảnh {media_url}").exists()
    # Extra questions: a required one, a multivaluelist (attribute[CODE][] repeated), a value off the list.
    waste = {"api_key": DEMO_KEY, "service_code": "ve-sinh-moi-truong", "address_id": "D25450"}
    missing = http.post("/requests.xml", data={**waste, "description": "Rác không rõ loại"})
    assert check_error(missing, "xml", 400)[0].startswith("attribute[loai-rac]:")
    wrong = http.post("/requests.json", data={**waste, "attribute[loai-rac][]": ["sinh-hoat", "vang"]})
    assert check_error(wrong, "json", 400)[0].startswith("attribute[loai-rac]:")
    answered = {**waste, "description": "Rác xây dựng", "attribute[loai-rac][]": ["sinh-hoat", "xay-dung"]}
    filed = http.post("/requests.json", data=answered)
    assert filed.status_code == 201, filed.text
    report = Report.objects.get(code=filed.json()[0]["service_request_id"])
    assert report.question_answers == {"loai-rac": ["sinh-hoat", "xay-dung"]}
    # The same fields as multipart (HTML-form client libraries) are taken; a file part is refused by name.
    multipart = {"api_key": DEMO_KEY, "service_code": "chieu-sang", "address_id": "D25450"}
    as_parts = http.post("/requests.json", data=multipart, files={"description": (None, "Đèn hỏng, dạng multipart")})
    assert as_parts.request.headers["Content-Type"].startswith("multipart/form-data")
    assert as_parts.status_code == 201, as_parts.text
    assert Report.objects.filter(description="Đèn hỏng, dạng multipart", ward__code="D25450").exists()
    with_file = http.post(
        "/requests.json", data={**multipart, "description": "Kèm tệp"}, files={"media": ("anh.jpg", b"\xff\xd8")}
    )
    assert check_error(with_file, "json", 400)[0].startswith("Open311 không nhận tệp")
    assert not Report.objects.filter(description="Kèm tệp").exists()
    # A client's own Idempotency-Key: the same key for another request is refused, not answered with the first.
    keyed = {"Idempotency-Key": "client-key-1"}
    assert post(address_id="D25450", headers=keyed).status_code == 201
    assert post(address_id="D25450", headers=keyed).status_code == 200
    check_error(post(address_id="D25450", description="Khác hẳn", headers=keyed), "json", 409)


def test_the_admin_issues_a_key_once_and_revokes_it(site: Site, client: Any) -> None:
    """In-process (the admin is a page; the test's transaction is the server's here)."""
    import re
    from urllib.parse import urlencode

    from accounts.models import User
    from channels.open311.models import ApiClient

    client.force_login(User.objects.create_superuser(username="quantri-open311", password="x-Secret-12345"))
    added = client.post("/admin/open311/apiclient/add/", {"name": "Bản đồ thành phố", "contact": "a@b.vn"}, follow=True)
    assert added.status_code == 200
    [key] = re.findall(r"Khóa API của Bản đồ thành phố: ([A-Za-z0-9_-]{40,})", added.content.decode())
    issued = ApiClient.objects.get(name="Bản đồ thành phố")
    assert issued.key_prefix == key[:12] and key not in issued.key_hash
    page = client.get(f"/admin/open311/apiclient/{issued.pk}/change/").content.decode()
    assert key not in page and issued.key_prefix in page  # shown once; then only the prefix

    def create() -> int:
        # No location: 400 once the key is accepted.
        form = urlencode({"api_key": key, "service_code": "cay-xanh"})
        answer = client.post("/open311/v2/requests.json", form, content_type="application/x-www-form-urlencoded")
        assert answer.status_code == 403 or "lat" in answer.content.decode()
        return int(answer.status_code)

    assert create() == 400
    revoke = {"action": "revoke", "_selected_action": [issued.pk], "index": 0}
    assert client.post("/admin/open311/apiclient/", revoke, follow=True).status_code == 200
    assert create() == 403
