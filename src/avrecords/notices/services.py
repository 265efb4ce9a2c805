"""站内消息: send (after the sender's transaction commits), count unread, mark read."""

from __future__ import annotations

import logging

from django.conf import settings
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
        if getattr(settings, "AVRECORDS_EMAIL_NOTICES", False):
            transaction.on_commit(lambda: _email(notice.pk))

    transaction.on_commit(send)


def _email(notice_pk: int) -> None:
    """Also send the message by email; a failure is logged, never raised to the sender."""
    from django.core.mail import send_mail

    notice = Notice.objects.select_related("recipient").filter(pk=notice_pk).first()
    address = getattr(notice.recipient, "email", "") if notice else ""
    if not address:
        return
    try:
        send_mail(notice.title, _email_body(notice), None, [address])
    except Exception:  # noqa: BLE001 — mail is a courtesy; the message is already stored
        log.exception("could not email notice %s to user %s", notice.pk, notice.recipient_id)


def _email_body(notice: Notice) -> str:
    base = getattr(settings, "AVRECORDS_BASE_URL", "").rstrip("/")
    link = f"\n\n{base}{notice.url}" if base and notice.url else ""
    return f"{notice.body}{link}"


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
