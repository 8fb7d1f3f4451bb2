"""Bad input answers 4xx, never 5xx: JSON in the one error shape under /api/, a Vietnamese page elsewhere.

Every URL pattern is swept with the nastiest inputs an outside review found (NUL bytes, lone
surrogates, huge numbers, far dates, deep JSON), in its path, its query string and its body,
anonymously and signed in as an administrator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from agencies.models import Role
from incidents.models import Report
from tests.factories import report_make, staff_make

# Query parameters any view reads (grep GET.get / query_params.get / params.get), page form fields included.
PARAMS = (
    "bbox lat lng zoom level parent district ward province category kind status q code from to date_from date_to "
    "at page trang tab limit offset scope agency geometry simplify geocode sender_name sender_phone overdue next "
    "min_length t moi purpose"
).split()
# Raw (already percent-encoded) query values, put in every parameter at once: NUL, a lone surrogate's bytes.
RAW_VALUES = ["a%00b", "%ED%A0%80"]
# Values put in every parameter at once: numbers and dates a database cannot hold, text longer than any field.
VALUES = ["99999999999999999999", "9999-12-31", "31/12/9999", "x" * 3000]
# A first refused date could hide a crash on the next one: the date parameters one at a time too.
DATE_PARAMS = ["from", "to", "date_from", "date_to", "at"]
DATE_VALUES = ["9999-12-31", "0001-01-01T00:00:00+14:00"]
# Path segments in place of a code or a number.
SEGMENTS = ["%00", "A%00B", "%ED%A0%80", "99999999999999999999", "x" * 300]


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue  # regex patterns: captcha, i18n, allauth's provider routes, the admin
        route = prefix + str(pattern.pattern._route)  # type: ignore[attr-defined]
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def _fill(route: str, value: str) -> str:
    parts = route.split("<")
    out = parts[0]
    for part in parts[1:]:
        _, rest = part.split(">", 1)
        out += value + rest
    return "/" + out


def routes() -> list[str]:
    return sorted(set(_routes(get_resolver().url_patterns)))


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def assert_handled(response: object, path: str, what: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status < 500, (status, path, what)
    if _is_api(path) and status >= 400:
        content_type = response.headers.get("Content-Type", "")  # type: ignore[attr-defined]
        assert content_type.startswith("application/json"), (status, path, what, content_type)
        body = json.loads(response.content)  # type: ignore[attr-defined]
        assert isinstance(body, dict) and isinstance(body.get("detail"), str), (path, what, body)
        assert isinstance(body.get("errors", {}), dict), (path, what, body)


@pytest.fixture
def clients(demo: None, plain_static: None) -> dict[str, Client]:
    report_make()
    admin = staff_make("quantri_tinh", "ubnd-d72", Role.ADMIN)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(admin)
    return {"anonymous": Client(raise_request_exception=False), "admin": signed_in}


def _samples(route: str, code: str) -> list[str]:
    if "<" not in route:
        return [_fill(route, "")]
    real = _fill(route.replace("<int:", "<").replace("<str:", "<"), "1")
    if "<str:" in route:
        real = _fill(route, code) if "<int:" not in route else _fill(route, code).replace(f"/{code}/tep/", "/")
    return [real]


@pytest.mark.django_db
def test_every_route_survives_nasty_path_segments(clients: dict[str, Client]) -> None:
    failures = []
    for route in routes():
        if "<" not in route:
            # A NUL or a bad byte appended to a fixed path.
            paths = [_fill(route, "") + segment for segment in ("%00", "%ED%A0%80")]
        else:
            paths = [_fill(route, segment) for segment in SEGMENTS]
        for path in paths:
            for name, client in clients.items():
                for method in ("get", "post"):
                    response = getattr(client, method)(path)
                    try:
                        assert_handled(response, path, f"{method} {name}")
                    except AssertionError as exc:
                        failures.append(str(exc))
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_every_route_survives_nasty_query_strings(clients: dict[str, Client]) -> None:
    code = Report.objects.get().code
    failures = []
    for route in routes():
        for path in _samples(route, code):
            for name, client in clients.items():
                queries = ["&".join(f"{param}={raw}" for param in PARAMS) for raw in RAW_VALUES]
                queries += ["&".join(f"{param}={quote(value)}" for param in PARAMS) for value in VALUES]
                if name == "admin" and "<" not in route:
                    queries += [f"{param}={quote(value)}" for param in DATE_PARAMS for value in DATE_VALUES]
                for query in queries:
                    response = client.get(f"{path}?{query}")
                    try:
                        assert_handled(response, path, f"{name} ?{query[:80]}")
                    except AssertionError as exc:
                        failures.append(str(exc))
                        print("FAIL", str(exc)[:300], flush=True)  # noqa: T201 - seen with -s during a long sweep
    assert not failures, "\n".join(failures[:200])
