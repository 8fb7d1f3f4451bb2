"""Following a public report: by the signed-in account, or by a phone or e-mail address the person proves
with a one-time code (the same code "me too" asks, accounts' Purpose.FOLLOW); stopping by the link in
every message. Supporters follow through the same rows (workflow.report_support)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import services as accounts
from accounts.models import User as Account
from notifications.services import push_subscription_save

from ..models import Report, ReportFollower
from ..tokens import follower_from_token
from .base import User, _account


def _proven(account: Account | None, target: accounts.Target) -> bool:
    """Whether the signed-in account has already confirmed this phone or address."""
    if account is None:
        return False
    if target.channel == accounts.Channel.SMS:
        return account.phone == target.address and account.phone_verified_at is not None
    return (account.email or "").lower() == target.address and account.email_verified_at is not None


def contact_target(errors: dict[str, list[str]], *, phone: str, email: str) -> accounts.Target | None:
    """The phone or e-mail typed, normalised (None when neither was); problems go into `errors` by field."""
    if not (phone.strip() or email.strip()):
        return None
    try:
        return accounts.otp_target(phone=phone.strip() or None, email=email.strip() or None)
    except ValidationError as exc:
        for field_name, messages in exc.message_dict.items():
            errors.setdefault(field_name, []).extend(messages)
    return None


def contact_confirmed(*, target: accounts.Target, account: Account | None, otp: str, ip_address: str | None) -> bool:
    """Whether whoever asks holds `target`: the account's own confirmed contact, or the one-time code typed
    back. Without `otp` a code is sent to it and False returned. ValidationError keyed "otp" when the code
    is wrong; accounts.ThrottledError when too many codes were asked."""
    if _proven(account, target):
        return True
    if not otp:
        accounts.otp_request(target=target, purpose=accounts.Purpose.FOLLOW, ip=ip_address)
        return False
    try:
        accounts.otp_verify_contact(target=target, purpose=accounts.Purpose.FOLLOW, code=otp)
    except accounts.OtpError as exc:
        raise ValidationError({"otp": [str(exc)]}) from None
    return True


def follower_add(*, report: Report, target: accounts.Target | None, account: Account | None) -> ReportFollower:
    """The report's follower for this contact (or, with none, this account), made once: a second follow
    changes nothing, so the answer never tells anyone who already follows."""
    if target is None:
        if account is None:
            raise ValueError("a follower is a contact or an account")
        same = ReportFollower.objects.filter(report=report, user=account, address="")
        row = ReportFollower(report=report, user=account)
    else:
        same = ReportFollower.objects.filter(report=report, channel=target.channel, address=target.address)
        row = ReportFollower(report=report, user=account, channel=target.channel, address=target.address)
    # ON CONFLICT DO NOTHING: two requests at once store one row.
    ReportFollower.objects.bulk_create([row], ignore_conflicts=True)
    return same.get()


def report_follow(
    *,
    report: Report,
    phone: str = "",
    email: str = "",
    otp: str = "",
    user: User | None = None,
    ip_address: str | None = None,
) -> ReportFollower | None:
    """Someone follows a public report: they get its public updates by SMS or e-mail.

    A signed-in person with no contact typed follows as their account (messages go to its confirmed
    phone and e-mail; the report shows in "my reports"). A phone or address typed follows once it is
    proven: without `otp` a one-time code goes to it and None is returned; with the code, the follower.
    Raises ValidationError (by field), accounts.ThrottledError.
    """
    if not report.is_public:
        # Asked of a hidden report: said as for an unknown code (the views answer 404 before this).
        raise ValidationError("Không có phản ánh mã này.")
    errors: dict[str, list[str]] = {}
    account = _account(user)
    target = contact_target(errors, phone=phone, email=email)
    if target is None and account is None and not errors:
        errors["phone"] = ["Hãy nhập số điện thoại hoặc e-mail để nhận tin về phản ánh."]
    if errors:
        raise ValidationError(errors)
    if target is not None and not contact_confirmed(target=target, account=account, otp=otp, ip_address=ip_address):
        return None
    with transaction.atomic():
        return follower_add(report=report, target=target, account=account)


def report_unfollow(*, token: str) -> str | None:
    """Stop the messages of the follow the link's token names; the report's code, or None for a link that
    is not ours. A second click finds nothing more to stop and says the same."""
    found = follower_from_token(token)
    if found is None:
        return None
    pk, code = found
    ReportFollower.objects.filter(pk=pk, report__code=code).delete()
    return code


def followers_merge(*, report: Report, into: Report) -> None:
    """A duplicate closed into another report: its reporter and its followers follow that one."""
    rows = [
        ReportFollower(report=into, user=f.user, channel=f.channel, address=f.address)
        for f in ReportFollower.objects.filter(report=report)
    ]
    if report.reporter_phone:
        rows.append(ReportFollower(report=into, channel="sms", address=report.reporter_phone))
    if report.reporter_email:
        rows.append(ReportFollower(report=into, channel="email", address=report.reporter_email.lower()))
    if report.user_id is not None:
        rows.append(ReportFollower(report=into, user_id=report.user_id))
    ReportFollower.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def report_follow_push(
    *, report: Report, endpoint: str, p256dh: str, auth: str, user: User | None, client_address: str | None
) -> ReportFollower:
    """This browser follows a public report by Web Push (what the person chose on the report's page): its
    subscription is stored for this report's updates only (no warnings unless it asked for them too), and
    it follows once. ValidationError (endpoint/p256dh/auth); notifications' PushLimitReached."""
    subscription = push_subscription_save(
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        user=_account(user),
        client_address=client_address,
        warnings=False,
    )
    row = ReportFollower(report=report, channel=ReportFollower.Channel.PUSH, address=f"push:{subscription.pk}")
    row.push = subscription
    # ON CONFLICT DO NOTHING: a second press, or two at once, store one row.
    ReportFollower.objects.bulk_create([row], ignore_conflicts=True)
    return ReportFollower.objects.get(report=report, channel=row.channel, address=row.address)
