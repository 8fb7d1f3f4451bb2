from __future__ import annotations

from rest_framework import serializers


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    level = serializers.IntegerField()


class LocationSerializer(serializers.Serializer):
    ward = UnitRefSerializer(allow_null=True)
    district = UnitRefSerializer(allow_null=True)
    province = UnitRefSerializer(allow_null=True)
    chain = UnitRefSerializer(many=True, help_text="Finest unit first.")
    distance_m = serializers.FloatField(help_text="Metres outside the unit when matched by tolerance; 0 inside.")


class UnitSerializer(serializers.Serializer):
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


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
