"""A streaming hot standby under the running web server (REPLICA_DATABASE_URL, common/replica.py).

A throw-away primary holding a copy of the test database and the demo, a real standby made from it with
pg_basebackup -R, and scripts/web.sh serving with both. Pausing the standby's replay makes the two
databases differ, which shows where each read was answered: public map, list and statistics reads from
the standby; writes, staff pages and the writer's own reads from the primary; and everything from the
primary when the standby is down.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings

from common.replica import PIN_COOKIE
from tests.pgcluster import ThrowawayCluster, copy_test_database
from tests.servers import wait_until, web_server

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')
WARD = "D25450"


@dataclass
class Replicated:
    primary: ThrowawayCluster
    standby: ThrowawayCluster
    base: str
    lng: float
    lat: float

    def sql(self, cluster: ThrowawayCluster, query: str, params: tuple[Any, ...] = ()) -> Any:
        with psycopg.connect(cluster.url().replace("postgis://", "postgresql://"), autocommit=True) as db:
            row = db.execute(query, params).fetchone()
        return row[0] if row else None

    def client(self) -> httpx.Client:
        """A browser of its own (its own cookies); no kept-alive connection holds the server's stop."""
        return httpx.Client(base_url=self.base, timeout=30, headers={"Connection": "close"})

    def caught_up(self) -> bool:
        """The standby has replayed everything the primary has written."""
        position = self.sql(self.primary, "SELECT pg_current_wal_lsn()::text")
        return bool(self.sql(self.standby, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (position,)))

    def replay_paused(self) -> None:
        wait_until(self.caught_up, 30, "the standby to catch up")
        self.sql(self.standby, "SELECT pg_wal_replay_pause()")
        wait_until(lambda: self.sql(self.standby, "SELECT pg_get_wal_replay_pause_state()") == "paused", 30, "pause")


@pytest.fixture(scope="module")
def replicated(django_db_setup: None, django_db_blocker: Any) -> Iterator[Replicated]:
    standby = ThrowawayCluster()
    with ThrowawayCluster() as primary, ThreadPoolExecutor(1) as background:
        try:
            # The standby from the empty primary: the schema and the demo then reach it by streaming.
            def stream() -> None:
                standby.create_standby(primary)
                standby.start()

            streaming = background.submit(stream)
            with django_db_blocker.unblock():
                copy_test_database(primary)
            environment = {**os.environ, "DATABASE_URL": primary.url()}
            load_demo = [sys.executable, "manage.py", "load_demo"]
            demo = subprocess.Popen(load_demo, cwd=settings.BASE_DIR, env=environment, stdout=subprocess.DEVNULL)
            streaming.result()
            with web_server(
                primary.url(),
                workers=1,
                env={
                    "REPLICA_DATABASE_URL": standby.url(),
                    # Replay is paused on purpose here: lag is not what these tests measure.
                    "REPLICA_MAX_LAG_SECONDS": "3600",
                    "REPLICA_RETRY_SECONDS": "1",
                    "STATS_CACHE_SECONDS": "0",
                    "INTAKE_ANON_RATE": "",
                },
            ) as base:
                assert demo.wait(timeout=120) == 0
                with psycopg.connect(primary.url().replace("postgis://", "postgresql://")) as db:
                    row = db.execute(
                        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM boundaries_adminunit"
                        " WHERE code = %s) s",
                        [WARD],
                    ).fetchone()
                assert row is not None
                yield Replicated(primary, standby, base, row[0], row[1])
        finally:
            standby.remove()


def _tile(lng: float, lat: float, z: int) -> str:
    n = 2**z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/reports/{z}/{x}/{y}.mvt"


def public_reads(site: Replicated) -> dict[str, str]:
    """Each public read routed to the replica, by what it is: its address."""
    d = 0.0005
    bbox = f"{site.lng - d},{site.lat - d},{site.lng + d},{site.lat + d}"
    return {
        "report list API": "/api/v1/reports/?limit=100",
        "report list page": "/phan-anh/",
        "map clusters": f"/api/v1/reports/clusters?bbox={bbox}&zoom=18",
        "map tile": _tile(site.lng, site.lat, 16),
        "open311 requests": "/open311/v2/requests.json",
        "statistics API": "/api/v1/stats/summary",
    }


def shows(client: httpx.Client, path: str, needle: str) -> bool:
    response = client.get(path)
    assert response.status_code in (200, 204), (path, response.status_code, response.text[:300])  # 204: an empty tile
    if path.startswith("/api/v1/stats/"):
        return bool(response.json()["received"] == int(needle))
    return needle.encode() in response.content


def submit(site: Replicated, client: httpx.Client, title: str) -> str:
    key = client.get("/api/v1/captcha").json()["captcha_key"]
    answer = site.sql(site.primary, "SELECT response FROM captcha_captchastore WHERE hashkey = %s", (key,))
    response = client.post(
        "/api/v1/reports/",
        json={
            "category": "cay-xanh",
            "title": title,
            "description": "Cây đổ chắn lối đi trước cổng trường.",
            "location": {"type": "Point", "coordinates": [site.lng, site.lat]},
            "reporter": {"name": "Người gửi", "phone": "0912345678"},
            "captcha_key": key,
            "captcha_value": answer,
        },
    )
    assert response.status_code == 201, response.text[:500]
    code: str = response.json()["code"]
    return code


def received(site: Replicated, cluster: ThrowawayCluster) -> str:
    return str(site.sql(cluster, "SELECT count(*) FROM incidents_report WHERE is_public"))


def test_public_reads_come_from_the_standby_and_a_writers_own_from_the_primary(replicated: Replicated) -> None:
    site = replicated
    anyone = site.client()
    submitter = site.client()
    staff = site.client()
    login = staff.get("/tai-khoan/dang-nhap/")
    signed_in = staff.post(
        "/tai-khoan/dang-nhap/",
        data={"username": "quantri", "password": "demo-12345", "csrfmiddlewaretoken": CSRF.findall(login.text)[0]},
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    staff.cookies.delete(PIN_COOKIE)  # staff pages read from the primary whether or not they just wrote
    reads = public_reads(site)
    site.replay_paused()
    before = received(site, site.primary)
    try:
        code = submit(site, submitter, "Cây đổ trước cổng trường khi bản sao tạm dừng")
        # The write went to the primary; the standby (replay paused) has not seen it.
        assert site.sql(site.primary, "SELECT count(*) FROM incidents_report WHERE code = %s", (code,)) == 1
        assert site.sql(site.standby, "SELECT count(*) FROM incidents_report WHERE code = %s", (code,)) == 0
        assert submitter.cookies.get(PIN_COOKIE)
        after = received(site, site.primary)
        expected = {what: after if what == "statistics API" else code for what in reads}
        # The submitter sees it at once, everywhere: their reads are pinned to the primary.
        assert submitter.get(f"/api/v1/reports/{code}/").status_code == 200
        assert submitter.get(f"/phan-anh/{code}/").status_code == 200
        assert {what: shows(submitter, path, expected[what]) for what, path in reads.items()} == dict.fromkeys(
            reads, True
        )
        # Anyone else's public reads are answered by the standby: not there yet.
        assert {what: shows(anyone, path, expected[what]) for what, path in reads.items()} == dict.fromkeys(
            reads, False
        )
        assert shows(anyone, reads["statistics API"], before)
        # A staff page reads from the primary.
        assert staff.get(f"/can-bo/phan-anh/{code}/").status_code == 200
        # A look-up by code is the primary's too, for anyone.
        assert anyone.get(f"/api/v1/reports/{code}/").status_code == 200
    finally:
        site.sql(site.standby, "SELECT pg_wal_replay_resume()")
    # Replayed: the same reads show it.
    wait_until(lambda: shows(anyone, reads["report list API"], code), 30, "the standby's replay", interval=0.1)
    assert {what: shows(anyone, path, expected[what]) for what, path in reads.items()} == dict.fromkeys(reads, True)


def test_reads_go_to_the_primary_while_the_standby_is_down(replicated: Replicated) -> None:
    site = replicated
    anyone = site.client()
    reads = {**public_reads(site), "map page": "/ban-do/", "statistics page": "/thong-ke/"}
    wait_until(site.caught_up, 30, "the standby to catch up")
    site.standby.stop()
    try:
        title = "Đèn đường tắt khi bản sao dừng"
        code = submit(site, site.client(), title)
        expected = {what: received(site, site.primary) if what == "statistics API" else code for what in reads}
        expected["map page"] = expected["statistics page"] = ""
        assert {what: shows(anyone, path, expected[what]) for what, path in reads.items()} == dict.fromkeys(reads, True)
    finally:
        site.standby.start()

    # Back: after the short back-off, public reads are the standby's again.
    site.replay_paused()
    try:
        renamed = "Đèn đường đã đổi tên trên máy chính"
        site.sql(site.primary, "UPDATE incidents_report SET title = %s WHERE code = %s RETURNING 1", (renamed, code))
        check: Callable[[], bool] = lambda: not shows(anyone, "/api/v1/reports/?limit=100", renamed)  # noqa: E731
        wait_until(check, 30, "reads from the standby again", interval=0.2)
        assert shows(anyone, "/api/v1/reports/?limit=100", title)
    finally:
        site.sql(site.standby, "SELECT pg_wal_replay_resume()")


def test_a_standby_far_behind_is_not_read_from(replicated: Replicated) -> None:
    site = replicated
    lagging = {
        "REPLICA_DATABASE_URL": site.standby.url(),
        "REPLICA_MAX_LAG_SECONDS": "1",
        "REPLICA_LAG_CHECK_SECONDS": "0",
        "REPLICA_RETRY_SECONDS": "0",
    }
    with web_server(site.primary.url(), workers=1, env=lagging) as base:
        site.replay_paused()
        try:
            code = submit(site, site.client(), "Nắp cống mất khi bản sao chậm")
            anyone = httpx.Client(base_url=base, timeout=30, headers={"Connection": "close"})
            # The standby stops replaying, so it falls further behind: once past the limit, the primary answers.
            check: Callable[[], bool] = lambda: shows(anyone, "/api/v1/reports/?limit=100", code)  # noqa: E731
            wait_until(check, 30, "reads from the primary while the standby lags", interval=0.2)
        finally:
            site.sql(site.standby, "SELECT pg_wal_replay_resume()")
