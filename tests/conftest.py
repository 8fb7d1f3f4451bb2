"""Shared fixtures: real PostGIS, boundaries from ../shared/data/vn."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

# Browser-test fixtures, shared by every page test.
from tests.browser import demo_site, plain_static  # noqa: E402, F401
from tests.pgcluster import ThrowawayCluster, copy_test_database  # noqa: E402
from tests.servers import FakeSmsGateway, SmtpServer  # noqa: E402

SHARED_DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "vn"
TAY_NINH = "72"
OUTPUT_DIR = Path(settings.BASE_DIR) / "test-output"
ServerT = TypeVar("ServerT", SmtpServer, FakeSmsGateway)


def pytest_configure(config: pytest.Config) -> None:
    if settings.SECURE_SSL_REDIRECT:
        raise pytest.UsageError("Run the tests with HTTPS=0 (as `make test` does): they speak plain HTTP.")
    # The cache table outlives live-server tests' flushes: numbers are worked out afresh unless a test
    # turns the statistics cache on (tests/stats/test_stats.py does).
    settings.STATS_CACHE_SECONDS = 0
    # Hashing every test account's password at full strength cost minutes of the suite's budget.
    settings.PASSWORD_HASHERS = ["tests.hashers.QuickPBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]
    from django.apps import apps
    from django.db.models.signals import post_migrate

    post_migrate.connect(
        _procrastinate_flush, sender=apps.get_app_config("procrastinate"), dispatch_uid="tests.procrastinate_flush"
    )


def _procrastinate_flush(using: str, **kwargs: Any) -> None:
    """The flush after each transactional test (and any `manage.py flush`) empties procrastinate's tables too.

    Their models are unmanaged, so the flush skips them: jobs a test committed (a report's messages, the
    periodic jobs a worker deferred) were seen, run and counted by the next tests. A flush ends with
    post_migrate; the periodic deferrals go too, or a later worker would skip a time already deferred."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_periodic_defers")
        cursor.execute("DELETE FROM procrastinate_jobs")  # their events go with them (ON DELETE CASCADE)


def _features(name: str) -> list[dict[str, Any]]:
    with gzip.open(SHARED_DATA / name, "rt", encoding="utf-8") as handle:
        features: list[dict[str, Any]] = json.load(handle)["features"]
    return features


def write_collection(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tay_ninh_files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Province 72 with its districts and synthetic wards, as three GeoJSON files."""
    folder = tmp_path_factory.mktemp("tay-ninh")
    provinces = [f for f in _features("provinces.geojson.gz") if f["properties"]["code"] == TAY_NINH]
    districts = [f for f in _features("districts.geojson.gz") if f["properties"]["parent_code"] == TAY_NINH]
    district_codes = {f["properties"]["code"] for f in districts}
    wards = [f for f in _features("wards_synthetic.geojson.gz") if f["properties"]["parent_code"] in district_codes]
    assert provinces and districts and wards
    return {
        1: write_collection(folder / "provinces.geojson", provinces),
        2: write_collection(folder / "districts.geojson", districts),
        3: write_collection(folder / "wards.geojson", wards),
    }


def import_level(path: Path, level: int, *extra: str) -> str:
    out = StringIO()
    call_command("import_boundaries", str(path), "--level", str(level), *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def tay_ninh(db: None, tay_ninh_files: dict[int, Path]) -> Iterator[dict[int, Path]]:
    """Tây Ninh imported into the test database (inside the test's transaction)."""
    for level in (1, 2, 3):
        import_level(tay_ninh_files[level], level)
    yield tay_ninh_files


@pytest.fixture
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture
def demo(db: None) -> None:
    """The self-contained demo: province D72, districts, wards, categories, agencies."""
    call_command("load_demo", stdout=StringIO())


@pytest.fixture(scope="module")
def demo_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo (seconds to load) once for the module's tests, in a transaction rolled back after them: each
    test's own transaction (the `db` fixture) is a savepoint inside it."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def cluster(demo: None) -> Iterator[ThrowawayCluster]:
    """A PostgreSQL cluster of the test's own, holding a copy of the test database with the demo: for
    tests that stop the database or run the service as separate processes."""
    with ThrowawayCluster() as cluster:
        copy_test_database(cluster)
        yield cluster


def captcha_fields(client: Any, base: str = "") -> dict[str, str]:
    """A solved captcha for an anonymous API report, fetched as an app does (GET /api/v1/captcha) with a
    Django test client or an httpx client (then `base` is the server's URL); the answer is read from the
    database the way only a test can."""
    from captcha.models import CaptchaStore

    response = client.get(f"{base}/api/v1/captcha")
    assert response.status_code == 200, response.content
    key = response.json()["captcha_key"]
    return {"captcha_key": key, "captcha_value": CaptchaStore.objects.get(hashkey=key).response}


def point_in(code: str) -> tuple[float, float]:
    """(lng, lat) of a point inside the unit with this code."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM boundaries_adminunit "
            "WHERE code = %s) s",
            [code],
        )
        row = cursor.fetchone()
    assert row is not None, code
    return row[0], row[1]


def _pointed_at(settings: SettingsWrapper, server: ServerT) -> Iterator[ServerT]:
    """Runs the server and points Django's settings at it for the test."""
    with server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        yield server


@pytest.fixture
def smtp_server(settings: SettingsWrapper) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; Django's SMTP backend sends to it."""
    yield from _pointed_at(settings, SmtpServer())


@pytest.fixture
def sms_gateway(settings: SettingsWrapper) -> Iterator[FakeSmsGateway]:
    """A real HTTP SMS gateway on loopback; SMS_BACKEND="http" posts to it."""
    yield from _pointed_at(settings, FakeSmsGateway())


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """A page asked in English leaves English active in the test's thread (LocaleMiddleware does not undo
    it), so a later test's gettext would answer in English: each test starts and ends in the default."""
    from django.utils import translation

    yield
    translation.deactivate()
