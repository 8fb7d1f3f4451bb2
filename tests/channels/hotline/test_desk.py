"""The 1022 operator's desk: who may open it, the caller look-up by phone (audited, scoped), the consent
asked on the entry form, the operator's own reports."""

from __future__ import annotations

from typing import Any

from django.test import Client

from accounts.models import User
from agencies.models import Agency, Role
from audit.models import AuditEvent
from incidents.models import Report
from tests.conftest import point_in
from tests.factories import PASSWORD, report_make, staff_make

DESK = "/can-bo/tong-dai/"
FORM_URL = "/phan-anh/gui/"
WARD = "D25450"
# The desk's "new call": the report form, coming back to the desk once the report is in.
ENTRY = f"{FORM_URL}?next={DESK}"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def call_data(**changes: Any) -> dict[str, Any]:
    lng, lat = point_in(WARD)
    data = {
        "kind": "feedback",
        "category": "cay-xanh",
        "title": "Cây đổ chắn đường",
        "description": "Người gọi báo cây lớn đổ chắn ngang đường.",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "reporter_type": "individual",
        "reporter_name": "Trần Thị Gọi",
        "reporter_phone": "0912 345 678",
    }
    data.update(changes)
    return data


def test_only_operators_open_the_desk_and_land_on_it(demo: None) -> None:
    operator = staff_make("tongdai", "ubnd-d72", Role.OPERATOR)
    officer = staff_make("canbo", "ubnd-d72", Role.OFFICER)
    citizen = User.objects.create_user(username="dan", password=PASSWORD)

    assert Client().get(DESK).status_code == 302  # to the sign-in page
    for who in (officer, citizen):
        assert signed_in(who).get(DESK).status_code == 403, who
    page = signed_in(operator).get(DESK)
    assert page.status_code == 200
    html = page.content.decode()
    # "New call" first: the entry form is the existing report form, where operators enter calls.
    assert html.index("Cuộc gọi mới") < html.index("Phản ánh trước đây của người gọi")
    assert f'href="{ENTRY}"' in html

    # Signing in: the operator lands on the desk, an officer on the worklist.
    for who, target in ((operator, DESK), (officer, "/can-bo/phan-anh/")):
        response = Client().post("/tai-khoan/dang-nhap/", {"username": who.username, "password": PASSWORD}, follow=True)
        assert (response.status_code, response.redirect_chain[-1][0]) == (200, target), who


def test_a_callers_earlier_reports_are_found_by_phone_audited_and_scoped(demo: None) -> None:
    operator = staff_make("tongdai", "ubnd-d72", Role.OPERATOR)
    own = report_make(ward=WARD, phone="0912345678", confidential=True)
    other_caller = report_make(ward=WARD, title="Đèn hỏng", phone="0987654321")
    # A report of the same phone handled outside the operator's agencies: not theirs to name.
    outside = report_make(ward=WARD, title="Rác thải", phone="+84912345678")
    elsewhere = Agency.objects.create(code="ngoai-tinh", name="Cơ quan khác", level=1)
    Report.objects.filter(pk=outside.pk).update(agency=elsewhere)
    client = signed_in(operator)
    AuditEvent.objects.all().delete()

    page = client.post(DESK, {"phone": "912 345 678"})
    assert page.status_code == 200
    html = page.content.decode()
    assert own.code in html  # confidential, yet its reporter is the caller on the line
    assert other_caller.code not in html and outside.code not in html
    [event] = AuditEvent.objects.filter(action="hotline.phone_lookup")
    assert event.actor == operator
    assert event.details == {"phone": "+84912345678", "found": [own.code]}

    refused = client.post(DESK, {"phone": "abc"})
    assert refused.status_code == 400 and "field-error" in refused.content.decode()
    assert AuditEvent.objects.filter(action="hotline.phone_lookup").count() == 1
    # Other staff cannot look callers up.
    officer = staff_make("canbo", "ubnd-d72", Role.OFFICER)
    assert signed_in(officer).post(DESK, {"phone": "0912345678"}).status_code == 403
    assert AuditEvent.objects.filter(action="hotline.phone_lookup").count() == 1


def test_the_callers_consent_is_asked_unticked_and_recorded_and_the_report_is_listed(demo: None) -> None:
    operator = staff_make("tongdai", "ubnd-d72", Role.OPERATOR)
    client = signed_in(operator)
    form = client.get(FORM_URL).content.decode()
    for name in ("show_name", "is_public", "urgent"):
        [tag] = [line for line in form.split("<input") if f'name="{name}"' in line]
        assert "checked" not in tag.split(">")[0], name
    assert "Người gọi đồng ý công khai phản ánh" in form

    assert client.post(FORM_URL, call_data(is_public="on")).status_code == 303
    assert client.post(FORM_URL, call_data(title="Ống nước vỡ", show_name="on")).status_code == 303
    published, named = Report.objects.order_by("id")
    assert (published.channel, published.consent_channel) == ("hotline", "hotline")
    assert (published.consent_report_public, published.consent_name_public, published.is_public) == (True, False, True)
    assert (named.consent_report_public, named.consent_name_public, named.is_public) == (False, True, False)
    assert published.consent_at is not None

    # Both are on the operator's desk (with status and deadline), not on another operator's.
    html = client.get(DESK).content.decode()
    for report in (published, named):
        assert report.code in html and f"{report.deadline:%d/%m/%Y}" in html
        assert report.get_status_display() in html
    other = signed_in(staff_make("tongdai2", "ubnd-d72", Role.OPERATOR)).get(DESK).content.decode()
    assert published.code not in other and "Bạn chưa nhập phản ánh nào." in other


def test_after_entering_a_call_the_operator_is_back_on_the_desk_with_its_code_and_the_callers_reports(
    demo: None,
) -> None:
    operator = staff_make("tongdai", "ubnd-d72", Role.OPERATOR)
    client = signed_in(operator)
    earlier = report_make(ward=WARD, title="Đèn hỏng", phone="0912345678")

    sent = client.post(ENTRY, call_data())

    report = Report.objects.exclude(pk=earlier.pk).get()
    assert sent.status_code == 303 and sent["Location"] == f"{DESK}?moi={report.code}"
    AuditEvent.objects.all().delete()
    html = client.get(sent["Location"]).content.decode()
    # The code (and deadline) to read to the caller, first on the page.
    notice = html[html.index('class="message message-success"') :]
    notice = notice[: notice.index("</p>")]
    assert report.code in notice and f"{report.deadline:%d/%m/%Y}" in notice
    assert html.index(report.code) < html.index("Cuộc gọi mới")
    # The caller's reports, the new one with the earlier: a look-up by their phone, audited as any other.
    lookup = html[html.index('id="tra-cuu"') : html.index('id="da-nhap"')]
    assert report.code in lookup and earlier.code in lookup
    [event] = AuditEvent.objects.filter(action="hotline.phone_lookup")
    assert event.actor == operator and event.details["phone"] == "+84912345678"
    assert set(event.details["found"]) == {report.code, earlier.code}
    # And in the list of what this operator entered.
    assert report.code in html[html.index('id="da-nhap"') :]

    # Another operator learns nothing from the same address; a citizen, and a foreign "next", get the
    # report's own page as before.
    other = signed_in(staff_make("tongdai2", "ubnd-d72", Role.OPERATOR)).get(sent["Location"]).content.decode()
    assert "message-success" not in other and report.code not in other[other.index('id="cuoc-goi-moi"') :]
    foreign = client.post(f"{FORM_URL}?next=https://evil.example/", call_data(title="Ống nước vỡ"))
    assert foreign.status_code == 303 and foreign["Location"].startswith("/phan-anh/2")
    citizen = signed_in(User.objects.create_user(username="dan", password=PASSWORD))
    own = citizen.post(ENTRY, call_data(title="Rác ùn", reporter_phone=""))
    assert own.status_code == 303 and own["Location"].startswith("/phan-anh/2"), own.content.decode()[:300]
