"""What a policy profile holds (X3): every per-agency number and list, each with its article.

A profile is a YAML document validated by these models. Every value the regulations set
carries its citation (`cite`, e.g. ``004§17`` = file 004, article 17) next to it; a value
they leave open (the tolerance of a clock, the sample ratio "按一定比例") says so in
`note` and has an empty `cite`. The validation message names the field
(``ingest.deadline.amount: 须大于 0``), so an administrator can fix an imported file.

Sections and the requirement that enforces them: `activities` (U1), `ingest` (M1),
`continuity` (U2, U6), `interruptions` (U3), `exemptions` (U4), `retention` (M5),
`staffing` (E3), `equipment` (E4, E5, E7), `approvals` (M3, M8), `supervision` (S2, S5),
`deciding` (the rules every decision's steps follow besides their roles, read by the one
approvals engine `policies.approvals`), `personnel` (who keeps the people, issue 18),
`notice` (U5: the notice that the activity is recorded, checked by listening).
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from avrecords.policies.schema_base import (  # noqa: F401 (the profile's names, one module)
    CITE_RE,
    CODE_RE,
    Cited,
    Code,
    Name,
    Strict,
)
from avrecords.policies.schema_notice import (  # noqa: F401
    NOTICE_NOTE,
    NOTICE_SENTENCE,
    Notice,
    NoticeAnswer,
)
from avrecords.policies.schema_values import (  # noqa: F401
    FACTS,
    FEATURES,
    HOLD_FACTS,
    STATIONS_NOTE,
    CountedFrom,
    DeadlineRule,
    Keep,
)


class Activity(Cited):
    """One kind of enforcement activity (执法活动) in the agency's catalogue (U1)."""

    code: Code
    name: Name
    must_record: bool
    # 容易引发争议: the extension's consent page warns (`ingest.extension.warn_for`); the
    # unit head still decides (004§17 excludes only a dispute that happened, issue 20)
    dispute_prone: bool = False


class Deadline(Cited):
    rule: DeadlineRule
    amount: int = Field(0, description="hours or working days; 0 only for same_day")
    # Whose end starts the clock: a camera splits one activity into several files, and
    # "执法结束后 24 小时内" (002§15) counts from the activity's end, not each file's.
    counted_from: CountedFrom = CountedFrom.RECORDING_END

    @model_validator(mode="before")
    @classmethod
    def _after_activity_counts_from_its_end(cls, data):
        """ "每次执法活动结束后" (003§13) says whose end it is, also in profiles saved before
        `counted_from` existed."""
        if isinstance(data, dict) and data.get("rule") == "after_activity":
            data = {"counted_from": CountedFrom.ACTIVITY_END.value, **data}
        return data

    @model_validator(mode="after")
    def _amount(self):
        if self.amount < 0:
            raise ValueError("amount 不能为负数")
        if self.rule != DeadlineRule.SAME_DAY and self.amount == 0:
            raise ValueError(f"规则 {self.rule.value} 的 amount 须大于 0")
        return self


class Extension(Deadline):
    """A longer deadline granted case by case (e.g. 004§17: 2 working days, unit head consents)."""

    consent_by: str = "unit_head"
    # "dispute": a dispute or sudden incident happened at that activity: refused (004§17
    # "现场发生纠纷冲突或突发事件的除外"), and a consent given before the dispute was recorded
    # no longer applies.
    not_for: list[Literal["dispute"]] = Field(default_factory=list)
    # "dispute_prone": the activity's type is marked so in the catalogue: the consent page
    # warns and the unit head decides (the article excludes no type of activity).
    warn_for: list[Literal["dispute_prone"]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _dispute_prone_warns(cls, data):
        """Profiles saved before issue 20 listed "dispute_prone" in not_for: it now warns."""
        if isinstance(data, dict) and "dispute_prone" in (data.get("not_for") or []):
            data = dict(data)
            data["not_for"] = [x for x in data["not_for"] if x != "dispute_prone"]
            data["warn_for"] = sorted({*(data.get("warn_for") or []), "dispute_prone"})
        return data


class FieldTrip(Cited):
    hours_after_return: int = Field(gt=0)


class Ingest(Strict):
    deadline: Deadline
    field_trip: FieldTrip | None = None
    extension: Extension | None = None


class Seconds(Cited):
    seconds: int = Field(ge=0)


class Continuity(Strict):
    gap_tolerance: Seconds  # U2: a gap longer than this between segments is a finding
    coverage_tolerance: Seconds  # U2: uncovered start/end of an activity's span
    # U6: document vs recording times; null where the regulation does not ask for the check
    time_mismatch_tolerance: Seconds | None


class Reason(Cited):
    code: Code
    name: Name


class Interruptions(Cited):
    reasons: list[Reason] = Field(min_length=1)
    explain_within_working_days: int = Field(gt=0)
    acknowledged_by: str = "unit_head"


class Exemptions(Cited):
    grounds: list[Reason] = Field(min_length=1)
    approved_by: str = "leader"


Fact = Literal[
    "case",
    "evidence",
    "dispute",
    "mass_incident",
    "objection",
    "complaint",
    "petition",
    "reconsideration",
    "litigation",
    "obstruction",
    "public_interest",
    "major_case",
    "long_term",
    "valuable",
]


class RetentionCategory(Cited):
    code: Code
    name: Name
    keep: Keep
    amount: int = 0
    when: list[Fact] = Field(default_factory=list)
    filed_within_days: int | None = None  # e.g. 004§19(2): with the case within 30 days
    review_at_expiry: bool = False  # e.g. 003§15: purge what has no value
    # M10: the case types whose closure starts filed_within_days (empty: every type);
    # 004§19(2) names 行政许可、行政处罚、行政强制、行政征收
    case_types: list[Literal["permit", "penalty", "coercion", "levy", "inspection", "other"]] = (
        Field(default_factory=list)
    )

    @model_validator(mode="after")
    def _amount(self):
        if self.keep in (Keep.YEARS, Keep.MONTHS) and self.amount <= 0:
            raise ValueError(f"保存期限 {self.keep.value} 的 amount 须大于 0")
        return self


class CaseFile(Cited):
    """How long a case file (案卷) is kept once filed, for categories kept `with_case`;
    0 = permanently. Each case may set its own term when it is filed."""

    years: int = Field(30, ge=0)


class Retention(Strict):
    default: Code
    categories: list[RetentionCategory] = Field(min_length=1)
    case_file: CaseFile = CaseFile(note="案卷保管期限按档案管理规定确定；规定未列明，平台默认30年")
    reviewed_by: str = "archivist"  # M5: reviews the disposal list, keeps what has value
    approved_by: str = "leader"  # M5: approves disposal, shortening, release of a legal hold

    @model_validator(mode="after")
    def _default_known(self):
        codes = {c.code for c in self.categories}
        if self.default not in codes:
            raise ValueError(f"default “{self.default}” 不在 categories 中")
        if self.category(self.default).when:
            raise ValueError(f"默认类别“{self.default}”不应设置 when")
        return self

    def category(self, code: str) -> RetentionCategory | None:
        return next((c for c in self.categories if c.code == code), None)


class Staffing(Cited):
    officers_per_camera: int = Field(gt=0)
    min_per_unit: int = Field(ge=0)
    min_per_field_squad: int = Field(0, ge=0)


Feature = Literal[
    "tamper_proof",
    "encryption",
    "wide_angle",
    "loop_recording",
    "night_vision",
    "gps",
    "wireless_upload",
    "explosion_proof",
]


class SpecMinimum(Cited):
    """The minimum a carried recorder must meet (E4); below it → flagged for replacement."""

    kinds: list[Literal["body_camera", "handheld"]] = Field(
        default_factory=lambda: ["body_camera", "handheld"], min_length=1
    )
    min_resolution: int = Field(gt=0, description="vertical lines, 1080 = 1920×1080")
    min_battery_hours: float = Field(gt=0)
    min_storage_gb: int = Field(gt=0)
    required: list[Feature] = Field(default_factory=list)


class ClockCheck(Cited):
    """E7: how far a device clock may run ahead of the station's, and how long before docking a
    dump's newest file may end before the clock is suspected of having been reset."""

    tolerance_seconds: int = Field(gt=0)
    stale_days: int = Field(gt=0)


class Clearance(Cited):
    """E5: days to finish a transfer or departure clearance before a violation candidate."""

    days: int = Field(gt=0)


class Loss(Cited):
    """E6: a lost or stolen device raises a violation candidate under this article; the
    report waits for `acknowledged_by` (the unit head) to acknowledge it (待办)."""

    acknowledged_by: str = "unit_head"


class Equipment(Strict):
    specs: SpecMinimum
    clock: ClockCheck
    clearance: Clearance
    loss: Loss
    explosion_proof_activities: Cited | None = None  # 001§6(1): explosive areas


class ApprovalChain(Cited):
    """Who approves, in order, and who carries the approved act out (M3, M6, M8, M9).

    executed_by may be empty where nothing is carried out (marking takes effect on approval)."""

    steps: list[str] = Field(min_length=1, description="roles, in order")
    executed_by: str = "admin"
    max_days: int = Field(30, gt=0, le=366, description="longest grant a request may ask for")


class Approvals(Strict):
    view: ApprovalChain
    copy_: ApprovalChain = Field(alias="copy")
    export: ApprovalChain | None = None  # M7 evidence export; the copy chain when absent
    preserve: ApprovalChain | None = None  # M6 long-term discs; the copy chain when absent
    # redacted copies given to a party, a court, a review body or the public (M3, M8;
    # 000§19, 001§25, 003§14, 004§21); the copy chain when absent
    redacted: ApprovalChain | None = None
    secrecy: ApprovalChain | None = None  # M9 marking and unmarking; the view chain when absent

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def chain(self, kind: str) -> ApprovalChain:
        """The chain for a request kind: view, copy, export, preserve, redacted or mark."""
        if kind == "view":
            return self.view
        if kind == "copy":
            return self.copy_
        if kind == "export":
            return self.export or self.copy_
        if kind == "preserve":
            return self.preserve or self.copy_
        if kind == "redacted":
            return self.redacted or self.copy_
        if kind == "mark":
            return self.secrecy or self.view
        raise ValueError(f"unknown request kind {kind!r}")

    def all_chains(self) -> list[ApprovalChain]:
        chains = (self.view, self.copy_, self.export, self.preserve, self.redacted, self.secrecy)
        return [c for c in chains if c]


class Sampling(Cited):
    ratio: float = Field(gt=0, le=1)
    reviews_per_year: int = Field(0, ge=0)
    # S3 (003§17 每年至少组织一次评查): by this day of the year (MM-DD) a year's review campaign
    # should exist; the supervisor is reminded otherwise (only where reviews_per_year > 0)
    review_due: str = Field("10-31", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class Decision(Reason):
    """An accountability decision (S5); `suspend_months` > 0 suspends the person from
    enforcement for that long (001§28(3) 停止执法工作一个月): no device, no activity."""

    suspend_months: int = Field(0, ge=0, le=24)


class Quality(Cited):
    """How the quality score (S2, 执法质量考评) weighs the spot-check score against the
    automatic findings; each finding per activity costs its points (capped at 100)."""

    spot_check_weight: float = Field(0.6, ge=0, le=1)
    late_ingest_points: float = Field(20, ge=0)
    unexplained_gap_points: float = Field(20, ge=0)
    missing_recording_points: float = Field(40, ge=0)


class ReviewAccess(Cited):
    """S1: whether a supervisor reviewing an activity — sampled for a spot check or review, or
    complained about — plays its recordings without asking the unit under review (fuzhou
    004§10, 004§22: 通过提取、调看音像记录信息，开展执法监督), or asks like anyone else
    (chengde 001§9 with 001§23: 执法监督需要调取、查看的，依照第二十二条规定执行). Each such
    playback is audited."""

    direct: bool = False
    role: str = "supervisor"  # who reviews (the units assigned to him, X2)


class Supervision(Strict):
    sampling: Sampling
    checklist: list[Reason] = Field(min_length=1)
    decisions: list[Decision] = Field(min_length=1)
    quality: Quality = Quality(
        note="考评计算方法规定未列明，平台默认：抽查得分占60%，自动发现问题按活动扣分"
    )
    review_access: ReviewAccess = ReviewAccess(
        note="规定未赋予监督人员免审批调看音像记录：监督中调看他人的音像记录按查阅申请审批（平台默认）"
    )
    violations_decided_by: str = "supervisor"  # S4: confirms or dismisses a candidate
    decisions_approved_by: str = "leader"  # S5: approves or rejects a proposed decision


class Office(Cited):
    """A named office whose head takes a step instead of any unit head over the unit (chengde
    001§22: 报经办公室主任审核): the unit with this code or name under the unit the profile is
    assigned to. Without such a unit the step is refused, naming the office."""

    unit: Name = Field(description="单位代码或名称，如 办公室")
    role: str = "unit_head"  # the step (the role the chain names) its head takes

    @model_validator(mode="after")
    def _taken_by_the_head(self):
        # The office's head (its 单位负责人) takes the step: the engine lets a person of the
        # step's role in the office decide, and only unit heads see the office's requests
        # (approvals.decided_by_office). Another role would be a step nobody is shown.
        if self.role != "unit_head":
            raise ValueError(
                f"office.role 只能为 unit_head（由{self.unit}负责人审核），不能为 {self.role}"
            )
        return self


class Rules(Cited):
    """How the steps of one decision are decided besides the role each names (issue 16).

    A person may decide a step when he holds its role over the item's unit (or, with
    `office`, heads that office) and no rule below refuses him. Each entry of `Deciding`
    starts from the platform's default; what a profile writes overrides it field by field."""

    # role → the role that stands in where nobody holding it could decide (a unit without a
    # 单位负责人 who may: the 分管领导 above decides)
    stand_in: dict[str, str] = Field(default_factory=dict)
    # role → roles that may decide it in any case (the 分管领导 above a 单位负责人)
    also: dict[str, list[str]] = Field(default_factory=dict)
    not_requester: bool = True  # nobody decides what he asked for himself
    not_concerned: bool = True  # nobody decides about himself (the person the item is about)
    distinct_steps: bool = True  # each step of one item by another person
    case_leader: bool = True  # a leader step on a case with its own 主管领导 is his (001§22)
    clearance: bool = True  # the decider is cleared for every confidential item in it (M9)
    # whether a system administrator (or superuser) may decide without holding the role
    sysadmin: bool = False
    office: Office | None = None


_OWN_RULES = (
    "平台默认：申请人、当事人本人不审批；各步骤由不同人员办理；须在管辖范围内并有相应知悉权限"
)
_KEPT_SYSADMIN = "；系统管理员可代为办理、上级分管领导可办理单位负责人的事项（平台原有做法）"
# The four decisions of a unit head about his unit's own work (U3, U4, M1, E6): the leader
# above may decide them too, and the system administrator stands in (kept, see above).
_UNIT_HEAD_DECIDES = Rules(
    also={"unit_head": ["leader"]},
    sysadmin=True,
    case_leader=False,
    clearance=False,
    note=_OWN_RULES + _KEPT_SYSADMIN,
)


class Deciding(Strict):
    """The rules of every decision the product takes, one entry each (issue 16)."""

    access: Rules = Rules(
        stand_in={"unit_head": "leader"},
        note=_OWN_RULES
        + "；案件有主管领导的，领导步骤由其审批；无单位负责人可审批时由上级分管领导代为审批",
    )  # approving view, copy, export, preservation and marking requests (M3, M6–M9)
    carry_out: Rules = Rules(
        distinct_steps=False,
        case_leader=False,
        note="平台默认：办理人不得为申请人本人（查阅、复制、导出的资料会交到本人手中）",
    )  # carrying out an approved view, copy, export or redacted copy
    carry_out_preserve: Rules = Rules(
        not_requester=False,
        distinct_steps=False,
        case_leader=False,
        note="平台默认：刻录归档的光盘交档案保存、标注只改变密级，不交申请人，申请人可以办理",
    )  # carrying out an approved preservation or marking (nothing goes to the requester)
    interruption: Rules = _UNIT_HEAD_DECIDES  # acknowledging an explanation of an interruption (U3)
    exemption: Rules = _UNIT_HEAD_DECIDES  # approving a work record instead of a recording (U4)
    extension: Rules = _UNIT_HEAD_DECIDES  # consenting to the longer ingest deadline (M1)
    loss: Rules = _UNIT_HEAD_DECIDES  # acknowledging a loss or theft report (E6)
    retention: Rules = Rules(
        case_leader=False,
        note=_OWN_RULES + "；清除清单的复核人不再审批该清单",
    )  # reviewing and approving disposal, shortening, releasing a hold (M5)
    violation: Rules = Rules(
        not_requester=False,
        distinct_steps=False,
        case_leader=False,
        clearance=False,
        note="平台默认：监督人员认定其监督范围内的违规线索（含本人录入的），与本人有关的除外",
    )  # confirming or dismissing a violation candidate (S4)
    accountability: Rules = Rules(
        distinct_steps=False,
        case_leader=False,
        clearance=False,
        note="平台默认：提出处理意见的人和被处理人不审批该处理决定",
    )  # approving or rejecting a proposed accountability decision (S5)
    notice: Rules = Rules(
        also={"unit_head": ["leader"]},
        case_leader=False,
        clearance=False,
        note="平台默认：执法人员本人及作出说明的人不确认；上级分管领导可确认单位负责人的事项",
    )  # confirming or dismissing a missed notice (U5)

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data):
        """What a profile writes for a decision changes only those fields of its default
        (a new cite or note replaces both of the default's)."""
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for name, field in cls.model_fields.items():
            given = data.get(name)
            if isinstance(given, dict):
                base = field.default.model_dump(mode="json")
                if "cite" in given or "note" in given:
                    base.pop("cite")
                    base.pop("note")
                merged[name] = {**base, **given}
        return merged

    def roles(self) -> list[str]:
        """Every role a rule names (checked against ROLES)."""
        named = []
        for name in type(self).model_fields:
            rules: Rules = getattr(self, name)
            named += [*rules.stand_in, *rules.stand_in.values(), *rules.also]
            named += [role for roles in rules.also.values() for role in roles]
            named += [rules.office.role] if rules.office else []
        return named


ROLES = {"officer", "admin", "unit_head", "leader", "supervisor", "archivist", "sysadmin"}


class Personnel(Cited):
    """Who keeps the agency's people (issue 18 §1). The regulations say who keeps devices and
    recordings (设备及音像资料管理员), not who keeps the personnel records: an agency's choice.
    With `managed_by_unit_admins` a unit's 设备及音像资料管理员 adds and edits the people of his
    own unit and those below it (never a system administrator, never a clearance he lacks)."""

    managed_by_unit_admins: bool = False


class Stations(Cited):
    """When a collection station needs attention (issue 19 §4). The regulations ask that
    recordings be stored in time and with the right time (M1, E7) and say nothing of the
    stations that do it: platform values. Each is exceeded strictly: silent for more than
    `silent_minutes`, free disk below `disk_warn_percent` of its size, more than
    `backlog_files` waiting, a clock more than `clock_tolerance_seconds` off the platform's."""

    silent_minutes: int = Field(30, gt=0, le=1440)
    disk_warn_percent: int = Field(10, ge=0, le=100)
    backlog_files: int = Field(200, gt=0)
    clock_tolerance_seconds: int = Field(60, gt=0)


class Profile(Strict):
    """One agency's rules. `code` names it in YAML, the database and the UI."""

    code: Code
    name: Name
    agency: Name
    document: Name
    source_file: str = Field(pattern=r"^\d{3}$")
    activities: list[Activity] = Field(min_length=1)
    ingest: Ingest
    continuity: Continuity
    interruptions: Interruptions
    exemptions: Exemptions
    retention: Retention
    staffing: Staffing
    equipment: Equipment
    approvals: Approvals
    supervision: Supervision
    deciding: Deciding = Deciding()
    personnel: Personnel = Personnel(
        note="规定未明确人员信息由谁维护，平台默认：由系统管理员维护（单位管理员维护本单位人员须在策略中开启）"
    )
    stations: Stations = Stations(note=STATIONS_NOTE)
    notice: Notice = Notice(note=NOTICE_NOTE)

    @model_validator(mode="after")
    def _consistent(self):
        for label, items in (
            ("activities", self.activities),
            ("interruptions.reasons", self.interruptions.reasons),
            ("exemptions.grounds", self.exemptions.grounds),
            ("retention.categories", self.retention.categories),
            ("supervision.checklist", self.supervision.checklist),
            ("supervision.decisions", self.supervision.decisions),
            ("notice.answers", self.notice.answers),
        ):
            codes = [item.code for item in items]
            if dupes := sorted({c for c in codes if codes.count(c) > 1}):
                raise ValueError(f"{label} 中代码重复：{', '.join(dupes)}")
        roles = [
            *(role for chain in self.approvals.all_chains() for role in chain.steps),
            *(chain.executed_by for chain in self.approvals.all_chains() if chain.executed_by),
            self.interruptions.acknowledged_by,
            self.exemptions.approved_by,
            self.retention.reviewed_by,
            self.retention.approved_by,
            *([self.ingest.extension.consent_by] if self.ingest.extension else []),
            self.equipment.loss.acknowledged_by,
            self.supervision.violations_decided_by,
            self.supervision.review_access.role,
            self.supervision.decisions_approved_by,
            self.notice.reviewed_by,
            *self.deciding.roles(),
        ]
        if unknown := sorted(set(roles) - ROLES):
            raise ValueError(f"未知角色：{', '.join(unknown)}（可用：{', '.join(sorted(ROLES))}）")
        item = self.notice.checklist_item
        if item and item not in {c.code for c in self.supervision.checklist}:
            raise ValueError(f"notice.checklist_item “{item}” 不在 supervision.checklist 中")
        return self

    def activity(self, code: str) -> Activity | None:
        return next((a for a in self.activities if a.code == code), None)
