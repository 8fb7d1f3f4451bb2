"""The conversation of seed 003, the same on every platform: a menu ("Phản ánh kiến nghị", "Tra cứu"),
name, phone and address, then any number of messages until #KT, the category and the publication
choice, and one report filed through the one intake. `#<mã>` looks up one's own report, `#HUY`
abandons a draft.

`conversation_handle` runs inside the caller's transaction (the job's, see services): the state it
changes and the replies it queues in the outbox commit together, or not at all. The bot speaks
Vietnamese.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from boundaries.models import Level
from boundaries.places import address_places, text_fold
from common.phones import PhoneError, phone_normalize
from common.text import clean_text
from incidents.models import LIST_TYPES, CategoryQuestion, Channel, ConsentChannel, QuestionType
from incidents.selectors import category_by_code, category_questions
from incidents.services import (
    ReporterInput,
    ReportInput,
    Sender,
    question_answer_errors,
    question_answers_clean,
    report_create,
)
from notifications.services import notification_enqueue

from . import media
from .models import ClosedReason, Conversation, ConversationItem, ItemKind, Stage
from .selectors import (
    chat_categories,
    conversation_open_for,
    report_answer_published,
    report_of_reporter,
)

logger = logging.getLogger(__name__)

KINDS = ("text", "image", "audio", "file", "location", "follow")
MEDIA_KINDS = {"image": ItemKind.IMAGE, "audio": ItemKind.AUDIO, "file": ItemKind.FILE}


@dataclass(frozen=True)
class InboundMessage:
    """One thing a person did on a platform, as the engine understands it (made by each adapter)."""

    platform: str
    user_id: str
    # The platform's id of the message: the replies to it are deduplicated by it.
    event_id: str
    # text, image, audio, file, location, or follow (the person started following the account).
    kind: str
    text: str = ""
    media_url: str = ""
    media_name: str = ""
    lat: float | None = None
    lng: float | None = None
    at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown message kind {self.kind!r}")


# --- What the bot says ---------------------------------------------------------------------------------

MENU = (
    "Xin chào! Đây là kênh tiếp nhận phản ánh, kiến nghị của người dân. Vui lòng chọn:\n"
    "1. Phản ánh kiến nghị\n"
    "2. Tra cứu\n"
    "(trả lời 1 hoặc 2)"
)
ASK_NAME = "Bạn muốn gửi phản ánh kiến nghị. Vui lòng cho biết họ và tên của bạn."
ASK_PHONE = "Vui lòng cho biết số điện thoại liên hệ của bạn."
BAD_PHONE = "Số điện thoại chưa đúng ({error}). Vui lòng gửi lại số điện thoại, ví dụ 0912345678."
ASK_ADDRESS = "Vui lòng cho biết địa chỉ nơi xảy ra sự việc (ghi rõ phường/xã, quận/huyện), hoặc chia sẻ vị trí."
ADDRESS_UNKNOWN = (
    "Chưa tìm thấy địa chỉ “{address}” trong địa bàn tiếp nhận. Vui lòng gửi lại địa chỉ, ghi rõ tên "
    "phường/xã và quận/huyện, hoặc chia sẻ vị trí."
)
ASK_CONTENT = (
    "Cảm ơn bạn. Vui lòng gửi nội dung phản ánh: tin nhắn văn bản, hình ảnh, âm thanh, vị trí hoặc tệp; "
    "có thể gửi nhiều tin nhắn liên tục. Soạn #KT để kết thúc và gửi phản ánh, #HUY để hủy."
)
FIRST_ITEM = "Đã nhận. Bạn có thể gửi tiếp nội dung, soạn #KT để kết thúc và gửi phản ánh."
LOCATION_OK = "Đã nhận vị trí. Phản ánh sẽ được chuyển tới đơn vị phụ trách nơi này."
NOTHING_YET = "Phản ánh chưa có nội dung. Vui lòng gửi nội dung (văn bản, hình ảnh, …) rồi soạn #KT."
TOO_MANY_FILES = "Mỗi phản ánh nhận tối đa {count} tệp; tệp này không được thêm."
FILE_REFUSED = "Không nhận được tệp: {error}"
ASK_CATEGORY = "Phản ánh thuộc lĩnh vực nào? Trả lời bằng số:\n{choices}"
ASK_CONSENT = (
    "Bạn có đồng ý công khai nội dung phản ánh trên cổng thông tin không? Họ tên và số điện thoại của "
    "bạn không bao giờ được công khai.\n1. Đồng ý công khai\n2. Không công khai"
)
FILED = "Phản ánh của bạn đã được tiếp nhận với mã {code}. Hạn xử lý: {deadline}. Để tra cứu, soạn #{code}."
NOT_FILED = (
    "Chưa gửi được phản ánh: {errors}\nVui lòng gửi bổ sung (ví dụ chia sẻ vị trí) rồi soạn #KT, hoặc #HUY để hủy."
)
CANCELLED = "Đã hủy phản ánh đang soạn. Soạn tin bất kỳ để bắt đầu lại."
NOTHING_TO_CANCEL = "Bạn không có phản ánh nào đang soạn."
LOOKUP_HELP = "Để tra cứu, soạn # và mã phản ánh, ví dụ #{example}."
NOT_FOUND = "Không tìm thấy phản ánh mã {code} trong các phản ánh bạn đã gửi qua kênh này."
STATUS = "Phản ánh {code}: {status}. Hạn xử lý: {deadline}."
ANSWERED = "\nKết quả xử lý: {answer}"
IDLE_CLOSED = (
    "Phản ánh đang soạn đã tạm đóng vì không có tin nhắn mới trong một ngày. Nội dung bạn đã gửi vẫn được "
    "lưu lại. Soạn tin bất kỳ để bắt đầu lại."
)

FINISH = "#KT"
CANCEL = "#HUY"
COMMAND = re.compile(r"#\s*([0-9A-Za-z]+)")
REPORT_STAGES = (
    Stage.NAME,
    Stage.PHONE,
    Stage.ADDRESS,
    Stage.COLLECT,
    Stage.CATEGORY,
    Stage.QUESTIONS,
    Stage.CONSENT,
)
SKIP = "0"
DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?")


class _Replies:
    """The replies to one message, each queued once (keyed by the message and its rank)."""

    def __init__(self, message: InboundMessage) -> None:
        self.message = message
        self.count = 0

    def __call__(self, body: str, *, dedupe_key: str | None = None) -> None:
        self.count += 1
        platform, user = self.message.platform, self.message.user_id
        notification_enqueue(
            channel=platform,
            recipient=f"{platform}:{user}",
            body=body,
            dedupe_key=dedupe_key or f"chat:{platform}:{self.message.event_id}:{self.count}",
        )


def conversation_handle(message: InboundMessage) -> None:
    """Move the person's conversation on by one message and queue the replies (caller's transaction)."""
    with connection.cursor() as cursor:
        # One person's messages are handled one at a time, even by two workers at once.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"chat:{message.platform}:{message.user_id}"]
        )
    reply = _Replies(message)
    conversation = conversation_open_for(platform=message.platform, user_id=message.user_id)
    command = _command(message)
    if command is not None and command[1:].isdigit():
        _lookup(message, command, reply)
    elif command == CANCEL:
        if conversation is not None and conversation.stage in REPORT_STAGES:
            _close(conversation, ClosedReason.CANCELLED)
            reply(CANCELLED)
        else:
            reply(NOTHING_TO_CANCEL)
    elif conversation is None:
        conversation = Conversation.objects.create(platform=message.platform, user_id=message.user_id)
        if message.kind == "text" and _menu_choice(message.text):
            _step(conversation, message, command, reply)
        else:
            reply(MENU)
    else:
        _step(conversation, message, command, reply)
    if conversation is not None and conversation.stage != Stage.CLOSED:
        conversation.last_activity_at = timezone.now()
        conversation.save()


def _command(message: InboundMessage) -> str | None:
    if message.kind != "text":
        return None
    matched = COMMAND.fullmatch(message.text.strip())
    return f"#{matched.group(1).upper()}" if matched else None


def _menu_choice(text: str) -> str | None:
    folded = text_fold(text).strip(" .")
    if folded in ("1", "phan anh kien nghi", "phan anh", "pakn", "#pakn"):
        return "report"
    if folded in ("2", "tra cuu", "#tracuu"):
        return "lookup"
    return None


def _step(conversation: Conversation, message: InboundMessage, command: str | None, reply: _Replies) -> None:
    stage = conversation.stage
    if command == FINISH and stage != Stage.COLLECT:
        reply(_prompt(conversation))
        return
    if stage == Stage.MENU:
        choice = _menu_choice(message.text) if message.kind == "text" else None
        if choice == "report":
            conversation.stage = Stage.NAME
            reply(ASK_NAME)
        elif choice == "lookup":
            reply(LOOKUP_HELP.format(example=timezone.localdate().strftime("%Y%m%d") + "0001"))
        else:
            reply(MENU)
    elif stage == Stage.NAME:
        _take_name(conversation, message, reply)
    elif stage == Stage.PHONE:
        _take_phone(conversation, message, reply)
    elif stage == Stage.ADDRESS:
        _take_address(conversation, message, reply)
    elif stage == Stage.COLLECT:
        if command == FINISH:
            _finish(conversation, reply)
        else:
            _collect(conversation, message, reply)
    elif stage == Stage.CATEGORY:
        _take_category(conversation, message, reply)
    elif stage == Stage.QUESTIONS:
        _take_answer(conversation, message, reply)
    elif stage == Stage.CONSENT:
        _take_consent(conversation, message, reply)


def _prompt(conversation: Conversation) -> str:
    """What the current step asks for."""
    return {
        Stage.MENU: MENU,
        Stage.NAME: ASK_NAME,
        Stage.PHONE: ASK_PHONE,
        Stage.ADDRESS: ASK_ADDRESS,
        Stage.COLLECT: ASK_CONTENT,
        Stage.CATEGORY: _category_question(),
        Stage.QUESTIONS: _question_prompt(conversation),
        Stage.CONSENT: ASK_CONSENT,
    }.get(Stage(conversation.stage), MENU)


def _take_name(conversation: Conversation, message: InboundMessage, reply: _Replies) -> None:
    try:
        name = clean_text(message.text if message.kind == "text" else "", max_length=120, field_label="Họ và tên")
    except ValidationError as exc:
        reply(f"{' '.join(exc.messages)} {ASK_NAME}")
        return
    conversation.name = name
    conversation.stage = Stage.PHONE
    reply(ASK_PHONE)


def _take_phone(conversation: Conversation, message: InboundMessage, reply: _Replies) -> None:
    try:
        conversation.phone = phone_normalize(message.text if message.kind == "text" else "")
    except PhoneError as exc:
        reply(BAD_PHONE.format(error=str(exc).rstrip(".")))
        return
    conversation.stage = Stage.ADDRESS
    reply(ASK_ADDRESS)


def _take_address(conversation: Conversation, message: InboundMessage, reply: _Replies) -> None:
    if message.kind == "location":
        _add_location(conversation, message)
        conversation.stage = Stage.COLLECT
        reply(ASK_CONTENT)
        return
    try:
        address = clean_text(message.text if message.kind == "text" else "", max_length=300, field_label="Địa chỉ")
    except ValidationError:
        reply(ASK_ADDRESS)
        return
    # A ward or a district is enough to route by (a province alone is too coarse); the best first.
    places = address_places(address, level=Level.DISTRICT, geocoded=True)
    if not places:
        reply(ADDRESS_UNKNOWN.format(address=address[:100]))
        return
    conversation.address = address
    conversation.address_lat, conversation.address_lng = places[0].lat, places[0].lng
    conversation.stage = Stage.COLLECT
    reply(ASK_CONTENT)


def _add_location(conversation: Conversation, message: InboundMessage) -> None:
    conversation.lat, conversation.lng = message.lat, message.lng
    ConversationItem.objects.create(
        conversation=conversation, kind=ItemKind.LOCATION, lat=message.lat, lng=message.lng, event_id=message.event_id
    )


def _collect(conversation: Conversation, message: InboundMessage, reply: _Replies) -> None:
    first = not conversation.items.exclude(kind=ItemKind.LOCATION).exists()
    if message.kind == "text":
        text = message.text.strip()
        if not text:
            return
        ConversationItem.objects.create(
            conversation=conversation, kind=ItemKind.TEXT, text=text[:5000], event_id=message.event_id
        )
    elif message.kind == "location":
        _add_location(conversation, message)
        reply(LOCATION_OK)
        return
    elif message.kind in MEDIA_KINDS:
        count = conversation.items.exclude(file="").count()
        if count >= settings.ATTACHMENT_MAX_COUNT:
            reply(TOO_MANY_FILES.format(count=settings.ATTACHMENT_MAX_COUNT))
            return
        try:
            fetched = media.media_fetch(url=message.media_url, name=message.media_name)
        except media.MediaError as exc:
            reply(FILE_REFUSED.format(error=exc))
            return
        item = ConversationItem(
            conversation=conversation,
            kind=MEDIA_KINDS[message.kind],
            file_name=fetched.name,
            content_type=fetched.content_type,
            event_id=message.event_id,
        )
        item.file.save(f"chat.{fetched.extension}", ContentFile(fetched.content), save=False)
        item.save()
    else:
        return
    if first:
        reply(FIRST_ITEM)


def _finish(conversation: Conversation, reply: _Replies) -> None:
    if not conversation.items.exclude(kind=ItemKind.LOCATION).exists():
        reply(NOTHING_YET)
        return
    conversation.stage = Stage.CATEGORY
    reply(_category_question())


def _category_question() -> str:
    choices = "\n".join(f"{number}. {category.name}" for number, category in enumerate(chat_categories(), 1))
    return ASK_CATEGORY.format(choices=choices)


def _take_category(conversation: Conversation, message: InboundMessage, reply: _Replies) -> None:
    categories = chat_categories()
    text = message.text.strip().rstrip(".") if message.kind == "text" else ""
    if not text.isdigit() or not 1 <= int(text) <= len(categories):
        reply(_category_question())
        return
    conversation.category = categories[int(text) - 1].code
    conversation.answers = {}
    _ask_next_question(conversation, reply, after="")


# --- The category's extra questions (incidents.CategoryQuestion), asked one by one ---------------------


def _questions(conversation: Conversation) -> list[CategoryQuestion]:
    category = category_by_code(conversation.category)
    return list(category_questions(category=category)) if category is not None else []


def _ask_next_question(conversation: Conversation, reply: _Replies, *, after: str) -> None:
    """Ask the question after `after` ("" for the first), or go on to the publication choice."""
    questions = [question for question in _questions(conversation) if question.variable]
    codes = [question.code for question in questions]
    index = codes.index(after) + 1 if after in codes else 0
    if index >= len(questions):
        conversation.question = ""
        conversation.stage = Stage.CONSENT
        reply(ASK_CONSENT)
        return
    conversation.question = questions[index].code
    conversation.stage = Stage.QUESTIONS
    reply(_question_prompt(conversation, first=index == 0))


def _question_prompt(conversation: Conversation, *, first: bool = False) -> str:
    questions = _questions(conversation)
    question = next((q for q in questions if q.code == conversation.question), None)
    if question is None:
        return ASK_CONSENT
    lines = [q.prompt for q in questions if not q.variable] if first else []
    lines.append(question.prompt + (f" ({question.description})" if question.description else ""))
    if question.datatype in LIST_TYPES:
        lines += [f"{number}. {value['name']}" for number, value in enumerate(question.values, 1)]
        lines.append(
            "Trả lời bằng số" + (", có thể chọn nhiều, ví dụ 1,3." if question.datatype == QuestionType.MULTI else ".")
        )
    elif question.datatype == QuestionType.DATETIME:
        lines.append("Trả lời theo dạng ngày/tháng/năm giờ:phút, ví dụ 15/01/2025 08:30.")
    if not question.required:
        lines.append(f"Gửi {SKIP} để bỏ qua.")
    return "\n".join(lines)


def _answer_value(question: CategoryQuestion, text: str) -> str | list[str] | None:
    """What the person typed as report_create takes it; None when it cannot be read."""
    if question.datatype in LIST_TYPES:
        numbers = [part.strip() for part in re.split(r"[,;\s]+", text) if part.strip()]
        if not numbers or not all(n.isdigit() and 1 <= int(n) <= len(question.values) for n in numbers):
            return None
        keys = [str(question.values[int(n) - 1]["key"]) for n in numbers]
        return keys if question.datatype == QuestionType.MULTI else (keys[0] if len(keys) == 1 else None)
    if question.datatype == QuestionType.DATETIME:
        matched = DAY.fullmatch(text)
        if matched is None:
            return None
        day, month, year, hour, minute = matched.groups()
        try:
            moment = datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                tzinfo=timezone.get_current_timezone(),
            )
        except ValueError:
            return None
        return moment.isoformat()
    return text


def _take_answer(conversation: Conversation, message: InboundMessage, reply: _Replies) -> None:
    question = next((q for q in _questions(conversation) if q.code == conversation.question), None)
    if question is None:  # the question was removed meanwhile
        _ask_next_question(conversation, reply, after=conversation.question)
        return
    text = message.text.strip() if message.kind == "text" else ""
    if text == SKIP and not question.required:
        _ask_next_question(conversation, reply, after=question.code)
        return
    value = _answer_value(question, text)
    category = category_by_code(conversation.category)
    error = "Câu trả lời chưa đúng." if value is None else None
    if value is not None and category is not None:
        try:
            question_answers_clean(category=category, answers={**conversation.answers, question.code: value})
        except ValidationError as exc:
            error = question_answer_errors(exc).get(question.code)
    if error is not None:
        reply(f"{error}\n{_question_prompt(conversation)}")
        return
    conversation.answers = {**conversation.answers, question.code: value}
    _ask_next_question(conversation, reply, after=question.code)


def _take_consent(conversation: Conversation, message: InboundMessage, reply: _Replies) -> None:
    folded = text_fold(message.text).strip(" .") if message.kind == "text" else ""
    if folded in ("1", "co", "dong y", "dong y cong khai"):
        public = True
    elif folded in ("2", "khong", "khong cong khai"):
        public = False
    else:
        reply(ASK_CONSENT)
        return
    _file(conversation, public=public, reply=reply)


def _file(conversation: Conversation, *, public: bool, reply: _Replies) -> None:
    """File the one report of this conversation through the one intake, and answer with its code."""
    items = list(conversation.items.all())
    texts = [item.text for item in items if item.kind == ItemKind.TEXT]
    channel = Channel(conversation.platform)
    description = "\n".join(texts) or f"Phản ánh gửi qua {channel.label}, xem tệp đính kèm."
    first = " ".join(texts[0].split()) if texts else ""
    title = (first[:97] + "…") if len(first) > 100 else (first or f"Phản ánh của {conversation.name}")
    lat, lng = (
        (conversation.lat, conversation.lng)
        if conversation.lat is not None
        else (
            conversation.address_lat,
            conversation.address_lng,
        )
    )
    files = []
    for item in items:
        if item.file:
            with item.file.open("rb") as handle:
                files.append(SimpleUploadedFile(item.file_name or item.file.name, handle.read(), item.content_type))
    data = ReportInput(
        kind="feedback",
        category=conversation.category,
        title=title,
        description=description,
        lat=lat,
        lng=lng,
        address=conversation.address,
        # The name is never published; the content only when the person said yes just now.
        reporter=ReporterInput(name=conversation.name, phone=conversation.phone, confidential=True),
        is_public=public,
        question_answers=conversation.answers,
    )
    sender = Sender(
        channel=channel,
        consent_channel=ConsentChannel(conversation.platform),
        sms_receipt=False,
        reply_address=conversation.address_to,
    )
    try:
        report = report_create(data=data, sender=sender, files=files)
    except ValidationError as exc:
        conversation.stage = Stage.COLLECT
        reply(NOT_FILED.format(errors=" ".join(exc.messages)))
        return
    conversation.report_code = report.code
    _close(conversation, ClosedReason.FILED)
    # The receipt's key as incidents.services.messages would write it for this channel: queued once.
    reply(
        FILED.format(code=report.code, deadline=f"{report.deadline:%d/%m/%Y}"),
        dedupe_key=f"report:{report.code}:received:{report.reopen_count}:{conversation.platform}",
    )


def _close(conversation: Conversation, reason: str) -> None:
    conversation.stage = Stage.CLOSED
    conversation.closed_reason = reason
    conversation.closed_at = timezone.now()
    conversation.save()


def _lookup(message: InboundMessage, command: str, reply: _Replies) -> None:
    code = command[1:]
    report = report_of_reporter(code=code, reply_address=f"{message.platform}:{message.user_id}")
    if report is None:
        reply(NOT_FOUND.format(code=code[:32]))
        return
    text = STATUS.format(code=report.code, status=report.get_status_display(), deadline=f"{report.deadline:%d/%m/%Y}")
    answer = report_answer_published(report)
    if answer is not None:
        # Whole: a reply longer than the platform's message goes as several (the outbox's senders split it).
        text += ANSWERED.format(answer=answer.body)
    reply(text)


def conversation_close_idle(conversation: Conversation) -> None:
    """Close an idle conversation (locked by the caller) and tell the person who was writing a report;
    what it collected stays stored."""
    drafting = conversation.stage in REPORT_STAGES
    _close(conversation, ClosedReason.IDLE)
    if not drafting:
        return
    notification_enqueue(
        channel=conversation.platform,
        recipient=conversation.address_to,
        body=IDLE_CLOSED,
        dedupe_key=f"chat:{conversation.platform}:idle:{conversation.pk}",
    )
