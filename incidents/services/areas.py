"""Area subscriptions: an e-mail address asks for a digest of a ward, a district or a radius, confirms by
the link sent to it, gets one e-mail per period listing the public reports and answers since the last one,
and stops by the link in every digest."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from notifications.services import notification_enqueue

from ..areas import Area
from ..models import AreaSubscription
from ..selectors import area_updates
from ..tokens import area_from_token, area_token

# Confirmation e-mails one address may be sent in a day: nobody can flood someone else's mailbox.
AREA_PENDING_PER_DAY = 5
# The most lines of each kind (new reports, answers) one digest lists; the rest is on the feed's page.
DIGEST_LINES = 50


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def subscription_area(subscription: AreaSubscription) -> Area:
    return Area(unit=subscription.unit, center=subscription.center, radius_m=subscription.radius_m)


def area_feed_url(area: Area) -> str:
    return _site(reverse("area-feed")) + "?" + urlencode(area.params())


@transaction.atomic
def area_subscribe(*, email: str, area: Area) -> AreaSubscription:
    """A pending subscription and the e-mail with its confirm link; nothing is sent to it before the link
    is opened and its button pressed. ValidationError keyed "email"."""
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": ["Địa chỉ e-mail không hợp lệ."]}) from None
    day_ago = timezone.now() - timedelta(days=1)
    if AreaSubscription.objects.filter(email=address, created_at__gte=day_ago).count() >= AREA_PENDING_PER_DAY:
        raise ValidationError({"email": ["Địa chỉ này đã được đăng ký nhiều lần hôm nay. Hãy thử lại vào ngày mai."]})
    subscription = AreaSubscription.objects.create(
        email=address, unit=area.unit, center=area.center, radius_m=area.radius_m
    )
    token = area_token(subscription_pk=subscription.pk, purpose="confirm")
    link = _site(reverse("area-confirm")) + "?" + urlencode({"t": token})
    notification_enqueue(
        channel="email",
        recipient=address,
        subject="Xác nhận nhận tin phản ánh theo khu vực",
        body=(
            f"Có người (có thể là bạn) đã đăng ký địa chỉ này để nhận tin tổng hợp hằng ngày về phản ánh mới và "
            f"kết quả xử lý ở {area.describe()}.\n\nĐể bắt đầu nhận tin, mở đường dẫn sau và bấm “Xác nhận nhận tin”:\n"
            f"{link}\n\nNếu không phải bạn đăng ký, hãy bỏ qua thư này: bạn sẽ không nhận thêm tin nào."
        ),
        dedupe_key=f"area:{subscription.pk}:confirm",
    )
    return subscription


def area_confirm(*, token: str) -> AreaSubscription | None:
    """Confirms the subscription a confirm link names (a second time changes nothing); None when the link
    is not ours, has expired or its subscription was stopped."""
    pk = area_from_token(token, purpose="confirm")
    if pk is None:
        return None
    subscription = AreaSubscription.objects.select_related("unit").filter(pk=pk).first()
    if subscription is not None and subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return subscription


def area_unsubscribe(*, token: str) -> bool:
    """Stops the subscription the link in a digest names; False when the link is not ours."""
    pk = area_from_token(token, purpose="stop")
    if pk is None:
        return False
    AreaSubscription.objects.filter(pk=pk).delete()
    return True


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M %d/%m/%Y}"


def _digest_body(subscription: AreaSubscription, area: Area, since: datetime, until: datetime) -> str | None:
    updates = area_updates(area, since=since, until=until, limit=DIGEST_LINES)
    if not updates:
        return None
    lines = []
    for update in updates:
        report = update.report
        url = _site(f"/phan-anh/{report.code}/")
        if update.answer is None:
            place = f", {report.ward.name}" if report.ward else ""
            lines.append(f"- Phản ánh mới {report.code}: {report.title} ({report.category.name}{place})\n  {url}")
        else:
            answer = Truncator(" ".join(update.answer.body.split())).chars(200)
            lines.append(f"- Đã có kết quả {report.code}: {report.title}\n  {answer}\n  {url}")
    stop = (
        _site(reverse("area-unsubscribe"))
        + "?"
        + urlencode({"t": area_token(subscription_pk=subscription.pk, purpose="stop")})
    )
    return (
        f"Phản ánh mới và kết quả xử lý ở {area.describe()}, từ {_local(since)} đến {_local(until)}:\n\n"
        + "\n".join(lines)
        + f"\n\nNguồn tin (Atom) của khu vực này: {area_feed_url(area)}"
        + f"\n\nKhông muốn nhận tin này nữa? Hủy đăng ký: {stop}"
    )


def area_digests_send(*, until: datetime) -> int:
    """One digest per confirmed subscription for the period ending at `until`, listing only public reports
    and published answers since its last digest (or its confirmation); returns how many were queued.

    Exactly once however often it runs: each subscription is locked, its `sent_until` moves to `until` in
    the transaction that queues its e-mail, and the e-mail is keyed by subscription and period.
    """
    due = Q(confirmed_at__isnull=False, confirmed_at__lt=until) & (Q(sent_until__isnull=True) | Q(sent_until__lt=until))
    queued = 0
    for pk in AreaSubscription.objects.filter(due).order_by("pk").values_list("pk", flat=True).iterator():
        with transaction.atomic():
            subscription = (
                AreaSubscription.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("unit")
                .filter(due, pk=pk)
                .first()
            )
            if subscription is None:  # another run has it, or has just sent it
                continue
            since = subscription.sent_until or subscription.confirmed_at
            assert since is not None  # noqa: S101 (due: confirmed)
            area = subscription_area(subscription)
            body = _digest_body(subscription, area, since, until)
            if body is not None:
                notification_enqueue(
                    channel="email",
                    recipient=subscription.email,
                    subject=f"Tin phản ánh ở {area.describe()} đến {_local(until)}"[:255],
                    body=body,
                    dedupe_key=f"area:{subscription.pk}:digest:{until.timestamp():.6f}",
                )
                queued += 1
            subscription.sent_until = until
            subscription.save(update_fields=["sent_until"])
    return queued
