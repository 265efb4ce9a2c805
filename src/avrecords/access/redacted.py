"""Redacted copies given out under an approved request (issue 21 §3): the kind 提供脱敏副本.

Privacy and commercial secrets are hidden before a copy leaves (000§19, 001§25, 003§14,
004§21); the copy is derived, never the original (M2), and leaves only through an approved,
executed request (M3) registered in the 复制登记簿 (M8: 001§22, 004§21). A request names the
signed-off redacted copies it gives and to whom (当事人, 人民法院, 复议机关, 公开发布); only
copies of recordings the requester may see (X2, M9) and that a reviewer signed off can be
asked for. Carrying it out writes one register row per copy with the copy's SHA-256; the
requester then downloads each copy while the grant is live, each download delivered by
`redaction.services.open_copy` (audited) and registered again.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from avrecords.access.chain import RequestRefused
from avrecords.access.models import AccessRequest, RegisterEntry, RegisterKind, RequestKind
from avrecords.lib.refusals import Forbidden, NotFound
from avrecords.recordings.models import Recording
from avrecords.redaction.models import Redaction, State

ITEM_NAME_CHARS = 180  # the register's 事项 holds 300; the rest is the mark and the SHA-256


def copy_name(redaction: Redaction) -> str:
    """How people read a copy: the original's name and the copy's number."""
    return f"{redaction.recording.original_name} 脱敏副本 #{redaction.pk}"


def download_name(redaction: Redaction) -> str:
    """The downloaded file's name: the original's stem, marked as a redacted copy."""
    stem = redaction.recording.original_name.rsplit(".", 1)[0]
    return f"{stem}_脱敏副本{redaction.pk}.mp4"


def candidates(user, recordings: Iterable[Recording]) -> list[Redaction]:
    """The signed-off copies of these recordings the user may ask to give out."""
    ids = [getattr(r, "pk", r) for r in recordings]
    return list(
        Redaction.objects.visible_to(user)
        .filter(recording__in=ids, state=State.SIGNED_OFF)
        .select_related("recording", "signed_off_by")
        .order_by("recording__started_at", "pk")
    )


def recordings_of(user, redaction_ids: Iterable[int]) -> list[int]:
    """The recordings of copies named in a link (申请提供 on a copy's page); NotFound for a
    copy the user may not see (X2, M9)."""
    ids = set(redaction_ids)
    found = dict(
        Redaction.objects.visible_to(user).filter(pk__in=ids).values_list("pk", "recording_id")
    )
    if len(found) != len(ids):
        raise NotFound("脱敏副本不存在或不在您的权限范围内")
    return sorted(set(found.values()))


def chosen(user, redactions: Iterable) -> tuple[list[Redaction], list[Recording]]:
    """The copies a requester named and their recordings; RequestRefused (Chinese) when one
    is not his to ask for (another unit's, a mark he is not cleared for: both read as
    missing) or not signed off."""
    ids = {getattr(r, "pk", r) for r in redactions}
    if not ids:
        raise RequestRefused("请选择要提供的脱敏副本")
    found = list(
        Redaction.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("recording__unit", "recording__officer")
        .order_by("pk")
    )
    if len(found) != len(ids):
        raise RequestRefused("部分脱敏副本不存在或不在您的权限范围内")
    if pending := [r for r in found if r.state != State.SIGNED_OFF]:
        names = "、".join(f"{copy_name(r)}（{r.get_state_display()}）" for r in pending[:3])
        raise RequestRefused(f"脱敏副本尚未经复核确认可提供，不能申请提供：{names}")
    recordings = list({r.recording_id: r.recording for r in found}.values())
    return found, recordings


def register_copies(actor, req: AccessRequest, *, ip: str = "") -> list[RegisterEntry]:
    """Carrying the request out: each copy must still be signed off (nothing is given
    otherwise), and each is written to the 复制登记簿 with its SHA-256."""
    copies = list(req.redactions.select_related("recording__unit").order_by("pk"))
    if changed := [r for r in copies if r.state != State.SIGNED_OFF or not r.output_sha256]:
        raise RequestRefused(
            f"脱敏副本“{copy_name(changed[0])}”已不是确认可提供的状态，不能办理，请重新申请"
        )
    recipient = req.get_recipient_display()
    return [
        _register(req, actor, redaction, f"提供脱敏副本（{recipient}）", ip=ip)
        for redaction in copies
    ]


def _register(req, actor, redaction: Redaction, act: str, *, ip: str = "") -> RegisterEntry:
    name = redaction.recording.original_name[:ITEM_NAME_CHARS]
    return RegisterEntry.objects.create(
        register=RegisterKind.COPY,
        act=act,
        request=req,
        recording=redaction.recording,
        redaction=redaction,
        sha256=redaction.output_sha256,
        item=f"{name}（脱敏副本 #{redaction.pk}，SHA-256 {redaction.output_sha256}）",
        actor=actor,
        unit=redaction.recording.unit,
        ip=ip or None,
    )


def why_not_download(user, req: AccessRequest) -> str | None:
    from avrecords.access.requests import is_live

    if req.kind != RequestKind.REDACTED:
        return "该申请不是提供脱敏副本申请"
    if user.pk != req.requester_id:
        return "只有申请人可以下载脱敏副本"
    if not is_live(req):
        return "授权未办理、已过期或已撤销，不能下载脱敏副本"
    return None


def take(user, req: AccessRequest, redaction_id: int, *, ip: str = ""):
    """Open one copy of the request for its requester while the grant is live; the delivery
    is audited by redaction (`open_copy`) and registered here. Returns (file, name)."""
    from avrecords.redaction import services as redactions

    redaction = req.redactions.select_related("recording__unit").filter(pk=redaction_id).first()
    if redaction is None:
        raise NotFound("该申请不含此脱敏副本")
    if why := why_not_download(user, req):
        raise Forbidden(why)
    with transaction.atomic():
        handle = redactions.open_copy(user, redaction, ip=ip, request=req)
        _register(req, user, redaction, "下载脱敏副本", ip=ip)
    return handle, download_name(redaction)
