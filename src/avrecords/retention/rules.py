"""Which retention category a recording is in and until when (M5), from the profile alone.

Pure: the facts about a recording (filed with a case, used as evidence, a dispute, a complaint,
a situation recorded by hand …) go in, the decision comes out. Every category whose `when`
names a fact present applies, and the default category always does (the regulations' general
period is a minimum: 000§18 最少保存2年); the one keeping the recording longest wins:
permanent, then kept with a case file not yet filed (no date yet), then the latest date.

Dates count from the day the recording started (years or months), or for `with_case` from the
day its case file was filed plus the case's archive term (0 = permanent). Days spent under a
legal hold that has since been released are added: a hold stops the clock (S1).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from avrecords.policies.schema_values import FACTS, Keep

if TYPE_CHECKING:
    from avrecords.policies.schema import Profile, RetentionCategory

KEEP_LABELS = {
    Keep.YEARS: "保存",
    Keep.MONTHS: "保存",
    Keep.WITH_CASE: "随案卷保存",
    Keep.PERMANENT: "永久保存",
}


@dataclass(frozen=True)
class CaseFacts:
    number: str
    case_type: str
    filed_on: dt.date | None  # None: not yet filed (归档)
    archive_years: int  # 0: the case file is kept permanently


@dataclass(frozen=True)
class Decision:
    category: str
    category_name: str
    keep: str
    keep_until: dt.date | None
    pending: bool
    cite: str
    reason: str
    facts: list[str] = field(default_factory=list)

    @property
    def rank(self) -> tuple:
        """Longer keeps rank higher: permanent > pending (no date yet) > later date."""
        if self.keep_until is None and not self.pending:
            return (3, dt.date.max)
        if self.pending:
            return (2, dt.date.max)
        return (1, self.keep_until)

    def describe(self) -> str:
        """ "永久保存：004§19(3)1，作为证据使用" — what the recording page shows."""
        if self.keep_until is None and not self.pending:
            head = "永久保存"
        elif self.pending:
            head = "随案卷保存（案卷归档后确定期限）"
        else:
            head = f"保存至 {self.keep_until:%Y-%m-%d}"
        return f"{head}：{self.cite or '—'}，{self.reason}"


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _matches(category: RetentionCategory, facts: dict[str, str], case: CaseFacts | None) -> list:
    hits = []
    for fact in category.when:
        if fact not in facts:
            continue
        if fact == "case" and (
            case is None or (category.case_types and case.case_type not in category.case_types)
        ):
            continue
        hits.append(fact)
    return hits


def _evaluate(
    category: RetentionCategory,
    hits: list[str],
    facts: dict[str, str],
    started_on: dt.date,
    case: CaseFacts | None,
    held_days: int,
) -> Decision:
    reason = "；".join(f"{FACTS[f]}（{facts[f]}）" if facts[f] else FACTS[f] for f in hits)
    reason = reason or category.name
    until: dt.date | None = None
    pending = False
    if category.keep == Keep.YEARS:
        until = add_months(started_on, 12 * category.amount)
        reason = f"{reason}，自录制之日起{category.amount}年"
    elif category.keep == Keep.MONTHS:
        until = add_months(started_on, category.amount)
        reason = f"{reason}，自录制之日起{category.amount}个月"
    elif category.keep == Keep.WITH_CASE:
        if case is None or case.filed_on is None:
            pending = True
            reason = f"{reason}，{'案卷 ' + case.number + ' 尚未归档' if case else '尚未归入案卷'}"
        elif case.archive_years == 0:
            reason = f"{reason}，案卷 {case.number} 永久保管"
        else:
            until = add_months(case.filed_on, 12 * case.archive_years)
            reason = f"{reason}，案卷 {case.number} 归档后保管{case.archive_years}年"
    if until is not None and held_days:
        until += dt.timedelta(days=held_days)
        reason = f"{reason}，另加法律保全{held_days}天"
    return Decision(
        category=category.code,
        category_name=category.name,
        keep=category.keep.value,
        keep_until=until,
        pending=pending,
        cite=category.cite,
        reason=reason,
        facts=sorted(facts),
    )


def decide(
    profile: Profile,
    started_on: dt.date,
    facts: dict[str, str],
    case: CaseFacts | None = None,
    held_days: int = 0,
) -> Decision:
    """The category keeping the recording longest among those that apply."""
    retention = profile.retention
    best: Decision | None = None
    for category in retention.categories:
        hits = _matches(category, facts, case)
        if category.code != retention.default and not hits:
            continue
        option = _evaluate(category, hits, facts, started_on, case, held_days)
        # On a tie the more specific category explains the date better than the default.
        if (
            best is None
            or option.rank > best.rank
            or (option.rank == best.rank and best.category == retention.default)
        ):
            best = option
    assert best is not None  # the default category always applies
    return best


def later(current: Decision, computed: Decision) -> bool:
    """Whether `computed` keeps at least as long as `current` (only such changes are automatic).

    A pending date (case not yet filed) is not a promise: a real date may replace it."""
    if current.pending:
        return True
    return computed.rank >= current.rank
