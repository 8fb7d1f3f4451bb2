"""The permission matrix: every role against every protected page and endpoint.

Each row is one endpoint; each column the answer one role gets. Allowed answers are 200 (or 303,
a form's redirect after a staff action); refusals are 302 to the sign-in page (anonymous, pages),
401/403, or 404. A refusal about a report of another agency must be the same, status and body,
as the answer for a report that does not exist: nobody learns what exists outside their remit.

The report acted on belongs to agency A (ward D25450) and is hidden from the public.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from agencies.models import Role
from incidents import services
from incidents.models import Report
from tests.conftest import point_in
from tests.factories import PASSWORD, report_make, staff_make

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "citizen", "officer_a", "officer_b", "leader_a", "operator", "administrator", "superuser")
UNKNOWN_CODE = "209901019999"
UNKNOWN_PK = 999_999_999
LOGIN = "/tai-khoan/dang-nhap/"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {code}, {pk} and {bbox} are filled in
    expected: tuple[int, ...]  # one answer per role, in the order of ROLES
    state: str = "forwarded"  # or "awaiting": an answer waits for a leader's approval
    body: dict[str, Any] = field(default_factory=dict)
    json: bool = False
    url_name: str = ""  # endpoints other sessions may not have built yet: skipped if this does not resolve


# fmt: off
#                                                                anon cit  offA offB ldA  oper admin super
MATRIX = [
    Endpoint("staff worklist", "get", "/can-bo/phan-anh/",       (302, 403, 200, 200, 200, 200, 200, 200)),
    Endpoint("staff report page", "get", "/can-bo/phan-anh/{code}/",
                                                                 (302, 403, 200, 404, 200, 404, 200, 200)),
    Endpoint("staff start", "post", "/can-bo/phan-anh/{code}/bat-dau/",
                                                                 (302, 403, 303, 404, 303, 404, 303, 303)),
    Endpoint("staff reject", "post", "/can-bo/phan-anh/{code}/tu-choi/",
                                                                 (302, 403, 303, 404, 303, 404, 303, 303),
             body={"reason": "spam", "note": ""}),
    Endpoint("staff approve", "post", "/can-bo/phan-anh/{code}/duyet/",
                                                                 (302, 403, 403, 404, 303, 404, 303, 303),
             state="awaiting"),
    Endpoint("audit log page", "get", "/can-bo/nhat-ky/",        (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("heatmap page", "get", "/can-bo/ban-do-nhiet/",     (302, 403, 200, 200, 200, 200, 200, 200),
             url_name="staff-heatmap"),
    Endpoint("admin index", "get", "/admin/",                    (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("admin report", "get", "/admin/incidents/report/{pk}/change/",
                                                                 (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("admin category add", "get", "/admin/incidents/category/add/",
                                                                 (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("admin agencies", "get", "/admin/agencies/agency/",
                                                                 (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("admin users", "get", "/admin/accounts/user/",      (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("admin boundaries", "get", "/admin/boundaries/adminunit/",
                                                                 (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("admin audit log", "get", "/admin/audit/auditevent/",
                                                                 (302, 403, 403, 403, 403, 403, 200, 200)),
    Endpoint("api hidden report", "get", "/api/v1/reports/{code}/",
                                                                 (404, 404, 200, 404, 200, 404, 200, 200)),
    Endpoint("api start", "post", "/api/v1/reports/{code}/start",
                                                                 (403, 403, 200, 404, 200, 404, 200, 200)),
    Endpoint("api approve", "post", "/api/v1/reports/{code}/approve",
                                                                 (403, 403, 403, 404, 200, 404, 200, 200),
             state="awaiting"),
    Endpoint("api reassign", "post", "/api/v1/reports/{code}/reassign",
                                                                 (403, 403, 200, 404, 200, 404, 200, 200),
             body={"agency": "so-gtvt"}, json=True),
    Endpoint("api visibility", "post", "/api/v1/reports/{code}/visibility",
                                                                 (403, 403, 200, 404, 200, 404, 200, 200),
             body={"public": True, "reason": "Đã kiểm tra"}, json=True),
    Endpoint("api redact (bad input)", "post", "/api/v1/reports/{code}/redact",
                                                                 (403, 403, 400, 404, 400, 404, 400, 400),
             body={"title": ""}, json=True),
    Endpoint("api heatmap", "get", "/api/v1/stats/heatmap?bbox={bbox}&zoom=12",
                                                                 (403, 403, 200, 200, 200, 200, 200, 200),
             url_name="stats-heatmap"),
    Endpoint("api stats csv", "get", "/api/v1/stats/export.csv",
                                                                 (403, 403, 200, 200, 200, 200, 200, 200),
             url_name="stats-export"),
]
# fmt: on
ALLOWED = {200, 303}
# Who may see agency A's report anyway (they may still lack the role for one action).
SEES_AGENCY_A = {"officer_a", "leader_a", "administrator", "superuser"}


def make_user(role: str) -> User | None:
    if role == "anonymous":
        return None
    if role == "citizen":
        return User.objects.create_user(username="mx_dan", password=PASSWORD, phone="+84911000111")
    if role == "superuser":
        return User.objects.create_superuser(username="mx_root", password=PASSWORD)
    agency, kind = {
        "officer_a": ("ubnd-d25450", Role.OFFICER),
        "officer_b": ("ubnd-d25470", Role.OFFICER),
        "leader_a": ("ubnd-d25450", Role.LEADER),
        "operator": ("ubnd-d72", Role.OPERATOR),
        "administrator": ("ubnd-d72", Role.ADMIN),
    }[role]
    return staff_make(f"mx_{role}", agency, kind)


def hidden_report(state: str) -> Report:
    report = report_make(title="Phản ánh riêng của cơ quan A")
    assert report.agency is not None and report.agency.code == "ubnd-d25450"
    if state == "awaiting":
        officer = User.objects.filter(username="mx_setup").first() or staff_make(
            "mx_setup", "ubnd-d25450", Role.OFFICER
        )
        services.report_answer(report=report, actor=officer, body="Đã xử lý.")
    Report.objects.filter(pk=report.pk).update(is_public=False)
    report.refresh_from_db()
    return report


def call(client: Client, endpoint: Endpoint, code: str, pk: int) -> Any:
    lng, lat = point_in("D25450")
    bbox = f"{lng - 0.05},{lat - 0.05},{lng + 0.05},{lat + 0.05}"
    url = endpoint.path.format(code=code, pk=pk, bbox=bbox)
    if endpoint.method == "get":
        return client.get(url)
    if endpoint.json:
        return client.post(url, json.dumps(endpoint.body), content_type="application/json")
    return client.post(url, endpoint.body)


def normalised(response: Any, *codes: str) -> Any:
    """The body without what differs between two renderings anyway (CSRF tokens) or echoes the request."""
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json()
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    for code in sorted(codes, key=len, reverse=True):
        # Whole tokens only: a short key such as 9 must not eat into 999999999.
        text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(code)}(?![0-9A-Za-z])", "CODE", text)
    return text


def check(endpoint: Endpoint, role: str, user: User | None, expected: int) -> str | None:
    """Ask as `role` about a fresh report of agency A; what went wrong, or None."""
    report = hidden_report(endpoint.state)
    before = (report.status, report.is_public, report.agency_id, report.title)
    client = Client()
    if user is not None:
        client.force_login(user)
    response = call(client, endpoint, report.code, report.pk)
    if response.status_code != expected:
        return f"got {response.status_code}, expected {expected}: {response.content[:200]!r}"
    if expected == 302 and not response["Location"].startswith(LOGIN):
        return f"redirected to {response['Location']}, not to the sign-in page"
    if expected in ALLOWED:
        return None
    report.refresh_from_db()
    if (report.status, report.is_public, report.agency_id, report.title) != before:
        return "a refusal changed the report"
    if role in SEES_AGENCY_A or ("{code}" not in endpoint.path and "{pk}" not in endpoint.path):
        return None  # they know the report; refusing them an action reveals nothing
    # The same refusal for a report that does not exist: status and body.
    unknown = call(client, endpoint, UNKNOWN_CODE, UNKNOWN_PK)
    if unknown.status_code != response.status_code:
        return f"an unknown report gets {unknown.status_code}, this one {response.status_code}: existence leaks"
    codes = (report.code, UNKNOWN_CODE, str(report.pk), str(UNKNOWN_PK))
    if expected != 302 and normalised(unknown, *codes) != normalised(response, *codes):
        return "an unknown report gets another body: existence leaks"
    return None


@pytest.mark.parametrize("endpoint", MATRIX, ids=[endpoint.name for endpoint in MATRIX])
def test_permission_matrix(demo: None, endpoint: Endpoint) -> None:
    """One row of the matrix: every role, each against a report of its own (the demo loads once per row)."""
    if endpoint.url_name:
        try:
            reverse(endpoint.url_name)
        except NoReverseMatch:
            pytest.skip(f"{endpoint.url_name} is not built")
    users = {role: make_user(role) for role in ROLES}
    problems = {
        role: problem
        for role, expected in zip(ROLES, endpoint.expected, strict=True)
        if (problem := check(endpoint, role, users[role], expected)) is not None
    }
    assert not problems, "\n".join(f"{endpoint.name} as {role}: {problem}" for role, problem in problems.items())


def test_the_matrix_covers_every_role_and_refuses_somebody_everywhere() -> None:
    for endpoint in MATRIX:
        assert len(endpoint.expected) == len(ROLES), endpoint.name
        assert set(endpoint.expected) - ALLOWED - {400}, f"{endpoint.name} refuses nobody"
        assert endpoint.expected[ROLES.index("superuser")] in ALLOWED | {400}, endpoint.name
