"""The Django admin follows our roles: administrators only, read-only logs, no self-escalation."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from audit.models import AuditEvent
from incidents.admin import ReportAdmin
from incidents.models import Category, Report
from tests.factories import PASSWORD, report_make, staff_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(demo: None) -> User:
    # Not a superuser, and is_staff plays no part.
    return staff_make("qt_tinh", "ubnd-d72", Role.ADMIN)


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_administrators_open_the_admin(demo: None, administrator: User) -> None:
    response = Client().get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/?next=/admin/")
    # The admin's own sign-in form leads to the site's (throttled, audited) one.
    assert Client().get("/admin/login/?next=/admin/").status_code == 302
    officer = staff_make("canbo", "ubnd-d25450", Role.OFFICER)
    officer.is_staff = True  # even with Django's flag set
    officer.save()
    ward_admin = staff_make("qt_phuong", "ubnd-d25450", Role.ADMIN)  # "admin" of a ward agency: not provincial
    citizen = User.objects.create_user(username="dan", password=PASSWORD)
    for user in (officer, ward_admin, citizen):
        client = as_user(user)
        assert client.get("/admin/").status_code == 403
        assert client.get("/admin/login/").status_code == 403
        assert client.get("/admin/incidents/category/").status_code == 403
    assert as_user(administrator).get("/admin/").status_code == 200


def test_administrators_manage_categories_agencies_boundaries_and_users(administrator: User) -> None:
    client = as_user(administrator)
    agency = Agency.objects.get(code="ubnd-d25450")
    for url in (
        "/admin/incidents/category/add/",
        f"/admin/agencies/agency/{agency.pk}/change/",
        "/admin/boundaries/adminunit/",
        "/admin/accounts/user/add/",
    ):
        assert client.get(url).status_code == 200, url
    category = Category.objects.get(code="cay-xanh")
    response = client.post(
        "/admin/incidents/category/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(category.pk),
            "form-0-sort_order": "99",
            "form-0-is_active": "on",
            "_save": "Lưu",
        },
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.sort_order == 99


def test_an_administrator_cannot_raise_themselves_or_touch_a_superuser(administrator: User) -> None:
    client = as_user(administrator)
    page = client.get(f"/admin/accounts/user/{administrator.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page  # shown read-only
    assert 'name="staff_roles-0-role"' not in page  # their own roles too
    form = {
        "username": "qt_tinh",
        "is_active": "on",
        "is_superuser": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "staff_roles-TOTAL_FORMS": "1",
        "staff_roles-INITIAL_FORMS": "0",
        "staff_roles-0-agency": str(Agency.objects.get(code="so-gtvt").pk),
        "staff_roles-0-role": Role.LEADER,
    }
    client.post(f"/admin/accounts/user/{administrator.pk}/change/", form)
    administrator.refresh_from_db()
    assert not administrator.is_superuser
    assert list(StaffRole.objects.filter(user=administrator).values_list("role", flat=True)) == [Role.ADMIN]

    root = User.objects.create_superuser(username="root", password=PASSWORD)
    assert client.get(f"/admin/accounts/user/{root.pk}/change/").status_code == 200  # may look
    refused = client.post(f"/admin/accounts/user/{root.pk}/password/", {"password1": "x", "password2": "x"})
    assert refused.status_code == 403
    assert client.post(f"/admin/accounts/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=root.pk).exists()


def test_an_administrator_grants_roles_to_others(administrator: User) -> None:
    officer = User.objects.create_user(username="canbo", password=PASSWORD)
    client = as_user(administrator)
    form = {
        "username": "canbo",
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "staff_roles-TOTAL_FORMS": "1",
        "staff_roles-INITIAL_FORMS": "0",
        "staff_roles-0-agency": str(Agency.objects.get(code="ubnd-d25450").pk),
        "staff_roles-0-role": Role.OFFICER,
    }
    response = client.post(f"/admin/accounts/user/{officer.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert StaffRole.objects.filter(user=officer, role=Role.OFFICER).count() == 1
    assert AuditEvent.objects.filter(action="admin.change", object_ref=str(officer.pk)).count() == 1


def test_the_audit_log_is_read_only_even_for_superusers(administrator: User) -> None:
    root = User.objects.create_superuser(username="root", password=PASSWORD)
    event = AuditEvent.objects.create(action="login", actor_label="x")
    for user in (administrator, root):
        client = as_user(user)
        assert client.get("/admin/audit/auditevent/").status_code == 200
        assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # a read-only view
        assert client.get("/admin/audit/auditevent/add/").status_code == 403
        assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action="login").exists()


def test_reports_in_the_admin_are_limited_to_the_officers_agencies(demo: None) -> None:
    """Defence in depth: were the site opened to officers, they would still see only their own."""
    mine, other = report_make(), report_make(ward="D25470")
    officer = staff_make("canbo", "ubnd-d25450", Role.OFFICER)
    request = RequestFactory().get("/admin/incidents/report/")
    request.user = officer
    model_admin = ReportAdmin(Report, site)
    assert list(model_admin.get_queryset(request)) == [mine]
    assert model_admin.has_view_permission(request, mine)
    assert not model_admin.has_view_permission(request, other)
    assert not model_admin.has_change_permission(request, mine)
    # Guessing the address of another agency's report: not found, like an unknown one.
    assert model_admin.get_object(request, str(other.pk)) is None
    # And through the site, which an officer cannot open at all.
    assert as_user(officer).get(f"/admin/incidents/report/{other.pk}/change/").status_code == 403


def test_reports_stay_read_only_for_administrators(administrator: User) -> None:
    report = report_make()
    client = as_user(administrator)
    assert client.get(f"/admin/incidents/report/{report.pk}/change/").status_code == 200
    assert client.post(f"/admin/incidents/report/{report.pk}/change/", {"title": "Khác"}).status_code == 403
    assert client.post(f"/admin/incidents/report/{report.pk}/delete/", {"post": "yes"}).status_code == 403
    report.refresh_from_db()
    assert report.title == "Cây đổ chắn đường"


def test_boundary_outlines_are_shown_not_edited_in_the_admin(administrator: User) -> None:
    """Outlines change through import_boundaries (history and lookup pieces in step), never in a form.

    The admin's map widget also loaded OpenLayers from a CDN with an inline script: refused offline
    and by our Content-Security-Policy.
    """
    from boundaries.models import AdminUnit

    client = as_user(administrator)
    unit = AdminUnit.objects.get(code="D25450")
    before = unit.geom.wkb
    page = client.get(f"/admin/boundaries/adminunit/{unit.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "ol.js" not in html and "openlayers" not in html.lower() and 'name="geom"' not in html
    assert f"{unit.geom.num_coords} đỉnh" in html
    response = client.post(
        f"/admin/boundaries/adminunit/{unit.pk}/change/",
        {"name": unit.name, "kind": unit.kind, "geom": "SRID=4326;MULTIPOLYGON(((0 0,1 0,1 1,0 0)))"},
    )
    assert response.status_code == 302, response.content
    unit.refresh_from_db()
    assert bytes(unit.geom.wkb) == bytes(before)


def test_models_that_changed_app_keep_their_old_admin_addresses(administrator: User) -> None:
    """Agency (incidents -> agencies) and AuditEvent (accounts -> audit): old addresses lead to the new ones,
    keeping the method (308) and the query, and the page there still follows our roles."""
    agency = Agency.objects.get(code="ubnd-d25450")
    client = as_user(administrator)
    for old, new in (
        (
            f"/admin/incidents/agency/{agency.pk}/change/?_changelist_filters=level%3D3",
            f"/admin/agencies/agency/{agency.pk}/change/?_changelist_filters=level%3D3",
        ),
        ("/admin/accounts/auditevent/", "/admin/audit/auditevent/"),
    ):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (308, new)
        assert client.get(new).status_code == 200
    assert client.post("/admin/incidents/agency/add/", {}).status_code == 308
    officer = as_user(staff_make("canbo", "ubnd-d25450", Role.OFFICER))
    assert officer.get("/admin/agencies/agency/", follow=True).status_code == 403
    assert officer.get("/admin/incidents/agency/", follow=True).status_code == 403
