"""Saved places show their ward (a place saved as a point too), not coordinates."""

from __future__ import annotations

import html

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from accounts.models import SavedPlace, User
from boundaries.models import AdminUnit
from tests.conftest import point_in

pytestmark = pytest.mark.django_db


def test_a_place_saved_as_a_point_shows_its_ward(client: Client, citizen: User, demo: None) -> None:
    lng, lat = point_in("D25450")
    SavedPlace.objects.create(user=citizen, label="Cơ quan", location=Point(lng, lat, srid=4326))
    client.force_login(citizen)
    text = html.unescape(client.get("/tai-khoan/ho-so/").content.decode())
    ward = AdminUnit.objects.get(code="D25450")
    assert f"Cơ quan</strong> — một điểm ở {ward.name}" in text
    assert f"{lat:.5f}".replace(".", ",") not in text and f"{lat:.5f}" not in text
