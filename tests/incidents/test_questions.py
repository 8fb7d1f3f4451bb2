"""A category's extra questions: the model's rules, the selectors, and report_create enforcing the answers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from agencies.models import Role
from incidents import selectors, services
from incidents.models import Category, CategoryQuestion, Report
from tests.conftest import captcha_fields, point_in
from tests.factories import staff_make

pytestmark = pytest.mark.django_db

SIZES = [{"key": "nho", "name": "Nhỏ (dưới 30 cm)"}, {"key": "lon", "name": "Lớn (trên 1 m)"}]
KINDS = [{"key": "la", "name": "Lá cây"}, {"key": "canh", "name": "Cành gãy"}, {"key": "goc", "name": "Gốc cây"}]


@pytest.fixture
def trees(demo: None) -> Category:
    """The demo's tree category, asking one of each kind of question (and one text that asks nothing)."""
    category = Category.objects.get(code="cay-xanh")
    ask = CategoryQuestion.objects.create
    ask(category=category, code="luu-y", prompt="Cây đổ đè người: gọi 114.", datatype="text", variable=False, order=0)
    ask(
        category=category,
        code="kich-thuoc",
        prompt="Cây lớn cỡ nào?",
        datatype="singlevaluelist",
        values=SIZES,
        order=1,
    )
    ask(category=category, code="can-tro", prompt="Có chắn đường không?", datatype="string", required=True, order=2)
    ask(category=category, code="vat-can", prompt="Vật cản", datatype="multivaluelist", values=KINDS, order=3)
    ask(category=category, code="duong-kinh", prompt="Đường kính thân (cm)", datatype="number", order=4)
    ask(category=category, code="luc-do", prompt="Đổ lúc nào?", datatype="datetime", order=5)
    ask(category=category, code="cu", prompt="Câu hỏi cũ", datatype="string", required=True, active=False, order=6)
    return category


def _input(**answers: Any) -> services.ReportInput:
    lng, lat = point_in("D25450")
    return services.ReportInput(
        kind="feedback",
        category="cay-xanh",
        title="Cây đổ chắn đường",
        description="Cây lớn đổ sau mưa.",
        lng=lng,
        lat=lat,
        reporter=services.ReporterInput(name="Nguyễn Văn An", phone="0912345678"),
        question_answers=answers,
    )


def test_list_questions_need_distinct_named_choices_and_only_they_have_any(demo: None) -> None:
    category = Category.objects.get(code="giao-thong")

    def problem(datatype: str, values: Any) -> dict[str, list[str]]:
        question = CategoryQuestion(category=category, code="q", prompt="?", datatype=datatype, values=values)
        with pytest.raises(ValidationError) as caught:
            question.full_clean()
        return caught.value.message_dict

    assert "values" in problem("singlevaluelist", [])
    assert "values" in problem("multivaluelist", [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}])
    assert "values" in problem("singlevaluelist", [{"key": "a"}])
    assert "values" in problem("number", [{"key": "a", "name": "A"}])
    assert "datatype" in problem("boolean", [])
    # An English name is optional and, when given, text; no other extra part.
    assert "values" in problem("singlevaluelist", [{"key": "a", "name": "A", "name_en": 1}])
    assert "values" in problem("singlevaluelist", [{"key": "a", "name": "A", "ten": "A"}])
    english = [{"key": "a", "name": "Nhỏ", "name_en": "Small"}, {"key": "b", "name": "Lớn", "name_en": ""}]
    CategoryQuestion(category=category, code="q", prompt="?", datatype="singlevaluelist", values=english).full_clean()
    CategoryQuestion(category=category, code="q", prompt="?", datatype="multivaluelist", values=SIZES).full_clean()
    # The database holds the same line where it can: no choices on a number, no required explanation.
    for wrong in ({"datatype": "number", "values": SIZES}, {"datatype": "text", "variable": False, "required": True}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CategoryQuestion.objects.create(category=category, code="q", prompt="?", **wrong)


def test_a_categorys_questions_in_order_and_which_categories_ask_any(trees: Category) -> None:
    codes = [q.code for q in selectors.category_questions(category=trees)]
    assert codes == ["luu-y", "kich-thuoc", "can-tro", "vat-can", "duong-kinh", "luc-do"]
    with CaptureQueriesContext(connection) as queries:
        asks = {c.code: c.has_questions for c in selectors.categories_with_questions()}
    assert len(queries) == 1
    assert asks["cay-xanh"] is True and asks["y-te"] is False


def test_report_create_stores_cleaned_answers(trees: Category) -> None:
    report = services.report_create(
        data=_input(
            **{
                "kich-thuoc": "lon",
                "can-tro": "  Chắn cả hai làn ",
                "vat-can": ["canh", "goc", "canh"],
                "duong-kinh": "45,5",
                "luc-do": "2025-01-15T08:30:00+07:00",
                "luu-y": "",
            }
        )
    )
    report.refresh_from_db()
    assert report.question_answers == {
        "kich-thuoc": "lon",
        "can-tro": "Chắn cả hai làn",
        "vat-can": ["canh", "goc"],
        "duong-kinh": 45.5,
        "luc-do": "2025-01-15T08:30:00+07:00",
    }


def test_report_create_refuses_wrong_answers_by_question_and_stores_nothing(trees: Category) -> None:
    with pytest.raises(ValidationError) as caught:
        services.report_create(
            data=_input(
                **{
                    "kich-thuoc": ["nho", "lon"],
                    "vat-can": ["canh", "than"],
                    "duong-kinh": "1e3",
                    "luc-do": "2025-01-15T08:30:00",
                    "luu-y": "đã biết",
                    "khong-co": "x",
                    "cu": "câu hỏi đã bỏ",
                }
            )
        )
    assert services.question_answer_errors(caught.value) == {
        "can-tro": "Câu hỏi này là bắt buộc.",
        "kich-thuoc": "Chỉ được chọn một.",
        "vat-can": "Lựa chọn này không có trong danh sách.",
        "duong-kinh": "Hãy nhập một số, ví dụ 30 hoặc 2,5.",
        "luc-do": "Hãy nhập ngày giờ theo ISO 8601 có múi giờ, ví dụ 2025-01-15T08:30:00+07:00.",
        "luu-y": "Đây là lời giải thích, không cần trả lời.",
        "khong-co": "Chuyên mục này không có câu hỏi này.",
        "cu": "Chuyên mục này không có câu hỏi này.",
    }
    assert "question_answers.can-tro" in caught.value.message_dict  # the one error shape, keyed like reporter.*
    assert not Report.objects.exists()


def test_a_retry_replays_only_with_the_same_answers(trees: Category) -> None:
    def send(answer: str) -> Report:
        return services.report_create(
            data=_input(**{"can-tro": answer}), idempotency_key="k1", idempotency_scope="device:1"
        )

    first = send("Có")
    assert send("Có").pk == first.pk
    with pytest.raises(services.IdempotencyConflict):
        send("Không")
    assert Report.objects.count() == 1


def test_a_category_without_questions_takes_no_answers(demo: None) -> None:
    lng, lat = point_in("D25450")
    plain = services.report_create(
        data=services.ReportInput(
            kind="feedback",
            category="y-te",
            title="Trạm y tế đóng cửa",
            description="Đóng cửa giờ hành chính.",
            lng=lng,
            lat=lat,
            reporter=services.ReporterInput(name="An", phone="0912345678"),
        )
    )
    assert plain.question_answers == {}
    with pytest.raises(ValidationError) as caught:
        services.report_create(
            data=services.ReportInput(
                kind="feedback",
                category="y-te",
                title="Trạm y tế",
                description="Đóng cửa.",
                lng=lng,
                lat=lat,
                reporter=services.ReporterInput(name="An", phone="0912345678"),
                question_answers={"x": "1"},
            )
        )
    assert services.question_answer_errors(caught.value) == {"x": "Chuyên mục này không có câu hỏi này."}


def test_administrators_edit_questions_on_their_category(demo: None) -> None:
    client = Client()
    client.force_login(staff_make("qt_tinh", "ubnd-d72", Role.ADMIN))
    category = Category.objects.get(code="y-te")
    url = f"/admin/incidents/category/{category.pk}/change/"
    form = {
        "code": "y-te",
        "name": category.name,
        "description": category.description,
        "duplicate_radius_m": "250",
        "sort_order": "1",
        "is_active": "on",
        "answer_templates-TOTAL_FORMS": "0",
        "answer_templates-INITIAL_FORMS": "0",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-0-code": "co-so",
        "questions-0-order": "1",
        "questions-0-active": "on",
        "questions-0-prompt": "Cơ sở y tế nào?",
        "questions-0-datatype": "singlevaluelist",
        "questions-0-variable": "on",
        "questions-0-values": '[{"key": "tram", "name": "Trạm y tế"}, {"key": "tram", "name": "Bệnh viện"}]',
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "Các lựa chọn không được trùng" in refused.content.decode()
    form["questions-0-values"] = '[{"key": "tram", "name": "Trạm y tế"}, {"key": "benh-vien", "name": "Bệnh viện"}]'
    assert client.post(url, form).status_code == 302
    assert [q.code for q in selectors.category_questions(category=category)] == ["co-so"]


def _api_payload(**answers: Any) -> dict[str, Any]:
    lng, lat = point_in("D25450")
    return {
        "category": "ve-sinh-moi-truong",
        "title": "Rác đổ bừa bãi",
        "description": "Rác đổ đầy góc đường từ hôm qua.",
        "location": {"type": "Point", "coordinates": [lng, lat]},
        "reporter": {"name": "Nguyễn Văn An", "phone": "0912 345 678"},
        "question_answers": answers,
    }


def test_the_api_takes_answers_and_names_the_refused_question(demo: None) -> None:
    client = Client()

    def post(payload: dict[str, Any]) -> Any:
        body = json.dumps({**captcha_fields(client), **payload})
        return client.post("/api/v1/reports/", body, content_type="application/json")

    # The app learns what to ask from the categories.
    listed = {c["code"]: c["questions"] for c in client.get("/api/v1/categories/").json()}
    assert listed["y-te"] == [] and [q["code"] for q in listed["ve-sinh-moi-truong"]] == ["loai-rac", "khoi-luong"]
    assert listed["ve-sinh-moi-truong"][0]["required"] is True
    assert listed["ve-sinh-moi-truong"][0]["values"][0] == {"key": "sinh-hoat", "name": "Rác sinh hoạt"}
    refused = post(_api_payload(**{"khoi-luong": "nhieu"}))
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "question_answers.loai-rac": ["Câu hỏi này là bắt buộc."],
        "question_answers.khoi-luong": ["Lựa chọn này không có trong danh sách."],
    }
    assert post({**_api_payload(), "question_answers": ["sinh-hoat"]}).json()["errors"] == {
        "question_answers": ["Phải là một đối tượng JSON."]
    }
    created = post(_api_payload(**{"loai-rac": ["sinh-hoat", "xay-dung"], "khoi-luong": "xe-tai"}))
    assert created.status_code == 201, created.content
    report = Report.objects.get(code=created.json()["code"])
    assert report.question_answers == {"loai-rac": ["sinh-hoat", "xay-dung"], "khoi-luong": "xe-tai"}
    # Answers are the reporter's and staff's: not in the public answer.
    assert "question_answers" not in created.json()
    assert "question_answers" not in Client().get(f"/api/v1/reports/{report.code}/").json()

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    answers = schema["ReportInput"]["properties"]["question_answers"]
    assert answers["type"] == "object" and len(answers["additionalProperties"]["oneOf"]) == 3


def test_staff_read_the_answers_in_question_order_by_name(trees: Category) -> None:
    report = services.report_create(
        data=_input(**{"vat-can": ["goc", "la"], "can-tro": "Chắn một làn", "luc-do": "2025-01-15T01:30:00+00:00"})
    )
    CategoryQuestion.objects.filter(code="can-tro").update(active=False)  # withdrawn later: its answer stays
    client = Client()
    client.force_login(staff_make("canbo", "ubnd-d25450", Role.OFFICER))
    page = client.get(f"/can-bo/phan-anh/{report.code}/").content.decode()
    section = page[page.index('id="cau-hoi"') : page.index("</section>", page.index('id="cau-hoi"'))]
    shown = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section)
    assert shown == [
        ("Cây lớn cỡ nào?", "Không trả lời"),
        ("Có chắn đường không?", "Chắn một làn"),
        ("Vật cản", "Gốc cây, Lá cây"),
        ("Đường kính thân (cm)", "Không trả lời"),
        ("Đổ lúc nào?", "15/01/2025 08:30"),
    ]


def test_the_form_asks_the_chosen_categorys_questions(demo: None) -> None:
    client = Client()
    client.force_login(User.objects.create_user(username="dan", password="Mật-khẩu-dài-123"))
    page = client.get("/phan-anh/gui/").content.decode()
    assert 'data-category="ve-sinh-moi-truong"' in page and 'name="q__ve-sinh-moi-truong__loai-rac"' in page
    assert "checked" not in page[page.index('id="questions-giao-thong"') :][:4000]  # nothing chosen for them
    lng, lat = point_in("D25450")
    form = {
        "kind": "feedback",
        "category": "ve-sinh-moi-truong",
        "lat": str(lat),
        "lng": str(lng),
        "title": "Rác đổ bừa bãi",
        "description": "Rác đổ đầy góc đường.",
        "reporter_type": "individual",
        "reporter_name": "Dân",
        # Without the script every category's questions are sent: only the chosen category's count.
        "q__giao-thong__kich-thuoc": "lon",
    }
    refused = client.post("/phan-anh/gui/", form)
    assert refused.status_code == 400
    assert '<a href="#id_q__ve-sinh-moi-truong__loai-rac_0">Câu hỏi này là bắt buộc.</a>' in refused.content.decode()
    sent = client.post("/phan-anh/gui/", {**form, "q__ve-sinh-moi-truong__loai-rac": ["sinh-hoat", "nguy-hai"]})
    assert sent.status_code == 303
    flooding = {**form, "category": "cap-thoat-nuoc", "title": "Ngập sau mưa"}
    flooding.update({"q__cap-thoat-nuoc__do-sau-cm": "35,5", "q__cap-thoat-nuoc__bat-dau": "2025-01-15T08:30"})
    assert client.post("/phan-anh/gui/", flooding).status_code == 303
    answers = [r.question_answers for r in Report.objects.order_by("id")]
    assert answers == [
        {"loai-rac": ["sinh-hoat", "nguy-hai"]},
        {"do-sau-cm": 35.5, "bat-dau": "2025-01-15T08:30:00+07:00"},
    ]
