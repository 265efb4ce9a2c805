"""Transfer and departure clearance (E5; 000§3, 004§18, 004§23(5)).

Starting a clearance opens a checklist: every device back, every accessory back (or written
off by a loss report), the person's recordings and pending findings handed to a named
successor. It cannot be completed while anything is outstanding; completing it disables the
account — except a transfer within the agency (调动 to a named `to_unit`, issue 18 §1), which
moves the person to that unit and keeps his account: the recordings keep their officer and
unit (who recorded what stays), only his person moves. Past the profile's deadline an open clearance with something outstanding becomes a
violation candidate (`supervision.candidates.from_overdue_clearances`).

The Clearance itself is equipment's model; the procedure lives here, in the layer whose data
it reads (custody from equipment, the person's recordings, his pending findings; issue 16).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.compliance.models import Finding, FindingStatus
from avrecords.equipment.custody import outstanding_for
from avrecords.equipment.models import Clearance, ClearanceKind, ClearanceStatus
from avrecords.lib.refusals import Conflict
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording

DEFAULT_DAYS = 7
PENDING = [FindingStatus.OPEN, FindingStatus.EXPLAINED, FindingStatus.ESCALATED]


class ClearanceError(Conflict):
    """A clearance step that cannot be taken in its present state (409: outstanding items,
    already closed…); `items` lists what is outstanding."""

    def __init__(self, message: str, items: list[str] | None = None) -> None:
        super().__init__(message, reasons=items)
        self.items = items or []


@dataclass
class Item:
    text: str
    done: bool


def recordings_of(person):
    """Recordings the person is answerable for: made by him and not handed on, or handed to
    him by someone who left before."""
    return Recording.objects.filter(Q(officer=person, keeper__isnull=True) | Q(keeper=person))


def findings_of(person):
    return Finding.objects.filter(status__in=PENDING).filter(
        Q(officer=person, handled_by__isnull=True) | Q(handled_by=person)
    )


def _check_destination(person, to_unit) -> None:
    if to_unit.retired_at is not None:
        raise ClearanceError(f"调入单位 {to_unit.name} 已撤销，不能调入")
    if to_unit.pk == person.unit_id:
        raise ClearanceError(f"调入单位与 {person.display_name} 现所属单位相同")


@transaction.atomic
def start(
    actor, person, kind: str, successor, *, reason: str = "", when=None, to_unit=None
) -> Clearance:
    """Opens the checklist; `to_unit` (a transfer only) is the unit within the agency he moves
    to when it is completed (issue 18 §1)."""
    when = when or timezone.now()
    if kind not in ClearanceKind.values:
        raise ClearanceError("请选择调动或离职")
    if to_unit is not None and kind != ClearanceKind.TRANSFER:
        raise ClearanceError("只有调动可以指定调入单位")
    if successor is None:
        raise ClearanceError("请指定资料交接人")
    if successor.pk == person.pk:
        raise ClearanceError("交接人不能是本人")
    if not successor.is_active or successor.clearances.filter(status="open").exists():
        raise ClearanceError(
            f"{successor.display_name} 不在岗（已停用或正在办理交接），不能作为交接人"
        )
    if not person.is_active:
        raise ClearanceError(f"{person.display_name} 的账号已停用")
    if person.unit_id is None:
        raise ClearanceError(f"{person.display_name} 没有所属单位")
    if to_unit is not None:
        _check_destination(person, to_unit)
    profile = profile_for_unit(person.unit)
    rule = profile.equipment.clearance if profile else None
    try:
        with transaction.atomic():
            clearance = Clearance.objects.create(
                person=person,
                kind=kind,
                successor=successor,
                reason=reason.strip()[:300],
                unit=person.unit,
                to_unit=to_unit,
                started_by=actor,
                started_at=when,
                due_at=when + dt.timedelta(days=rule.days if rule else DEFAULT_DAYS),
                cite=rule.cite if rule else "",
            )
    except IntegrityError as exc:
        raise ClearanceError(f"{person.display_name} 已有办理中的交接") from exc
    going = f"，调入 {to_unit.name}" if to_unit is not None else ""
    audit.record(
        "clearance.start",
        actor=actor,
        obj=clearance,
        summary=f"{person.display_name} {clearance.get_kind_display()}交接{going}，交接人 "
        f"{successor.display_name}",
        detail={
            "person": person.pk,
            "successor": successor.pk,
            "due": clearance.due_at.isoformat(),
            **({"to_unit": to_unit.pk} if to_unit is not None else {}),
        },
    )
    return clearance


def checklist(clearance: Clearance) -> list[Item]:
    """What the clearance still needs (done=False) and what is done, in order."""
    items: list[Item] = []
    owed = outstanding_for(clearance.person)
    for custody in owed:
        if custody.ended_at is None:
            since = timezone.localtime(custody.started_at)
            items.append(
                Item(
                    f"设备 {custody.device.serial}（{custody.device.get_kind_display()}）"
                    f"未归还，{since:%Y-%m-%d} 领用",
                    False,
                )
            )
        if custody.missing_accessories:
            items.append(
                Item(
                    f"设备 {custody.device.serial} 的配件未归还："
                    f"{'、'.join(custody.missing_accessories)}",
                    False,
                )
            )
    if not owed:
        items.append(Item("配发的设备和配件已全部归还", True))
    recordings = recordings_of(clearance.person).count()
    findings = findings_of(clearance.person).count()
    if recordings or findings:
        items.append(
            Item(
                f"{recordings} 条音像记录、{findings} 个待处理合规问题尚未移交给 "
                f"{clearance.successor.display_name}",
                False,
            )
        )
    else:
        done = clearance.handed_over
        text = (
            f"音像资料已移交 {clearance.successor.display_name}（{done.get('recordings', 0)} 条记录、"
            f"{done.get('findings', 0)} 个待处理问题）"
            if clearance.handed_over_at
            else "无需移交的音像记录或待处理问题"
        )
        items.append(Item(text, True))
    return items


def outstanding(clearance: Clearance) -> list[str]:
    return [i.text for i in checklist(clearance) if not i.done]


def _open(clearance: Clearance) -> Clearance:
    clearance = Clearance.objects.select_for_update().get(pk=clearance.pk)
    if clearance.status != ClearanceStatus.OPEN:
        raise ClearanceError(f"该交接已{clearance.get_status_display()}")
    return clearance


@transaction.atomic
def hand_over(actor, clearance: Clearance) -> dict:
    """Recordings and pending findings pass to the successor (004§18 资料交接); the recordings
    keep their officer (who made them) and gain a keeper (who answers for them now)."""
    clearance = _open(clearance)
    person, successor = clearance.person, clearance.successor
    recordings = recordings_of(person).update(keeper=successor)
    findings = findings_of(person).update(handled_by=successor)
    done = {
        "recordings": clearance.handed_over.get("recordings", 0) + recordings,
        "findings": clearance.handed_over.get("findings", 0) + findings,
    }
    clearance.handed_over = done
    clearance.handed_over_at = timezone.now()
    clearance.save(update_fields=["handed_over", "handed_over_at"])
    audit.record(
        "clearance.handover",
        actor=actor,
        obj=clearance,
        summary=f"{person.display_name} 的 {recordings} 条音像记录、{findings} 个待处理问题移交 "
        f"{successor.display_name}",
        detail={"recordings": recordings, "findings": findings, "successor": successor.pk},
    )
    return done


@transaction.atomic
def complete(actor, clearance: Clearance) -> Clearance:
    """Refused while anything is outstanding (nothing changes); then the account is disabled,
    or, for a transfer within the agency, the person moves to `to_unit` and stays active
    (audited with the unit before and after; issue 18 §1)."""
    clearance = _open(clearance)
    left = outstanding(clearance)
    if left:
        raise ClearanceError("尚有未办结事项，不能完成交接", left)
    person = clearance.person
    if clearance.to_unit_id is not None and clearance.to_unit.retired_at is not None:
        raise ClearanceError(f"调入单位 {clearance.to_unit.name} 已撤销，不能调入")
    clearance.status = ClearanceStatus.COMPLETED
    clearance.completed_by = actor
    clearance.completed_at = timezone.now()
    clearance.save(update_fields=["status", "completed_by", "completed_at"])
    if clearance.to_unit_id is not None:
        return _move(actor, clearance, person)
    person.is_active = False
    person.save(update_fields=["is_active"])
    audit.record(
        "clearance.complete",
        actor=actor,
        obj=clearance,
        summary=f"{person.display_name} 交接办结，账号已停用",
        detail={"person": person.pk},
    )
    return clearance


def _move(actor, clearance: Clearance, person) -> Clearance:
    before, after = person.unit, clearance.to_unit
    person.unit = after
    person.save(update_fields=["unit"])
    audit.record(
        "clearance.complete",
        actor=actor,
        obj=clearance,
        summary=f"{person.display_name} 交接办结，由 {before.name} 调入 {after.name}",
        detail={
            "person": person.pk,
            "before": {"unit": before.pk, "unit_name": before.name},
            "after": {"unit": after.pk, "unit_name": after.name},
        },
    )
    return clearance


@transaction.atomic
def cancel(actor, clearance: Clearance, reason: str) -> Clearance:
    clearance = _open(clearance)
    if len(reason.strip()) < 2:
        raise ClearanceError("请写明撤销原因")
    clearance.status = ClearanceStatus.CANCELLED
    clearance.completed_by = actor
    clearance.completed_at = timezone.now()
    clearance.save(update_fields=["status", "completed_by", "completed_at"])
    audit.record(
        "clearance.cancel",
        actor=actor,
        obj=clearance,
        summary=f"{clearance.person.display_name} 的交接已撤销：{reason.strip()[:100]}",
        detail={"reason": reason.strip()[:300]},
    )
    return clearance
