"""The scenario mix of `make loadtest` (run by bench/loadtest.py, which prepares its data; not for a bare `locust`).

- Citizens browsing: the home page, the map page with its clusters and tiles, the report lists (page and
  API), a public report.
- Reporters, as a phone app: a report with one or two photos under an Idempotency-Key, retried with the
  same key after a network error, a 5xx or a 429 (backing off), and now and then sent again after a 201
  as if its answer had been lost (it must come back with the same code); then the code is looked up.
- Officers (signed in through the sign-in page): their queue, a report in it, and starting work on one.
- Pollers: the phone app's active-warning check at a place, and the warnings page.

Each accepted report (its code, key and number of photos) is written to LOADTEST_ACCEPTED as one JSON line,
for the exactly-once check bench/loadtest.py makes afterwards.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import threading
import uuid
from http.cookiejar import Cookie
from typing import Any

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from urllib3 import encode_multipart_formdata

DATA: dict[str, Any] = json.loads(open(os.environ["LOADTEST_DATA"], encoding="utf-8").read())
ACCEPTED_PATH = os.environ["LOADTEST_ACCEPTED"]
CAPTCHAS: list[str] = DATA["captchas"]
_lock = threading.Lock()
# Counted here (not by locust, which sees only requests): written next to the accepted reports at the end.
COUNTS = {"retries": 0, "replays": 0, "replay_mismatches": 0, "gave_up": 0}
RETRY_STATUSES = {0, 429, 500, 502, 503, 504}
ATTEMPTS = 4


def _point() -> tuple[float, float]:
    lng, lat = random.choice(DATA["points"])
    return lng, lat


def _photo(seed: int) -> bytes:
    """A phone-sized photo (a small JPEG of noise: not compressible into nothing)."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (320, 240), bytes(rng.getrandbits(8) for _ in range(320 * 240 * 3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


PHOTOS = [_photo(n) for n in range(4)]


def _accepted(entry: dict[str, Any]) -> None:
    with _lock, open(ACCEPTED_PATH, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def _write_counts(environment: Any, **_: Any) -> None:
    _accepted({"counts": COUNTS})


events.quitting.add_listener(_write_counts)  # type: ignore[no-untyped-call]


class Citizen(FastHttpUser):
    """Browses the map, its tiles and clusters, the lists and public reports."""

    weight = 5
    wait_time = between(1, 4)

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="page home")

    @task(4)
    def map(self) -> None:
        self.client.get("/ban-do/", name="page /ban-do/")
        west, south, east, north = DATA["bbox"]
        zoom = random.choice([9, 11, 13])
        self.client.get(f"/api/v1/reports/clusters?bbox={west},{south},{east},{north}&zoom={zoom}", name="api clusters")
        for z, x, y in random.sample(DATA["tiles"], 6):
            with self.client.get(f"/tiles/reports/{z}/{x}/{y}.mvt", name="tile", catch_response=True) as answer:
                if answer.status_code == 204:  # an empty tile is an answer
                    answer.success()

    @task(2)
    def lists(self) -> None:
        self.client.get("/phan-anh/", name="page /phan-anh/")
        self.client.get("/api/v1/reports/?limit=20", name="api reports list")

    @task(2)
    def public_report(self) -> None:
        self.client.get(f"/phan-anh/{random.choice(DATA['codes'])}/", name="page report")


class Reporter(FastHttpUser):
    """A phone app sending reports with photos, with idempotency keys and retries, then looking them up."""

    weight = 2
    wait_time = between(2, 6)

    def _post(self, body: bytes, content_type: str, key: str, name: str) -> Any:
        return self.client.post(
            "/api/v1/reports/",
            data=body,  # type: ignore[arg-type]  # bytes are sent as they are (geventhttpclient)
            headers={"Content-Type": content_type, "Idempotency-Key": key, "Accept": "application/json"},
            name=name,
            catch_response=True,
        )

    @task
    def submit(self) -> None:
        self.client.get("/api/v1/categories/", name="api categories")
        with _lock:
            if not CAPTCHAS:
                return
            captcha = CAPTCHAS.pop()
        key = str(uuid.uuid4())
        lng, lat = _point()
        photos = random.choice([1, 1, 2])
        fields: list[tuple[str, Any]] = [
            ("category", random.choice(DATA["categories"])),
            ("title", f"Tải thử {key}"),
            ("description", "Phản ánh của bài thử tải: đường hỏng, có ảnh kèm theo."),
            ("lat", f"{lat:.6f}"),
            ("lng", f"{lng:.6f}"),
            # With an e-mail address the reporter gets a receipt (the app showed the code: no SMS).
            ("reporter", json.dumps({"name": "Người thử tải", "phone": "0912345678", "email": "thu.tai@example.vn"})),
            ("captcha_key", captcha),
            ("captcha_value", DATA["captcha_answer"]),
        ]
        for n in range(photos):
            fields.append(("attachments", (f"anh{n}.jpg", PHOTOS[random.randrange(len(PHOTOS))], "image/jpeg")))
        body, content_type = encode_multipart_formdata(fields)
        jar = self.client.cookiejar
        before: list[Cookie] = list(jar)
        code = None
        for attempt in range(ATTEMPTS):
            with self._post(body, content_type, key, "api report create") as answer:
                if answer.status_code == 201:
                    code = answer.json()["code"]
                    break
                if answer.status_code in RETRY_STATUSES and attempt < ATTEMPTS - 1:
                    # Counted as what it was (a failure the app saw), then retried with the same key.
                    answer.failure(f"{answer.status_code}: retried")
                    with _lock:
                        COUNTS["retries"] += 1
                    gevent.sleep(0.5 * 2**attempt)
                    continue
                answer.failure(f"{answer.status_code}: {answer.text[:200] if answer.text else answer.error}")
                with _lock:
                    COUNTS["gave_up"] += 1
                return
        if code is None:
            return
        _accepted({"code": code, "key": key, "photos": photos})
        if random.random() < 0.1:
            # The answer "was lost": the app sends the same request again, with the cookies it had then.
            after = list(jar)
            jar.clear()
            for cookie in before:
                jar.set_cookie(cookie)
            with self._post(body, content_type, key, "api report create (replay)") as again:
                with _lock:
                    COUNTS["replays"] += 1
                if again.status_code != 201 or again.json()["code"] != code:
                    with _lock:
                        COUNTS["replay_mismatches"] += 1
                    again.failure(f"replay answered {again.status_code}, not {code}")
            jar.clear()
            for cookie in after:
                jar.set_cookie(cookie)
        self.client.get(f"/api/v1/reports/{code}/", name="api report lookup")
        self.client.get(f"/phan-anh/{code}/", name="page report lookup")


class Officer(FastHttpUser):
    """Signed in through the sign-in page; works through their queue."""

    fixed_count = len(DATA["officers"])
    wait_time = between(2, 5)

    def on_start(self) -> None:
        with _lock:
            username, password = DATA["officers"].pop()
        self.client.get("/tai-khoan/dang-nhap/", name="page sign-in")
        token = self._csrf()
        with self.client.post(
            "/tai-khoan/dang-nhap/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/can-bo/"},
            headers={"Referer": f"{self.host}/tai-khoan/dang-nhap/"},
            name="page sign-in (post)",
            catch_response=True,
            allow_redirects=False,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in answered {answer.status_code}")

    def _csrf(self) -> str:
        return next((c.value or "" for c in self.client.cookiejar if c.name == "csrftoken"), "")

    @task
    def queue(self) -> None:
        page = self.client.get("/can-bo/phan-anh/", name="staff queue")
        codes = re.findall(r'href="/can-bo/phan-anh/([A-Za-z0-9-]+)/"', page.text or "")
        if not codes:
            return
        code = random.choice(codes)
        detail = self.client.get(f"/can-bo/phan-anh/{code}/", name="staff report")
        if random.random() < 0.3 and "/bat-dau/" in (detail.text or ""):
            self.client.post(
                f"/can-bo/phan-anh/{code}/bat-dau/",
                data={"csrfmiddlewaretoken": self._csrf()},
                headers={"Referer": f"{self.host}/can-bo/phan-anh/{code}/"},
                name="staff start",
            )


class Poller(FastHttpUser):
    """A phone app asking whether a warning is in force where it is; now and then the warnings page."""

    weight = 6
    wait_time = between(1, 3)

    @task(6)
    def active(self) -> None:
        lng, lat = _point()
        self.client.get(f"/api/v1/alerts/active?lat={lat:.5f}&lng={lng:.5f}", name="api alerts active")

    @task(1)
    def warnings_page(self) -> None:
        self.client.get("/canh-bao/", name="page /canh-bao/")
