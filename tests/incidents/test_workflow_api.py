"""The workflow through the API: one operation per action, each documented with its own input and answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from incidents.models import Report, ReportStatus
from tests.factories import report_make
from tests.incidents.conftest import WARD, WARD_AGENCY

pytestmark = pytest.mark.django_db

# Each action's input fields, and whose view of the report it answers with.
ACTIONS: dict[str, tuple[set[str], str]] = {
    "start": (set(), "ReportPrivate"),
    "answer": ({"body", "attachments", "publish_documents"}, "ReportPrivate"),
    "approve": (set(), "ReportPrivate"),
    "return": ({"note"}, "ReportPrivate"),
    "reject": ({"reason", "note"}, "ReportPrivate"),
    "reassign": ({"agency", "note"}, "ReportPrivate"),
    "merge": ({"into"}, "ReportPrivate"),
    "redact": ({"title", "description", "reason"}, "ReportPrivate"),
    "visibility": ({"public", "reason"}, "ReportPrivate"),
    "rate": ({"satisfied", "token"}, "ReportPrivate"),
    "reopen": ({"reason", "token"}, "ReportPrivate"),
    "support": ({"name", "phone", "email", "otp"}, "ReportPublic"),
}


def _ref(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def test_the_schema_has_one_operation_per_workflow_action_with_its_input_and_answer(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    inputs = set()
    for action, (fields, answer) in ACTIONS.items():
        operations = schema["paths"][f"/api/v1/reports/{{code}}/{action}"]
        assert set(operations) - {"parameters"} == {"post"}, action
        operation = operations["post"]
        assert operation["operationId"] == f"v1_reports_{action}_create"
        if not fields:
            assert "requestBody" not in operation, action  # nothing to send, and the schema says so
        else:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            inputs.add(body["$ref"])
            assert set(_ref(schema, body["$ref"])["properties"]) == fields, action
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{answer}")
        assert {"400", "404"} <= set(operation["responses"]), action
    # No two actions share (or borrow) an input.
    assert len(inputs) == len([fields for fields, _ in ACTIONS.values() if fields])


def _post(client: Client, report: Report, action: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        f"/api/v1/reports/{report.code}/{action}", json.dumps(body or {}), content_type="application/json"
    )


def test_each_staff_action_calls_its_service_and_answers_the_staff_view(
    officer: User, leader: User, client: Client
) -> None:
    report = report_make(ward=WARD)
    client.force_login(officer)
    missing = _post(client, report, "answer")
    assert missing.status_code == 400
    assert missing.json()["detail"] == "Dữ liệu không hợp lệ." and set(missing.json()["errors"]) == {"body"}
    assert _post(client, report, "answer", {"body": "Đã dọn."}).json()["status"] == "awaiting_approval"
    client.force_login(leader)
    returned = _post(client, report, "return", {"note": "Ghi rõ thời gian."})
    assert returned.status_code == 200 and returned.json()["status"] == "in_progress"
    assert "returned" in [event["action"] for event in returned.json()["events"]]

    redacted = _post(client, report, "redact", {"title": "Cây đổ", "description": "[đã ẩn]", "reason": "Số điện thoại"})
    assert redacted.status_code == 200 and redacted.json()["description"] == "[đã ẩn]"
    hidden = _post(client, report, "visibility", {"public": False, "reason": "Nhạy cảm"})
    assert hidden.status_code == 200 and hidden.json()["is_public"] is False

    # A service's refusal keyed by field keeps its field; an unkeyed one is a plain detail.
    unknown = _post(client, report, "reassign", {"agency": "khong-co"})
    assert unknown.status_code == 400 and unknown.json() == {
        "detail": "Cơ quan không tồn tại.",
        "errors": {"agency": ["Cơ quan không tồn tại."]},
    }
    same = _post(client, report, "reassign", {"agency": WARD_AGENCY})
    assert same.status_code == 400 and same.json() == {
        "detail": "Hãy chọn một cơ quan khác, đang hoạt động.",
        "errors": {},
    }
    moved = _post(client, report, "reassign", {"agency": "so-tnmt", "note": ""})
    # The answer is the staff view even though the report has left the actor's agency.
    assert moved.status_code == 200 and moved.json()["agency"]["code"] == "so-tnmt"
    assert moved.json()["status"] == ReportStatus.FORWARDED
    # Now outside the leader's agencies: answered like an unknown code.
    assert _post(client, report, "start").status_code == 404
    assert client.post("/api/v1/reports/PA-0000-000000/start").status_code == 404


def test_merge_and_reject_through_the_api(officer: User, client: Client) -> None:
    original = report_make(ward=WARD)
    duplicate = report_make(ward=WARD)
    client.force_login(officer)
    unknown = _post(client, duplicate, "merge", {"into": "PA-0000-000000"})
    assert unknown.status_code == 400 and unknown.json()["errors"] == {"into": ["Không có phản ánh mã này."]}
    merged = _post(client, duplicate, "merge", {"into": original.code})
    assert merged.status_code == 200 and merged.json()["rejection_reason"] == "duplicate"
    bad = _post(client, original, "reject", {"reason": "boring"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"reason"}
    rejected = _post(client, original, "reject", {"reason": "out_of_scope"})
    assert rejected.status_code == 200 and rejected.json()["status"] == ReportStatus.REJECTED
