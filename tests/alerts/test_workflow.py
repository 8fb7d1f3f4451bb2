"""The warning workflow through the services: who may do what, what is refused, what is recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from agencies.models import Role
from alerts import services
from alerts.models import Alert, AlertEvent, AlertPiece, Status
from alerts.selectors import alerts_active_at
from audit.models import AuditEvent
from tests.conftest import point_in

from .conftest import OTHER_DISTRICT, WARD, alert_input, published, staff

pytestmark = pytest.mark.django_db


def _jobs(alert: Alert) -> list[str]:
    return [
        job.args["kind"]
        for job in ProcrastinateJob.objects.filter(task_name="alerts.deliver_alert")
        if job.args.get("alert_id") == alert.pk
    ]


def test_create_submit_approve_records_every_step(officer: User, leader: User) -> None:
    alert = services.alert_create(actor=officer, data=alert_input())
    assert alert.status == Status.DRAFT
    unit = alert.parts.get().unit
    assert unit is not None and unit.code == WARD
    assert alert.area.covers(unit.geom.point_on_surface)
    services.alert_submit(alert=alert, actor=officer)
    approved = services.alert_approve(alert=alert, actor=leader)

    assert approved.status == Status.APPROVED
    assert approved.approved_by == leader and approved.submitted_by == officer and approved.created_by == officer
    assert list(alert.events.values_list("action", "actor__username")) == [
        ("created", officer.username),
        ("submitted", officer.username),
        ("approved", leader.username),
    ]
    assert set(
        AuditEvent.objects.filter(object_type="alerts.alert", object_ref=str(alert.pk)).values_list("action", flat=True)
    ) == {"alert.created", "alert.submitted", "alert.approved"}
    assert AlertPiece.objects.filter(alert=alert).exists()
    # Delivery is queued in the approval's own transaction.
    assert _jobs(alert) == ["alert"]


def test_officer_cannot_approve_or_cancel_a_published_alert(officer: User, leader: User) -> None:
    alert = services.alert_create(actor=officer, data=alert_input())
    services.alert_submit(alert=alert, actor=officer)
    with pytest.raises(PermissionDenied, match="lãnh đạo"):
        services.alert_approve(alert=alert, actor=officer)
    services.alert_approve(alert=alert, actor=leader)
    with pytest.raises(PermissionDenied):
        services.alert_cancel(alert=alert, actor=officer, reason="thử")
    assert Alert.objects.get(pk=alert.pk).status == Status.APPROVED


def test_leader_of_another_agency_cannot_approve(officer: User) -> None:
    other = staff("lanhdao_tanbien", "ubnd-d705", Role.LEADER)
    alert = services.alert_create(actor=officer, data=alert_input())
    services.alert_submit(alert=alert, actor=officer)
    with pytest.raises(PermissionDenied):
        services.alert_approve(alert=alert, actor=other)
    assert Alert.objects.get(pk=alert.pk).status == Status.SUBMITTED


def test_leader_of_the_parent_agency_approves(officer: User) -> None:
    province_leader = staff("lanhdao_tinh", "ubnd-d72", Role.LEADER)
    alert = services.alert_create(actor=officer, data=alert_input())
    services.alert_submit(alert=alert, actor=officer)
    assert services.alert_approve(alert=alert, actor=province_leader).status == Status.APPROVED


def test_creator_approves_own_alert_only_as_the_approver_account(demo: None) -> None:
    # As in the seeds: the agency's approver account creates and approves in one go.
    approver = staff("donvi_pheduyet", "ubnd-d703", Role.LEADER)
    own = services.alert_create(actor=approver, data=alert_input())
    assert services.alert_approve(alert=own, actor=approver).status == Status.APPROVED

    # An account that writes (officer) and also leads may not wave its own alert through...
    both = staff("vua_soan_vua_duyet", "ubnd-d703", Role.OFFICER, Role.LEADER)
    mine = services.alert_create(actor=both, data=alert_input())
    services.alert_submit(alert=mine, actor=both)
    with pytest.raises(PermissionDenied, match="tự duyệt"):
        services.alert_approve(alert=mine, actor=both)
    # ...but approves someone else's.
    theirs = services.alert_create(actor=approver, data=alert_input())
    assert services.alert_approve(alert=theirs, actor=both).status == Status.APPROVED


def test_area_outside_the_jurisdiction_is_refused(demo: None) -> None:
    ward_officer = staff("canbo_phuong", "ubnd-d25450", Role.OFFICER)
    before = Alert.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.alert_create(
            actor=ward_officer,
            data=alert_input(agency="ubnd-d25450", area=[{"kind": "unit", "code": OTHER_DISTRICT}]),
        )
    assert "ngoài địa bàn" in caught.value.message_dict["area"][0]
    lng, lat = point_in(OTHER_DISTRICT)
    with pytest.raises(ValidationError, match="ngoài địa bàn"):
        services.alert_create(
            actor=ward_officer,
            data=alert_input(agency="ubnd-d25450", area=[{"kind": "circle", "lat": lat, "lng": lng, "radius_m": 500}]),
        )
    assert Alert.objects.count() == before
    # Inside its own ward it is fine.
    lng, lat = point_in(WARD)
    alert = services.alert_create(
        actor=ward_officer,
        data=alert_input(agency="ubnd-d25450", area=[{"kind": "circle", "lat": lat, "lng": lng, "radius_m": 50}]),
    )
    center = alert.parts.get().center
    assert center is not None and alert.area.covers(center)


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[106.09, 11.32], [106.11, 11.34], [106.11, 11.32], [106.09, 11.34], [106.09, 11.32]]],
}


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"ends_at": timezone.now() - timedelta(days=1)}, "ends_at", "phải sau thời gian bắt đầu"),
        ({"area": [{"kind": "polygon", "geometry": BOWTIE}]}, "area", "tự cắt nhau"),
        ({"area": [{"kind": "polygon", "geometry": {"type": "Polygon", "coordinates": [[1, 2]]}}]}, "area", "GeoJSON"),
        ({"area": [{"kind": "polygon", "geometry": "{not json"}]}, "area", "GeoJSON"),
        ({"area": [{"kind": "circle", "lat": 11.33, "lng": 106.1, "radius_m": 0}]}, "area", "lớn hơn 0"),
        ({"area": [{"kind": "circle", "lat": 11.33, "lng": 106.1, "radius_m": 5e6}]}, "area", "tối đa"),
        ({"area": [{"kind": "circle", "lat": 95, "lng": 106.1, "radius_m": 100}]}, "area", "lat"),
        ({"area": []}, "area", "ít nhất một vùng"),
        ({"area": [{"kind": "unit", "code": "KHONGCO"}]}, "area", "Không có đơn vị"),
        ({"headline": "  "}, "headline", "không được để trống"),
        ({"severity": "Terrible"}, "severity", "không hợp lệ"),
    ],
)
def test_bad_input_is_refused_in_vietnamese(officer: User, overrides: dict[str, Any], key: str, fragment: str) -> None:
    before = Alert.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.alert_create(actor=officer, data=alert_input(**overrides))
    assert fragment in " ".join(caught.value.message_dict[key])
    assert Alert.objects.count() == before


def test_update_supersedes_and_cancel_withdraws(officer: User, leader: User) -> None:
    old = published(officer, leader)
    lng, lat = point_in(WARD)
    assert [a.id for a in alerts_active_at(lng, lat)] == [old.pk]

    new = services.alert_publish_update(
        alert=old, actor=leader, data=alert_input(headline="Cập nhật: mưa giảm", severity="Moderate")
    )
    old.refresh_from_db()
    assert old.status == Status.SUPERSEDED and old.superseded_at is not None
    assert new.references == old and new.status == Status.APPROVED and new.msg_type == "Update"
    assert [a.id for a in alerts_active_at(lng, lat)] == [new.pk]
    assert _jobs(new) == ["update"]
    # A superseded version cannot be updated or cancelled again.
    with pytest.raises(ValidationError):
        services.alert_publish_update(alert=old, actor=leader, data=alert_input())

    services.alert_cancel(alert=new, actor=leader, reason="Hết mưa")
    new.refresh_from_db()
    assert new.status == Status.CANCELLED and new.cancel_reason == "Hết mưa"
    assert alerts_active_at(lng, lat) == []
    assert _jobs(new) == ["update", "cancel"]
    assert AlertEvent.objects.filter(alert=new, action="cancelled", actor=leader).exists()


def test_active_query_inside_outside_and_time_window(officer: User, leader: User) -> None:
    now = timezone.now()
    current = published(officer, leader)
    later = published(officer, leader, starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=5))
    draft = services.alert_create(actor=officer, data=alert_input())
    inside = point_in(WARD)
    outside = point_in(OTHER_DISTRICT)

    assert [a.id for a in alerts_active_at(*inside)] == [current.pk]
    assert alerts_active_at(*outside) == []
    assert [a.id for a in alerts_active_at(*inside, at=now + timedelta(hours=3))] == [current.pk, later.pk]
    assert [a.id for a in alerts_active_at(*inside, at=now + timedelta(hours=5, minutes=30))] == [current.pk]
    assert alerts_active_at(*inside, at=now + timedelta(hours=7)) == []
    assert draft.pk not in [a.id for a in alerts_active_at(*inside)]
    # Expired by time alone: nothing marks it, the window does.
    Alert.objects.filter(pk=current.pk).update(ends_at=now - timedelta(minutes=1))
    AlertPiece.objects.filter(alert=current).update(valid_to=now - timedelta(minutes=1))
    assert alerts_active_at(*inside) == []
    assert Alert.objects.get(pk=current.pk).display_status == "expired"


def test_drafts_are_edited_and_discarded_by_their_writers(officer: User, leader: User) -> None:
    alert = services.alert_create(actor=officer, data=alert_input())
    services.alert_submit(alert=alert, actor=officer)
    edited = services.alert_update(alert=alert, actor=officer, data=alert_input(headline="Tiêu đề mới"))
    assert edited.headline == "Tiêu đề mới" and edited.status == Status.DRAFT
    outsider = staff("canbo_tanbien", "ubnd-d705", Role.OFFICER)
    with pytest.raises(PermissionDenied):
        services.alert_update(alert=alert, actor=outsider, data=alert_input())
    services.alert_cancel(alert=alert, actor=officer)
    assert Alert.objects.get(pk=alert.pk).status == Status.CANCELLED
    assert _jobs(alert) == []
