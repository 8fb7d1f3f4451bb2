"""Models that changed app (issue 13) keep their tables and rows.

Agency (incidents -> agencies), StaffRole (accounts -> agencies) and AuditEvent (accounts -> audit)
moved by state-only migrations. A database at the schema before them, holding reports, agencies,
staff roles and audit events (some written through the old models themselves), is migrated forward:
every row is still there, readable through the new models, and the content types (so admin history
and permissions) now carry the new app labels.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps.registry import Apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from audit.models import AuditEvent
from audit.services import audit_record
from boundaries.models import AdminUnit
from incidents.models import Category, Report
from tests.factories import report_make, staff_make

# The last migrations before the move, and the moved apps unapplied.
BEFORE = [
    ("incidents", "0010_captcha_expiration_index"),
    ("accounts", "0005_otp_contact_purposes"),
    ("alerts", "0002_delivery_unchecked_keys"),
    ("agencies", None),
    ("audit", None),
]
# model -> (old app label, new model)
MOVED: dict[str, tuple[str, Any]] = {
    "agency": ("incidents", Agency),
    "staffrole": ("accounts", StaffRole),
    "auditevent": ("accounts", AuditEvent),
}


def migrate(targets: list[tuple[str, str | None]]) -> Apps:
    """Migrate to `targets`; the historical models of the state reached."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    # An app migrated to None (zero) has no models in that state.
    nodes = [(app, name) for app, name in targets if name is not None]
    return executor.loader.project_state(nodes).apps


def latest() -> list[tuple[str, str | None]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


def rows(model: Any) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def same_columns(after: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows after, cut to the columns that existed before: later migrations may add columns."""
    return [{column: row[column] for column in before[0]} for row in after] if before else after


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_old_layout_keeps_every_row_after_the_move(demo: None) -> None:
    # Written today, through the services.
    officer = staff_make("canbo_cu", "ubnd-d25450", Role.OFFICER)
    report = report_make(title="Đèn đường hỏng trước khi chuyển ứng dụng")
    audit_record(officer, "report.start", obj=report, ip="192.0.2.7", details={"note": "trước khi chuyển"})
    try:
        old = migrate(BEFORE)
        old_agency, old_role, old_event = (old.get_model(label, model) for model, (label, _) in MOVED.items())
        old_report = old.get_model("incidents", "Report")
        with pytest.raises(LookupError):
            old.get_model("agencies", "Agency")
        assert ContentType.objects.filter(app_label="incidents", model="agency").exists()

        # Written through the old models: what a database of the old layout holds.
        ward = AdminUnit.objects.get(code="D25450")
        parent = old_agency.objects.get(code="ubnd-d25450")
        agency = old_agency.objects.create(code="doi-cay-xanh", name="Đội cây xanh", level=3, parent=parent)
        agency.jurisdiction.set([ward.pk])
        # Only the key: later migrations add columns the old schema lacks (Category.name_en).
        agency.categories.set([Category.objects.values_list("pk", flat=True).get(code="cay-xanh")])
        old_role.objects.create(user_id=officer.pk, agency=agency, role=Role.LEADER)
        old_event.objects.create(actor_id=officer.pk, action="admin.change", object_ref="doi-cay-xanh")
        old_report.objects.filter(pk=report.pk).update(agency=agency)
        agency_type = ContentType.objects.get(app_label="incidents", model="agency")
        entry = LogEntry.objects.create(
            user=officer,
            content_type_id=agency_type.pk,
            object_id=str(agency.pk),
            object_repr=agency.name,
            action_flag=CHANGE,
            change_message="Đổi tên đội",
        )
        officer.user_permissions.add(Permission.objects.get(content_type=agency_type, codename="change_agency"))
        before = {model: rows(old.get_model(label, model)) for model, (label, _) in MOVED.items()}
        before_reports = rows(old_report)
        before_links = {
            name: sorted(getattr(old_agency, name).through.objects.values_list("agency_id", f"{target}_id"))
            for name, target in (("jurisdiction", "adminunit"), ("categories", "category"))
        }
        type_ids = {
            model: ContentType.objects.get(app_label=label, model=model).pk for model, (label, _) in MOVED.items()
        }
    finally:
        migrate(latest())

    # Every row, column for column, through the new models.
    for model, (_, new_model) in MOVED.items():
        assert before[model]
        assert same_columns(rows(new_model), before[model]) == before[model], model
    assert same_columns(rows(Report), before_reports) == before_reports
    for name, target in (("jurisdiction", "adminunit"), ("categories", "category")):
        through = getattr(Agency, name).through
        assert sorted(through.objects.values_list("agency_id", f"{target}_id")) == before_links[name]

    # Readable and related through the new models.
    moved = Agency.objects.get(code="doi-cay-xanh")
    assert moved.parent is not None and moved.parent.code == "ubnd-d25450"
    assert list(moved.jurisdiction.values_list("code", flat=True)) == ["D25450"]
    assert list(moved.categories.values_list("code", flat=True)) == ["cay-xanh"]
    assert Report.objects.select_related("agency").get(pk=report.pk).agency == moved
    assert set(StaffRole.objects.filter(user=officer).values_list("agency__code", "role")) == {
        ("ubnd-d25450", Role.OFFICER),
        ("doi-cay-xanh", Role.LEADER),
    }
    events = AuditEvent.objects.filter(actor=officer).order_by("id")
    assert [(e.action, e.object_ref) for e in events] == [
        ("report.start", report.code),
        ("admin.change", "doi-cay-xanh"),
    ]
    assert events[0].details == {"note": "trước khi chuyển"} and events[0].ip == "192.0.2.7"

    # The content types moved with their models: same rows, new labels; history and permissions follow.
    for model, (label, new_model) in MOVED.items():
        assert ContentType.objects.get_for_model(new_model).pk == type_ids[model]
        assert not ContentType.objects.filter(app_label=label, model=model).exists()
    assert LogEntry.objects.get(pk=entry.pk).get_edited_object() == moved
    assert User.objects.get(pk=officer.pk).has_perm("agencies.change_agency")
    admin = User.objects.create_superuser(username="qt", password="x", email="qt@example.org")
    client = Client()
    client.force_login(admin)
    assert "Đổi tên đội" in client.get(f"/admin/agencies/agency/{moved.pk}/history/").content.decode()
