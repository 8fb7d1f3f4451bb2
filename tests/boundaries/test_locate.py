"""locate / locate_many against real Tây Ninh boundaries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from boundaries.models import AdminUnit, Level
from boundaries.selectors import LARGE_BATCH, locate, locate_many
from boundaries.services import pieces_rebuild

pytestmark = pytest.mark.django_db


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def test_every_ward_contains_its_point_on_surface(tay_ninh: object) -> None:
    rows = _rows(
        "SELECT w.code, d.code, ST_X(ST_PointOnSurface(w.geom)), ST_Y(ST_PointOnSurface(w.geom)) "
        "FROM boundaries_adminunit w JOIN boundaries_adminunit d ON d.id = w.parent_id WHERE w.level = 3"
    )
    assert len(rows) > 50
    for ward_code, district_code, lng, lat in rows:
        location = locate(lng, lat)
        assert location is not None, ward_code
        assert location.ward is not None and location.ward.code == ward_code
        assert location.district is not None and location.district.code == district_code
        assert location.province is not None and location.province.code == "72"
        assert location.distance_m == 0.0


def test_every_district_contains_its_point_on_surface(tay_ninh: object) -> None:
    rows = _rows(
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM boundaries_adminunit WHERE level = 2"
    )
    assert len(rows) == 9
    for code, lng, lat in rows:
        location = locate(lng, lat)
        assert location is not None and location.district is not None
        assert location.district.code == code
        assert [unit.level for unit in location.chain] == [3, 2, 1]


def _shared_border_point() -> tuple[float, float, list[str]]:
    """A vertex on the border two wards share, and the codes of the wards covering it."""
    (lng, lat, first, second), *_ = _rows(
        """
        SELECT ST_X(pt), ST_Y(pt), a.code, b.code FROM boundaries_adminunit a
        JOIN boundaries_adminunit b ON a.level = 3 AND b.level = 3 AND a.code < b.code
             AND a.parent_id = b.parent_id AND ST_Touches(a.geom, b.geom)
        CROSS JOIN LATERAL ST_PointN(
            ST_GeometryN(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2), 1), 1) AS pt
        WHERE pt IS NOT NULL
        ORDER BY a.code, b.code LIMIT 1
        """
    )
    covering = [
        code
        for (code,) in _rows(
            "SELECT code FROM boundaries_adminunit "
            "WHERE level = 3 AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY code",
            [lng, lat],
        )
    ]
    assert first in covering and second in covering
    return lng, lat, covering


def test_a_point_on_a_shared_border_goes_to_exactly_one_ward_deterministically(tay_ninh: object) -> None:
    lng, lat, covering = _shared_border_point()
    answers = {locate(lng, lat).ward.code for _ in range(5)}  # type: ignore[union-attr]
    assert answers == {covering[0]}
    assert locate_many([(lng, lat)] * 3)[0].ward.code == covering[0]  # type: ignore[union-attr]


def test_a_vertex_of_the_province_border_counts_as_inside(tay_ninh: object) -> None:
    ((lng, lat),) = _rows(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1) p "
        "FROM boundaries_adminunit WHERE code = '72') s"
    )
    location = locate(lng, lat, tolerance_m=0)
    assert location is not None and location.province is not None
    assert location.province.code == "72"
    assert location.distance_m == 0.0


def _point_outside(metres: float) -> tuple[float, float]:
    """A point `metres` outside Tây Ninh: on its geodesic buffer ring, far from the other parts."""
    ((lng, lat),) = _rows(
        """
        SELECT ST_X(p), ST_Y(p) FROM (
          SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(ST_Buffer(geom::geography, %s)::geometry, 1)), 1) p
          FROM boundaries_adminunit WHERE code = '72') s
        """,
        [metres],
    )
    assert not _rows(
        "SELECT 1 FROM boundaries_adminunit WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
        [lng, lat],
    )
    return lng, lat


def test_a_point_just_outside_goes_to_the_nearest_unit(tay_ninh: object) -> None:
    lng, lat = _point_outside(100)
    location = locate(lng, lat, tolerance_m=200)
    assert location is not None
    assert location.province is not None and location.province.code == "72"
    assert location.ward is not None
    assert 90 < location.distance_m < 110
    ((nearest,),) = _rows(
        "SELECT code FROM boundaries_adminunit WHERE level = 3 "
        "ORDER BY geom::geography <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography LIMIT 1",
        [lng, lat],
    )
    assert location.ward.code == nearest


def test_a_point_beyond_the_tolerance_is_outside(tay_ninh: object) -> None:
    lng, lat = _point_outside(500)
    assert locate(lng, lat, tolerance_m=200) is None
    assert locate(lng, lat, tolerance_m=600) is not None
    near_lng, near_lat = _point_outside(100)
    assert locate(near_lng, near_lat, tolerance_m=50) is None


def test_far_away_and_sea_points_are_outside(tay_ninh: object) -> None:
    assert locate(107.5, 8.0) is None
    assert locate(-74.0, 40.7) is None
    assert locate_many([(107.5, 8.0), (0.0, 0.0)]) == [None, None]


def test_batch_agrees_with_single_lookups(tay_ninh: object) -> None:
    points = [
        (lng, lat)
        for lng, lat in _rows(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints("
            "ST_Buffer(geom, 0.05), %s, 7))).geom g FROM boundaries_adminunit WHERE code = '72') s",
            [LARGE_BATCH + 200],
        )
    ]
    points += [_point_outside(100), _point_outside(500), _shared_border_point()[:2], (107.5, 8.0)]
    batch = locate_many(points)  # the large-batch path
    assert len(points) >= LARGE_BATCH
    single = [locate(lng, lat) for lng, lat in points]
    assert batch == single
    assert locate_many(points[-300:]) == single[-300:]  # the small-batch path
    inside = sum(1 for loc in batch if loc is not None and loc.distance_m == 0)
    outside = sum(1 for loc in batch if loc is None)
    assert inside > 100 and outside > 10  # the buffer reaches into Cambodia and Bình Dương


def test_only_units_in_force_are_found(tay_ninh: object) -> None:
    ward = AdminUnit.objects.filter(level=Level.WARD).order_by("code").first()
    assert ward is not None
    ((lng, lat),) = _rows(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM boundaries_adminunit WHERE id = %s",
        [ward.pk],
    )
    assert locate(lng, lat).ward.code == ward.code  # type: ignore[union-attr]
    # The ward ended long ago: its pieces go, and the point falls back to the district.
    AdminUnit.objects.filter(pk=ward.pk).update(valid_from="2000-01-01", valid_to="2000-01-02")
    pieces_rebuild(unit_ids=[ward.pk])
    location = locate(lng, lat, tolerance_m=0)
    assert location is not None and location.ward is None
    assert location.district is not None and location.district.code == ward.parent.code  # type: ignore[union-attr]


def test_large_batches_are_matched_from_the_polygon_side(tay_ninh: object) -> None:
    """The ward pass probes the indexed points once per piece (reusing the prepared piece)."""
    from django.db import transaction

    from boundaries.selectors import _WARD_PASS_SQL

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE locate_points (idx integer, lng float8, lat float8) ON COMMIT DROP")
        cursor.execute("INSERT INTO locate_points SELECT i, 106 + i * 1e-5, 11.3 FROM generate_series(1, 5000) i")
        cursor.execute("CREATE INDEX ON locate_points USING gist ((ST_SetSRID(ST_MakePoint(lng, lat), 4326)))")
        cursor.execute("EXPLAIN " + _WARD_PASS_SQL)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Nested Loop" in plan
    outer, inner = plan.split("Nested Loop", 1)[1].split("->")[1:3]
    assert "boundaries_adminunitpiece" in outer
    assert "Index Scan using locate_points" in inner or "Bitmap" in inner
