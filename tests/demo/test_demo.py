"""The demo generator: idempotent, an exact tiling, and routable agencies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.management import call_command
from django.db import connection

from agencies.models import Agency
from boundaries.models import AdminUnit, AdminUnitPiece, AdminUnitVersion, Level
from boundaries.selectors import locate
from demo.province import PROVINCE_CODE
from incidents.models import Category

UNITS = AdminUnit._meta.db_table


def _snapshot() -> dict[str, int]:
    demo_units = AdminUnit.objects.filter(code__startswith="D")
    return {
        "provinces": demo_units.filter(level=Level.PROVINCE).count(),
        "districts": demo_units.filter(level=Level.DISTRICT).count(),
        "wards": demo_units.filter(level=Level.WARD).count(),
        "pieces": AdminUnitPiece.objects.filter(unit__in=demo_units).count(),
        "versions": AdminUnitVersion.objects.filter(unit__in=demo_units).count(),
        "categories": Category.objects.count(),
        "agencies": Agency.objects.count(),
        "jurisdictions": Agency.jurisdiction.through.objects.count(),
        "agency_categories": Agency.categories.through.objects.count(),
    }


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db: None) -> None:
    _load()


def _scalar(sql: str, params: Mapping[str, str]) -> float:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return float(cursor.fetchone()[0])


@pytest.mark.django_db
def test_load_twice_is_idempotent() -> None:
    first_output = _load()
    first = _snapshot()
    second_output = _load()
    assert _snapshot() == first
    assert "provinces 1" in first_output
    assert "created 0, updated 0" in second_output
    assert first_output.splitlines()[-1] == second_output.splitlines()[-1]


@pytest.mark.django_db
def test_unit_counts_and_hierarchy(demo: None) -> None:
    units = AdminUnit.objects.filter(code__startswith="D")
    assert units.filter(level=Level.PROVINCE).count() == 1
    assert 5 <= units.filter(level=Level.DISTRICT).count() <= 6
    assert 30 <= units.filter(level=Level.WARD).count() <= 40
    province = units.get(level=Level.PROVINCE)
    assert province.code == PROVINCE_CODE
    assert not units.filter(level=Level.DISTRICT).exclude(parent=province).exists()
    assert not units.filter(level=Level.WARD).exclude(parent__level=Level.DISTRICT, parent__parent=province).exists()
    assert all(unit.geom.valid and unit.geom.geom_type == "MultiPolygon" for unit in units)


@pytest.mark.django_db
def test_wards_tile_the_province(demo: None) -> None:
    params = {"province": PROVINCE_CODE, "demo": "D%"}
    wards = f"(SELECT geom FROM {UNITS} WHERE level = 3 AND code LIKE %(demo)s) w"  # noqa: S608
    province = _scalar(f"SELECT ST_Area(geom::geography) FROM {UNITS} WHERE code = %(province)s", params)  # noqa: S608
    union = _scalar(f"SELECT ST_Area(ST_Union(geom)::geography) FROM {wards}", params)  # noqa: S608
    total = _scalar(f"SELECT SUM(ST_Area(geom::geography)) FROM {wards}", params)  # noqa: S608
    overlap = _scalar(
        f"""
        SELECT COALESCE(SUM(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)
        FROM {UNITS} a JOIN {UNITS} b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
        WHERE a.level = 3 AND b.level = 3 AND a.code LIKE %(demo)s AND b.code LIKE %(demo)s
        """,  # noqa: S608
        params,
    )
    assert union == pytest.approx(province, rel=1e-3)
    assert total == pytest.approx(province, rel=1e-3)
    assert overlap < 1.0  # square metres, over a province of thousands of km²


@pytest.mark.django_db
def test_categories_match_the_data_file(demo: None) -> None:
    entries = json.loads((settings.BASE_DIR / "data" / "categories.json").read_text(encoding="utf-8"))
    assert list(Category.objects.order_by("sort_order").values_list("code", flat=True)) == [e["code"] for e in entries]


@pytest.mark.django_db
def test_every_ward_has_its_agency(demo: None) -> None:
    wards = AdminUnit.objects.filter(level=Level.WARD, code__startswith="D").select_related("parent")
    for ward in wards:
        agency = Agency.objects.get(jurisdiction=ward)
        assert agency.level == Level.WARD
        assert ward.parent is not None and agency.parent is not None
        assert agency.parent.jurisdiction.filter(pk=ward.parent.pk).exists()
    fallback = Agency.objects.get(code="ubnd-d72")
    assert fallback.jurisdiction.get().code == PROVINCE_CODE
    assert not fallback.categories.exists()


@pytest.mark.django_db
def test_locate_finds_each_ward(demo: None) -> None:
    wards = AdminUnit.objects.filter(level=Level.WARD, code__startswith="D").annotate(inside=PointOnSurface("geom"))
    for code, district_code, inside in wards.values_list("code", "parent__code", "inside"):
        found = locate(inside.x, inside.y)
        assert found is not None
        assert found.ward is not None and found.ward.code == code
        assert found.district is not None and found.district.code == district_code
        assert found.province is not None and found.province.code == PROVINCE_CODE


@pytest.mark.django_db
def test_demo_reports_have_a_history_and_message_nobody() -> None:
    from django.utils import timezone

    from incidents.models import Report
    from notifications.models import Notification

    def jobs() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM procrastinate_jobs")
            return int(cursor.fetchone()[0])

    jobs_before = jobs()
    out = StringIO()
    call_command("load_demo", "--reports", "40", stdout=out)
    assert "reports 40" in out.getvalue()
    reports = list(Report.objects.all())
    assert len(reports) == 40
    for report in reports:
        # The code carries the (backdated) day it was sent.
        assert report.code.startswith(f"{timezone.localdate(report.created_at):%Y%m%d}")
        assert report.ward is not None and report.agency is not None
    assert {r.status for r in reports} >= {"completed", "forwarded"}
    # The categories' extra questions are answered, the required one (waste: what kind) always.
    waste = [r for r in reports if r.category.code == "ve-sinh-moi-truong"]
    assert waste and all(r.question_answers.get("loai-rac") for r in waste)
    assert any(r.question_answers.get("kich-thuoc") for r in reports if r.category.code == "giao-thong")
    assert Notification.objects.count() == 0
    assert jobs() == jobs_before
    again = StringIO()
    call_command("load_demo", "--reports", "40", stdout=again)
    assert "reports 0" in again.getvalue() and Report.objects.count() == 40
