from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_gis import build_geo_schema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .models import GEOM_HELP, AdminUnit


class UnitRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    level = serializers.IntegerField()


class LocationSerializer(serializers.Serializer[Any]):
    ward = UnitRefSerializer(allow_null=True)
    district = UnitRefSerializer(allow_null=True)
    province = UnitRefSerializer(allow_null=True)
    chain = UnitRefSerializer(many=True, help_text="Finest unit first.")
    distance_m = serializers.FloatField(help_text="Metres outside the unit when matched by tolerance; 0 inside.")


class UnitSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    level = serializers.IntegerField()
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)

    def get_parent(self, unit: object) -> str | None:
        parent = getattr(unit, "parent", None)
        return parent.code if parent is not None else None


@extend_schema_field(build_geo_schema(AdminUnit._meta.get_field("geom")))
class OutlineField(GeometryField):
    """A unit's outline, a MultiPolygon like AdminUnit.geom: the GeoJSON selectors.with_outline annotates.

    GeometryField passes GeoJSON it is given as a dict through unchanged; this field names the schema.
    """


class UnitFeatureSerializer(GeoFeatureModelSerializer, UnitSerializer):
    """A unit as a GeoJSON Feature: its code is the feature's id, UnitSerializer's fields its properties."""

    id = serializers.CharField(source="code")
    # Simplified when asked and written to 6 decimals (~0.1 m) by the database (selectors.with_outline).
    geom = OutlineField(source="outline", help_text=GEOM_HELP)
    label_point = serializers.SerializerMethodField(
        help_text="[longitude, latitude] of a point inside the unit, where a map writes its name."
    )

    class Meta:
        model = AdminUnit
        geo_field = "geom"
        id_field = "id"
        fields = ["id", "code", "name", "kind", "level", "parent", "valid_from", "valid_to", "label_point", "geom"]

    @extend_schema_field({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2})
    def get_label_point(self, unit: AdminUnit) -> list[float] | None:
        point = getattr(unit, "label_point", None)  # selectors.with_outline
        return [round(point.x, 6), round(point.y, 6)] if point is not None else None


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
