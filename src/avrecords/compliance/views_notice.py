"""系统管理 → 告知语参考录音 (U5; 000§12, 001§11, 002§10, 003§9, 004§13): the recordings of the
notice the platform listens for — the camera's one-key announcement and officers saying the
sentence — listed, uploaded, listened to, deleted and tried against a recording; and the
officer's answer and the reviewer's decision on a missed notice (a finding, never a violation
by itself). System administrators only, by the scope rule (`org.scope.can_manage_policies`).

Rules and audit live in `compliance.notice_references` and `compliance.notice_answers`;
these views parse, call and render, and show the services' Chinese reasons on the form.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from avrecords.compliance import notice_answers, notice_references
from avrecords.compliance.models import (
    Finding,
    FindingKind,
    NoticeCheck,
    NoticeOutcome,
    NoticeReference,
    ReferenceKind,
)
from avrecords.compliance.notice_marks import moment, window_words
from avrecords.lib import listening
from avrecords.lib.http import back_to, client_ip, int_or_none
from avrecords.lib.refusals import Conflict, Forbidden, Invalid, NotFound, Refusal, require
from avrecords.org.models import User
from avrecords.policies import approvals
from avrecords.recordings.models import Recording

NAV = "notice_references"


NAME_MAX_CHARS = 100  # NoticeReference.name
KINDS = ReferenceKind.choices


may_manage = notice_references.may_manage  # system administrators, as for the profiles


def _upload_max_bytes() -> int:
    """The largest reference the form takes: the service's bound, and the request's (a larger
    body is refused before it is read)."""
    return min(notice_references.MAX_UPLOAD_BYTES, settings.AVRECORDS_REQUEST_MAX_BYTES)


def _pct(confidence: float) -> str:
    return f"{round(100 * confidence)}%"


def trial_words(trial) -> dict:
    """What 试听检测 found, as the page says it: the headline ("在 02:13 处检测到告知语，置信度
    87%（阈值 60%）" or "未检测到告知语（最高置信度 31%，阈值 60%）"), the opening searched,
    and the reference it sounded most like."""
    best, threshold = trial.best, _pct(trial.threshold)
    if trial.hit is not None:
        at, sure = moment(trial.hit.at_seconds), _pct(trial.hit.confidence)
        head = f"在 {at} 处检测到告知语，置信度 {sure}（阈值 {threshold}）"
    elif best is not None:
        head = f"未检测到告知语（最高置信度 {_pct(best.confidence)}，阈值 {threshold}）"
    else:
        head = trial.message  # nothing to compare with, or the file cannot be heard
    references = list(NoticeReference.objects.all()) if best is not None else []
    nearest = ""
    if best is not None and best.method == "example" and best.reference_index < len(references):
        nearest = references[best.reference_index].name
    return {
        "found": trial.hit is not None,
        "head": head,
        "window": window_words(trial.window_seconds) if trial.window_seconds else "",
        "where": moment(best.at_seconds) if best is not None else "",
        "nearest": nearest,
    }


def _reference_of(user, pk: int) -> NoticeReference:
    require(may_manage(user))
    reference = NoticeReference.objects.filter(pk=pk).first()
    if reference is None:
        raise NotFound("没有这条告知语参考录音，可能已被删除")
    return reference


def _page(request, *, values=None, errors=None, trial=None, chosen=None, status=200):
    references = NoticeReference.objects.select_related("created_by").order_by("-created_at")
    return render(
        request,
        "compliance/notice_references.html",
        {
            "nav": NAV,
            "references": references,
            "kinds": KINDS,
            "values": values or {},
            "errors": errors or {},
            "max_bytes": _upload_max_bytes(),
            "name_max": NAME_MAX_CHARS,
            "trial": trial,
            "trial_said": trial_words(trial) if trial else None,
            "chosen": chosen,
            "chosen_list": [chosen] if chosen else [],
        },
        status=status,
    )


@login_required
def reference_list(request):
    require(may_manage(request.user))
    return _page(request)


def _upload_errors(exc: Exception) -> dict:
    """The service's reasons placed under the form's fields; the rest under the file."""
    fields = dict(getattr(exc, "fields", None) or {})
    placed = {k: v for k, v in fields.items() if k in ("name", "kind", "file")}
    rest = [v for k, v in fields.items() if k not in placed]
    rest += list(getattr(exc, "reasons", None) or [])
    if not placed and not rest:
        rest = [str(exc)]
    if rest:
        placed["file"] = "；".join([placed.get("file", ""), *rest]).strip("；")
    return placed


@login_required
@require_POST
def reference_upload(request):
    """A new reference: bad input (silence, too long, not audio, too large) is answered on
    the form in Chinese with status 422, and nothing is stored (the service's reasons)."""
    require(may_manage(request.user))
    values = {"name": request.POST.get("name", "").strip(), "kind": request.POST.get("kind", "")}
    try:
        reference = notice_references.add(
            request.user, request.FILES.get("file"), name=values["name"], kind=values["kind"]
        )
    except (Refusal, listening.ListeningError) as exc:
        return _page(request, values=values, errors=_upload_errors(exc), status=422)
    messages.success(request, f"已添加告知语参考录音“{reference.name}”")
    return redirect("compliance:notice_references")


@login_required
def reference_audio(request, pk: int):
    """The reference's derived 16 kHz recording for the page's player, whole (a few seconds:
    one request, one audit entry by the service — a ranged player would ask several times)."""
    reference = _reference_of(request.user, pk)
    handle = notice_references.open_audio(request.user, reference, ip=client_ip(request))
    response = FileResponse(handle, content_type="audio/wav")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def reference_delete(request, pk: int):
    reference = _reference_of(request.user, pk)
    name = reference.name
    notice_references.remove(request.user, reference)
    messages.success(request, f"已删除告知语参考录音“{name}”")
    return redirect("compliance:notice_references")


@login_required
@require_POST
def reference_try(request):
    """试听检测: the references against the opening window of a chosen recording; what was
    found (where, how sure, the threshold) is shown on the page, nothing is stored."""
    require(may_manage(request.user))
    pk = int_or_none(request.POST.get("recording"))
    recording = Recording.objects.visible_to(request.user).filter(pk=pk).first() if pk else None
    if recording is None:
        errors = {"recording": "请选择要检测的音像记录" if not pk else "没有这条音像记录"}
        return _page(request, errors=errors, status=422)
    try:
        trial = notice_references.try_against(request.user, recording)
    except (Refusal, listening.ListeningError) as exc:
        reasons = getattr(exc, "reasons", None) or [str(exc)]
        return _page(
            request, errors={"recording": "；".join(reasons)}, chosen=recording, status=422
        )
    return _page(request, trial=trial, chosen=recording)


# --- a missed notice: the officer answers, the reviewer decides ------------------------------


def _no_notice(user, pk: int) -> Finding:
    finding = Finding.objects.get_visible(user, pk)
    if finding.kind != FindingKind.NO_NOTICE:
        raise NotFound("这不是告知检查的问题")
    return finding


def _back(request, finding: Finding) -> str:
    default = f"/activities/{finding.activity_id}/" if finding.activity_id else "/findings/"
    return back_to(request, default)


@login_required
@require_POST
def finding_notice_answer(request, pk: int):
    """The officer says why no notice was heard (告知在另一台设备上录制…), for the reviewer."""
    finding = _no_notice(request.user, pk)
    try:
        notice_answers.answer(
            request.user, finding, request.POST.get("code", ""), request.POST.get("text", "")
        )
    except (Conflict, Invalid) as exc:  # wrong state or input: said on the page
        messages.error(request, exc.message)
    else:
        messages.success(request, "说明已提交，等待审核")
    return redirect(_back(request, finding))


@login_required
@require_POST
def finding_notice_review(request, pk: int):
    """The reviewer confirms the notice was missing, or dismisses the finding, with a note."""
    finding = _no_notice(request.user, pk)
    if why := approvals.why_not(request.user, notice_answers.review_step(finding)):
        raise Forbidden(str(why))  # not his to decide: 403 before anything is looked at
    confirm = request.POST.get("decision") == "confirm"
    try:
        notice_answers.review(request.user, finding, confirm, request.POST.get("note", ""))
    except (Conflict, Invalid) as exc:  # wrong state or input: said on the page
        messages.error(request, exc.message)
    else:
        messages.success(request, "已确认未告知" if confirm else "已驳回：告知已履行或检测有误")
    return redirect(_back(request, finding))


def _window_of(check: NoticeCheck) -> str:
    """The stretch listened to: "开头 3 分钟（00:00–03:00）"."""
    if not check.window_seconds:
        return ""
    end = round(check.window_seconds)
    return f"开头 {window_words(end)}（00:00–{moment(end)}）"


def activity_notice(user, activity) -> dict:
    """The activity page's 告知检查 part (U5): what was listened to and what was heard, and
    for a missed notice its answer and review, with the forms of whoever may act now."""
    check = NoticeCheck.objects.filter(activity=activity).select_related("recording").first()
    finding = (
        Finding.objects.filter(activity=activity, kind=FindingKind.NO_NOTICE)
        .select_related("unit", "officer", "explanation", "explanation__explained_by")
        .first()
    )
    if check is None and finding is None:
        return {}
    shown = (
        check is not None
        and Recording.objects.visible_to(user).filter(pk=check.recording_id).exists()
    )
    review = (finding.detail or {}).get("review") if finding else None
    if review:
        reviewer = User.objects.filter(pk=review.get("by")).first()
        review = {**review, "by_name": reviewer.display_name if reviewer else "—"}
    may_answer = bool(finding) and notice_answers.may_answer(user, finding)
    return {
        "check": check,
        "found": check is not None and check.outcome == NoticeOutcome.FOUND,
        "recording_shown": shown,
        "window": _window_of(check) if check else "",
        "finding": finding,
        "explanation": getattr(finding, "explanation", None) if finding else None,
        "review": review,
        "may_answer": may_answer,
        "answers": notice_answers.answers(finding) if may_answer else [],
        "may_review": bool(finding) and notice_answers.may_review(user, finding),
    }
