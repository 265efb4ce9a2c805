"""The one approvals engine (issue 16): may this person decide this step?

Every decision in the product asks here: approving and carrying out view, copy, export,
preservation and marking requests (M3, M6–M9), acknowledging an interruption's explanation
(U3), approving an exemption (U4), consenting to an extension (M1), acknowledging a lost
device (E6), reviewing and approving disposal, shortening and the release of a legal hold
(M5), confirming a violation (S4), approving an accountability decision (S5) and confirming
or dismissing a missed notice (U5).

The roles come from the unit's profile (`approvals.view.steps`,
`interruptions.acknowledged_by`, `retention.approved_by`, …; `DECISIONS` says which field
each decision reads); the rules besides the role are data too (`profile.deciding`, see
`policies.schema.Rules`): who stands in where no holder of the role can decide, who may decide
in any case, not the requester, not the person concerned, different people on different
steps, the case's own leader for a leader step, clearance for confidential items, whether a
system administrator may decide, and a named office whose head takes a step (chengde 001§22:
报经办公室主任审核).

A system administrator decides nothing by virtue of seeing everything: he decides a step only
where its decision's rules say `sysadmin: true`. The platform's defaults say so only for the
four decisions where it always did (acknowledging an interruption or a loss, an exemption, an
extension); every other decision is the regulations' unit heads', leaders', supervisors' or
archivists'.

`why_not(user, step)` answers in Chinese, naming every rule that refuses him (None when he
may); `deciders(step)` lists the people who may (the 待办 and the pages' "waiting for").
`reviews_without_asking(user, unit)` is the supervisors' own access for supervision (fuzhou
004§10, 004§22; chengde 001§23 sends it through 001§22), read from
`supervision.review_access`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django.db.models import Q
from django.db.models.functions import Length

from avrecords.org.models import Role, Unit, User
from avrecords.org.scope import cleared_for, in_unit_scope, scope_roots, sees_everything
from avrecords.policies.services import assignment_of, assignments_read_once, profile_for_unit

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from avrecords.policies.schema import Deciding, Profile, Rules

ROLE_NAMES = dict(Role.choices)

# The rules a refusal can name (`Why.rules`)
PROFILE = "profile"  # the unit has no profile: nobody can tell who decides
REQUESTER = "requester"
ROLE = "role"
SCOPE = "scope"
OFFICE = "office"  # the step is the named office's head's, and he is not
NO_OFFICE = "no_office"  # the profile names an office the agency has not set up
CONCERNED = "concerned"
REPEAT = "repeat"
CASE_LEADER = "case_leader"
CLEARANCE = "clearance"
# Refusals about who the person is over that unit, not about this item: pages answer 403
STANDING = frozenset({PROFILE, ROLE, SCOPE, OFFICE, NO_OFFICE})


@dataclass(frozen=True)
class Step:
    """One step of one decision on one item, with the facts the rules look at."""

    unit: Unit  # the item's unit: its profile and the deciders' scope apply
    decision: str  # a key of DECISIONS
    index: int = 0  # which step of the decision's chain
    requester_id: int | None = None  # who asked (proposed, reviewed first…)
    concerned_id: int | None = None  # the person the item is about
    # where the item is about several people (an activity's officers): each of them too
    concerned: frozenset[int] = field(default_factory=frozenset)
    earlier: tuple[int, ...] = ()  # the people who decided the earlier steps
    case_leader: User | None = None  # the case's own 主管领导, if the item has a case
    marks: frozenset[str] = field(default_factory=frozenset)  # confidentiality marks (M9)
    # The chain as frozen on the item when it was asked for (an access request keeps the
    # roles of the profile it was made under); None reads the roles from the profile.
    roles: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Decision:
    """A kind of decision: where its roles and its rules are in the profile."""

    name: str
    rules: str  # the entry of `profile.deciding`
    roles: Callable[[Profile], list[str]]
    messages: str = ""  # a key of MESSAGES: the wording its pages always used
    # Where the unit has no profile: the schema's default role, named as (section, field),
    # e.g. ("Loss", "acknowledged_by") (the platform's rules), or None where nobody can tell
    # who decides (the step is refused, asking for a profile)
    platform_default: tuple[str, str] | None = None

    @property
    def unprofiled(self) -> tuple[str, ...] | None:
        """The roles where the unit has no profile (see `platform_default`)."""
        if self.platform_default is None:
            return None
        return (_default(*self.platform_default),)


def _chain(kind: str) -> Callable[[Profile], list[str]]:
    return lambda p: list(p.approvals.chain(kind).steps)


def _executor(kind: str) -> Callable[[Profile], list[str]]:
    return lambda p: [p.approvals.chain(kind).executed_by]


@cache
def _default(section: str, name: str) -> str:
    # The schema (pydantic) is read when a decision is first asked about, not when the apps
    # load: every command's start-up imported it for these three defaults (issue 22 §1)
    from avrecords.policies import schema

    return getattr(schema, section).model_fields[name].default


@cache
def _platform() -> Deciding:
    from avrecords.policies.schema import Deciding

    return Deciding()


def __getattr__(name: str):
    if name == "PLATFORM":  # the rules where a unit has no profile
        return _platform()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _extension(p: Profile) -> list[str]:
    # Without an extension in the profile the unit head is still the one to be told so
    return [p.ingest.extension.consent_by if p.ingest.extension else Role.UNIT_HEAD]


DECISIONS: dict[str, Decision] = {
    **{
        f"access.{kind}": Decision(f"{label}申请审批", "access", _chain(kind), "access")
        for kind, label in (
            ("view", "查阅"),
            ("copy", "复制"),
            ("export", "证据导出"),
            ("preserve", "长期保存"),
            ("redacted", "提供脱敏副本"),
            ("mark", "密级标注"),
        )
    },
    **{
        f"access.{kind}.carry_out": Decision(
            f"{label}申请办理", "carry_out", _executor(kind), "run"
        )
        for kind, label in (
            ("view", "查阅"),
            ("copy", "复制"),
            ("export", "证据导出"),
            ("redacted", "提供脱敏副本"),
        )
    },
    **{
        f"access.{kind}.carry_out": Decision(
            f"{label}申请办理", "carry_out_preserve", _executor(kind), "run"
        )
        for kind, label in (("preserve", "长期保存"), ("mark", "密级标注"))
    },
    "interruption.acknowledge": Decision(
        "确认中断说明", "interruption", lambda p: [p.interruptions.acknowledged_by], "findings"
    ),
    "exemption.approve": Decision(
        "免予记录审批", "exemption", lambda p: [p.exemptions.approved_by], "findings"
    ),
    "extension.consent": Decision("同意延期导出", "extension", _extension, "findings"),
    "loss.acknowledge": Decision(
        "确认设备遗失报告",
        "loss",
        lambda p: [p.equipment.loss.acknowledged_by],
        "findings",
        ("Loss", "acknowledged_by"),
    ),
    "retention.review": Decision(
        "清除清单复核", "retention", lambda p: [p.retention.reviewed_by], "retention"
    ),
    # approving a disposal list (after its review), a shortening, the release of a hold
    "retention.approve": Decision(
        "保存期限审批", "retention", lambda p: [p.retention.approved_by], "retention"
    ),
    "violation.decide": Decision(
        "认定违规线索",
        "violation",
        lambda p: [p.supervision.violations_decided_by],
        "violation",
        ("Supervision", "violations_decided_by"),
    ),
    # confirming or dismissing a missed notice (U5): `notice.reviewed_by`
    "notice.review": Decision(
        "确认告知检查结果", "notice", lambda p: [p.notice.reviewed_by], "notice"
    ),
    "accountability.approve": Decision(
        "审批处理决定",
        "accountability",
        lambda p: [p.supervision.decisions_approved_by],
        "accountability",
        ("Supervision", "decisions_approved_by"),
    ),
}

_DEFAULT_MESSAGES = {
    PROFILE: "“{unit}”未配置执法音像记录规定，无法确定审批人，请联系系统管理员",
    REQUESTER: "不能审批本人提出的申请",
    ROLE: "须由{role}办理",
    SCOPE: "该事项不在您的管辖范围内",
    OFFICE: "应由{office}负责人审核（{cite}）",
    NO_OFFICE: "规定由“{office}”负责人审核（{cite}），但本机构未设置该单位，"
    "请系统管理员在组织机构中设置“{office}”及其负责人",
    CONCERNED: "不能办理与本人有关的事项",
    REPEAT: "同一事项的各步骤须由不同人员办理",
    CASE_LEADER: "本案的主管领导为{case_leader}，应由其审批",
    CLEARANCE: "该事项不在您的知悉范围内",
}
# The wording each decision's pages and services always used (tests assert some of it)
MESSAGES: dict[str, dict[str, str]] = {
    "access": {
        PROFILE: "“{unit}”未配置执法音像记录规定，无法确定审批流程，请联系系统管理员",
        REQUESTER: "不能审批本人提交的申请",
        ROLE: "当前步骤应由{role}审批",
        REPEAT: "同一申请的各审批步骤须由不同人员办理",
        SCOPE: "申请事项不在您的管辖或知悉范围内",
        CLEARANCE: "申请事项不在您的管辖或知悉范围内",
    },
    "run": {
        PROFILE: "“{unit}”未配置执法音像记录规定，无法确定办理人，请联系系统管理员",
        ROLE: "应由{role}办理",
        REQUESTER: "不能办理本人的查阅、复制或导出申请，请由其他管理员办理",
        SCOPE: "申请事项不在您的管辖或知悉范围内",
        CLEARANCE: "申请事项不在您的管辖或知悉范围内",
    },
    "findings": {
        REQUESTER: "不能审批本人提交的申请",
        CONCERNED: "不能确认与本人有关的事项",
    },
    "notice": {
        REQUESTER: "不能确认本人作出的说明",
        CONCERNED: "不能确认与本人有关的告知检查结果",
    },
    "violation": {
        ROLE: "无权认定违规线索：须由{role}办理",
        SCOPE: "无权认定：该违规线索不在您的监督范围内",
        CONCERNED: "无权认定与本人有关的违规线索",
    },
    "accountability": {
        ROLE: "无权审批处理决定：须由{role}办理",
        SCOPE: "无权审批：该处理决定不在您的管辖范围内",
        REQUESTER: "无权审批本人提出的处理意见",
        CONCERNED: "无权审批对本人的处理决定",
    },
}


class Why(str):
    """Why a person may not decide a step: the Chinese reasons joined, and the rules."""

    rules: frozenset[str]

    def __new__(cls, reasons: list[tuple[str, str]]) -> Why:
        text = "；".join(dict.fromkeys(message for _, message in reasons))
        made = super().__new__(cls, text)
        made.rules = frozenset(rule for rule, _ in reasons)
        return made

    @property
    def standing(self) -> bool:
        """The refusal is about who he is over the unit (his role, his scope), not about this
        item: pages answer 403 rather than a message."""
        return bool(self.rules & STANDING)


@dataclass
class _Context:
    """What the profile says about one step, read once per question."""

    step: Step
    decision: Decision
    role: str
    rules: Rules
    office: Unit | None = None  # the named office's unit, when the step is its head's
    _holder_can: bool | None = None

    def say(self, rule: str, **values) -> tuple[str, str]:
        wording = MESSAGES.get(self.decision.messages, {}).get(rule) or _DEFAULT_MESSAGES[rule]
        return rule, wording.format(unit=self.step.unit.name, **values)


def _context(step: Step) -> _Context | None:
    decision = DECISIONS[step.decision]
    profile = profile_for_unit(step.unit)
    if profile is None:
        if decision.unprofiled is None and step.roles is None:
            return None
        roles, rules = list(decision.unprofiled or ()), getattr(_platform(), decision.rules)
    else:
        roles = decision.roles(profile)
        rules = getattr(profile.deciding, decision.rules)
    if step.roles is not None:
        roles = list(step.roles)
    if not 0 <= step.index < len(roles):
        # A chain saved empty or shorter than its step (a profile changed under it): nobody
        # can be named, which the pages say as for a unit without a profile, never a crash.
        logger.warning(
            "approval step %s of %s has index %s outside its chain %s",
            step.decision,
            step.unit,
            step.index,
            roles,
        )
        return None
    ctx = _Context(step, decision, roles[step.index], rules)
    if rules.office and rules.office.role == ctx.role:
        ctx.office = office_unit(step.unit, rules.office.unit)
    return ctx


# Within `many_steps`: what the steps of a list share, read once (the offices, the holders)
_read_once: ContextVar[dict | None] = ContextVar("approvals_read_once", default=None)


@contextmanager
def many_steps(units=()) -> Iterator[None]:
    """Ask about many steps at once (a page's 待我审批 count, the 待办; issue 22 §4): within the
    block each unit's profile, each named office and the holders of each role are read once,
    and the profiles of `units` together in one query. The same answers in a number of queries
    that does not grow with the steps asked about; for reading only."""
    if _read_once.get() is not None:
        yield
        return
    token = _read_once.set({})
    try:
        with assignments_read_once(units):
            yield
    finally:
        _read_once.reset(token)


def _once(key: tuple, read: Callable[[], object]):
    memo = _read_once.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def answer_once(key: tuple, decide: Callable[[], bool]) -> bool:
    """Within `many_steps`, one answer per distinct step of a list (issue 22 §4): the rows
    that are the same step for the engine (the violations of one unit about one person)
    cost its rules once, not once per row. `key` names the decision, the person asking and
    what the step depends on; outside `many_steps` the question is asked each time."""
    return _once(("answer", *key), decide)


def office_unit(unit: Unit, name: str) -> Unit | None:
    """The unit with this code or name under the unit the profile is assigned to (the one
    nearest that unit when several match); a retired unit is no office (issue 18 §1)."""
    _, root = assignment_of(unit)
    if root is None:
        return None
    return _once(
        ("office", root.pk, name),
        lambda: (
            Unit.objects.filter(path__startswith=root.path, retired_at__isnull=True)
            .filter(Q(code=name) | Q(name=name))
            .order_by(Length("path"), "path")
            .first()
        ),
    )


def role_of(step: Step) -> str:
    """The role the step names ("" when the unit has no profile)."""
    ctx = _context(step)
    return ctx.role if ctx else ""


def _where(user: User, ctx: _Context) -> tuple[str, str] | None:
    """Whether a person holding the role (or standing in) stands over the item's unit."""
    office = ctx.rules.office
    if ctx.office is not None and user.role == ctx.role:
        if user.unit_id != ctx.office.pk:
            return ctx.say(OFFICE, office=ctx.office.name, cite=office.cite or office.note)
        return None
    if not scope_roots(user) or not in_unit_scope(user, ctx.step.unit):
        return ctx.say(SCOPE)
    return None


def _item_rules(user: User, ctx: _Context) -> list[tuple[str, str]]:
    """The rules about this item rather than the person's role."""
    step, rules, reasons = ctx.step, ctx.rules, []
    if rules.not_concerned and (
        (step.concerned_id is not None and user.pk == step.concerned_id)
        or user.pk in step.concerned
    ):
        reasons.append(ctx.say(CONCERNED))
    if rules.distinct_steps and user.pk in step.earlier:
        reasons.append(ctx.say(REPEAT))
    if rules.clearance and not all(cleared_for(user, mark) for mark in step.marks):
        reasons.append(ctx.say(CLEARANCE))
    return reasons


def _case_leader(user: User, ctx: _Context) -> tuple[str, str] | None:
    leader = ctx.step.case_leader
    if ctx.rules.case_leader and ctx.role == Role.LEADER and leader and user.pk != leader.pk:
        return ctx.say(CASE_LEADER, case_leader=leader.display_name)
    return None


def _holder_could(holder: User, ctx: _Context) -> bool:
    """Whether this holder of the step's role could decide it (the stand-in waits for him)."""
    step = ctx.step
    if not holder.is_active or (ctx.rules.not_requester and holder.pk == step.requester_id):
        return False
    return not (_where(holder, ctx) or _item_rules(holder, ctx) or _case_leader(holder, ctx))


def _no_holder_can(ctx: _Context) -> bool:
    if ctx._holder_can is None:
        holders = _once(
            ("holders", ctx.role),
            lambda: list(User.objects.filter(role=ctx.role, is_active=True).select_related("unit")),
        )
        ctx._holder_can = any(_holder_could(holder, ctx) for holder in holders)
    return not ctx._holder_can


def _standing(user: User, ctx: _Context) -> str:
    """How the person may take the step ("" when his role gives him no part in it)."""
    if not user.is_active:
        return ""
    rules, role = ctx.rules, ctx.role
    if user.role == role:
        return "holder"
    if user.role in rules.also.get(role, ()):
        return "also"
    if rules.stand_in.get(role) == user.role and _no_holder_can(ctx):
        return "stand_in"
    if rules.sysadmin and sees_everything(user):
        return "sysadmin"
    return ""


def _why(user: User, ctx: _Context) -> Why | None:
    reasons: list[tuple[str, str]] = []
    step, rules = ctx.step, ctx.rules
    if rules.not_requester and step.requester_id is not None and user.pk == step.requester_id:
        reasons.append(ctx.say(REQUESTER))
    if rules.office and rules.office.role == ctx.role and ctx.office is None:
        office = rules.office
        reasons.append(ctx.say(NO_OFFICE, office=office.unit, cite=office.cite or office.note))
    else:
        how = _standing(user, ctx)
        if not how:
            reasons.append(ctx.say(ROLE, role=ROLE_NAMES.get(ctx.role, ctx.role)))
        else:
            if how != "sysadmin" and (where := _where(user, ctx)):
                reasons.append(where)
            if leader := _case_leader(user, ctx):
                reasons.append(leader)
    reasons += _item_rules(user, ctx)
    return Why(reasons) if reasons else None


def why_not(user: User, step: Step) -> Why | None:
    """Why the person may not decide the step, in Chinese (every rule that refuses him);
    None when he may."""
    ctx = _context(step)
    if ctx is None:
        return Why([(PROFILE, _DEFAULT_MESSAGES[PROFILE].format(unit=step.unit.name))])
    return _why(user, ctx)


def may_decide(user: User, step: Step) -> bool:
    return user.is_authenticated and why_not(user, step) is None


def holds_role(user: User, step: Step) -> bool:
    """Whether the person's role gives him a part in the step (its role, one allowed in any
    case, the stand-in where nobody holding it could, a system administrator where allowed),
    whoever asked and wherever the item is."""
    ctx = _context(step)
    return ctx is not None and bool(_standing(user, ctx))


def deciders(step: Step) -> list[User]:
    """The people who may decide the step now (the 待办 and the pages' "waiting for")."""
    ctx = _context(step)
    if ctx is None:
        return []
    rules = ctx.rules
    roles = {ctx.role, *rules.also.get(ctx.role, ())}
    if ctx.role in rules.stand_in:
        roles.add(rules.stand_in[ctx.role])
    who = Q(role__in=roles)
    if rules.sysadmin:
        who |= Q(role=Role.SYSADMIN) | Q(is_superuser=True)
    people = User.objects.filter(who, is_active=True).select_related("unit")
    return [person for person in people if _why(person, ctx) is None]


def decided_by_office(user: User) -> Q:
    """Rows (by their `unit`) whose office step this person takes as head of the office the
    profile names (chengde 001§22: the 办公室主任 reviews every squad's requests): the
    subtree of the unit the profile is assigned to. Q(pk__in=[]) for everyone else."""
    if not user.is_authenticated or user.role != Role.UNIT_HEAD or user.unit_id is None:
        return Q(pk__in=[])
    profile, root = assignment_of(user.unit)
    if profile is None or root is None:
        return Q(pk__in=[])
    rules = profile.profile.deciding
    for name in type(rules).model_fields:
        office = getattr(rules, name).office
        if office and office.role == user.role:
            found = office_unit(user.unit, office.unit)
            if found is not None and found.pk == user.unit_id:
                return Q(unit__path__startswith=root.path)
    return Q(pk__in=[])


def reviews_without_asking(user: User, unit: Unit) -> bool:
    """Whether the unit's profile lets this person play what he reviews there — an activity
    sampled for a campaign or complained about — without asking the unit under review: its
    `supervision.review_access` is `direct` (fuzhou 004§10, 004§22) and he holds its role
    (监督人员) over the unit. Under chengde 001§23 sends such viewing through 001§22: he asks
    like anyone else. Which activities he is reviewing is supervision's to say."""
    profile = profile_for_unit(unit)
    if profile is None or not user.is_authenticated or not user.is_active:
        return False
    rule = profile.supervision.review_access
    return (
        rule.direct
        and user.role == rule.role
        and bool(scope_roots(user))
        and in_unit_scope(user, unit)
    )
