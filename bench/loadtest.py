"""`make loadtest`: the scenario mix of loadtest/locustfile.py against the production set-up, then the
exactly-once check; the last line printed is one JSON object of `loadtest_*` figures.

The site runs as `make run` runs it (scripts/serve.sh: scripts/web.sh's granian and the procrastinate
worker, each supervised) on its own database (`<name>_loadtest`, the demo province and 300 demo reports,
kept between runs) and its own attachment folder, so the dev data is never touched. Locust runs headless
for LOADTEST_SECONDS (180) with LOADTEST_USERS (60) simulated people, then stops by itself.

Afterwards every report a client was answered 201 for must exist exactly once (one report per
Idempotency-Key, with the code the client got), with every photo sent (a row and its file), its history
(created, and forwarded when routed) and its outbox rows (the reporter's receipt, the agency's notice);
anything else fails the run (exit status 1) after the figures are printed.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import httpx

from bench.common import BASE_DIR, log, setup_django
from tests.servers import database_url, free_port, wait_until

USERS = int(os.environ.get("LOADTEST_USERS", "60"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "180"))
SPAWN_RATE = float(os.environ.get("LOADTEST_SPAWN_RATE", "10"))
CAPTCHA_ANSWER = "loadtest"
CAPTCHAS = 20_000
OFFICERS = ["canbo.tptn", "canbo.phuong1", "canbo.sogtvt"]
OUTBOX_DRAIN_S = 120
VAR = BASE_DIR / ".var" / "loadtest"


def _prepare() -> dict[str, Any]:
    """The demo province, its staff and reports (once), fresh captchas, and what the clients pick from."""
    from captcha.models import CaptchaStore
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from boundaries.models import AdminUnit, Level
    from incidents.models import Category, Report

    started = time.perf_counter()
    # The demo's command (by name: bench does not import demo), as `make run` loads it.
    call_command("load_demo", reports=0 if Report.objects.count() >= 300 else 300, stdout=StringIO())
    log(f"loadtest: demo data ready in {time.perf_counter() - started:.1f}s")
    # Solved captchas, as if each reporter had read theirs (the picture is never drawn).
    CaptchaStore.objects.filter(response=CAPTCHA_ANSWER).delete()
    prefix = uuid.uuid4().hex[:8]
    expiration = timezone.now() + timedelta(hours=2)
    keys = [f"lt-{prefix}-{n}" for n in range(CAPTCHAS)]
    CaptchaStore.objects.bulk_create(
        [CaptchaStore(hashkey=k, challenge="LOAD", response=CAPTCHA_ANSWER, expiration=expiration) for k in keys],
        batch_size=5000,
    )
    province = AdminUnit.objects.filter(level=Level.PROVINCE).order_by("code").first()
    assert province is not None, "the demo province is missing"
    with connection.cursor() as cursor:
        # Points inside the wards (where routing finds an agency), and tiles at zooms a phone map asks for.
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, 2000, 18))).geom AS g "
            "FROM boundaries_adminunit WHERE id = %s) p",
            [province.pk],
        )
        points = [(round(x, 6), round(y, 6)) for x, y in cursor.fetchall()]
    bbox = [round(v, 5) for v in province.geom.extent]
    tiles = sorted({_tile(lng, lat, z) for lng, lat in points[:400] for z in (10, 12, 14)})
    categories = list(
        Category.objects.filter(is_active=True).exclude(questions__required=True).values_list("code", flat=True)
    )
    codes = list(Report.objects.filter(is_public=True).values_list("code", flat=True)[:300])
    return {
        "captchas": keys,
        "captcha_answer": CAPTCHA_ANSWER,
        "points": points,
        "bbox": bbox,
        "tiles": tiles,
        "categories": categories,
        "codes": codes,
        "officers": [[name, os.environ.get("DEMO_PASSWORD", "demo-12345")] for name in OFFICERS],
    }


def _tile(lng: float, lat: float, zoom: int) -> tuple[int, int, int]:
    import math

    n = 2**zoom
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return zoom, x, y


class Service:
    """scripts/serve.sh (web server + worker, supervised) on a free port and the load test's database."""

    def __init__(self, database: str, media: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "BIND": f"127.0.0.1:{self.port}",
            "MEDIA_ROOT": str(media),
            "DEBUG": "0",
            "HTTPS": "0",
            "LOG_LEVEL": "WARNING",
            "WEB_LOG_LEVEL": "warning",
            "WEB_ACCESS_LOG": "0",
            # All simulated phones share one loopback address and each files far more than a person
            # would: the per-device and per-address intake limits would answer most of them 429.
            "INTAKE_ANON_RATE": "",
            "INTAKE_ANON_IP_RATE": "",
            "SMS_BACKEND": "console",
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        }
        VAR.mkdir(parents=True, exist_ok=True)
        self.log_path = VAR / "serve.log"
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            ["bash", "scripts/serve.sh"],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"scripts/serve.sh exited with {self.process.returncode}; see {self.log_path}")
            try:
                return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, 90, "the web server", interval=0.2)

    def stop(self) -> None:
        # serve.sh stops the web server and the worker on SIGTERM.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


def _locust(base: str, data_path: Path, accepted: Path, csv_prefix: Path) -> None:
    env = {**os.environ, "LOADTEST_DATA": str(data_path), "LOADTEST_ACCEPTED": str(accepted)}
    command = [
        str(BASE_DIR / ".venv" / "bin" / "locust"),
        "-f",
        str(BASE_DIR / "loadtest" / "locustfile.py"),
        "--headless",
        "--host",
        base,
        "--users",
        str(USERS),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        f"{SECONDS}s",
        "--stop-timeout",
        "30",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        # Failures are counted and checked below, not by locust's exit status.
        "--exit-code-on-error",
        "0",
    ]
    log(f"loadtest: {USERS} users for {SECONDS}s against {base}")
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True, stdout=sys.stderr, timeout=SECONDS + 300)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_").replace("__", "_")


def _figures(csv_prefix: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["Name"] == "Aggregated":
            figures["loadtest_requests"] = int(row["Request Count"])
            figures["loadtest_rps"] = round(float(row["Requests/s"]), 1)
            figures["loadtest_failures"] = int(row["Failure Count"])
            for pct in ("50", "95", "99"):
                figures[f"loadtest_p{pct}_ms"] = float(row[f"{pct}%"] or 0)
            continue
        slug = _slug(row["Name"])
        figures[f"loadtest_{slug}_count"] = int(row["Request Count"])
        figures[f"loadtest_{slug}_rps"] = round(float(row["Requests/s"]), 2)
        figures[f"loadtest_{slug}_errors"] = int(row["Failure Count"])
        for pct in ("50", "95", "99"):
            figures[f"loadtest_{slug}_p{pct}_ms"] = float(row[f"{pct}%"] or 0)
    return figures


def _failures(csv_prefix: Path) -> list[str]:
    with open(f"{csv_prefix}_failures.csv", encoding="utf-8") as handle:
        return [
            f"{row['Occurrences']}× {row['Method']} {row['Name']}: {row['Error']}" for row in csv.DictReader(handle)
        ]


def _check(accepted: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
    """Every accepted report exactly once, with its photos, history and outbox rows."""
    from django.core.files.storage import default_storage
    from django.db.models import Count

    from incidents.models import Report, ReportEvent

    Action = ReportEvent.Action

    problems: list[str] = []
    by_code = {entry["code"]: entry for entry in accepted}
    if len(by_code) != len(accepted):
        problems.append(f"{len(accepted) - len(by_code)} accepted codes were given to two submissions")
    reports = {r.code: r for r in Report.objects.filter(code__in=by_code).select_related("agency")}
    missing = [code for code in by_code if code not in reports]
    if missing:
        problems.append(f"{len(missing)} accepted reports missing, e.g. {missing[:5]}")
    # One report per submission: each carries its Idempotency-Key in its title.
    titles = {f"Tải thử {entry['key']}": entry["code"] for entry in accepted}
    doubled = Report.objects.filter(title__in=titles).values("title").annotate(n=Count("id")).filter(n__gt=1).count()
    if doubled:
        problems.append(f"{doubled} submissions stored more than once")
    files_missing = attachments_wrong = history_wrong = outbox_wrong = 0
    from notifications.models import Notification

    keys = {
        key
        for key in Notification.objects.filter(dedupe_key__regex=r"^report:[^:]+:(received|agency):").values_list(
            "dedupe_key", flat=True
        )
        if key
    }
    for code, report in reports.items():
        attachments = list(report.attachments.all())
        if len(attachments) != by_code[code]["photos"]:
            attachments_wrong += 1
        files_missing += sum(not default_storage.exists(a.file.name) for a in attachments)
        actions = list(report.events.values_list("action", flat=True))
        expected = [Action.CREATED] + ([Action.FORWARDED] if report.agency_id else [])
        if any(actions.count(action) != 1 for action in expected):
            history_wrong += 1
        receipt = f"report:{code}:received:0:email" in keys
        agency = not (report.agency and report.agency.email) or any(
            key.startswith(f"report:{code}:agency:") for key in keys
        )
        if not (receipt and agency):
            outbox_wrong += 1
    for count, what in (
        (attachments_wrong, "reports without exactly the photos sent"),
        (files_missing, "attachment files missing on disk"),
        (history_wrong, "reports without their history (created, forwarded) exactly once"),
        (outbox_wrong, "reports without their outbox rows (receipt, agency notice)"),
    ):
        if count:
            problems.append(f"{count} {what}")
    unsent = Notification.objects.filter(status=Notification.Status.QUEUED, dedupe_key__regex=r"^report:").count()
    return {
        "loadtest_reports_accepted": len(accepted),
        "loadtest_reports_missing": len(missing),
        "loadtest_reports_doubled": doubled,
        "loadtest_attachments_wrong": attachments_wrong + files_missing,
        "loadtest_history_wrong": history_wrong,
        "loadtest_outbox_wrong": outbox_wrong,
        "loadtest_outbox_unsent": unsent,
    }, problems


def main() -> None:
    # The server's attachments and the check's reading of them: a folder of the load test's own.
    os.environ["MEDIA_ROOT"] = str(VAR / "media")
    setup_django("loadtest")
    from django.db import connection

    from notifications.models import Notification

    data = _prepare()
    work = Path(tempfile.mkdtemp(prefix="loadtest-", dir=VAR if VAR.exists() else None))
    data_path, accepted_path, csv_prefix = work / "data.json", work / "accepted.jsonl", work / "locust"
    data_path.write_text(json.dumps(data), encoding="utf-8")
    accepted_path.touch()
    service = Service(database_url(connection.settings_dict), Path(os.environ["MEDIA_ROOT"]))
    try:
        started = time.perf_counter()
        _locust(service.base, data_path, accepted_path, csv_prefix)
        elapsed = time.perf_counter() - started
        # The worker sends what the run queued: wait (bounded) for the outbox to empty.
        deadline = time.monotonic() + OUTBOX_DRAIN_S
        while time.monotonic() < deadline:
            if not Notification.objects.filter(status=Notification.Status.QUEUED).exists():
                break
            time.sleep(1)
        drained = time.perf_counter() - started - elapsed
    finally:
        service.stop()
    lines = [json.loads(line) for line in accepted_path.read_text(encoding="utf-8").splitlines() if line]
    accepted = [line for line in lines if "code" in line]
    counts: dict[str, int] = {}
    for line in lines:
        for name, value in line.get("counts", {}).items():
            counts[name] = counts.get(name, 0) + value
    figures = _figures(csv_prefix)
    checked, problems = _check(accepted)
    figures.update(checked)
    figures.update({f"loadtest_{name}": value for name, value in counts.items()})
    figures["loadtest_users"] = USERS
    figures["loadtest_seconds"] = SECONDS
    figures["loadtest_outbox_drain_s"] = round(drained, 1)
    if counts.get("replay_mismatches"):
        problems.append(f"{counts['replay_mismatches']} replays were not answered with their first code")
    for failure in _failures(csv_prefix):
        log(f"loadtest: failure {failure}")
    for problem in problems:
        log(f"loadtest: FAILED: {problem}")
    log(f"loadtest: locust's CSV files in {work}; the server's log in {service.log_path}")
    print(json.dumps(figures, sort_keys=True))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
