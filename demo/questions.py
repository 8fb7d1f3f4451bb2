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
            "prompt_en": "If the damage has just caused an accident, call the traffic police (113) before reporting.",
            "datatype": "text",
            "variable": False,
        },
        {
            "code": "kich-thuoc",
            "prompt": "Chỗ hư hỏng rộng khoảng bao nhiêu?",
            "prompt_en": "How wide is the damage?",
            "datatype": "singlevaluelist",
            "values": [
                {"key": "nho", "name": "Nhỏ, dưới 30 cm", "name_en": "Small, under 30 cm"},
                {"key": "vua", "name": "Vừa, từ 30 cm đến 1 m", "name_en": "Medium, 30 cm to 1 m"},
                {"key": "lon", "name": "Lớn, trên 1 m", "name_en": "Large, over 1 m"},
            ],
        },
        {
            "code": "can-tro",
            "prompt": "Có cản trở xe cộ đi lại không?",
            "prompt_en": "Does it block traffic?",
            "datatype": "singlevaluelist",
            "values": [
                {"key": "khong", "name": "Không", "name_en": "No"},
                {"key": "mot-phan", "name": "Chắn một phần đường", "name_en": "Blocks part of the road"},
                {"key": "hoan-toan", "name": "Chắn hết lối đi", "name_en": "Blocks the whole way"},
            ],
        },
    ],
    "cap-thoat-nuoc": [
        {
            "code": "do-sau-cm",
            "prompt": "Nước ngập sâu khoảng bao nhiêu xăng-ti-mét?",
            "prompt_en": "About how many centimetres deep is the water?",
            "description": "Chỉ khi bị ngập. Ngang mắt cá chân khoảng 10 cm, ngang đầu gối khoảng 50 cm.",
            "description_en": "Only for flooding. Ankle-deep is about 10 cm, knee-deep about 50 cm.",
            "datatype": "number",
        },
        {
            "code": "bat-dau",
            "prompt": "Nước ngập hoặc mất nước từ lúc nào?",
            "prompt_en": "Since when has it been flooded or without water?",
            "datatype": "datetime",
        },
    ],
    "ve-sinh-moi-truong": [
        {
            "code": "loai-rac",
            "prompt": "Đó là loại rác gì?",
            "prompt_en": "What kind of waste is it?",
            "description": "Chọn mọi loại bạn thấy; rác nguy hại được thu gom riêng.",
            "description_en": "Choose every kind you see; hazardous waste is collected separately.",
            "datatype": "multivaluelist",
            "required": True,
            "values": [
                {"key": "sinh-hoat", "name": "Rác sinh hoạt", "name_en": "Household waste"},
                {"key": "xay-dung", "name": "Xà bần, vật liệu xây dựng", "name_en": "Rubble, building materials"},
                {
                    "key": "nguy-hai",
                    "name": "Rác nguy hại (pin, hóa chất, rác y tế)",
                    "name_en": "Hazardous waste (batteries, chemicals, medical waste)",
                },
                {"key": "xac-dong-vat", "name": "Xác động vật", "name_en": "Dead animals"},
            ],
        },
        {
            "code": "khoi-luong",
            "prompt": "Khoảng bao nhiêu rác?",
            "prompt_en": "About how much waste?",
            "datatype": "singlevaluelist",
            "values": [
                {"key": "it", "name": "Vài túi", "name_en": "A few bags"},
                {"key": "xe-ba-gac", "name": "Khoảng một xe ba gác", "name_en": "About a cart-load"},
                {"key": "xe-tai", "name": "Hơn một xe tải", "name_en": "More than a truck-load"},
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
            fields = {
                "prompt_en": "",
                "description": "",
                "description_en": "",
                "required": False,
                "variable": True,
                "values": [],
                **question,
            }
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
