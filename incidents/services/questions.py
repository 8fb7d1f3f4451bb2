"""A category's extra questions at intake: the answers cleaned against the questions, or why not.

The answers come as {question code: value, or [values]} (the web form, the API, Open311's
`attribute[CODE]`). What is stored on the report is the cleaned form: text without control
characters, a number as a JSON number, a datetime in ISO 8601 with its zone, a list answer as its
keys ([keys] for a multivaluelist). Errors are keyed `question_answers.<code>` (as the reporter's are
`reporter.<field>`), so every error body keeps its one shape; `question_answer_errors` reads them back
by code for callers that name the failing attribute (Open311).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from common.text import clean_text

from ..models import Category, CategoryQuestion, QuestionType
from ..selectors import category_questions

ERROR_PREFIX = "question_answers."
NUMBER = re.compile(r"^[+-]?\d{1,15}([.,]\d{1,10})?$")
REQUIRED = "Câu hỏi này là bắt buộc."
UNKNOWN = "Chuyên mục này không có câu hỏi này."
NOT_ASKED = "Đây là lời giải thích, không cần trả lời."
NOT_A_NUMBER = "Hãy nhập một số, ví dụ 30 hoặc 2,5."
NOT_A_DATETIME = "Hãy nhập ngày giờ theo ISO 8601 có múi giờ, ví dụ 2025-01-15T08:30:00+07:00."
NOT_A_CHOICE = "Lựa chọn này không có trong danh sách."
ONE_CHOICE = "Chỉ được chọn một."
NOT_TEXT = "Câu trả lời phải là chữ."
# A code longer than any question's is nobody's: it is not echoed back in full.
CODE_SHOWN_MAX = 50
TEXT_MAX = {QuestionType.STRING: 300, QuestionType.TEXT: 5000}


def question_answers_clean(*, category: Category, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to the category's active questions, cleaned; a ValidationError keyed
    `question_answers.<code>` for every unknown, missing required or ill-typed answer."""
    questions = {question.code: question for question in category_questions(category=category)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for code in answers:
        if code not in questions:
            errors[ERROR_PREFIX + str(code)[:CODE_SHOWN_MAX]] = [UNKNOWN]
    for code, question in questions.items():
        raw = answers.get(code)
        if _blank(raw):
            if question.variable and question.required:
                errors[ERROR_PREFIX + code] = [REQUIRED]
            continue
        if not question.variable:
            errors[ERROR_PREFIX + code] = [NOT_ASKED]
            continue
        try:
            cleaned[code] = _answer_clean(question, raw)
        except ValidationError as exc:
            errors[ERROR_PREFIX + code] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def question_answer_errors(exc: ValidationError) -> dict[str, str]:
    """The refusals of `exc` about answers, by question code: {code: first message}."""
    if not hasattr(exc, "error_dict"):
        return {}
    return {
        key.removeprefix(ERROR_PREFIX): messages[0]
        for key, messages in exc.message_dict.items()
        if key.startswith(ERROR_PREFIX) and messages
    }


def _blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(isinstance(item, str) and not item.strip() for item in raw)
    return False


def _answer_clean(question: CategoryQuestion, raw: Any) -> Any:
    datatype = question.datatype
    if datatype == QuestionType.NUMBER:
        return _number(raw)
    if isinstance(raw, list | tuple):
        items = [item for item in raw if not (isinstance(item, str) and not item.strip())]
    else:
        items = [raw]
    if not all(isinstance(item, str) for item in items):
        raise ValidationError(NOT_TEXT)
    keys = [item.strip() for item in items]
    if datatype == QuestionType.MULTI:
        allowed = {item["key"] for item in question.values}
        if any(key not in allowed for key in keys):
            raise ValidationError(NOT_A_CHOICE)
        return list(dict.fromkeys(keys))  # each chosen once, in the order given
    if len(keys) != 1:
        raise ValidationError(ONE_CHOICE if datatype == QuestionType.SINGLE else NOT_TEXT)
    if datatype == QuestionType.SINGLE:
        if keys[0] not in {item["key"] for item in question.values}:
            raise ValidationError(NOT_A_CHOICE)
        return keys[0]
    if datatype == QuestionType.DATETIME:
        return _datetime(keys[0])
    return clean_text(items[0], max_length=TEXT_MAX[QuestionType(datatype)], field_label="Câu trả lời")


def _number(raw: Any) -> int | float:
    """A number as people type it: digits with one decimal separator, a point or (as written in Vietnam) a
    comma; no exponent, no thousands separator, nothing infinite."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValidationError(NOT_A_NUMBER)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValidationError(NOT_A_NUMBER)
    if not isinstance(raw, str):
        return int(raw) if isinstance(raw, int) else float(raw)  # a JSON number, as sent
    text = raw.strip()
    if not NUMBER.match(text):
        raise ValidationError(NOT_A_NUMBER)
    number = Decimal(text.replace(",", "."))
    return int(number) if number == number.to_integral_value() else float(number)


def _datetime(text: str) -> str:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(NOT_A_DATETIME) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(NOT_A_DATETIME)
    return value.isoformat()
