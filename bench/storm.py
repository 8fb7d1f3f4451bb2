"""A warning storm (`BENCH_ONLY=storm`): a warning published over the district where 100,000 people asked
for warnings (bench/alerts.py's), while 500 phone apps poll the active-warning endpoint of the production
web server (scripts/web.sh, 2 granian workers).

The 500 clients are `wrk` connections (-c 500 on two threads: wrk is C, so the clients take little of the
2-core machine the server needs; one Python process of 500 asyncio httpx clients could not keep up here,
its own event loop lagging by seconds). Each asks about a point inside the district, then waits about a
second (wrk's `delay()`) before asking again, as an app refreshing its warning banner does. The fan-out is
the worker-side delivery job (`alert_deliver`, as bench/alerts.py measures it on a quiet server), run
again and again, each followed by its clean-up, from the pollers' first second to their end: the pollers'
figures are measured during the fan-out.

- alert_storm_p50_ms / alert_storm_p99_ms: the pollers' answers (wrk's latency, from sending to answer).
- alert_storm_poll_per_s: answers per second the pollers got.
- alert_storm_fanout_per_s: people resolved and queued per second by the delivery under that load, the mean
  over the fan-outs (against bench/alerts.py's alert_fanout_per_s on a quiet server).
- alert_storm_errors: answers other than 2xx/3xx, socket errors and timeouts (10 s) together (must be 0).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time

from bench.common import log
from bench.intake import DONE_SCRIPT
from tests.servers import database_url, web_server

CLIENTS = 500
DURATION_S = int(os.environ.get("BENCH_STORM_SECONDS", "30"))
POLL_INTERVAL_MS = 1000

WRK_SCRIPT = r"""
local points = {%(points)s}
local counter = 0
request = function()
  counter = counter + 1
  local p = points[(counter %% #points) + 1]
  return wrk.format("GET", string.format("/api/v1/alerts/active?lat=%%.5f&lng=%%.5f", p[2], p[1]))
end
delay = function()
  return %(interval)d - 100 + math.random(200)
end
%(done)s
"""


def _district_points(district_id: int, count: int) -> list[tuple[float, float]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 31))).geom AS g "
            "FROM boundaries_adminunit WHERE id = %s) p",
            [count, district_id],
        )
        return [(round(x, 6), round(y, 6)) for x, y in cursor.fetchall()]


def _pollers(base: str, script: str, result: dict[str, float]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{DURATION_S}s", "--timeout", "10s"]
        output = subprocess.run(
            [*command, "-s", handle.name, f"{base}/api/v1/alerts/active"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    result.update(json.loads(line[4:]))


def run() -> dict[str, float]:
    from django.db import connection

    from bench import alerts

    agency_id = alerts._agency()
    district_id, code = alerts._district()
    alerts._load_people(district_id)
    points = ",".join(f"{{{lng:.6f},{lat:.6f}}}" for lng, lat in _district_points(district_id, CLIENTS))
    script = WRK_SCRIPT % {"points": points, "interval": POLL_INTERVAL_MS, "done": DONE_SCRIPT}
    with web_server(database_url(connection.settings_dict), workers=2) as base:
        polled: dict[str, float] = {}
        pollers = threading.Thread(target=_pollers, args=(base, script, polled))
        started = time.monotonic()
        pollers.start()
        time.sleep(1)  # the connections are open and asking
        rates: list[float] = []
        while pollers.is_alive() and time.monotonic() - started < DURATION_S - 1:
            rates.append(alerts._fanout(agency_id, district_id))
        pollers.join()
    if not polled:
        raise SystemExit("storm: wrk gave no figures")
    seconds = polled["duration_us"] / 1e6
    errors = int(polled["status_errors"] + polled["socket_errors"])
    log(
        f"storm: district {code}, {polled['requests']:.0f} polls in {seconds:.1f}s, {errors} errors, "
        f"{len(rates)} fan-outs at {[round(r) for r in rates]} people/s"
    )
    return {
        "alert_storm_clients": CLIENTS,
        "alert_storm_p50_ms": round(polled["p50_us"] / 1000, 1),
        "alert_storm_p99_ms": round(polled["p99_us"] / 1000, 1),
        "alert_storm_poll_per_s": round(polled["requests"] / seconds, 1),
        "alert_storm_fanout_per_s": round(statistics.mean(rates)) if rates else 0,
        "alert_storm_errors": errors,
    }
