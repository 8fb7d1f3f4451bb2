"""A bounded fuzz run of every API operation in our OpenAPI schema (schemathesis), in-process through the
WSGI application the server runs (geo.wsgi, its short path for tiles and clusters included).

Valid and invalid requests, anonymously and with an administrator's token; no answer may be a 5xx, and every
4xx is JSON in the one error shape. Bounded: a few examples per operation and mode, derandomized, so a run
takes the same requests every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from werkzeug.test import Client as WsgiClient

import geo.wsgi
from agencies.models import Role
from tests.factories import report_make, staff_make

EXAMPLES = 6
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # No shrinking: a failure is reported as found; shrinking one costs minutes.
    phases=[Phase.explicit, Phase.generate],
)
# Schema-valid values that are nasty anyway: what an outside review sent.
NASTY_QUERIES = [
    {"from": "9999-12-31", "to": "9999-12-31"},
    {"limit": "99999999999999999999", "offset": "99999999999999999999"},
    {"q": "a\x00b", "bbox": "\x00"},
    {"lat": "1e309", "lng": "-1e309", "zoom": "99999999999999999999"},
]


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The test's transaction must survive each request, as Django's test client arranges.
    monkeypatch.setattr(geo.wsgi, "close_old_connections", lambda: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def assert_error_shape(response: Any, label: str) -> None:
    if response.status_code < 400:
        return
    content_type = response.headers.get("Content-Type") or response.headers.get("content-type") or ""
    content_type = content_type[0] if isinstance(content_type, list) else content_type  # schemathesis: lists
    assert content_type.startswith("application/json"), (label, response.status_code, content_type)
    body = response.json() if callable(response.json) else response.json  # schemathesis or werkzeug
    assert isinstance(body, dict) and isinstance(body.get("detail"), str), (label, body)
    assert isinstance(body.get("errors", {}), dict), (label, body)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], label: str) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        assert_error_shape(response, label)

    run()


@pytest.mark.django_db
def test_fuzz_every_api_operation(demo: None, plain_static: None, in_process: None) -> None:
    report_make()
    admin = staff_make("quantri_fuzz", "ubnd-d72", Role.ADMIN)
    token = Token.objects.create(user=admin).key
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", geo.wsgi.application)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 50
    failures: list[str] = []
    wsgi = WsgiClient(geo.wsgi.application)
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for headers in ({}, {"Authorization": f"Token {token}"}):
                try:
                    fuzz(operation, mode, headers, label)
                except Unsatisfiable:
                    pass  # no invalid request to make: an operation without parameters or body
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gather every operation's failure, then report them all
                    failures.append(f"{label} {mode.value} {'token' if headers else 'anonymous'}: {exc}"[:2000])
                    print("FAIL", failures[-1], flush=True)  # noqa: T201 - seen with -s during a long run
        if operation.method == "get" and "{" not in operation.path:
            for query in NASTY_QUERIES:
                response = wsgi.get(operation.path, query_string=query, headers={"Host": "localhost"})
                try:
                    assert response.status_code < 500, (label, query, response.status_code)
                    assert_error_shape(response, f"{label} {query}")
                except AssertionError as exc:
                    failures.append(str(exc))
                    print("FAIL", failures[-1], flush=True)  # noqa: T201
    assert not failures, "\n\n".join(failures)
