"""The 保存期限 box on a recording's page (M5, S1): its category and date with the reason, the
facts that decided it, the holds covering it; record a situation, ask to shorten, decide a
shortening request. Rules live in `retention.facts`; a refused step is shown on the recording
page with status 400, nothing changed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from avrecords.lib.http import client_ip, post_only
from avrecords.lib.refusals import NotFound, require
from avrecords.policies.schema_values import FACTS
from avrecords.recordings.models import Recording
from avrecords.retention import approvals, facts, services
from avrecords.retention.approvals import Refused
from avrecords.retention.models import (
    ChangeStatus,
    RecordingRetention,
    RetentionChange,
    RetentionFact,
)

CHANGES_SHOWN = 5


def may_decide_change(user, change: RetentionChange) -> bool:
    unit = change.recording.unit
    return unit is not None and approvals.may_decide(
        user, unit, "approved_by", change.requested_by_id
    )


def box(user, recording) -> dict:
    """The template context of the box (`retention/_recording_box.html`)."""
    row = RecordingRetention.objects.filter(recording=recording).first()
    found, _, _ = services.gather_facts(recording)
    changes = list(
        RetentionChange.objects.filter(recording=recording).select_related(
            "requested_by", "decided_by"
        )[:CHANGES_SHOWN]
    )
    pending = next((c for c in changes if c.status == ChangeStatus.PENDING), None)
    may_record = recording.unit is not None and approvals.can_place_hold(user, recording.unit)
    return {
        "retention": row,
        "retention_text": services.describe(row),
        "retention_facts": [(FACTS.get(code, code), source) for code, source in found.items()],
        "retention_holds": services.holds_covering(recording).select_related("case", "activity"),
        "retention_hand_facts": [
            (f.pk, FACTS.get(f.fact, f.fact), f.note)
            for f in RetentionFact.objects.filter(recording=recording, withdrawn_at__isnull=True)
        ],
        "retention_changes": changes,
        "retention_pending": pending,
        "retention_may_record": may_record,
        "retention_may_decide": pending is not None and may_decide_change(user, pending),
        "retention_can_read": approvals.can_read(user),
        "hand_facts": facts.HAND_FACTS.items(),
    }


def _refused(request, recording, exc: Refused):
    from avrecords.recordings.views import render_detail

    recording.refresh_from_db()
    return render_detail(request, recording, errors={"retention": [str(exc)]}, status=400)


def _recording_action(request, recording_id: int):
    """Scope first (404), then the method (405), then the permission (403)."""
    recording = Recording.objects.get_visible(request.user, recording_id)
    if refused := post_only(request):
        return recording, refused
    allowed = recording.unit is not None and approvals.can_place_hold(request.user, recording.unit)
    require(allowed, "无权登记保存情形或申请变更保存期限")
    return recording, None


@login_required
def record_fact(request, recording_id: int):
    recording, refused = _recording_action(request, recording_id)
    if refused:
        return refused
    try:
        facts.record_fact(
            request.user,
            fact=request.POST.get("fact", ""),
            note=request.POST.get("note", ""),
            recording=recording,
            ip=client_ip(request),
        )
    except Refused as exc:
        return _refused(request, recording, exc)
    messages.success(request, "已登记保存情形，保存期限已重新计算。")
    return redirect("recordings:detail", recording_id=recording.pk)


@login_required
def ask_to_shorten(request, recording_id: int):
    recording, refused = _recording_action(request, recording_id)
    if refused:
        return refused
    fact = None
    if fact_id := request.POST.get("fact", "").strip():
        fact = RetentionFact.objects.filter(pk=fact_id if fact_id.isdigit() else 0).first()
        if fact is None or fact.recording_id != recording.pk:
            return _refused(request, recording, Refused("所选情形不是该音像记录登记的情形"))
    try:
        facts.ask_to_shorten(
            request.user,
            recording,
            reason=request.POST.get("reason", ""),
            fact=fact,
            ip=client_ip(request),
        )
    except Refused as exc:
        return _refused(request, recording, exc)
    messages.success(request, "缩短保存期限的申请已提交，等待批准。")
    return redirect("recordings:detail", recording_id=recording.pk)


@login_required
def decide_change(request, pk: int):
    change = (
        RetentionChange.objects.visible_to(request.user)
        .filter(pk=pk, recording__in=Recording.objects.visible_to(request.user))
        .first()
    )
    if change is None:
        raise NotFound("申请不存在或不在您的权限范围内")
    if refused := post_only(request):
        return refused
    require(
        may_decide_change(request.user, change),
        "无权审批该申请：须由规定的审批人办理，且不能审批本人的申请",
    )
    approve = request.POST.get("decision", "approve") != "reject"
    try:
        facts.decide_change(
            request.user,
            change,
            approve=approve,
            comment=request.POST.get("comment", ""),
            ip=client_ip(request),
        )
    except Refused as exc:
        return _refused(request, change.recording, exc)
    messages.success(request, "已批准缩短保存期限。" if approve else "已不同意缩短保存期限。")
    return redirect("recordings:detail", recording_id=change.recording_id)
