"""Administrative units (tỉnh, huyện, xã) and the derived pieces used to locate points."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils import timezone

from common.gis import SRID

GEOM_HELP = f"WGS 84 longitude/latitude (EPSG:{SRID})."


class Level(models.IntegerChoices):
    PROVINCE = 1, "Tỉnh / thành phố"
    DISTRICT = 2, "Quận / huyện / thị xã"
    WARD = 3, "Phường / xã / thị trấn"


class AdminUnitQuerySet(models.QuerySet["AdminUnit"]):
    def current(self, on: object | None = None) -> AdminUnitQuerySet:
        """Units in force on a date (today by default)."""
        day = on or timezone.localdate()
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gt=day))


class AdminUnit(models.Model):
    """A province, district or ward, keyed by its official code.

    The row's id never changes across re-imports (reports point at it); a
    changed boundary moves the old state into AdminUnitVersion.
    """

    code = models.CharField(max_length=20, unique=True, help_text="Official code (mã đơn vị).")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=50, blank=True, help_text="Tỉnh, Thành phố, Quận, Huyện, Xã…")
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    geom = models.MultiPolygonField(srid=SRID, help_text=GEOM_HELP)
    valid_from = models.DateField(default=timezone.localdate)
    valid_to = models.DateField(null=True, blank=True, help_text="Empty while the unit is in force.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = AdminUnitQuerySet.as_manager()

    class Meta:
        ordering = ["level", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="adminunit_level_1_3"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="adminunit_valid_to_not_before_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AdminUnitVersion(models.Model):
    """A past state of a unit, kept when an import changes it."""

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="versions")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=50, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent_code = models.CharField(max_length=20, blank=True)
    geom = models.MultiPolygonField(srid=SRID, help_text=GEOM_HELP)
    valid_from = models.DateField()
    valid_to = models.DateField()

    class Meta:
        ordering = ["unit", "-valid_to"]


class AdminUnitPiece(models.Model):
    """Derived: a unit's polygon cut by ST_Subdivide into pieces of few vertices.

    Point-in-polygon on small pieces with tight bounding boxes is what makes a
    lookup cheap. Rebuilt by boundaries.services.pieces_rebuild on import; never
    edited by hand. Only units in force have pieces.
    """

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="pieces")
    level = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=20)
    geom = models.PolygonField(srid=SRID, help_text=GEOM_HELP)

    class Meta:
        indexes = [
            GistIndex(fields=["geom"], condition=Q(level=1), name="piece_geom_level1"),
            GistIndex(fields=["geom"], condition=Q(level=2), name="piece_geom_level2"),
            GistIndex(fields=["geom"], condition=Q(level=3), name="piece_geom_level3"),
        ]
