"""Spot-check and annual review campaigns (S2, S3): create, draw the sample, recheck the
draw, close; and the reminder of the year's review (003§17 每年至少组织一次评查).

Who: supervisors (监督人员) create, draw and close campaigns over units within their scope,
system administrators anywhere; leaders and unit heads read the campaigns that touch their
units. The ratio comes from the first unit's profile (`supervision.sampling.ratio`, with its
article) unless the supervisor sets one. The random seed is drawn once, stored, and the
draw is written to the audit trail with the population it was drawn from, so anybody may
recompute it later (`redraw_check`) and see that nobody picked the sample by hand.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import secrets
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import Activity
from avrecords.lib.refusals import Conflict, Invalid
from avrecords.org.models import Role, Unit, User
from avrecords.org.scope import in_unit_scope, scope_roots, sees_everything
from avrecords.policies.models import PolicyProfile, UnitPolicy
from avrecords.policies.services import profile_for_unit
from avrecords.supervision import sampling
from avrecords.supervision.models import Campaign, CampaignKind, CampaignStatus, Sample

if TYPE_CHECKING:
    from avrecords.policies.schema import Profile

READ_ROLES = {Role.SUPERVISOR, Role.LEADER, Role.UNIT_HEAD}
EMPTY_POPULATION = "所选单位在抽查期间没有执法活动，未抽取样本"
ALREADY_DRAWN = "本次抽查已抽取样本，不能重新抽取（抽样结果须可复核）；可使用“复核抽样”核对"
NUMBER_PREFIX = {CampaignKind.SPOT_CHECK: "CC", CampaignKind.ANNUAL_REVIEW: "PC"}
MAX_PERIOD_DAYS = 731  # two years: longer is a typing error


class CampaignError(Conflict, ValueError):
    """A refused step on a campaign (409: drawn already, nothing to draw, closed…); Chinese,
    shown to the user. `errors` lists every reason (all of them at once)."""

    def __init__(self, message: str | list[str]):
        self.errors = list(message) if isinstance(message, list) else [message]
        super().__init__("；".join(self.errors))


class CampaignInvalid(Invalid, CampaignError):
    """What was entered cannot be used (422: the campaign's form, a close without its
    reason); every reason at once."""

    api_prefix = "未办理："

    def __init__(self, message: str | list[str]):
        super().__init__(message)
        self.reasons = self.errors


# --- who may -----------------------------------------------------------------------------


def can_read(user) -> bool:
    """The campaign pages: supervisors, leaders, unit heads; system administrators."""
    return user.is_authenticated and (sees_everything(user) or user.role in READ_ROLES)


def can_manage(user) -> bool:
    """Create, draw and close campaigns: supervisors (and system administrators)."""
    return user.is_authenticated and (sees_everything(user) or user.role == Role.SUPERVISOR)


def covers_scope_q(user, field_name: str = "units") -> Q:
    """Campaigns one of whose units lies in the user's scope or above it (a bureau-wide
    campaign touches the squad a supervisor is assigned to)."""
    roots = scope_roots(user)
    if not roots:
        return Q(pk__in=[])
    parts = []
    for root in roots:
        parts.append(
            Q(**{f"{field_name}__path__startswith": root})
            | Q(**{f"{field_name}__path__in": _paths_above(root)})
        )
    return reduce(or_, parts)


def may_manage(user, campaign: Campaign) -> bool:
    """A campaign is the manager's when every unit of it lies within his scope."""
    return can_manage(user) and all(in_unit_scope(user, u) for u in campaign.units.all())


# --- creating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignInput:
    kind: str
    title: str
    period_start: dt.date | None
    period_end: dt.date | None
    units: list[Unit] = field(default_factory=list)
    ratio: float | None = None  # None: the first unit's profile
    note: str = ""


def percent(value: float) -> str:
    """0.05 → "5%", 0.025 → "2.5%"."""
    return f"{round(value * 100, 4):g}%"


def ratio_of(data: CampaignInput) -> tuple[float | None, str, Profile | None, list[str]]:
    """(ratio, where it comes from, the first unit's profile, errors)."""
    if not data.units:
        return None, "", None, []
    first = data.units[0]
    profile = profile_for_unit(first)
    if profile is None:
        message = f"“{first.name}”未配置执法音像记录规定，无法确定抽样比例和评查项目"
        return None, "", None, [message]
    sampling_rule = profile.supervision.sampling
    basis = "；".join(filter(None, (sampling_rule.cite, sampling_rule.note)))
    if data.ratio is None:
        return sampling_rule.ratio, basis[:200], profile, []
    if not 0 < data.ratio <= 1:
        return None, "", profile, ["抽样比例应大于 0% 且不超过 100%"]
    default = f"规定默认 {percent(sampling_rule.ratio)}"
    if sampling_rule.cite:
        default += f"，{sampling_rule.cite}"
    return data.ratio, f"由监督人员设定（{default}）"[:200], profile, []


def check(actor, data: CampaignInput) -> list[str]:
    """Every reason the campaign cannot be created (empty when it can)."""
    errors = []
    if data.kind not in CampaignKind.values:
        errors.append("请选择抽查类型（抽查或年度评查）")
    if not data.title.strip():
        errors.append("请填写抽查名称")
    elif len(data.title.strip()) > 200:
        errors.append("抽查名称过长（最多 200 个字符）")
    if data.period_start is None or data.period_end is None:
        errors.append("请填写抽查期间的起止日期")
    elif data.period_end < data.period_start:
        errors.append("抽查期间的截止日期早于开始日期")
    elif (data.period_end - data.period_start).days > MAX_PERIOD_DAYS:
        errors.append("抽查期间不应超过两年，请核对")
    if not data.units:
        errors.append("请选择被抽查单位")
    for unit in data.units:
        if not in_unit_scope(actor, unit):
            errors.append(f"“{unit.name}”不在您的监督范围内")
    errors += ratio_of(data)[3]
    return errors


def _number(kind: str) -> str:
    today = timezone.localdate()
    prefix = f"{NUMBER_PREFIX.get(kind, 'CC')}-{today:%Y%m%d}-"
    count = Campaign.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def create_campaign(actor, data: CampaignInput, *, ip: str = "") -> Campaign:
    if not can_manage(actor):
        raise CampaignError("无权组织抽查：仅监督人员")
    errors = check(actor, data)
    if errors:
        raise CampaignInvalid(errors)
    ratio, basis, profile, _ = ratio_of(data)
    units = list(dict.fromkeys(data.units))
    with transaction.atomic():
        campaign = Campaign.objects.create(
            number=_number(data.kind),
            kind=data.kind,
            title=data.title.strip(),
            period_start=data.period_start,
            period_end=data.period_end,
            ratio=ratio,
            ratio_cite=basis,
            seed=secrets.randbits(63),
            profile_code=profile.code,
            created_by=actor,
            note=data.note.strip(),
        )
        campaign.units.set(units)
        audit.record(
            "supervision.create",
            actor=actor,
            obj=campaign,
            summary=f"组织{campaign.get_kind_display()} {campaign.number}：{campaign.title}",
            detail={
                "units": [u.pk for u in units],
                "period": [data.period_start.isoformat(), data.period_end.isoformat()],
                "ratio": ratio,
                "ratio_cite": basis,
                "seed": campaign.seed,
                "profile": profile.code,
            },
            ip=ip,
        )
    return campaign


# --- drawing -------------------------------------------------------------------------------


def _period_bounds(campaign: Campaign) -> tuple[dt.datetime, dt.datetime]:
    """The period in local (Beijing) dates, both ends included, as [start, end) instants."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(campaign.period_start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(campaign.period_end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def population(user, campaign: Campaign) -> list[sampling.Item]:
    """The activities of the campaign's units (and the units below them) begun within its
    period that the user may see; each in the stratum of its unit and first officer."""
    units = list(campaign.units.all())
    if not units:
        return []
    start, end = _period_bounds(campaign)
    under = reduce(or_, (Q(unit__path__startswith=u.path) for u in units))
    qs = (
        Activity.objects.visible_to(user)
        .filter(under, started_at__gte=start, started_at__lt=end)
        .prefetch_related("officers")
        .order_by("pk")
    )
    items = []
    for activity in qs:
        officer_ids = sorted(o.pk for o in activity.officers.all())
        items.append(
            sampling.Item(activity.pk, activity.unit_id, officer_ids[0] if officer_ids else 0)
        )
    return items


@dataclass(frozen=True)
class DrawResult:
    campaign: Campaign
    population: int
    sampled: list[int]
    strata: int


def draw_sample(actor, campaign: Campaign, *, ip: str = "") -> DrawResult:
    """Draw the stratified sample from the stored seed; once only (reproducible)."""
    if not may_manage(actor, campaign):
        raise CampaignError("无权对该抽查抽取样本")
    if campaign.status != CampaignStatus.DRAFT or campaign.samples.exists():
        raise CampaignError(ALREADY_DRAWN)
    items = population(actor, campaign)
    if not items:
        raise CampaignError(EMPTY_POPULATION)
    picked = sampling.draw(items, campaign.ratio, campaign.seed)
    strata = len({(i.unit_id, i.officer_id) for i in items})
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.DRAFT or locked.samples.exists():
            raise CampaignError(ALREADY_DRAWN)
        Sample.objects.bulk_create(
            Sample(
                campaign=locked,
                activity_id=item.activity_id,
                unit_id=item.unit_id,
                officer_id=item.officer_id or None,
                order=n,
            )
            for n, item in enumerate(picked, start=1)
        )
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.SCORING, population=len(items), drawn_at=now
        )
        campaign.status, campaign.population, campaign.drawn_at = (
            CampaignStatus.SCORING,
            len(items),
            now,
        )
        sampled = [i.activity_id for i in picked]
        audit.record(
            "supervision.draw",
            actor=actor,
            obj=campaign,
            summary=(
                f"{campaign.number} 抽取样本：总体 {len(items)} 项执法活动，"
                f"按 {percent(campaign.ratio)} 分层抽取 {len(picked)} 项（{strata} 层）"
            ),
            detail={
                "seed": campaign.seed,
                "ratio": campaign.ratio,
                "population": len(items),
                "strata": strata,
                "sampled": sampled,
                # what the draw saw, so it can be recomputed whatever is imported later
                "items": [[i.activity_id, i.unit_id, i.officer_id] for i in items],
            },
            ip=ip,
        )
    return DrawResult(campaign, len(items), sampled, strata)


# --- rechecking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recheck:
    ok: bool  # the stored sample is exactly what the stored seed gives
    seed_ok: bool  # the campaign's seed is the one the draw was audited with
    expected: list[int]
    stored: list[int]
    population: int
    added_since: list[int]  # activities of the period that appeared after the draw
    removed_since: list[int]

    @property
    def message(self) -> str:
        if self.ok:
            text = (
                f"复核一致：按存档的随机种子重新计算，{len(self.stored)} 项样本与抽样结果完全相同"
            )
        else:
            text = "复核不一致：按存档的随机种子重新计算的样本与存储的样本不同，请立即核查"
        if self.added_since or self.removed_since:
            text += (
                f"。抽样后本期执法活动有变化（新增 {len(self.added_since)} 项、"
                f"减少 {len(self.removed_since)} 项），复核按抽样时的总体进行"
            )
        return text


def _draw_entry(campaign: Campaign) -> AuditEntry | None:
    return (
        AuditEntry.objects.filter(
            action="supervision.draw",
            object_type=Campaign._meta.label_lower,
            object_id=str(campaign.pk),
        )
        .order_by("-seq")
        .first()
    )


def redraw_check(actor, campaign: Campaign, *, ip: str = "") -> Recheck:
    """Recompute the sample from the stored seed and the population recorded at the draw and
    compare it with the stored samples; audited, whatever it finds."""
    if not can_read(actor):
        raise CampaignError("无权复核抽样")
    entry = _draw_entry(campaign)
    if campaign.status == CampaignStatus.DRAFT or entry is None:
        raise CampaignError("本次抽查尚未抽取样本，无需复核")
    detail = entry.detail
    items = [sampling.Item(a, u, o) for a, u, o in detail.get("items", [])]
    expected = [i.activity_id for i in sampling.draw(items, campaign.ratio, campaign.seed)]
    stored = list(campaign.samples.order_by("order").values_list("activity_id", flat=True))
    drawer = User.objects.filter(pk=entry.actor_id).first() or actor
    now_ids = {i.activity_id for i in population(drawer, campaign)}
    then_ids = {i.activity_id for i in items}
    seed_ok = detail.get("seed") == campaign.seed
    result = Recheck(
        ok=seed_ok and expected == stored,
        seed_ok=seed_ok,
        expected=expected,
        stored=stored,
        population=len(items),
        added_since=sorted(now_ids - then_ids),
        removed_since=sorted(then_ids - now_ids),
    )
    audit.record(
        "supervision.recheck",
        actor=actor,
        obj=campaign,
        summary=f"{campaign.number} 复核抽样：{'一致' if result.ok else '不一致'}",
        detail={
            "ok": result.ok,
            "seed_ok": seed_ok,
            "expected": expected,
            "stored": stored,
            "added_since": result.added_since,
            "removed_since": result.removed_since,
        },
        ip=ip,
    )
    return result


# --- closing -------------------------------------------------------------------------------


def unscored(campaign: Campaign) -> int:
    return campaign.samples.filter(score__isnull=True).count()


def close_campaign(actor, campaign: Campaign, reason: str = "", *, ip: str = "") -> Campaign:
    """结束: every sample scored, or a reason why not (a draft with nothing drawn, too)."""
    if not may_manage(actor, campaign):
        raise CampaignError("无权结束该抽查")
    if campaign.status == CampaignStatus.CLOSED:
        raise CampaignError("本次抽查已结束")
    reason = reason.strip()
    left = unscored(campaign)
    if campaign.status == CampaignStatus.DRAFT and not reason:
        raise CampaignInvalid("尚未抽取样本，结束须写明理由")
    if left and not reason:
        raise CampaignInvalid(f"尚有 {left} 项样本未评分，结束须写明理由")
    with transaction.atomic():
        campaign.status = CampaignStatus.CLOSED
        campaign.closed_at = timezone.now()
        if reason:
            campaign.note = "\n".join(filter(None, (campaign.note, f"结束说明：{reason}")))
        campaign.save(update_fields=["status", "closed_at", "note"])
        audit.record(
            "supervision.close",
            actor=actor,
            obj=campaign,
            summary=f"结束{campaign.get_kind_display()} {campaign.number}"
            + (f"（{left} 项未评分：{reason}）" if left else "")[:400],
            detail={"unscored": left, "reason": reason},
            ip=ip,
        )
    return campaign


# --- the year's review (S3, 003§17) ------------------------------------------------------


@dataclass(frozen=True)
class ReviewDue:
    unit: Unit
    profile_code: str
    profile_name: str
    reviews_per_year: int
    due: dt.date
    cite: str


def _due_date(year: int, month_day: str) -> dt.date:
    month, day = (int(p) for p in month_day.split("-"))
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _candidate_units(user) -> list[Unit]:
    """The units a reminder may name: the top of the user's scope and every unit inside it
    that has a profile of its own (an agency)."""
    assigned = Unit.objects.filter(pk__in=UnitPolicy.objects.values("unit_id"))
    if sees_everything(user):
        return list(assigned)
    roots = scope_roots(user)
    if not roots:
        return []
    inside = assigned.filter(reduce(or_, (Q(path__startswith=r) for r in roots)))
    return list(Unit.objects.filter(path__in=roots)) + list(inside)


def reviews_due(user, today: dt.date | None = None) -> list[ReviewDue]:
    """Units (agencies) whose profile asks for reviews every year (`reviews_per_year` > 0)
    and that no annual review campaign covers this year, once the profile's `review_due`
    day has come."""
    if not can_manage(user):
        return []
    today = today or timezone.localdate()
    found: dict[int, ReviewDue] = {}
    for unit in sorted(_candidate_units(user), key=lambda u: u.path):
        profile = profile_for_unit(unit)
        if profile is None or unit.pk in found:
            continue
        rule = profile.supervision.sampling
        if rule.reviews_per_year <= 0 or today < _due_date(today.year, rule.review_due):
            continue
        above = [f for f in found.values() if unit.path.startswith(f.unit.path)]
        if any(f.profile_code == profile.code for f in above):
            continue  # the agency above is named already
        if _reviewed(unit, today.year):
            continue
        found[unit.pk] = ReviewDue(
            unit=unit,
            profile_code=profile.code,
            profile_name=profile.name,
            reviews_per_year=rule.reviews_per_year,
            due=_due_date(today.year, rule.review_due),
            cite=rule.cite,
        )
    return list(found.values())


def _reviewed(unit: Unit, year: int) -> bool:
    """An annual review organised this year (003§17 每年至少组织一次) over the unit or a unit
    above it."""
    return Campaign.objects.filter(
        kind=CampaignKind.ANNUAL_REVIEW,
        created_at__year=year,
        units__path__in=_paths_above(unit.path),
    ).exists()


def _paths_above(path: str) -> list[str]:
    """The materialised paths of the unit and every unit above it."""
    steps = path.rstrip(".").split(".")
    return [".".join(steps[: i + 1]) + "." for i in range(len(steps))]


def profile_of(campaign: Campaign) -> Profile | None:
    """The profile the campaign was set up under (its checklist scores every sample)."""
    row = PolicyProfile.objects.filter(code=campaign.profile_code).first()
    return row.profile if row is not None else None


def menu_count(user):
    """The number beside 执法监督 in the menu: the years' reviews due. A callable, so only a
    page that shows the menu queries it, once however often the template asks."""

    def count() -> int:
        try:
            return len(reviews_due(user))
        except DatabaseError:  # an error page (e.g. database down) must still render
            return 0

    return functools.cache(count)
