"""import_boundaries: formats, repairs, upserts, history, and failures that change nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError
from django.db import connection

from boundaries.models import AdminUnit, AdminUnitPiece, AdminUnitVersion
from boundaries.selectors import locate
from tests.conftest import import_level, write_collection

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM boundaries_adminunit), (SELECT count(*) FROM boundaries_adminunitpiece), "
            "(SELECT count(*) FROM boundaries_adminunitversion), "
            "(SELECT md5(string_agg(code || name || ST_AsEWKB(geom)::text, ',' ORDER BY code)) "
            "FROM boundaries_adminunit)"
        )
        row: tuple[Any, ...] = cursor.fetchone()
    return row


def _square(code: str, x: float, y: float, size: float = 0.1, **props: object) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Xã {code}", "kind": "Xã", **props},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_imports_a_province_with_districts_and_wards(tay_ninh_files: dict[int, Path]) -> None:
    out = [import_level(tay_ninh_files[level], level) for level in (1, 2, 3)]
    assert "created 1," in out[0] and "created 9," in out[1]
    wards = json.loads(tay_ninh_files[3].read_text())["features"]
    assert f"created {len(wards)}," in out[2]
    assert AdminUnit.objects.filter(level=3, parent__parent__code="72").count() == len(wards)
    assert AdminUnitPiece.objects.filter(level=3).values("unit").distinct().count() == len(wards)
    # Pieces are small: none over the vertex limit the settings give.
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(ST_NPoints(geom)) FROM boundaries_adminunitpiece")
        assert cursor.fetchone()[0] <= 64


def test_reimport_keeps_ids_and_changes_nothing(tay_ninh: dict[int, Path]) -> None:
    ids = dict(AdminUnit.objects.values_list("code", "id"))
    before = _snapshot()
    out = import_level(tay_ninh[2], 2)
    assert "created 0, updated 0, unchanged 9" in out
    assert dict(AdminUnit.objects.values_list("code", "id")) == ids
    assert _snapshot() == before


def test_a_changed_boundary_updates_in_place_and_keeps_history(tay_ninh: dict[int, Path], tmp_path: Path) -> None:
    ward = AdminUnit.objects.filter(level=3).order_by("code").first()
    assert ward is not None
    AdminUnit.objects.filter(pk=ward.pk).update(valid_from="2020-01-01")
    old_area = ward.geom.area
    features = json.loads(tay_ninh[3].read_text())["features"]
    feature = next(f for f in features if f["properties"]["code"] == ward.code)
    # Move the ward far away (a boundary change), rename it.
    feature["geometry"] = _square(ward.code, 106.0, 11.0, 0.01)["geometry"]
    feature["properties"]["name"] = "Phường Mới"
    out = import_level(write_collection(tmp_path / "w.geojson", [feature]), 3)
    assert "updated 1" in out
    ward.refresh_from_db()
    assert ward.name == "Phường Mới" and ward.geom.area < old_area
    version = AdminUnitVersion.objects.get(unit=ward)
    assert version.geom.area == pytest.approx(old_area)
    assert str(version.valid_from) == "2020-01-01"
    location = locate(106.005, 11.005, tolerance_m=0)
    assert location is not None and location.ward is not None and location.ward.code == ward.code


def test_invalid_geometry_is_repaired_and_reported(tay_ninh: dict[int, Path], tmp_path: Path) -> None:
    bowtie = _square("X001", 0, 0, parent_code="703")
    bowtie["geometry"]["coordinates"] = [[[105.0, 9.0], [105.1, 9.1], [105.1, 9.0], [105.0, 9.1], [105.0, 9.0]]]
    out = import_level(write_collection(tmp_path / "bad.geojson", [bowtie]), 3, "--parent-field", "parent_code")
    assert "repaired X001: Self-intersection" in out
    unit = AdminUnit.objects.get(code="X001")
    assert unit.geom.valid and unit.geom.geom_type == "MultiPolygon"
    assert len(unit.geom) == 2


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("this is not geojson", [], "Không đọc được"),
        (json.dumps({"type": "FeatureCollection", "features": []}), [], "không có đối tượng"),
        (None, ["--code-field", "ma"], "thiếu trường ma"),
        (None, ["--name-field", "ten"], "thiếu trường ten"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    tay_ninh: dict[int, Path], tmp_path: Path, content: str | None, args: list[str], message: str
) -> None:
    path = tmp_path / "input.geojson"
    if content is None:
        write_collection(path, [_square("X100", 105, 9, parent_code="703")])
    else:
        path.write_text(content)
    before = _snapshot()
    with pytest.raises(CommandError, match=message):
        import_level(path, 3, *args)
    assert _snapshot() == before


def test_unknown_parent_refuses_the_whole_file(tay_ninh: dict[int, Path], tmp_path: Path) -> None:
    features = [
        _square("X200", 105.0, 9.0, parent_code="703"),
        _square("X201", 105.2, 9.0, parent_code="999"),
    ]
    before = _snapshot()
    with pytest.raises(CommandError, match="Mã đơn vị cha không tồn tại: 999"):
        import_level(write_collection(tmp_path / "w.geojson", features), 3)
    assert _snapshot() == before
    assert not AdminUnit.objects.filter(code="X200").exists()


def test_a_missing_file_and_a_non_area_geometry_are_refused(tay_ninh: dict[int, Path], tmp_path: Path) -> None:
    before = _snapshot()
    with pytest.raises(CommandError, match="Không tìm thấy tệp"):
        import_level(tmp_path / "nope.geojson", 1)
    point = {
        "type": "Feature",
        "properties": {"code": "X3", "name": "Xã X3"},
        "geometry": {"type": "Point", "coordinates": [105, 9]},
    }
    with pytest.raises(CommandError, match="phải là vùng"):
        import_level(write_collection(tmp_path / "p.geojson", [point]), 1)
    assert _snapshot() == before


def test_geopackage_in_a_projected_srs_is_reprojected(tay_ninh: dict[int, Path], tmp_path: Path) -> None:
    gpkg = tmp_path / "districts.gpkg"
    # VN-2000 / UTM zone 48N, as Vietnamese agencies publish boundaries.
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:3405", str(gpkg), str(tay_ninh[2])], check=True, capture_output=True
    )
    shapefile = tmp_path / "districts.shp"
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", str(shapefile), str(gpkg)], check=True, capture_output=True)
    before = dict(AdminUnit.objects.filter(level=2).values_list("code", "geom"))
    for path in (gpkg, shapefile):
        out = import_level(path, 2, "--parent-field", "parent_cod" if path.suffix == ".shp" else "parent_code")
        assert "read 9," in out
        for code, geom in AdminUnit.objects.filter(level=2).values_list("code", "geom"):
            assert geom.srid == 4326
            assert geom.area == pytest.approx(before[code].area, rel=1e-3)
            assert geom.sym_difference(before[code]).area < before[code].area * 1e-3


def test_dry_run_saves_nothing(tay_ninh_files: dict[int, Path]) -> None:
    out = import_level(tay_ninh_files[1], 1, "--dry-run")
    assert "dry run, nothing saved: read 1, created 1" in out
    assert not AdminUnit.objects.exists() and not AdminUnitPiece.objects.exists()


def test_retire_missing_ends_units_the_file_no_longer_has(tay_ninh: dict[int, Path], tmp_path: Path) -> None:
    features = json.loads(tay_ninh[2].read_text())["features"]
    gone = features.pop()["properties"]["code"]
    out = import_level(write_collection(tmp_path / "d.geojson", features), 2, "--retire-missing")
    assert "retired 1" in out
    unit = AdminUnit.objects.get(code=gone)
    assert unit.valid_to is not None
    assert not AdminUnit.objects.current().filter(code=gone).exists()
    assert not AdminUnitPiece.objects.filter(unit=unit).exists()


def test_two_level_hierarchy_without_districts(db: None, tmp_path: Path) -> None:
    province = _square("P1", 109.5, 9.0, 1.0)
    province["properties"].update(name="Tỉnh Thử", kind="Tỉnh")
    import_level(write_collection(tmp_path / "p.geojson", [province]), 1)
    wards = [_square("W1", 109.5, 9.0, 0.5, parent_code="P1"), _square("W2", 110.0, 9.0, 0.5, parent_code="P1")]
    import_level(write_collection(tmp_path / "w.geojson", wards), 3)
    location = locate(109.75, 9.25)
    assert location is not None
    assert location.ward is not None and location.ward.code == "W1"
    assert location.district is None
    assert location.province is not None and location.province.code == "P1"
    # A missing kind is read from the name.
    assert AdminUnit.objects.get(code="W2").kind == "Xã"
