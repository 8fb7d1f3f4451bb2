"""Boundary API: locate a point, list units, fetch one unit's geometry."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_body
from common.gis import Bbox, CoordinateError, parse_bbox, parse_lat_lng
from common.pagination import LimitOffsetPagination

from . import selectors
from .models import AdminUnit
from .serializers import ErrorSerializer, LocationSerializer, UnitFeatureSerializer, UnitSerializer

OUTSIDE_MESSAGE = "Vị trí nằm ngoài địa bàn tiếp nhận (không thuộc đơn vị hành chính nào)."


class LocateView(APIView):
    OutputSerializer = LocationSerializer

    @extend_schema(
        summary="Which ward, district and province contain a point",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description="Latitude, WGS 84"),
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True, description="Longitude, WGS 84"),
        ],
        responses={200: OutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        try:
            lng, lat = parse_lat_lng(request.query_params.get("lat"), request.query_params.get("lng"))
        except CoordinateError as exc:
            return Response(error_body(str(exc)), status=400)
        location = selectors.locate(lng, lat)
        if location is None:
            return Response(error_body(OUTSIDE_MESSAGE), status=404)
        return Response(self.OutputSerializer(location).data)


def _int_param(request: Request, name: str, *, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise CoordinateError(f"{name} phải là số nguyên từ {low} đến {high}.") from None
    if not low <= value <= high:
        raise CoordinateError(f"{name} phải là số nguyên từ {low} đến {high}.")
    return value


def _simplify_param(request: Request) -> float:
    raw = request.query_params.get("simplify", "") or "0"
    try:
        value = float(raw)
    except ValueError:
        raise CoordinateError("simplify phải là một số (độ, ví dụ 0.001).") from None
    if not 0 <= value <= 1:
        raise CoordinateError("simplify phải nằm trong khoảng 0 đến 1 độ.")
    return value


def _bbox_param(request: Request) -> Bbox | None:
    raw = request.query_params.get("bbox", "")
    return parse_bbox(raw) if raw else None


class UnitListView(APIView):
    pagination_class = LimitOffsetPagination
    OutputSerializer = UnitSerializer
    # With ?geometry=true: the page as a GeoJSON FeatureCollection.
    FeatureSerializer = UnitFeatureSerializer

    @extend_schema(
        summary="List administrative units in force",
        parameters=[
            OpenApiParameter("level", OpenApiTypes.INT, description="1 province, 2 district, 3 ward"),
            OpenApiParameter("parent", OpenApiTypes.STR, description="Code of the parent unit"),
            OpenApiParameter(
                "geometry", OpenApiTypes.BOOL, description="Answer a GeoJSON FeatureCollection with geometries"
            ),
            OpenApiParameter("simplify", OpenApiTypes.DOUBLE, description="With geometry: tolerance in degrees"),
            OpenApiParameter(
                "bbox",
                OpenApiTypes.STR,
                description="west,south,east,north (WGS 84 degrees): only units whose geometry intersects the box",
            ),
        ],
        responses={200: OutputSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        try:
            level = _int_param(request, "level", low=1, high=3)
            simplify = _simplify_param(request)
            bbox = _bbox_param(request)
        except CoordinateError as exc:
            return Response(error_body(str(exc)), status=400)
        units = selectors.unit_list(level=level, parent_code=request.query_params.get("parent") or None, bbox=bbox)
        with_geometry = request.query_params.get("geometry", "").lower() in {"1", "true", "yes"}
        if with_geometry:
            units = selectors.with_outline(units, simplify=simplify)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(units, request, view=self) or []
        if with_geometry:
            return paginator.get_paginated_response(self.FeatureSerializer(page, many=True).data)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class UnitDetailView(APIView):
    OutputSerializer = UnitFeatureSerializer

    @extend_schema(
        summary="One unit as a GeoJSON Feature",
        parameters=[
            OpenApiParameter(
                "simplify",
                OpenApiTypes.DOUBLE,
                description="Simplification tolerance in degrees (topology preserved); 0 = full detail",
            )
        ],
        responses={200: OutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        try:
            simplify = _simplify_param(request)
        except CoordinateError as exc:
            return Response(error_body(str(exc)), status=400)
        unit = selectors.with_outline(AdminUnit.objects.filter(code=code), simplify=simplify).first()
        if unit is None:
            return Response(error_body(f"Không có đơn vị hành chính mã {code}."), status=404)
        return Response(self.OutputSerializer(unit).data)
