"""角色与权限 (issue 18 §5): who may do what, read from the code's own rules, so that a
system administrator can check an assignment before making it.

Nothing here is a table of its own. What a role may see is the scope rule's
(`org.scope`, X2); what it may use are the `can_*` predicates the pages and the API already
ask, evaluated on an unsaved `User(role=…, unit=…)`; who decides what in a unit is the
approvals engine's (`policies.approvals`: `DECISIONS`, the unit's profile, `deciders`,
`why_not`). A proposed assignment is evaluated on an unsaved copy of the person: nothing is
written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from avrecords.access.register import can_view_registers
from avrecords.agency import permissions
from avrecords.cases.services import can_file_cases, can_manage_cases
from avrecords.evidence.services import can_record_discs
from avrecords.lib.refusals import Invalid
from avrecords.org import scope
from avrecords.org.models import Role, Unit, User
from avrecords.policies import approvals
from avrecords.policies.services import assignment_of, profile_for_unit
from avrecords.recordings.assignment import can_assign
from avrecords.retention import approvals as retention
from avrecords.supervision import campaigns, quality, review, scoring, violations

ROLE_NAMES = dict(Role.choices)

# Every page or power a role may be given, by the predicate the product itself asks.
CAPABILITIES: list[tuple[str, Callable[[User], bool]]] = [
    ("上传音像记录", scope.can_upload),
    ("导入批次与隔离文件", scope.can_ingest),
    ("指派待指派的记录", can_assign),
    ("填写案件编号、当事人和地点", scope.can_edit_case_info),
    ("录入执法活动", scope.can_record_activity),
    ("导入执法活动", scope.can_import_activities),
    ("管理案卷", can_manage_cases),
    ("案卷归档", can_file_cases),
    ("查阅复制登记簿", can_view_registers),
    ("刻录光盘", can_record_discs),
    ("保存期限", retention.can_read),
    ("设置法律保全", retention.can_place_hold),
    ("完整性校验", scope.can_view_fixity),
    ("确认完整性告警", scope.can_acknowledge_fixity),
    ("设备台账", scope.can_view_equipment),
    ("管理设备台账", scope.can_manage_equipment),
    ("在线监督", review.can_review),
    ("执法监督页面", campaigns.can_read),
    ("组织抽查与评查", campaigns.can_manage),
    ("抽查评分", scoring.can_score),
    ("违规登记", violations.can_read),
    ("录入违规线索", violations.can_enter),
    ("执法质量", quality.can_view_quality),
    ("审计锚定", scope.can_view_audit_anchors),
    ("管理执法策略", scope.can_manage_policies),
    ("管理组织机构", permissions.can_manage_units),
    ("管理人员", permissions.can_manage_people),
    ("初始设置与角色权限", permissions.can_set_up),
]

NO_CARRY_OUT = "无需办理（经批准即生效）"
NOBODY_HOLDS = "没有能办理此步骤的{role}（须在本单位或上级单位任职）"


def capabilities(user: User) -> list[str]:
    """The Chinese names of the capabilities the user has."""
    return [name for name, allowed in CAPABILITIES if allowed(user)]


def scope_words(user: User) -> str:
    """What the user may see, in words (org.scope, X2), naming the units where he has any."""
    if scope.sees_everything(user):
        return "全部单位"
    roots = scope.scope_roots(user)
    if roots:
        names = list(
            Unit.objects.filter(path__in=roots).order_by("path").values_list("name", flat=True)
        )
        return f"{'、'.join(names)}及其下级单位"
    if user.role in scope.UNIT_SCOPED_ROLES:
        return "本单位及其下级单位（未设单位时无）"
    return "本人的音像记录（含交接给本人的）"


def role_scope_words(role: str) -> str:
    """What any holder of the role may see, in words."""
    probe = User(role=role)
    if scope.sees_everything(probe):
        return "全部单位"
    if role == Role.SUPERVISOR:
        return "所监督的单位及其下级单位（未指定监督单位时为本单位）"
    if role in scope.UNIT_SCOPED_ROLES:
        return "本单位及其下级单位"
    return "本人的音像记录（含交接给本人的）"


def root_unit() -> Unit | None:
    return Unit.objects.filter(parent__isnull=True).order_by("path").first()


# --- the decisions of a unit ---------------------------------------------------------------


@dataclass
class StepRow:
    """One step of one decision in one unit, and who would decide it there today."""

    unit: Unit
    key: str
    index: int
    decision: str  # Chinese
    role: str  # the role's Chinese name ("" where nothing is carried out)
    role_code: str
    steps: int  # how many steps the decision has
    cite: str = ""
    note: str = ""
    people: list[User] = field(default_factory=list)
    reason: str = ""  # why nobody can, in the engine's words
    carried_out: bool = True  # False where the profile has nothing carried out (marking)

    @property
    def label(self) -> str:
        if self.steps > 1:
            return f"{self.decision}（第{self.index + 1}步）"
        return self.decision

    def step(self, roles: tuple[str, ...] | None = None) -> approvals.Step:
        return approvals.Step(unit=self.unit, decision=self.key, index=self.index, roles=roles)


def _cited(rules_of, profile, key: str, decision: approvals.Decision) -> tuple[str, str]:
    """(cite, note) of how the decision is decided: the rules' article, else (a request) its
    chain's, else the rules' note (the platform's default, which says who may stand in)."""
    rules = getattr(rules_of, decision.rules)
    if rules.cite:
        return rules.cite, ""
    if profile is not None and key.startswith("access."):
        chain = profile.approvals.chain(key.split(".")[1])
        if chain.cite:
            return chain.cite, ""
    return "", rules.note


def step_rows(unit: Unit, *, with_people: bool = True) -> list[StepRow]:
    """Every step of every decision in the unit, as its profile (or the platform, where it
    has none) says, with who would decide it today and, where nobody could, why."""
    profile = profile_for_unit(unit)
    rows: list[StepRow] = []
    for key, decision in approvals.DECISIONS.items():
        if profile is not None:
            roles = decision.roles(profile)
            cite, note = _cited(profile.deciding, profile, key, decision)
        else:
            roles = list(decision.unprofiled or [""])
            cite, note = _cited(approvals.PLATFORM, None, key, decision)
        for index, role in enumerate(roles):
            row = StepRow(
                unit,
                key,
                index,
                decision.name,
                ROLE_NAMES.get(role, ""),
                role,
                len(roles),
                cite,
                note,
            )
            if with_people:
                _fill(row, profile is None and decision.unprofiled is None)
            rows.append(row)
    return rows


def _fill(row: StepRow, unprofiled: bool) -> None:
    if not row.role_code and not unprofiled:
        row.reason, row.carried_out = NO_CARRY_OUT, False
        return
    row.people = approvals.deciders(row.step())
    if not row.people:
        row.reason = nobody_because(row)


def nobody_because(row: StepRow) -> str:
    """Why nobody can decide the step: the engine's answer to a holder of its role in the
    unit (a missing office, a unit without profile), else that nobody holds it there."""
    holder = User(role=row.role_code or Role.UNIT_HEAD, unit=row.unit)
    why = approvals.why_not(holder, row.step())
    if why:
        return str(why)
    return NOBODY_HOLDS.format(role=row.role)


def profile_name(unit: Unit) -> str:
    row, on = assignment_of(unit)
    if row is None:
        return ""
    return row.name if on is None or on.pk == unit.pk else f"{row.name}（继承自{on.name}）"


def role_table(rows: list[StepRow] = ()) -> list[dict]:
    """Each role: what it may see, what it may use (on an unsaved person of the role in the
    root unit) and which of the `rows` (one unit's steps) its role gives it a part in, as the
    engine says (`holds_role`: the step's role, one allowed in any case, the stand-in where no
    holder could, a system administrator where the rules let him)."""
    root = root_unit()
    table = []
    for role, name in Role.choices:
        probe = User(role=role, unit=root)
        table.append(
            {
                "role": role,
                "name": name,
                "scope": role_scope_words(role),
                "can": capabilities(probe),
                "steps": [
                    row.label
                    for row in rows
                    if row.role_code
                    and approvals.holds_role(User(role=role, unit=row.unit), row.step())
                ],
            }
        )
    return table


# --- checking an assignment ----------------------------------------------------------------


@dataclass
class Proposal:
    """A person and the role, unit and supervised units proposed for him."""

    person: User
    role: str
    unit: Unit | None
    supervised: list[Unit] = field(default_factory=list)


@dataclass
class Outcome:
    """What the person could do after the assignment that he cannot now, and what he loses."""

    proposal: Proposal
    after: User
    scope_before: str
    scope_after: str
    gains: list[str]
    losses: list[str]
    keeps: list[str]
    steps_gained: list[str]
    steps_lost: list[str]
    warnings: list[str]

    @property
    def changes_nothing(self) -> bool:
        return not (
            self.gains
            or self.losses
            or self.steps_gained
            or self.steps_lost
            or self.scope_before != self.scope_after
        )


def proposal(
    person: User, role: str, unit: Unit | None, supervised: Iterable[Unit] = ()
) -> Proposal:
    """Check the proposed role (Invalid names the field in Chinese)."""
    if role not in ROLE_NAMES:
        raise Invalid(fields={"role": "请选择角色"})
    if role != Role.SYSADMIN and unit is None:
        raise Invalid(fields={"unit": "请选择所属单位"})
    if unit is not None and unit.retired_at is not None:
        raise Invalid(fields={"unit": f"“{unit.name}”已撤销，不能任职"})
    chosen = list(supervised) if role == Role.SUPERVISOR else []
    return Proposal(person, role, unit, chosen)


def copy_as(p: Proposal) -> User:
    """An unsaved copy of the person holding the proposed role, unit and supervised units."""
    person = p.person
    after = User(
        username=person.username,
        full_name=person.full_name,
        role=p.role,
        unit=p.unit,
        is_active=person.is_active,
        is_superuser=person.is_superuser,
        secrecy_clearances=list(person.secrecy_clearances or []),
    )
    if p.role == Role.SUPERVISOR and p.supervised:
        # the scope rule's own per-request cache: the units he would supervise (org.scope)
        after._scope_roots = [unit.path for unit in p.supervised]
    return after


def home_units(user: User) -> list[Unit]:
    """The units whose decisions the person's assignment touches: those of his scope, else
    his own unit, else (a system administrator without a unit) the top units."""
    roots = scope.scope_roots(user)
    if roots:
        return list(Unit.objects.filter(path__in=roots).order_by("path"))
    if user.unit_id is not None:
        return [user.unit]
    return list(Unit.objects.filter(parent__isnull=True).order_by("path"))


def _deciders_after(
    row: StepRow, person: User, after: User, now: list[User] | None = None
) -> list[User]:
    """Who would decide the step once the person holds his proposed role: today's deciders
    without him, with his copy if the engine lets the copy decide — and, since the engine
    lets a stand-in decide only where no holder of the step's role can (it reads who holds
    it from the database), the stand-ins corrected for his moving in or out of that role."""
    step = row.step()
    now = approvals.deciders(step) if now is None else now
    later = [p for p in now if p.pk != person.pk]
    if approvals.why_not(after, step) is None:
        later.append(after)
    profile = profile_for_unit(row.unit)
    rules_of = profile.deciding if profile is not None else approvals.PLATFORM
    rules = getattr(rules_of, approvals.DECISIONS[row.key].rules)
    stand = rules.stand_in.get(row.role_code)
    if not stand:
        return later
    holder_now = any(p.role == row.role_code for p in now)
    holder_later = any(p.role == row.role_code for p in later)
    only_standing_in = {stand} - {row.role_code, *rules.also.get(row.role_code, ())}
    if holder_now and not holder_later:
        # the step asked of the stand-in's role: the same rules, his role in its place
        roles = _roles_of(row)
        roles[row.index] = stand
        as_stand_in = row.step(tuple(roles))
        others = User.objects.filter(role=stand, is_active=True).exclude(pk=person.pk)
        for p in [*others, after]:
            if p.role == stand and p not in later and approvals.why_not(p, as_stand_in) is None:
                later.append(p)
    elif holder_later and not holder_now:
        later = [
            p
            for p in later
            if not (p.role in only_standing_in and not scope.sees_everything(p))
            or p.role == row.role_code
        ]
    return later


def _roles_of(row: StepRow) -> list[str]:
    profile = profile_for_unit(row.unit)
    decision = approvals.DECISIONS[row.key]
    return decision.roles(profile) if profile is not None else list(decision.unprofiled or ())


def check(p: Proposal) -> Outcome:
    """What changes for the person if he is given the proposed role (nothing is saved)."""
    person, after = p.person, copy_as(p)
    before_can, after_can = capabilities(person), capabilities(after)
    units = {u.pk: u for u in [*home_units(person), *home_units(after)]}
    mine_before: dict[tuple, StepRow] = {}
    mine_after: dict[tuple, StepRow] = {}
    warnings: list[str] = []
    name = person.display_name
    for unit in units.values():
        for row in step_rows(unit, with_people=False):
            if not row.role_code:
                continue
            now = approvals.deciders(row.step())
            later = _deciders_after(row, person, after, now)
            where = (unit.pk, row.key, row.index)
            if any(x.pk == person.pk for x in now):
                mine_before[where] = row
            if any(x is after for x in later):
                mine_after[where] = row
            if later == [after] and not (len(now) == 1 and now[0].pk == person.pk):
                warnings.append(f"{name}将是{unit.name}唯一能办理“{row.label}”的人")
            elif later == [after]:
                warnings.append(f"{name}仍将是{unit.name}唯一能办理“{row.label}”的人")
            elif now and not later:
                warnings.append(f"{unit.name}将无人能办理“{row.label}”（现由{_names(now)}办理）")
    return Outcome(
        proposal=p,
        after=after,
        scope_before=scope_words(person),
        scope_after=scope_words(after),
        gains=[c for c in after_can if c not in before_can],
        losses=[c for c in before_can if c not in after_can],
        keeps=[c for c in after_can if c in before_can],
        steps_gained=[_step_text(r) for k, r in mine_after.items() if k not in mine_before],
        steps_lost=[_step_text(r) for k, r in mine_before.items() if k not in mine_after],
        warnings=warnings,
    )


def _step_text(row: StepRow) -> str:
    return f"{row.unit.name}：{row.label}"


def _names(people: list[User]) -> str:
    return "、".join(p.display_name for p in people)
