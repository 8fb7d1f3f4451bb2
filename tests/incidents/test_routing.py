"""Routing: the one-query intake path agrees with locating and choosing the agency step by step."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from boundaries.selectors import locate
from incidents.models import Category
from incidents.routing import agency_for, report_route

pytestmark = pytest.mark.django_db


def test_route_matches_locate_and_agency_for_every_ward_and_category(demo: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM boundaries_adminunit "
            "WHERE level = 3 ORDER BY code"
        )
        points = cursor.fetchall()
    assert len(points) == 39
    categories = list(Category.objects.all())
    agencies = set()
    for index, (lng, lat) in enumerate(points):
        category = categories[index % len(categories)]
        routing = report_route(lng=lng, lat=lat, category=category)
        location = locate(lng, lat)
        assert location is not None
        expected = agency_for(location=location, category=category)
        assert routing.location == location
        assert expected is not None and routing.agency is not None and routing.agency.pk == expected.pk
        agencies.add(routing.agency.code)
    # Ward agencies, and the departments for their categories, all take part.
    assert {"so-gtvt", "so-tnmt"} & agencies and any(code.startswith("ubnd-d25") for code in agencies)


def test_route_outside_every_unit_is_refused(demo: None) -> None:
    with pytest.raises(ValidationError, match="ngoài địa bàn"):
        report_route(lng=107.5, lat=8.0, category=Category.objects.first())  # type: ignore[arg-type]
