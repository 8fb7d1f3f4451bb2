"""Report intake through HTTP against the production web server (scripts/web.sh), with wrk on loopback;
and whether /healthz keeps answering while large images are being decoded."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import timedelta

import httpx

from bench.common import BASE_DIR, log, percentile
from tests.servers import database_url, web_server

CLIENTS = 20
DURATION_S = int(os.environ.get("BENCH_SECONDS", "30"))
WORKERS = 2
# Anonymous reports need a solved captcha each: wrk's threads take theirs from this many made beforehand
# (room for 600 reports/s; no more, as every captcha check first sweeps the table for expired ones).
CAPTCHAS_PER_THREAD = 300 * DURATION_S
CAPTCHA_ANSWER = "bench"
# Ten uploads at once, each a one-colour PNG just under IMAGE_MAX_PIXELS: a small file, costly to decode.
UPLOADERS = 10
HEALTHZ_INTERVAL_S = 0.05

WRK_SCRIPT = r"""
local points = {%(points)s}
local counter = 0
local headers = {["Content-Type"] = "application/json"}
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
request = function()
  counter = counter + 1
  local p = points[(counter %% #points) + 1]
  local body = string.format(
    '{"category":"khac","title":"Bench %%d","description":"Phản ánh đo tải.",' ..
    '"location":{"type":"Point","coordinates":[%%.6f,%%.6f]},' ..
    '"reporter":{"name":"Người đo tải","phone":"0912345678"},' ..
    '"captcha_key":"wrk-%%d-%%d","captcha_value":"%(answer)s"}', counter, p[1], p[2], tid, counter)
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

    from agencies.models import Agency
    from boundaries.models import AdminUnit, Level
    from incidents.models import Category

    # Every run starts from the same state: the reports, messages and jobs of
    # earlier runs would otherwise pile up in this benchmark-only database.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_report, incidents_reportevent, incidents_dailycounter, "
            "notifications_notification, procrastinate_jobs, captcha_captchastore CASCADE"
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


def _prepare_captchas(prefix: str, count: int) -> list[str]:
    """Captchas with a known answer, as if people had solved them (the picture is never drawn)."""
    from captcha.models import CaptchaStore
    from django.utils import timezone

    expiration = timezone.now() + timedelta(hours=1)
    keys = [f"{prefix}-{n}" for n in range(count)]
    CaptchaStore.objects.bulk_create(
        [CaptchaStore(hashkey=key, challenge="BENCH", response=CAPTCHA_ANSWER, expiration=expiration) for key in keys],
        batch_size=5000,
    )
    return keys


def _flat_png() -> bytes:
    from django.conf import settings
    from PIL import Image

    side = int(settings.IMAGE_MAX_PIXELS**0.5)
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (30, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _healthz_samples(base: str, stop: threading.Event, seconds: float | None = None) -> list[float]:
    """Milliseconds of each /healthz, one after another, until `stop` is set (or `seconds` have passed)."""
    samples = []
    deadline = time.monotonic() + seconds if seconds else None
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(HEALTHZ_INTERVAL_S)
    return samples


def _healthz_under_uploads(
    base: str, points: list[tuple[float, float]], captchas: list[str], seconds: int
) -> dict[str, float]:
    """/healthz latency alone, then while UPLOADERS clients each keep sending a report with one costly image."""
    idle = _healthz_samples(base, threading.Event(), seconds)
    image = _flat_png()
    keys = iter(captchas)
    lock = threading.Lock()
    stop = threading.Event()
    uploads: list[float] = []
    statuses: dict[int, int] = {}

    def upload(number: int) -> None:
        lng, lat = points[number % len(points)]
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.is_set():
                with lock:
                    key = next(keys)
                fields = {
                    "category": "khac",
                    "title": f"Ảnh lớn {number}",
                    "description": "Phản ánh đo tải kèm ảnh.",
                    "lat": str(lat),
                    "lng": str(lng),
                    "reporter": json.dumps({"name": "Người đo tải", "phone": "0912345678"}),
                    "captcha_key": key,
                    "captcha_value": CAPTCHA_ANSWER,
                }
                started = time.perf_counter()
                response = client.post("/api/v1/reports/", data=fields, files={"attachments": ("anh.png", image)})
                with lock:
                    uploads.append((time.perf_counter() - started) * 1000)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(UPLOADERS)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # every uploader has a request in the server
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    busy = _healthz_samples(base, stop)
    for thread in threads:
        thread.join()
    log(f"uploads: {len(uploads)} answered {statuses}, healthz samples idle {len(idle)} busy {len(busy)}")
    return {
        "healthz_idle_p99_ms": round(percentile(idle, 99), 1),
        "healthz_upload_p99_ms": round(percentile(busy, 99), 1),
        "image_upload_p50_ms": round(percentile(uploads, 50), 1),
        "image_upload_errors": sum(count for status, count in statuses.items() if status != 201),
    }


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
    figures: dict[str, float] = json.loads(line[4:])
    return figures


def run(points: list[tuple[float, float]]) -> dict[str, float]:
    from django.db import connection

    from incidents.models import Report

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing (make bench installs it)")
    _prepare_routing()
    for thread in range(2):  # wrk -t 2
        _prepare_captchas(f"wrk-{thread}", CAPTCHAS_PER_THREAD)
    upload_captchas = _prepare_captchas("upload", 300)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # wrk floods anonymously from one address and sends no cookie: lift the intake limits.
    env = {"SMS_BACKEND": "console", "INTAKE_ANON_RATE": "", "INTAKE_ANON_IP_RATE": ""}
    with web_server(database_url(connection.settings_dict), workers=WORKERS, env=env) as base:
        before = Report.objects.count()
        lua_points = ",".join(f"{{{lng:.6f},{lat:.6f}}}" for lng, lat in points[:5000])
        # The baseline: the API's trivial JSON GET (DRF, one SELECT), on the same server.
        _wrk(f"{base}/api/v1/status", DONE_SCRIPT, 5)  # warm both workers
        baseline = _wrk(f"{base}/api/v1/status", DONE_SCRIPT, DURATION_S)
        log(f"baseline: {baseline}")
        script = WRK_SCRIPT % {"points": lua_points, "done": DONE_SCRIPT, "answer": CAPTCHA_ANSWER}
        intake = _wrk(f"{base}/api/v1/reports/", script, DURATION_S)
        log(f"intake: {intake}")
        created = Report.objects.count() - before
        healthz = _healthz_under_uploads(base, points, upload_captchas, min(DURATION_S, 15))
        log(f"healthz: {healthz}")
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
        **healthz,
    }
