"""站内消息: send (after the sender's transaction commits), count unread, mark read."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from avrecords.lib.refusals import NotFound
from avrecords.notices.models import Notice

log = logging.getLogger(__name__)


def notify(user, title: str, body: str = "", url: str = "", kind: str = "") -> None:
    """Tell `user` about something that happened to their item, once the caller's
    transaction commits (a rolled-back decision sends nothing). No user, no message."""
    if user is None or not getattr(user, "pk", None):
        return
    recipient_id = user.pk

    def send():
        notice = Notice.objects.create(
            recipient_id=recipient_id, title=title[:200], body=body, url=url[:500], kind=kind
        )
        if settings.AVRECORDS_EMAIL_NOTICES:
            _email(notice)

    transaction.on_commit(send)


def _email(notice: Notice) -> None:
    """Also send the message by email (AVRECORDS_EMAIL_NOTICES) to a person with an address;
    a failure is logged, never raised to the one who decided."""
    address = notice.recipient.email
    if not address:
        return
    try:
        send_mail(notice.title, _email_body(notice), None, [address])
    except Exception:  # noqa: BLE001 — mail is a courtesy; the message is already stored
        log.exception("could not email notice %s to user %s", notice.pk, notice.recipient_id)


def _email_body(notice: Notice) -> str:
    where = f"\n\n请登录平台查看：{notice.url}" if notice.url else "\n\n请登录平台查看站内消息。"
    return f"{notice.body}{where}".strip()


def for_user(user):
    """The person's messages, newest first."""
    return Notice.objects.filter(recipient=user)


def unread_count(user) -> int:
    """Unread messages (the number beside 站内消息); cached on the user for the request."""
    if not getattr(user, "is_authenticated", False):
        return 0
    cached = getattr(user, "_unread_notices", None)
    if cached is None:
        cached = Notice.objects.filter(recipient=user, read_at__isnull=True).count()
        user._unread_notices = cached
    return cached


def open_notice(user, pk: int) -> Notice:
    """The person's own message `pk`, marked read; someone else's is not found."""
    notice = Notice.objects.filter(recipient=user, pk=pk).first()
    if notice is None:
        raise NotFound("消息不存在")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
        user.__dict__.pop("_unread_notices", None)
    return notice


def mark_all_read(user) -> int:
    done = Notice.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    user.__dict__.pop("_unread_notices", None)
    return done
