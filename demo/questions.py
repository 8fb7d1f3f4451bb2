"""The demo categories' extra questions (Open311's service definitions) and sample answers for demo reports.

None of the demo's road or flooding questions is required, so a report of those categories sent without
answers (by any channel, or a test) still goes through; waste reports must say what kind of waste it is.
"""

from __future__ import annotations

import random
from typing import Any

from incidents.models import Category, CategoryQuestion

QUESTIONS: dict[str, list[dict[str, Any]]] = {
    "giao-thong": [
        {
            "code": "khan-cap",
            "prompt": "Nếu hư hỏng vừa gây tai nạn, hãy gọi Cảnh sát giao thông (113) trước khi gửi phản ánh.",
            "datatype": "text",
            "variable": False,
        },
        {
            "code": "kich-thuoc",
            "prompt": "Chỗ hư hỏng rộng khoảng bao nhiêu?",
            "datatype": "singlevaluelist",
            "values": [
                {"key": "nho", "name": "Nhỏ, dưới 30 cm"},
                {"key": "vua", "name": "Vừa, từ 30 cm đến 1 m"},
                {"key": "lon", "name": "Lớn, trên 1 m"},
            ],
        },
        {
            "code": "can-tro",
            "prompt": "Có cản trở xe cộ đi lại không?",
            "datatype": "singlevaluelist",
            "values": [
                {"key": "khong", "name": "Không"},
                {"key": "mot-phan", "name": "Chắn một phần đường"},
                {"key": "hoan-toan", "name": "Chắn hết lối đi"},
            ],
        },
    ],
    "cap-thoat-nuoc": [
        {
            "code": "do-sau-cm",
            "prompt": "Nước ngập sâu khoảng bao nhiêu xăng-ti-mét?",
            "description": "Chỉ khi bị ngập. Ngang mắt cá chân khoảng 10 cm, ngang đầu gối khoảng 50 cm.",
            "datatype": "number",
        },
        {
            "code": "bat-dau",
            "prompt": "Nước ngập hoặc mất nước từ lúc nào?",
            "datatype": "datetime",
        },
    ],
    "ve-sinh-moi-truong": [
        {
            "code": "loai-rac",
            "prompt": "Đó là loại rác gì?",
            "description": "Chọn mọi loại bạn thấy; rác nguy hại được thu gom riêng.",
            "datatype": "multivaluelist",
            "required": True,
            "values": [
                {"key": "sinh-hoat", "name": "Rác sinh hoạt"},
                {"key": "xay-dung", "name": "Xà bần, vật liệu xây dựng"},
                {"key": "nguy-hai", "name": "Rác nguy hại (pin, hóa chất, rác y tế)"},
                {"key": "xac-dong-vat", "name": "Xác động vật"},
            ],
        },
        {
            "code": "khoi-luong",
            "prompt": "Khoảng bao nhiêu rác?",
            "datatype": "singlevaluelist",
            "values": [
                {"key": "it", "name": "Vài túi"},
                {"key": "xe-ba-gac", "name": "Khoảng một xe ba gác"},
                {"key": "xe-tai", "name": "Hơn một xe tải"},
            ],
        },
    ],
}


def demo_questions_load() -> int:
    """Upsert the demo questions by (category, code); return how many there are."""
    count = 0
    categories = {c.code: c for c in Category.objects.filter(code__in=QUESTIONS)}
    for code, questions in QUESTIONS.items():
        for order, question in enumerate(questions, start=1):
            fields = {"description": "", "required": False, "variable": True, "values": [], **question}
            item, _ = CategoryQuestion.objects.update_or_create(
                category=categories[code], code=fields.pop("code"), defaults={**fields, "order": order, "active": True}
            )
            item.full_clean()
            count += 1
    return count


def demo_answers(category: str, rng: random.Random) -> dict[str, Any]:
    """Believable answers to the category's demo questions: the required ones always, the others often."""
    answers: dict[str, Any] = {}
    for question in QUESTIONS.get(category, []):
        if question.get("variable") is False or not (question.get("required") or rng.random() < 0.6):
            continue
        keys = [value["key"] for value in question.get("values", [])]
        if question["datatype"] == "singlevaluelist":
            answers[question["code"]] = rng.choice(keys)
        elif question["datatype"] == "multivaluelist":
            answers[question["code"]] = rng.sample(keys, rng.randint(1, 2))
        elif question["datatype"] == "number":
            answers[question["code"]] = str(rng.choice([10, 20, 30, 45, 60]))
    return answers
