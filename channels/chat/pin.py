"""Our pin page for the chat platforms that cannot share a location (Messenger stopped sending them):
the bot sends a link with a signed, expiring token naming the conversation; the person drops a pin on
the report form's map widget, and the point enters the conversation as a location message."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from boundaries.selectors import locate

from .models import Conversation, Stage
from .services import chat_event_receive

_SALT = "chat.pin"

# What static/js/chat-pin.js (through pin-picker.js) says.
SCRIPT_TEXT = {
    "pinAlt": gettext_lazy("Ghim vị trí phản ánh"),
    "locating": gettext_lazy("Đang xác định phường, xã…"),
    "located": gettext_lazy("Vị trí đã chọn: {place}"),
    "nearEdge": gettext_lazy("(sát ranh giới, cách {metres} m)"),
    "locateFailed": gettext_lazy("Chưa xác định được phường, xã (lỗi kết nối). Vị trí vẫn được giữ; hãy thử lại sau."),
    "outside": gettext_lazy("Vị trí nằm ngoài địa bàn tiếp nhận. Hãy đặt ghim trong phạm vi tỉnh."),
    "pinCleared": gettext_lazy("Đã bỏ ghim."),
    "geoUnsupported": gettext_lazy("Trình duyệt này không hỗ trợ lấy vị trí. Hãy bấm vào bản đồ."),
    "geoLocating": gettext_lazy("Đang lấy vị trí của bạn…"),
    "geoDenied": gettext_lazy("Bạn chưa cho phép trang web biết vị trí. Hãy chạm vào bản đồ để đặt ghim."),
    "geoFailed": gettext_lazy("Không lấy được vị trí của bạn. Hãy chạm vào bản đồ để đặt ghim."),
}


def pin_url(*, conversation: Conversation) -> str:
    """The absolute link to the pin page of this conversation (valid CHAT_IDLE_HOURS, as long as the
    conversation stays open). The token names only the conversation: who the person is stays out of URLs."""
    token = signing.dumps(conversation.pk, salt=_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("chat:pin", args=[token])


class PinLinkExpired(Exception):
    pass


def pin_conversation(token: str) -> Conversation | None:
    """The open conversation a token names; None for a token we did not sign; PinLinkExpired for one
    too old or whose conversation has ended."""
    try:
        conversation_id = signing.loads(token, salt=_SALT, max_age=int(settings.CHAT_IDLE_HOURS * 3600))
    except signing.SignatureExpired as exc:
        raise PinLinkExpired from exc
    except signing.BadSignature:
        return None
    conversation = Conversation.objects.filter(pk=conversation_id).exclude(stage=Stage.CLOSED).first()
    if conversation is None:
        raise PinLinkExpired
    return conversation


def _coordinate(value: str | None, limit: float) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if -limit <= number <= limit else None


@require_http_methods(["GET", "POST"])
def pin_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        conversation = pin_conversation(token)
    except PinLinkExpired:
        # An old link, or one from an ended conversation: the bot sends a new one when it asks again.
        return render(request, "chat/pin_gone.html", {"expired": True}, status=410)
    if conversation is None:
        return render(request, "chat/pin_gone.html", {"expired": False}, status=404)
    context = {"script_text": SCRIPT_TEXT, "sent": request.GET.get("sent") == "1", "error": ""}
    if request.method == "POST":
        lat = _coordinate(request.POST.get("lat"), 90)
        lng = _coordinate(request.POST.get("lng"), 180)
        if lat is None or lng is None:
            context["error"] = _("Hãy chạm vào bản đồ để đặt ghim trước khi gửi.")
        elif locate(lng, lat) is None:
            context["error"] = _("Vị trí nằm ngoài địa bàn tiếp nhận. Hãy đặt ghim trong phạm vi tỉnh.")
        else:
            # Stored as the platform's own events are (see messenger.event_parse), worked on by the same
            # job: the same pin sent twice (a double tap, a resent form) is one message.
            key = hashlib.sha256(f"{token}|{lat:.6f}|{lng:.6f}".encode()).hexdigest()[:40]
            chat_event_receive(
                platform=conversation.platform,
                event_id=f"pin:{key}",
                payload={
                    "sender": {"id": conversation.user_id},
                    "timestamp": int(timezone.now().timestamp() * 1000),
                    "pin": {"mid": f"pin:{key}", "lat": lat, "lng": lng},
                },
            )
            return HttpResponseRedirect(reverse("chat:pin", args=[token]) + "?sent=1", status=303)
        return render(request, "chat/pin.html", context, status=400)
    return render(request, "chat/pin.html", context)
