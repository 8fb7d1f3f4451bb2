"""address_places: the one address-to-place matcher (chat, Open311, e-mail) against real Tây Ninh boundaries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from boundaries.models import Level
from boundaries.places import address_places
from boundaries.selectors import locate
from tests.geocoder_server import GeocoderServer, Place

pytestmark = pytest.mark.django_db

# A street the geocoder knows and our boundaries do not name, inside Tây Ninh; and a point far outside it.
IN_TAY_NINH = Place("Đường Cách Mạng Tháng Tám, Thành phố Tây Ninh, Tây Ninh, Việt Nam", 11.3101, 106.0987)
IN_HA_NOI = Place("Phố Tràng Tiền, Hoàn Kiếm, Hà Nội, Việt Nam", 21.0245, 105.8560)


@pytest.fixture
def geocoder(settings: SettingsWrapper) -> Iterator[GeocoderServer]:
    with GeocoderServer(places=[IN_TAY_NINH]) as server:
        settings.GEOCODER_URL = server.url
        yield server


def _names(address: str, *, geocoded: bool = False) -> list[str]:
    return [place.name for place in address_places(address, geocoded=geocoded)]


def test_the_longest_tail_naming_a_ward_decides_and_an_exact_name_wins(tay_ninh: object) -> None:
    # "trảng bàng" is in every ward of Thị xã Trảng Bàng; the part naming Phường Trảng Bàng itself picks it.
    (place,) = address_places("Số 7 đường Quốc lộ 22; Phường Trảng Bàng, Thị xã Trảng Bàng")
    assert (place.code, place.level, place.parent) == ("25708", Level.WARD, "Thị xã Trảng Bàng, Tỉnh Tây Ninh")
    assert _names("Khu phố 1\nPhường Ninh Sơn, Thành phố Tây Ninh") == ["Phường Ninh Sơn"]


def test_an_address_naming_several_wards_answers_them_all(tay_ninh: object) -> None:
    names = _names("Khu phố 2, Long Thành, Hòa Thành")
    assert {"Phường Long Thành Bắc", "Phường Long Thành Trung", "Xã Long Thành Nam"} <= set(names)
    assert len(names) > 1


def test_a_district_counts_only_when_asked_for(tay_ninh: object) -> None:
    address = "Ấp 4, Thị xã Hòa Thành, Tây Ninh"
    # At ward level: every ward of the district (ambiguous); a district is enough for the chat.
    wards = address_places(address)
    assert len(wards) > 1 and all(place.level == Level.WARD for place in wards)
    (district,) = address_places(address, level=Level.DISTRICT)
    assert (district.code, district.level) == ("709", Level.DISTRICT)


def test_the_geocoder_is_asked_only_when_nothing_is_named_and_kept_only_inside(
    tay_ninh: object, geocoder: GeocoderServer
) -> None:
    street = "Số 12 đường Cách Mạng Tháng Tám"
    assert address_places(street) == []
    assert geocoder.requests == []

    (place,) = address_places(street, geocoded=True)
    location = locate(place.lng, place.lat)
    assert location is not None and location.ward is not None
    assert (place.lat, place.lng) == (IN_TAY_NINH.lat, IN_TAY_NINH.lon)
    assert (place.code, place.level) == (location.ward.code, Level.WARD)
    assert place.parent.endswith("Tỉnh Tây Ninh")
    assert geocoder.requests[-1].params["q"] == street

    assert _names("Phường 1, Thành phố Tây Ninh", geocoded=True) == ["Phường 1"]
    assert len(geocoder.requests) == 1

    geocoder.places = [IN_HA_NOI]
    assert address_places(street, level=Level.DISTRICT, geocoded=True) == []
