"""Spot-check campaign pages (S2, S3): the list with the year's review reminder, a new
campaign, a campaign with its sample by stratum (draw, recheck, close), and a sample's
scoring page (checklist, the compliance engine's findings, recordings, timed notes).

Every page needs `campaigns.can_read` (403). A campaign or sample is found through its scoped
queryset next: outside the user's units it is 404, even for a POST-only action (then 405),
before the permission to act (403). Rules live in `campaigns` and `scoring`; a refused step
is shown on the object's page with status 400 and nothing changed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from avrecords.access import grants
from avrecords.lib.filters import tell
from avrecords.lib.http import client_ip, int_or_none, post_only, run_step
from avrecords.lib.refusals import NotFound, require
from avrecords.org.models import Unit
from avrecords.recordings import marks, player
from avrecords.supervision import campaigns, filters, notice_hint, scoring
from avrecords.supervision.campaigns import CampaignError, CampaignInput
from avrecords.supervision.models import Campaign, CampaignKind, CampaignStatus, Sample
from avrecords.supervision.scoring import ScoreError, ScoreInput

NO_READ = "无权查看执法监督抽查：仅监督人员、单位负责人、分管领导和系统管理员"


def _campaign(request, pk: int) -> Campaign:
    require(campaigns.can_read(request.user), NO_READ)
    campaign = Campaign.objects.visible_to(request.user).filter(pk=pk).first()
    if campaign is None:
        raise NotFound("抽查不存在或不在您的监督范围内")
    return campaign


def _sample(request, pk: int) -> Sample:
    require(campaigns.can_read(request.user), NO_READ)
    sample = Sample.objects.visible_to(request.user).filter(pk=pk).first()
    if sample is None:
        raise NotFound("样本不存在或不在您的监督范围内")
    return sample


# --- the list and a new campaign -------------------------------------------------------------


@login_required
def campaign_list(request):
    user = request.user
    require(campaigns.can_read(user), NO_READ)
    qs, errors = filters.filter_campaigns(Campaign.objects.visible_to(user), request.GET)
    tell(request, errors)
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    for campaign in page:
        campaign.ratio_text = campaigns.percent(campaign.ratio)
    return render(
        request,
        "supervision/campaign_list.html",
        {
            "nav": "supervision",
            "page": page,
            "status": status,
            "kind": kind,
            "statuses": CampaignStatus.choices,
            "kinds": CampaignKind.choices,
            "due": campaigns.reviews_due(user, timezone.localdate()),
            "can_manage": campaigns.can_manage(user),
        },
    )


def _unit_choices(user) -> list[tuple[int, str]]:
    return [(u.pk, "　" * u.depth + u.name) for u in Unit.objects.visible_to(user)]


def _read_form(user, post) -> tuple[CampaignInput, list[str]]:
    """The posted form → (input, what cannot be read); the service checks the rest."""
    errors = []
    dates = {}
    for name, label in (("period_start", "开始日期"), ("period_end", "截止日期")):
        raw = (post.get(name) or "").strip()
        dates[name] = None
        if raw:
            try:
                dates[name] = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(f"无法识别的{label}：{raw}")
    ids = [i for i in (int_or_none(v) for v in post.getlist("units")) if i is not None]
    units = list(Unit.objects.visible_to(user).filter(pk__in=ids))
    if len(units) < len(set(ids)):
        errors.append("所选单位不存在或不在您的监督范围内")
    units.sort(key=lambda u: ids.index(u.pk))
    ratio = None
    if raw := (post.get("ratio") or "").strip().rstrip("%％"):
        try:
            ratio = float(raw) / 100
        except ValueError:
            errors.append(f"无法识别的抽样比例：{raw}（请填写百分数，如 5）")
    data = CampaignInput(
        kind=post.get("kind") or "",
        title=post.get("title") or "",
        units=units,
        ratio=ratio,
        note=post.get("note") or "",
        **dates,
    )
    return data, errors


def _form(request, values, errors=(), status=200):
    chosen = values.getlist("units") if hasattr(values, "getlist") else values.get("units", [])
    return render(
        request,
        "supervision/campaign_form.html",
        {
            "nav": "supervision",
            "values": values,
            "chosen": [str(v) for v in chosen],
            "errors": errors,
            "kinds": CampaignKind.choices,
            "units": _unit_choices(request.user),
        },
        status=status,
    )


@login_required
def campaign_new(request):
    user = request.user
    require(campaigns.can_manage(user), "无权组织抽查：仅监督人员")
    if request.method != "POST":
        today = timezone.localdate()
        kind = request.GET.get("kind")
        values = {
            "kind": kind if kind in CampaignKind.values else CampaignKind.SPOT_CHECK,
            "period_start": today.replace(month=1, day=1).isoformat(),
            "period_end": today.isoformat(),
            "units": [request.GET["unit"]] if request.GET.get("unit") else [],
        }
        return _form(request, values)
    data, errors = _read_form(user, request.POST)
    if not errors:
        try:
            campaign = campaigns.create_campaign(user, data, ip=client_ip(request))
        except CampaignError as exc:
            errors = exc.errors
        else:
            messages.success(request, f"已创建{campaign.get_kind_display()} {campaign.number}")
            return redirect("supervision:campaign", pk=campaign.pk)
    return _form(request, request.POST, errors, status=400)


# --- a campaign --------------------------------------------------------------------------


def _strata(user, campaign: Campaign) -> list[dict]:
    """The samples the user may see, by stratum (unit, officer), in the drawn order."""
    shown = (
        Sample.objects.visible_to(user)
        .filter(campaign=campaign)
        .select_related("score", "score__reviewer")
        .order_by("order")
    )
    groups: dict[tuple, dict] = defaultdict(lambda: {"samples": []})
    for sample in shown:
        group = groups[(sample.unit_id, sample.officer_id or 0)]
        group["unit"], group["officer"] = sample.unit, sample.officer
        group["samples"].append(sample)
    return list(groups.values())


def _detail(request, campaign: Campaign, *, errors=(), status=200):
    user = request.user
    manage = campaigns.may_manage(user, campaign)
    total = campaign.samples.count()
    left = campaigns.unscored(campaign)
    campaign.ratio_text = campaigns.percent(campaign.ratio)
    return render(
        request,
        "supervision/campaign_detail.html",
        {
            "nav": "supervision",
            "c": campaign,
            "units": campaign.units.all(),
            "strata": _strata(user, campaign),
            "total": total,
            "scored": total - left,
            "unscored": left,
            "can_draw": manage and campaign.status == CampaignStatus.DRAFT,
            "can_recheck": campaign.status != CampaignStatus.DRAFT,
            "can_close": manage and campaign.status != CampaignStatus.CLOSED,
            "errors": errors,
        },
        status=status,
    )


@login_required
def campaign_detail(request, pk: int):
    return _detail(request, _campaign(request, pk))


def _step(request, pk: int, allowed, act, denied: str):
    """Scope (404), method (405), permission (403); refused → the campaign page with 400."""
    campaign = _campaign(request, pk)
    if refused := post_only(request):
        return refused
    require(allowed(request.user, campaign), denied)
    return run_step(
        request,
        campaign,
        lambda: act(campaign),
        refusals=CampaignError,
        again=lambda errors: _detail(request, campaign, errors=errors, status=400),
        then=reverse("supervision:campaign", kwargs={"pk": campaign.pk}),
    )


@login_required
def campaign_draw(request, pk: int):
    def act(campaign):
        drawn = campaigns.draw_sample(request.user, campaign, ip=client_ip(request))
        return (
            f"已从 {drawn.population} 项执法活动中分层抽取 {len(drawn.sampled)} 项样本"
            f"（{drawn.strata} 层，随机种子 {campaign.seed}）"
        )

    return _step(request, pk, campaigns.may_manage, act, "无权对该抽查抽取样本")


@login_required
def campaign_recheck(request, pk: int):
    def act(campaign):
        return campaigns.redraw_check(request.user, campaign, ip=client_ip(request)).message

    return _step(request, pk, lambda user, c: campaigns.can_read(user), act, "无权复核抽样")


@login_required
def campaign_close(request, pk: int):
    def act(campaign):
        campaigns.close_campaign(
            request.user, campaign, request.POST.get("reason", ""), ip=client_ip(request)
        )
        return f"已结束 {campaign.number}"

    return _step(request, pk, campaigns.may_manage, act, "无权结束该抽查")


# --- a sample ----------------------------------------------------------------------------


def _note_text(score) -> dict[int, str]:
    """The saved timed notes as the text boxes show them, per recording."""
    lines: dict[int, list[str]] = defaultdict(list)
    for note in score.notes.all() if score is not None else ():
        lines[note.recording_id].append(f"{scoring.format_time(note.at_seconds)} {note.text}")
    return {pk: "\n".join(v) for pk, v in lines.items()}


def _timed(recording, text: str) -> list[dict]:
    """The timed notes of a text box as the list beside the player shows them (each seeks
    the player); a line whose time cannot be read is left out here (saving says why)."""
    timed = []
    for note in scoring.parse_note_lines(recording.pk, text):
        try:
            at = scoring.parse_time(note.at)
        except ScoreError:
            continue
        timed.append({"at": at, "clock": scoring.format_time(at), "text": note.text})
    return timed


def _score_page(request, sample: Sample, *, values=None, errors=(), status=200):
    user = request.user
    score = getattr(sample, "score", None)
    saved = {item["code"]: item for item in (score.items if score else [])}
    post = values or {}
    notes = _note_text(score)
    # U5: the notice check's result beside its item, and its moment offered as a timed note
    # to the reviewer of a sheet not scored yet; the verdict stays his
    hint = notice_hint.for_sample(sample)
    offered = 0
    if hint and hint.note and score is None and values is None:
        scorable = sample.campaign.status == CampaignStatus.SCORING
        offered = hint.recording_id if scorable and scoring.may_score(user, sample) else 0
    if offered:
        notes.setdefault(offered, hint.note)
    items = []
    for item in scoring.checklist(sample):
        if values is not None:
            verdict, note = post.get(f"item_{item.code}", ""), post.get(f"note_{item.code}", "")
        else:
            got = saved.get(item.code, {})
            verdict = {True: "pass", False: "fail"}.get(got.get("passed"), "")
            note = got.get("note", "")
        system = hint.text if hint and hint.item_code == item.code else ""
        items.append({"item": item, "verdict": verdict, "note": note, "system": system})
    recordings = []
    for recording in scoring.recordings(user, sample):
        text = (
            post.get(f"notes_{recording.pk}", "")
            if values is not None
            else notes.get(recording.pk, "")
        )
        recordings.append(
            {
                "r": recording,
                "length": scoring.format_time(recording.duration_seconds),
                "clock": marks.clock(recording.duration_seconds),
                "can_play": grants.may_play(user, recording),
                "notes": text,
                "suggested": recording.pk == offered,
                "timed": _timed(recording, text),
                "frame_rate": player.frame_rate(recording),
            }
        )
    why_not = scoring.refusal(user, sample)
    return render(
        request,
        "supervision/score_sample.html",
        {
            "nav": "supervision",
            "s": sample,
            "a": sample.activity,
            "c": sample.campaign,
            "score": score,
            "items": items,
            "comment": post.get("comment", "")
            if values is not None
            else (score.comment if score else ""),
            "findings": scoring.findings(sample),
            "recordings": recordings,
            # issue 17 §5: the first recording the reviewer may play is in the player
            "playing": next((x for x in recordings if x["can_play"]), None),
            "can_score": why_not is None and sample.campaign.status == CampaignStatus.SCORING,
            "why_not": why_not,
            "errors": errors,
        },
        status=status,
    )


@login_required
def sample_detail(request, pk: int):
    return _score_page(request, _sample(request, pk))


def _read_score(post, sample: Sample) -> ScoreInput:
    verdicts = {"pass": True, "fail": False}
    codes = [item.code for item in scoring.checklist(sample)]
    notes = []
    for key in post:
        if key.startswith("notes_") and (recording_id := int_or_none(key.removeprefix("notes_"))):
            notes += scoring.parse_note_lines(recording_id, post.get(key, ""))
    return ScoreInput(
        passed={code: verdicts.get(post.get(f"item_{code}", "")) for code in codes},
        item_notes={code: post.get(f"note_{code}", "") for code in codes},
        comment=post.get("comment", ""),
        notes=tuple(notes),
    )


@login_required
def sample_score(request, pk: int):
    sample = _sample(request, pk)
    if refused := post_only(request):
        return refused
    why_not = scoring.refusal(request.user, sample)
    require(why_not is None, why_not or "")
    try:
        score = scoring.score_sample(
            request.user, sample, _read_score(request.POST, sample), ip=client_ip(request)
        )
    except ScoreError as exc:
        return _score_page(request, sample, values=request.POST, errors=exc.errors, status=400)
    messages.success(request, f"已保存评分：{score.total:g} 分")
    return redirect("supervision:sample", pk=sample.pk)
