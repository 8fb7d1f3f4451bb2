"""The GeoReport v2 endpoints (/open311/v2/): thin views that parse the specification's parameters, call
this app's selectors and services, and answer in the format the path names (formats.py).

Every refusal is the specification's error list (400, 403 for a missing, wrong or revoked key, 404, 429
past a key's limit), never a page; geo's error handlers answer the same way for any other path under
/open311/.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from common.http import client_ip
from common.replica import replica_reads
from incidents.services import IdempotencyConflict, question_answer_errors

from . import selectors, services
from .formats import FORMATS, Open311Error, error_render, render, w3c
from .models import ApiClient

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")
# Our intake's field names -> the specification's, for error descriptions a client can act on.
SPEC_FIELDS = {
    "category": "service_code",
    "title": "description",
    "address": "address_string",
    "location": "lat",
    "reporter.name": "first_name",
    "reporter.phone": "phone",
    "reporter.email": "email",
    "idempotency_key": "Idempotency-Key",
}
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _jurisdiction_check(value: str) -> None:
    """One jurisdiction per deployment (settings.OPEN311_JURISDICTION_ID): absent is fine, another is not."""
    value = value.strip()
    if value and value != settings.OPEN311_JURISDICTION_ID:
        raise Open311Error(404, f"Không phục vụ jurisdiction_id {value[:100]!r} (jurisdiction_id not found).")


def open311_view(*methods: str) -> Callable[[View], View]:
    """The checks every endpoint shares: a known format, an allowed method, the jurisdiction; and every
    Open311Error answered in the request's format. No cookie authenticates here, so no CSRF token is asked."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in FORMATS:
                unsupported = Open311Error(400, f"Không hỗ trợ định dạng .{fmt[:20]}: dùng .xml hoặc .json.")
                return error_render("xml", unsupported)
            try:
                if request.method not in methods:
                    allow = {"Allow": ", ".join(methods)}
                    raise Open311Error(405, f"Không dùng được phương thức {request.method} ở đây.", headers=allow)
                params = request.POST if request.method == "POST" else request.GET
                _jurisdiction_check(params.get("jurisdiction_id", ""))
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error_render(fmt, exc)

        return wrapped

    return decorate


def _invalid(exc: ValidationError, status: int = 400) -> Open311Error:
    """A ValidationError keyed by field, one error per message, named by the specification's fields."""
    errors: list[tuple[int, str]] = []
    answers = question_answer_errors(exc)
    for code, message in answers.items():
        errors.append((status, f"attribute[{code}]: {message}"))
    for name, messages in exc.message_dict.items():
        if name.startswith("question_answers."):
            continue  # told above, as the attribute the client sent
        for message in messages:
            errors.append((status, f"{SPEC_FIELDS.get(name, name)}: {message}"))
    return Open311Error(status, *errors)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@open311_view("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    contact = settings.OPEN311_CONTACT
    document = {
        "changeset": selectors.CHANGESET,
        "contact": contact,
        "key_service": f"Khóa API (api_key) do quản trị hệ thống cấp; liên hệ: {contact}",
        "endpoints": [
            {
                "specification": selectors.SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": selectors.CHANGESET,
                "type": settings.OPEN311_ENDPOINT_TYPE,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", document)


@open311_view("GET")
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "services", selectors.service_list())


@open311_view("GET")
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    category = selectors.service_get(code)
    if category is None:
        raise Open311Error(404, f"Không có service_code {code[:60]!r}.")
    return render(fmt, "service_definition", selectors.service_definition(category))


def _public(report: Any, request: HttpRequest) -> dict[str, Any]:
    data = selectors.request_public(report, base_url=_base_url(request))
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        data[name] = w3c(data[name])
    return data


@replica_reads
@open311_view("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt)
    try:
        query = selectors.request_query_parse(request.GET)
    except ValidationError as exc:
        raise _invalid(exc) from None
    reports = selectors.requests_find(query)
    return render(fmt, "service_requests", [_public(report, request) for report in reports])


@open311_view("GET")
def request_detail(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    report = selectors.request_get(code)
    if report is None:
        raise Open311Error(404, f"Không có service_request_id {code[:60]!r}.")
    return render(fmt, "service_requests", [_public(report, request)])


@open311_view("GET")
def token_detail(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    # Every service is realtime: a request is filed (and numbered) while its POST waits, so no token is
    # ever issued and none can be found.
    raise Open311Error(
        404, f"Không có token {token[:60]!r}: máy chủ trả service_request_id ngay khi nhận yêu cầu, không cấp token."
    )


def _attributes(form: QueryDict) -> dict[str, str | list[str]]:
    """attribute[CODE]=value and attribute[CODE][]=value (repeated, for a multivaluelist)."""
    found: dict[str, str | list[str]] = {}
    for name, values in form.lists():
        match = ATTRIBUTE.match(name)
        if match is None:
            continue
        code, many = match.group(1), match.group(2)
        found[code] = [value for value in values if value != ""] if many else values[-1]
    return found


def _idempotency_key(request: HttpRequest) -> str:
    """The client's own Idempotency-Key, else one derived from everything it sent but the key: the same
    request sent again is the same request (a client that means a second, identical report changes a word
    or sends its own key)."""
    sent = request.headers.get("Idempotency-Key", "").strip()
    if sent:
        return sent
    pairs = sorted((name, value) for name, values in request.POST.lists() for value in values if name != "api_key")
    return "body:" + hashlib.sha256(repr(pairs).encode()).hexdigest()


def _client(request: HttpRequest) -> ApiClient:
    key = request.POST.get("api_key", "").strip()
    if not key:
        raise Open311Error(403, "Cần api_key để gửi yêu cầu.")
    client = services.api_client_for_key(key)
    if client is None:
        raise Open311Error(403, "api_key không hợp lệ hoặc đã bị thu hồi.")
    wait = services.api_client_throttle(client=client, request=request)
    if wait is not None:
        message = f"api_key này đã gửi quá nhiều yêu cầu; hãy thử lại sau {wait} giây."
        raise Open311Error(429, message, headers={"Retry-After": str(wait)})
    return client


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    # The specification's form encoding; clients built on HTML-form libraries send the same fields as
    # multipart, which is taken too. A file part has no place in GeoReport v2 (photos go by media_url):
    # refused by name rather than dropped unseen.
    if request.content_type not in (FORM, MULTIPART):
        raise Open311Error(400, f"Gửi yêu cầu dạng {FORM} (charset=utf-8), như đặc tả quy định.")
    if request.FILES:
        raise Open311Error(400, "Open311 không nhận tệp đính kèm: gửi đường dẫn ảnh trong media_url.")
    form = request.POST
    client = _client(request)
    service_code = form.get("service_code", "").strip()
    if not service_code:
        raise Open311Error(400, "Thiếu service_code.")
    category = selectors.service_get(service_code)
    if category is None:
        raise Open311Error(404, f"Không có service_code {service_code[:60]!r}.")
    try:
        point = selectors.request_location(
            lat=form.get("lat", ""),
            long=form.get("long", ""),
            address_string=form.get("address_string", ""),
            address_id=form.get("address_id", ""),
        )
        data = services.ServiceRequestInput(
            service_code=service_code,
            point=point,
            **{name: form.get(name, "") for name in services.TEXT_FIELDS},
            attributes=_attributes(form),
        )
        outcome = services.service_request_create(
            client=client,
            data=data,
            category=category,
            idempotency_key=_idempotency_key(request),
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    except IdempotencyConflict:
        raise Open311Error(409, "Idempotency-Key này đã được dùng cho một yêu cầu khác.") from None
    report = outcome.report
    body = [
        {
            "service_request_id": report.code,
            "service_notice": selectors.service_notice(report),
            "account_id": outcome.link.account_id or None,
        }
    ]
    return render(fmt, "service_requests", body, status=201 if outcome.created else 200)
