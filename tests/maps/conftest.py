"""The demo's basemap for the map tests: loaded once a module by the real osm2pgsql."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.basemap import TOWN_WARD, demo_basemap_load
from demo.province import demo_units
from maps.services import BasemapImport, basemap_drop


def town_centre() -> tuple[float, float]:
    """(lng, lat) of the demo town's centre, where the demo extract lays its street grid."""
    ward = next(unit for unit in demo_units()[3] if unit.name == TOWN_WARD)
    point = ward.geom.representative_point()
    return point.x, point.y


@pytest.fixture(scope="module")
def demo_basemap(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[BasemapImport]:
    """The demo's extract loaded by osm2pgsql into the test database, dropped after the module so no
    other test meets a basemap it did not ask for."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        loaded = demo_basemap_load()
    yield loaded
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        basemap_drop()
