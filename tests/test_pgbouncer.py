"""The site behind PgBouncer in transaction pooling (scripts/pgbouncer.sh, deploy/pgbouncer.ini.template),
as the web servers of a larger deployment run it: DATABASE_URL is the pooler, DATABASE_POOL_MODE=transaction.

The pool is kept smaller than the web server's client connections, so server connections pass from one
client to another between transactions: a prepared statement left on (common.db.prepared_cursor's
routing, ward and map lookups) would then meet "prepared statement ... already exists" or "does not
exist" on a server connection another client prepared on, and these requests would fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from geo.management.commands.worker import CONFIG_ERROR
from incidents.models import Report
from tests.conftest import captcha_fields, point_in
from tests.maps.test_tiles import tile_of
from tests.servers import BASE_DIR, database_url, free_port, web_server

POOL_SIZE = 2
SENDERS = 6
WARD = "D25450"
# The demo province D72 lies well inside this box.
BBOX = "105.0,10.5,107.0,12.0"


@pytest.fixture
def pooler(transactional_db: None) -> Iterator[str]:
    """The project's PgBouncer in front of the test database; yields the pooled URL."""
    # Under /tmp rather than pytest's tmp_path: as root, PgBouncer runs as the postgres user, who must reach it.
    folder = Path(tempfile.mkdtemp(prefix="geo-pgbouncer-"))
    env = {
        **os.environ,
        "PGBOUNCER_TARGET_URL": database_url(connection.settings_dict),
        "PGBOUNCER_PORT": str(free_port()),
        "PGBOUNCER_POOL_SIZE": str(POOL_SIZE),
        # No extra server connections for clients kept waiting on a busy machine: the pool stays this small.
        "PGBOUNCER_RESERVE_POOL_SIZE": "0",
        "PGBOUNCER_DIR": str(folder),
    }
    script = ["bash", str(BASE_DIR / "scripts" / "pgbouncer.sh")]
    try:
        started = subprocess.run([*script, "start"], env=env, check=True, capture_output=True, text=True, timeout=30)
        yield started.stdout.strip()
    finally:
        subprocess.run([*script, "stop"], env=env, check=True, timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def console(url: str, command: str) -> list[list[str]]:
    """Rows of a SHOW command on PgBouncer's console (simple query protocol only, hence psql)."""
    parts = urlsplit(url)
    result = subprocess.run(
        ["psql", "-X", "-A", "-t", "-F", "\t", "-h", str(parts.hostname), "-p", str(parts.port)]
        + ["-U", str(parts.username), "-d", "pgbouncer", "-c", command],
        env={**os.environ, "PGPASSWORD": str(parts.password)},
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return [line.split("\t") for line in result.stdout.splitlines()]


@pytest.mark.django_db(transaction=True)
def test_intake_and_map_through_a_transaction_pooler(pooler: str) -> None:
    call_command("load_demo", "--reports", "30", stdout=StringIO())
    database = connection.settings_dict["NAME"]
    # The pooler gives every server connection the plan_cache_mode direct connections ask for.
    with psycopg.connect(pooler.replace("postgis://", "postgresql://", 1), autocommit=True) as pooled:
        row = pooled.execute("SHOW plan_cache_mode").fetchone()
        assert row == ("force_generic_plan",)
    lng, lat = point_in(WARD)
    environment = {"DATABASE_POOL_MODE": "transaction", "INTAKE_ANON_IP_RATE": "", "CAPTCHA_API_RATE": ""}
    with web_server(pooler, workers=2, env=environment) as web:
        senders = [httpx.Client(base_url=web, timeout=30) for _ in range(SENDERS)]
        keys = [str(uuid.uuid4()) for _ in range(SENDERS)]
        # Here, not in the threads below: each thread would keep a connection of its own to the test database.
        captchas = [captcha_fields(sender) for sender in senders]

        def send(number: int) -> httpx.Response:
            payload = {
                **captchas[number],
                "category": "cay-xanh",
                "title": f"Cây đổ số {number}",
                "description": "Gửi qua PgBouncer.",
                "location": {"type": "Point", "coordinates": [lng, lat]},
                "reporter": {"name": f"Người gửi {number}", "phone": f"09{number:08d}"},
            }
            return senders[number].post("/api/v1/reports/", json=payload, headers={"Idempotency-Key": keys[number]})

        z = 12
        x, y = tile_of(lng, lat, z)
        map_paths = [
            f"/api/v1/reports/clusters?bbox={BBOX}&zoom=9",
            f"/api/v1/reports/clusters?bbox={lng - 0.01},{lat - 0.01},{lng + 0.01},{lat + 0.01}&zoom=16",
            f"/tiles/reports/{z}/{x}/{y}.mvt",
            f"/tiles/reports/6/{tile_of(lng, lat, 6)[0]}/{tile_of(lng, lat, 6)[1]}.mvt",
            "/api/v1/reports/",
        ]

        def look(path: str) -> httpx.Response:
            return httpx.get(f"{web}{path}", timeout=30)

        # At once, so that many web threads (each with its own client connection) take turns on the
        # pool's two server connections.
        with ThreadPoolExecutor(max_workers=8) as pool:
            sent = list(pool.map(send, range(SENDERS)))
            looked = list(pool.map(look, map_paths * 4))
            # A retry of a report already stored (the app did not hear the first answer): the same report.
            again = list(pool.map(send, range(SENDERS)))
        for sender in senders:
            sender.close()

        assert [r.status_code for r in sent] == [201] * SENDERS, [r.text[:300] for r in sent]
        for response in sent:
            # Routed by the ward lookup and routing rules that run prepared when connected directly.
            assert response.json()["ward"]["code"] == WARD, response.json()
            assert response.json()["agency"] is not None, response.json()
        assert [r.status_code for r in again] == [201] * SENDERS, [r.text[:300] for r in again]
        assert [r.json()["code"] for r in again] == [r.json()["code"] for r in sent]
        assert Report.objects.filter(title__startswith="Cây đổ số").count() == SENDERS

        assert [r.status_code for r in looked] == [200] * len(looked), [(r.url, r.text[:300]) for r in looked]
        clusters, near, tile, wide_tile, public = looked[: len(map_paths)]
        public_count = Report.objects.filter(is_public=True).count()
        assert sum(f["properties"].get("count", 1) for f in clusters.json()["features"]) == public_count > 0
        assert near.json()["features"]
        assert tile.headers["Content-Type"] == "application/vnd.mapbox-vector-tile" and wide_tile.content
        assert public.json()["count"] == public_count

        # The requests above came over more client connections than the pool has server connections.
        clients = [row for row in console(pooler, "SHOW CLIENTS") if row[2] == database]
        servers = [row for row in console(pooler, "SHOW SERVERS") if row[2] == database]
        assert len(clients) > POOL_SIZE >= len(servers) > 0, (clients, servers)


def test_the_worker_refuses_a_transaction_pooler(settings: SettingsWrapper) -> None:
    """Its LISTEN and the outbox's session advisory locks need a session: through a transaction pooler a
    claim's unlock would run on another backend and the message stay locked. It stops with the reason."""
    settings.DATABASE_POOL_MODE = "transaction"
    with pytest.raises(CommandError, match="DATABASE_POOL_MODE") as raised:
        call_command("worker", one_shot=True)
    assert raised.value.returncode == CONFIG_ERROR
