"""Violation and accountability pages (S4, S5): the register with its filters and Excel
export, a supervisor's entry, a candidate with its evidence (finding, activity, device,
recordings) where it is confirmed or dismissed and a decision proposed, and the decisions
with the suspensions in force, approved or rejected by the leader.

Every object is found through its scoped queryset first: outside the user's scope it is 404,
even for a POST-only action (then 405), before the permission to act (403). Rules live in
`violations` and `accountability`; a refused step is shown on the candidate's page with
status 400 and nothing changed."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from avrecords.compliance.models import Activity
from avrecords.equipment.models import Device
from avrecords.lib.http import client_ip, int_or_none, post_only, run_step
from avrecords.lib.refusals import NotFound, require
from avrecords.org.models import Unit, User
from avrecords.recordings.models import Recording
from avrecords.supervision import accountability, suspensions, violations
from avrecords.supervision.models import (
    Accountability,
    DecisionStatus,
    ViolationCandidate,
    ViolationStatus,
)
from avrecords.supervision.violations import Incomplete, Refused

CHOICES_SHOWN = 200
NO_READ = "无权查看违规登记：仅监督人员、单位负责人、分管领导和系统管理员"


def _candidate(request, pk: int) -> ViolationCandidate:
    found = ViolationCandidate.objects.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound("违规线索不存在或不在您的权限范围内")
    return found


def _decision(request, pk: int) -> Accountability:
    found = Accountability.objects.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound("处理决定不存在或不在您的权限范围内")
    return found


# --- the register ------------------------------------------------------------------------


@login_required
def violation_list(request):
    user = request.user
    require(violations.can_read(user), NO_READ)
    f = violations.read_filter(request.GET)
    qs = violations.search(user, f)
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/violations.html",
        {
            "nav": "supervision",
            "page": page,
            "filters": request.GET,
            "errors": f.errors,
            "query": query.urlencode(),
            "statuses": ViolationStatus.choices,
            "kinds": sorted(violations.all_kind_names().items(), key=lambda kv: kv[1]),
            "sources": violations.SOURCES.items(),
            "units": [(u.pk, "　" * u.depth + u.name) for u in Unit.objects.visible_to(user)],
            "open_count": ViolationCandidate.objects.visible_to(user)
            .filter(status=ViolationStatus.OPEN)
            .count(),
            "can_enter": violations.can_enter(user),
        },
        status=400 if f.errors and not request.headers.get("HX-Request") else 200,
    )


@login_required
def violation_export(request):
    user = request.user
    require(violations.can_read(user), NO_READ)
    f = violations.read_filter(request.GET)
    if f.errors:
        for error in f.errors:
            messages.error(request, error)
        return redirect("supervision:violations")
    try:
        content = violations.export_xlsx(user, f, ip=client_ip(request))
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("supervision:violations")
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"违规登记簿-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- entering one ------------------------------------------------------------------------


def _people(user):
    return (
        User.objects.filter(unit__in=Unit.objects.visible_to(user), is_active=True)
        .exclude(pk=user.pk)
        .select_related("unit")
        .order_by("unit__path", "full_name", "username")
    )


def _form(request, values, errors=(), status=200):
    user = request.user
    unit = Unit.objects.visible_to(user).filter(pk=int_or_none(values.get("unit")) or 0).first()
    return render(
        request,
        "supervision/violation_new.html",
        {
            "nav": "supervision",
            "values": values,
            "errors": errors,
            "kinds": violations.kinds_for(unit) if unit else violations.kinds_for(user.unit),
            "units": [(u.pk, "　" * u.depth + u.name) for u in Unit.objects.visible_to(user)],
            "people": _people(user)[:500],
            "activities": Activity.objects.visible_to(user)
            .select_related("unit")
            .order_by("-started_at", "-pk")[:CHOICES_SHOWN],
            "devices": Device.objects.visible_to(user).order_by("serial")[:CHOICES_SHOWN],
            # the recordings already picked, shown again as chips (issue 17 §6)
            "chosen_recordings": Recording.objects.visible_to(user).filter(
                pk__in=[int(v) for v in values.getlist("recordings") if v.isdigit()][:200]
            ),
        },
        status=status,
    )


def _read(user, post) -> tuple[violations.ViolationInput, list[str]]:
    """The posted entry → (input, what could not be read); the service checks the rest."""
    errors, skip = [], set()
    unit = person = activity = device = None
    if raw := post.get("unit"):
        unit = Unit.objects.visible_to(user).filter(pk=int_or_none(raw) or 0).first()
        if unit is None:
            errors.append("单位不存在或不在您的监督范围内")
            skip.add(violations.NO_UNIT)
    if raw := post.get("person"):
        person = _people(user).filter(pk=int_or_none(raw) or 0).first()
        if person is None:
            errors.append("人员不存在或不在您的监督范围内")
            skip.add(violations.NO_PERSON)
    if raw := post.get("activity"):
        activity = Activity.objects.visible_to(user).filter(pk=int_or_none(raw) or 0).first()
        if activity is None:
            errors.append("执法活动不存在或不在您的权限范围内")
    if raw := post.get("device"):
        device = Device.objects.visible_to(user).filter(pk=int_or_none(raw) or 0).first()
        if device is None:
            errors.append("设备不存在或不在您的权限范围内")
    # one id per picker chip (issue 17 §6), or several typed in one box by a script
    typed = " ".join(post.getlist("recordings"))
    tokens = [t for t in re.split(r"[\s,，、;；]+", typed) if t]
    ids = [int(t) for t in tokens if t.isdigit()]
    if bad := [t for t in tokens if not t.isdigit()]:
        errors.append(f"无法识别的记录编号：{'、'.join(bad)}")
    found = list(Recording.objects.visible_to(user).filter(pk__in=ids))
    if missing := sorted(set(ids) - {r.pk for r in found}):
        errors.append("音像记录不存在或不在您的权限范围内：" + "、".join(map(str, missing)))
    data = violations.ViolationInput(
        kind=post.get("kind") or "",
        unit=unit,
        person=person,
        summary=post.get("summary") or "",
        activity=activity,
        device=device,
        recordings=tuple(found),
    )
    return data, errors + [e for e in violations.check(user, data) if e not in skip]


@login_required
def violation_new(request):
    user = request.user
    require(violations.can_enter(user), "无权登记违规行为：须由监督人员办理")
    if request.method != "POST":
        values = request.GET.copy()
        values.setdefault("unit", str(user.unit_id or ""))
        return _form(request, values)
    data, errors = _read(user, request.POST)
    if not errors:
        try:
            candidate = violations.report(user, data, ip=client_ip(request))
        except Refused as exc:
            errors = exc.errors if isinstance(exc, Incomplete) else [str(exc)]
        else:
            messages.success(request, f"已登记违规行为：{candidate.kind_name}")
            return redirect("supervision:violation", pk=candidate.pk)
    return _form(request, request.POST, errors, status=400)


# --- a candidate -------------------------------------------------------------------------


def _kind_note(candidate: ViolationCandidate) -> str:
    if candidate.cite:
        return ""
    kind = next((k for k in violations.kinds_for(candidate.unit) if k.code == candidate.kind), None)
    return kind.note if kind else ""


def _detail(request, candidate: ViolationCandidate, *, errors=(), status=200):
    user = request.user
    ids = list(candidate.recordings.values_list("pk", flat=True))
    shown = Recording.objects.visible_to(user).filter(pk__in=ids).order_by("started_at", "pk")
    decisions = list(candidate.decisions.select_related("person", "proposed_by", "decided_by"))
    for d in decisions:
        d.can_decide = d.status == DecisionStatus.PENDING and not (
            accountability.approver_refusal(user, d)
        )
    activity = candidate.activity
    return render(
        request,
        "supervision/violation.html",
        {
            "nav": "supervision",
            "c": candidate,
            "kind_note": _kind_note(candidate),
            "activity": activity
            if activity and Activity.objects.visible_to(user).filter(pk=activity.pk).exists()
            else None,
            "recordings": shown,
            "hidden": len(ids) - shown.count(),
            "decisions": decisions,
            "can_decide": candidate.status == ViolationStatus.OPEN
            and violations.may_decide(user, candidate),
            "decide_refusal": violations.decider_refusal(user, candidate),
            "can_propose": accountability.can_propose(user, candidate),
            "options": accountability.choices(candidate.unit),
            "errors": errors,
        },
        status=status,
    )


@login_required
def violation_detail(request, pk: int):
    return _detail(request, _candidate(request, pk))  # empty scope for non-readers: 404


def _step(request, candidate: ViolationCandidate, act):
    """Run a refusable step: done → back to the candidate; refused → its page with 400."""
    return run_step(
        request,
        candidate,
        act,
        refusals=Refused,
        again=lambda errors: _detail(request, candidate, errors=errors, status=400),
        then=reverse("supervision:violation", kwargs={"pk": candidate.pk}),
    )


def _decide(request, pk: int, confirm: bool):
    candidate = _candidate(request, pk)
    if refused := post_only(request):
        return refused
    require(
        violations.may_decide(request.user, candidate),
        violations.decider_refusal(request.user, candidate),
    )

    def act():
        violations.decide(
            request.user,
            candidate,
            confirm=confirm,
            reason=request.POST.get("reason", ""),
            ip=client_ip(request),
        )
        return "已认定为违规" if confirm else "已排除该违规线索"

    return _step(request, candidate, act)


@login_required
def violation_confirm(request, pk: int):
    return _decide(request, pk, True)


@login_required
def violation_dismiss(request, pk: int):
    return _decide(request, pk, False)


@login_required
def violation_propose(request, pk: int):
    candidate = _candidate(request, pk)
    if refused := post_only(request):
        return refused
    refusal = accountability.proposer_refusal(request.user, candidate)
    require(not refusal, refusal)

    def act():
        made = accountability.propose(
            request.user,
            candidate,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            ip=client_ip(request),
        )
        return f"已提出处理意见：{made.decision_name}，等待分管领导批准"

    return _step(request, candidate, act)


# --- decisions ---------------------------------------------------------------------------


@login_required
def decision_list(request):
    user = request.user
    require(violations.can_read(user), NO_READ)
    qs = Accountability.objects.visible_to(user).select_related("suspension")
    status = request.GET.get("status", "")
    if status in DecisionStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    in_force = Accountability.objects.visible_to(user).filter(
        pk__in=suspensions.in_force().values("pk")
    )
    return render(
        request,
        "supervision/accountability_list.html",
        {
            "nav": "supervision",
            "page": page,
            "status": status,
            "statuses": DecisionStatus.choices,
            "in_force": in_force.select_related("suspension").order_by("suspension__ends_on", "pk"),
            "today": timezone.localdate(),
        },
    )


def _approval(request, pk: int, approve: bool):
    decision = _decision(request, pk)
    if refused := post_only(request):
        return refused
    refusal = accountability.approver_refusal(request.user, decision)
    require(not refusal, refusal)

    def act():
        comment = request.POST.get("comment", "")
        if approve:
            done = accountability.approve(
                request.user, decision, comment=comment, ip=client_ip(request)
            )
            if done.suspended_until:
                return f"已批准：{suspensions.describe(done)}"
            return f"已批准处理决定：{done.decision_name}"
        accountability.reject(request.user, decision, comment=comment, ip=client_ip(request))
        return "已不批准该处理意见，可重新提出"

    return _step(request, decision.violation, act)


@login_required
def decision_approve(request, pk: int):
    return _approval(request, pk, True)


@login_required
def decision_reject(request, pk: int):
    return _approval(request, pk, False)
