"""Address geocoding through a Nominatim-compatible server (a real local one here)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from boundaries import geocoding
from boundaries.geocoding import GeocodedPlace, geocode
from tests.geocoder_server import GeocoderServer, Place

TAY_NINH_STREET = Place(
    "Đường Cách Mạng Tháng Tám, Phường 3, Thành phố Tây Ninh, Tây Ninh, Việt Nam", 11.3101, 106.0987
)
HOA_THANH_MARKET = Place(
    "Chợ Long Hoa, Phường Long Hoa, Thị xã Hòa Thành, Tây Ninh, Việt Nam", 11.2836, 106.1358, "amenity"
)


@pytest.fixture
def geocoder(settings: SettingsWrapper) -> Iterator[GeocoderServer]:
    with GeocoderServer(places=[TAY_NINH_STREET, HOA_THANH_MARKET]) as server:
        settings.GEOCODER_URL = server.url
        settings.GEOCODER_USER_AGENT = "phan-anh-test/1.0"
        yield server


def test_returns_places_in_the_servers_order_and_sends_a_nominatim_query(geocoder: GeocoderServer) -> None:
    places = geocode("  cách mạng   tháng tám, tây ninh ")

    assert [(p.name, round(p.lat, 4), round(p.lng, 4)) for p in places] == [
        (TAY_NINH_STREET.display_name, 11.3101, 106.0987),
        (HOA_THANH_MARKET.display_name, 11.2836, 106.1358),
    ]
    assert all(isinstance(place, GeocodedPlace) for place in places)
    (request,) = geocoder.requests
    assert request.path == "/search"
    assert request.params["q"] == "cách mạng tháng tám, tây ninh"
    assert request.params["countrycodes"] == "vn"
    assert request.params["limit"] == "5"
    assert request.params["format"] in {"json", "jsonv2"}
    assert request.params["accept-language"] == "vi"
    assert request.headers["user-agent"] == "phan-anh-test/1.0"


def test_limit_is_passed_on_and_respected(geocoder: GeocoderServer) -> None:
    assert [place.name for place in geocode("tây ninh", limit=1)] == [TAY_NINH_STREET.display_name]
    assert geocoder.requests[-1].params["limit"] == "1"
    # A silly limit is clamped rather than sent as is.
    geocode("tây ninh", limit=10_000)
    assert geocoder.requests[-1].params["limit"] == str(geocoding.MAX_LIMIT)


def test_a_path_prefix_in_the_url_is_kept(settings: SettingsWrapper) -> None:
    with GeocoderServer(places=[TAY_NINH_STREET], prefix="/nominatim") as server:
        settings.GEOCODER_URL = server.url + "/"
        assert len(geocode("tây ninh")) == 1
        assert server.requests[0].path == "/nominatim/search"


def test_no_results_is_an_empty_list(geocoder: GeocoderServer) -> None:
    geocoder.places = []
    assert geocode("không có chỗ này") == []
    assert len(geocoder.requests) == 1


def test_off_when_the_url_is_empty(settings: SettingsWrapper, geocoder: GeocoderServer) -> None:
    settings.GEOCODER_URL = ""
    assert geocode("tây ninh") == []
    assert geocoder.requests == []


def test_blank_query_asks_nobody(geocoder: GeocoderServer) -> None:
    assert geocode("   ") == []
    assert geocoder.requests == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, None),
        (503, None),
        (200, b"<html>not json</html>"),
        (200, b'[{"lat": "abc", "lon": "106.1", "display_name": "x"}]'),
        (200, b'{"error": "Something went wrong"}'),
    ],
)
def test_server_failures_give_an_empty_list_and_a_warning(
    geocoder: GeocoderServer, caplog: pytest.LogCaptureFixture, status: int, body: bytes | None
) -> None:
    geocoder.status = status
    geocoder.body = body
    with caplog.at_level(logging.WARNING, logger="boundaries.geocoding"):
        assert geocode("tây ninh") == []
    assert any("Geocoder" in record.getMessage() for record in caplog.records)


def test_a_slow_server_times_out_to_an_empty_list(
    geocoder: GeocoderServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geocoding, "TIMEOUT_S", 0.3)
    geocoder.delay_s = 1.5
    with caplog.at_level(logging.WARNING, logger="boundaries.geocoding"):
        assert geocode("tây ninh") == []
    assert any("Geocoder" in record.getMessage() for record in caplog.records)


def test_an_unreachable_server_gives_an_empty_list(settings: SettingsWrapper, caplog: pytest.LogCaptureFixture) -> None:
    # Nothing listens on port 9 (discard).
    settings.GEOCODER_URL = "http://127.0.0.1:9"
    with caplog.at_level(logging.WARNING, logger="boundaries.geocoding"):
        assert geocode("tây ninh") == []
    assert caplog.records
