"""Writes to the boundary tables: importing unit files and rebuilding pieces."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.gdal.layer import Layer
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.utils import timezone

from common.gis import to_multipolygon

from .models import AdminUnit, AdminUnitPiece, AdminUnitVersion
from .selectors import chain_cache_clear

# Official unit kinds, longest first, to infer a missing kind from the name
# ("Huyện Yên Dũng" -> "Huyện").
KNOWN_KINDS = (
    "Thành phố Trung ương",
    "Thành phố",
    "Thị trấn",
    "Thị xã",
    "Phường",
    "Quận",
    "Huyện",
    "Tỉnh",
    "Xã",
    "Đặc khu",
)


class BoundaryImportError(Exception):
    """The file cannot be imported; nothing was written."""


@dataclass
class ImportedUnit:
    code: str
    name: str
    kind: str
    parent_code: str
    geom: MultiPolygon


@dataclass
class ImportResult:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    pieces: int = 0
    repaired: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False


def infer_kind(name: str) -> str:
    for kind in KNOWN_KINDS:
        if name.startswith(kind + " "):
            return kind
    return ""


def _open_layer(path: str) -> tuple[DataSource, Layer]:
    if not os.path.exists(path):
        raise BoundaryImportError(f"Không tìm thấy tệp {path}.")
    gdal_path = f"/vsigzip/{path}" if path.endswith(".gz") else path
    try:
        source = DataSource(gdal_path)
    except GDALException as exc:
        raise BoundaryImportError(
            f"Không đọc được {path}: không phải GeoJSON, Shapefile hay GeoPackage hợp lệ ({exc})."
        ) from exc
    if source.layer_count < 1:
        raise BoundaryImportError(f"{path} không có lớp dữ liệu nào.")
    return source, source[0]


def read_units(
    path: str,
    *,
    code_field: str = "code",
    name_field: str = "name",
    kind_field: str | None = "kind",
    parent_field: str | None = "parent_code",
    require_parent: bool = False,
    srid: int | None = None,
) -> tuple[list[ImportedUnit], list[tuple[str, str]]]:
    """Read and repair the features of a boundary file.

    Returns the units (in WGS 84, made valid, as MultiPolygons) and the list of
    (code, reason) of the geometries that had to be repaired.
    """
    source, layer = _open_layer(path)
    if len(layer) == 0:
        raise BoundaryImportError(f"{path} không có đối tượng nào.")
    fields = list(layer.fields)
    required = [code_field, name_field] + ([parent_field] if require_parent and parent_field else [])
    missing = [name for name in required if name not in fields]
    if missing:
        raise BoundaryImportError(
            f"Tệp thiếu trường {', '.join(missing)}; các trường có: {', '.join(fields) or '(không có)'}."
        )

    source_srs = SpatialReference(srid) if srid else layer.srs
    target_srs = SpatialReference(settings.GEO_SRID)
    transform = None
    if source_srs is not None and source_srs.srid != settings.GEO_SRID:
        transform = CoordTransform(source_srs, target_srs)

    use_kind = kind_field if kind_field and kind_field in fields else None
    use_parent = parent_field if parent_field and parent_field in fields else None
    units: list[ImportedUnit] = []
    repaired: list[tuple[str, str]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for index, feature in enumerate(layer):
        code = _text(feature.get(code_field))
        label = code or f"#{index + 1}"
        if not code:
            problems.append(f"đối tượng {label}: thiếu mã ({code_field})")
            continue
        if code in seen:
            problems.append(f"mã {code} xuất hiện hai lần")
            continue
        seen.add(code)
        name = _text(feature.get(name_field))
        if not name:
            problems.append(f"đối tượng {label}: thiếu tên ({name_field})")
            continue
        ogr = feature.geom
        if ogr is None or ogr.geom_type.name not in ("Polygon", "MultiPolygon", "Polygon25D", "MultiPolygon25D"):
            kind_name = ogr.geom_type.name if ogr is not None else "không có hình"
            problems.append(f"đối tượng {label}: hình học phải là vùng (Polygon), nhận {kind_name}")
            continue
        if transform is not None:
            ogr.transform(transform)
        geom = GEOSGeometry(ogr.wkb, srid=settings.GEO_SRID)
        if geom.hasz:
            geom = GEOSGeometry(geom.wkt.replace(" Z ", " "), srid=settings.GEO_SRID)
        if not geom.valid:
            repaired.append((code, geom.valid_reason))
            geom = geom.make_valid()  # type: ignore[attr-defined]
        multi = to_multipolygon(geom)
        if multi.empty:
            problems.append(f"đối tượng {label}: hình học rỗng")
            continue
        kind = _text(feature.get(use_kind)) if use_kind else ""
        units.append(
            ImportedUnit(
                code=code,
                name=name,
                kind=kind or infer_kind(name),
                parent_code=_text(feature.get(use_parent)) if use_parent else "",
                geom=multi,
            )
        )
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (và {len(problems) - 10} lỗi khác)" if len(problems) > 10 else ""
        raise BoundaryImportError(f"Tệp có lỗi, không nhập gì: {shown}{more}.")
    return units, repaired


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@transaction.atomic
def boundaries_import(
    *,
    path: str,
    level: int,
    code_field: str = "code",
    name_field: str = "name",
    kind_field: str | None = "kind",
    parent_field: str | None = "parent_code",
    srid: int | None = None,
    retire_missing: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Upsert the units of one level from a file, in one transaction.

    Any error raises BoundaryImportError and leaves the stored boundaries as
    they were. Unit ids are kept across re-imports; changed units get a
    version row with their previous state.
    """
    if level not in (1, 2, 3):
        raise BoundaryImportError("Cấp đơn vị (--level) phải là 1, 2 hoặc 3.")
    units, repaired = read_units(
        path,
        code_field=code_field,
        name_field=name_field,
        kind_field=kind_field,
        parent_field=parent_field,
        require_parent=level > 1,
        srid=srid,
    )
    result = ImportResult(read=len(units), repaired=repaired, dry_run=dry_run)
    today = timezone.localdate()

    parents = _resolve_parents(units, level=level)
    existing = {unit.code: unit for unit in AdminUnit.objects.filter(code__in=[u.code for u in units])}
    to_create: list[AdminUnit] = []
    to_update: list[AdminUnit] = []
    versions: list[AdminUnitVersion] = []
    for item in units:
        parent_id = parents.get(item.parent_code)
        unit = existing.get(item.code)
        if unit is None:
            to_create.append(
                AdminUnit(
                    code=item.code,
                    name=item.name,
                    kind=item.kind,
                    level=level,
                    parent_id=parent_id,
                    geom=item.geom,
                    valid_from=today,
                )
            )
            continue
        same = (
            unit.name == item.name
            and unit.kind == item.kind
            and unit.level == level
            and unit.parent_id == parent_id
            and unit.valid_to is None
            and unit.geom.equals_exact(item.geom, tolerance=1e-9)
        )
        if same:
            result.unchanged += 1
            continue
        if unit.valid_from < today:
            versions.append(
                AdminUnitVersion(
                    unit=unit,
                    name=unit.name,
                    kind=unit.kind,
                    level=unit.level,
                    parent_code=unit.parent.code if unit.parent_id and unit.parent else "",
                    geom=unit.geom,
                    valid_from=unit.valid_from,
                    valid_to=today,
                )
            )
            unit.valid_from = today
        unit.name, unit.kind, unit.level, unit.parent_id = item.name, item.kind, level, parent_id
        unit.geom, unit.valid_to = item.geom, None
        to_update.append(unit)

    AdminUnit.objects.bulk_create(to_create, batch_size=500)
    AdminUnit.objects.bulk_update(
        to_update, ["name", "kind", "level", "parent", "geom", "valid_from", "valid_to"], batch_size=500
    )
    AdminUnitVersion.objects.bulk_create(versions, batch_size=500)
    result.created, result.updated = len(to_create), len(to_update)

    changed_ids = [u.pk for u in to_create] + [u.pk for u in to_update]
    if retire_missing:
        stale = AdminUnit.objects.current().filter(level=level).exclude(code__in=[u.code for u in units])
        retired_ids = list(stale.values_list("pk", flat=True))
        AdminUnit.objects.filter(pk__in=retired_ids).update(valid_to=today)
        result.retired = len(retired_ids)
        changed_ids += retired_ids
    result.pieces = pieces_rebuild(unit_ids=changed_ids)
    if dry_run:
        transaction.set_rollback(True)
    return result


def _resolve_parents(units: list[ImportedUnit], *, level: int) -> dict[str, int]:
    codes = {u.parent_code for u in units if u.parent_code}
    if level > 1:
        orphans = sorted(u.code for u in units if not u.parent_code)
        if orphans:
            raise BoundaryImportError(f"Đơn vị cấp {level} phải có mã đơn vị cha; thiếu ở: {', '.join(orphans[:10])}.")
    found = {
        code: (pk, parent_level)
        for code, pk, parent_level in AdminUnit.objects.filter(code__in=codes).values_list("code", "pk", "level")
    }
    unknown = sorted(codes - found.keys())
    if unknown:
        raise BoundaryImportError(
            f"Mã đơn vị cha không tồn tại: {', '.join(unknown[:10])}"
            + (f" (và {len(unknown) - 10} mã khác)" if len(unknown) > 10 else "")
            + ". Hãy nhập cấp trên trước."
        )
    wrong = sorted(code for code, (_, parent_level) in found.items() if parent_level >= level)
    if wrong:
        raise BoundaryImportError(f"Đơn vị cha phải ở cấp trên cấp {level}: {', '.join(wrong[:10])}.")
    return {code: pk for code, (pk, _) in found.items()}


def pieces_rebuild(*, unit_ids: Iterable[int] | None = None) -> int:
    """Recompute the subdivided pieces of the given units (all units if None).

    Only units in force get pieces, so retired units drop out of lookups.
    Returns the number of pieces written.
    """
    pieces = AdminUnitPiece._meta.db_table
    units = AdminUnit._meta.db_table
    ids = None if unit_ids is None else list(unit_ids)
    if ids == []:
        return 0
    where = "" if ids is None else "WHERE u.id = ANY(%(ids)s)"
    delete_where = "" if ids is None else "WHERE unit_id = ANY(%(ids)s)"
    params = {
        "ids": ids,
        "max_vertices": settings.BOUNDARY_PIECE_MAX_VERTICES,
        "today": timezone.localdate(),
    }
    with connection.cursor() as cursor:
        # Table names come from model metadata, never from input.
        cursor.execute(f"DELETE FROM {pieces} {delete_where}", params)  # noqa: S608
        cursor.execute(
            f"""
            INSERT INTO {pieces} (unit_id, level, code, geom)
            SELECT u.id, u.level, u.code, piece.geom
            FROM {units} u
            CROSS JOIN LATERAL (
                SELECT (ST_Dump(ST_Subdivide(u.geom, %(max_vertices)s))).geom AS geom
            ) piece
            {where} {"AND" if where else "WHERE"} u.valid_from <= %(today)s
              AND (u.valid_to IS NULL OR u.valid_to > %(today)s)
              AND GeometryType(piece.geom) = 'POLYGON'
            """,  # noqa: S608
            params,
        )
        count: int = cursor.rowcount
        cursor.execute(f"ANALYZE {pieces}")
    # Names and parents may have changed with the pieces.
    transaction.on_commit(chain_cache_clear)
    chain_cache_clear()
    return count
