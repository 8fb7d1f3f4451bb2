"""Report intake through HTTP against the production web server (scripts/web.sh), with wrk on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

from bench.common import BASE_DIR, log
from tests.servers import database_url, web_server

CLIENTS = 20
DURATION_S = int(os.environ.get("BENCH_SECONDS", "30"))
WORKERS = 2

WRK_SCRIPT = r"""
local points = {%(points)s}
local counter = 0
local headers = {["Content-Type"] = "application/json"}
request = function()
  counter = counter + 1
  local p = points[(counter %% #points) + 1]
  local body = string.format(
    '{"category":"khac","title":"Bench %%d","description":"Phản ánh đo tải.",' ..
    '"location":{"type":"Point","coordinates":[%%.6f,%%.6f]},' ..
    '"reporter":{"name":"Người đo tải","phone":"0912345678"}}', counter, p[1], p[2])
  return wrk.format("POST", "/api/v1/reports/", headers, body)
end
%(done)s
"""

# Prints what wrk measured as one parsable line (the GET baseline needs nothing else).
DONE_SCRIPT = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _prepare_routing() -> None:
    """Categories, and one fallback agency per province, so every point routes somewhere."""
    from django.db import connection, transaction

    from boundaries.models import AdminUnit, Level
    from incidents.models import Agency, Category

    # Every run starts from the same state: the reports, messages and jobs of
    # earlier runs would otherwise pile up in this benchmark-only database.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_report, incidents_reportevent, incidents_dailycounter, "
            "notifications_notification, procrastinate_jobs CASCADE"
        )
    with transaction.atomic():
        for position, item in enumerate(json.loads((BASE_DIR / "data" / "categories.json").read_text())):
            Category.objects.update_or_create(
                code=item["code"], defaults={"name": item["name"], "sort_order": position}
            )
        for province in AdminUnit.objects.filter(level=Level.PROVINCE):
            agency, _ = Agency.objects.update_or_create(
                code=f"bench-{province.code}", defaults={"name": f"UBND {province.name}", "level": 1}
            )
            agency.jurisdiction.set([province])


def _wrk(url: str, script: str, duration: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run(
            ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{duration}s", "--timeout", "10s", "-s", handle.name, url],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK "))
    return json.loads(line[4:])


def run(points: list[tuple[float, float]]) -> dict[str, float]:
    from django.db import connection

    from incidents.models import Report

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing (make bench installs it)")
    _prepare_routing()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # wrk floods anonymously from one address: lift the per-address intake limit.
    env = {"SMS_BACKEND": "console", "INTAKE_ANON_RATE": ""}
    with web_server(database_url(connection.settings_dict), workers=WORKERS, env=env) as base:
        before = Report.objects.count()
        lua_points = ",".join(f"{{{lng:.6f},{lat:.6f}}}" for lng, lat in points[:5000])
        # The baseline: the API's trivial JSON GET (DRF, one SELECT), on the same server.
        _wrk(f"{base}/api/v1/status", DONE_SCRIPT, 5)  # warm both workers
        baseline = _wrk(f"{base}/api/v1/status", DONE_SCRIPT, DURATION_S)
        log(f"baseline: {baseline}")
        intake = _wrk(f"{base}/api/v1/reports/", WRK_SCRIPT % {"points": lua_points, "done": DONE_SCRIPT}, DURATION_S)
        log(f"intake: {intake}")
    created = Report.objects.count() - before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) - count(DISTINCT code) FROM incidents_report")
        (duplicates,) = cursor.fetchone()
    seconds = intake["duration_us"] / 1e6
    return {
        "report_create_per_s": round(intake["requests"] / seconds, 1),
        "report_create_p50_ms": round(intake["p50_us"] / 1000, 1),
        "report_create_p99_ms": round(intake["p99_us"] / 1000, 1),
        "report_create_stored": created,
        # wrk counts only the answers it read before stopping; the server may finish a few more.
        "errors": int(intake["status_errors"] + intake["socket_errors"] + max(0, intake["requests"] - created)),
        "duplicate_codes": int(duplicates),
        "baseline_per_s": round(baseline["requests"] / (baseline["duration_us"] / 1e6), 1),
    }
