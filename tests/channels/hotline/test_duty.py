"""Who is on duty (StaffRole.on_duty: told at once of urgent reports) is set by the agency's leader or its
1022 operator from the staff side, not only in the admin: checked, audited, one or several at a time."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from agencies.selectors import agency_duty_contacts
from audit.models import AuditEvent
from tests.factories import staff_make

DUTY = "/can-bo/tong-dai/truc/"
AGENCY = "ubnd-d72"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def officer(username: str, phone: str) -> StaffRole:
    user = staff_make(username, AGENCY, Role.OFFICER)
    User.objects.filter(pk=user.pk).update(phone=phone, email=f"{username}@example.vn")
    return StaffRole.objects.get(user=user)


def on_duty() -> set[str]:
    return set(StaffRole.objects.filter(agency__code=AGENCY, on_duty=True).values_list("user__username", flat=True))


def test_the_leader_sets_who_is_on_duty_and_the_urgent_alarm_goes_to_them(demo: None) -> None:
    leader = staff_make("lanhdao_truc", AGENCY, Role.LEADER)
    first, second = officer("truc_a", "+84909871001"), officer("truc_b", "+84909871002")
    client = signed_in(leader)
    AuditEvent.objects.all().delete()

    page = client.get(DUTY, {"co-quan": AGENCY})
    assert page.status_code == 200
    html = page.content.decode()
    assert "truc_a" in html and "truc_b" in html
    # Nobody is marked before anyone chose.
    assert not _box(html, first.pk).endswith("checked") and not _box(html, second.pk).endswith("checked")

    # Several on duty at once, as the model allows.
    saved = client.post(DUTY, {"agency": AGENCY, "on_duty": [first.pk, second.pk]})
    assert saved.status_code == 303 and saved["Location"] == f"{DUTY}?co-quan={AGENCY}"
    assert on_duty() == {"truc_a", "truc_b"}
    agency = Agency.objects.get(code=AGENCY)
    assert set(agency_duty_contacts(agency=agency)) == {
        ("+84909871001", "truc_a@example.vn"),
        ("+84909871002", "truc_b@example.vn"),
    }
    assert client.post(DUTY, {"agency": AGENCY, "on_duty": [second.pk]}).status_code == 303
    assert on_duty() == {"truc_b"}
    events = list(AuditEvent.objects.filter(action="agency.duty").order_by("id"))
    assert [event.actor for event in events] == [leader, leader]
    assert events[-1].details == {"agency": AGENCY, "on": [], "off": ["truc_a"]}
    # The page shows who is on duty now.
    html = client.get(DUTY, {"co-quan": AGENCY}).content.decode()
    assert _box(html, second.pk).endswith("checked") and not _box(html, first.pk).endswith("checked")


def _box(html: str, pk: int) -> str:
    [tag] = [part.split(">")[0].strip() for part in html.split("<input") if f'value="{pk}"' in part.split(">")[0]]
    return tag


def test_the_operator_may_set_it_but_not_an_officer_nor_another_agencys_leader(demo: None) -> None:
    first = officer("truc_a", "+84909871001")
    operator = staff_make("tongdai_truc", AGENCY, Role.OPERATOR)
    assert signed_in(operator).post(DUTY, {"agency": AGENCY, "on_duty": [first.pk]}).status_code == 303
    assert on_duty() == {"truc_a"}

    # An officer, and a leader elsewhere, change nothing.
    other = Agency.objects.create(code="so-xd-truc", name="Sở Xây dựng", level=1)
    stranger = User.objects.create_user(username="lanhdao_khac", password="x")
    StaffRole.objects.create(user=stranger, agency=other, role=Role.LEADER)
    for who in (User.objects.get(username="truc_a"), stranger):
        client = signed_in(who)
        assert client.post(DUTY, {"agency": AGENCY, "on_duty": []}).status_code == 403, who
    assert signed_in(User.objects.get(username="truc_a")).get(DUTY).status_code == 403
    assert on_duty() == {"truc_a"}
    assert Client().get(DUTY).status_code == 302  # to the sign-in page

    # A role of another agency cannot be slipped in: refused, nothing half-saved.
    outsider = StaffRole.objects.create(user=stranger, agency=other, role=Role.OFFICER)
    refused = signed_in(operator).post(DUTY, {"agency": AGENCY, "on_duty": [outsider.pk]})
    assert refused.status_code == 400 and "field-error" in refused.content.decode()
    assert on_duty() == {"truc_a"} and not StaffRole.objects.get(pk=outsider.pk).on_duty
