"""One action applied to many recordings at once, item by item (issue 17 §6).

The recordings list lets a person tick up to `BULK_MAX_ITEMS` rows and apply one action to
them. Each item goes through the same service the single-item action uses (same rule, same
audit entry), inside a savepoint of its own: an item is done whole or not at all, and a
refused item does not stop the others. An id the person may not see is answered only
"不存在或无权查看", never with its name (X2, M9), exactly as a missing id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction

from avrecords.lib.refusals import Invalid, Refusal
from avrecords.recordings import assignment
from avrecords.recordings.models import Recording

BULK_MAX_ITEMS = 200
NOT_VISIBLE = "不存在或无权查看"


@dataclass(frozen=True)
class Outcome:
    """What happened to one item: `done`, with what was done, or refused with the reason.
    `name` is empty for an item the person may not see."""

    pk: int
    name: str
    done: bool
    message: str

    @property
    def title(self) -> str:
        return f"#{self.pk} {self.name}" if self.name else f"#{self.pk}"


def parse_ids(values: Iterable[str]) -> list[int]:
    """The ticked rows' ids, each once, in the order given; at most `BULK_MAX_ITEMS`."""
    ids: list[int] = []
    for value in values:
        value = (value or "").strip()
        if not value:
            continue
        if not value.isdigit() or len(value) > 18:
            raise Invalid(f"无法识别的记录编号：{value[:20]}")
        ids.append(int(value))
    ids = list(dict.fromkeys(ids))
    if len(ids) > BULK_MAX_ITEMS:
        raise Invalid(f"一次最多处理 {BULK_MAX_ITEMS} 条音像记录，您选择了 {len(ids)} 条")
    return ids


def split_visible(user, ids: list[int]) -> tuple[list[Recording], list[int]]:
    """The recordings the user may see, in the order of `ids`, and the ids of the others."""
    found = {r.pk: r for r in Recording.objects.visible_to(user).filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found], [pk for pk in ids if pk not in found]


def apply(user, ids: list[int], act: Callable[[Recording], str]) -> list[Outcome]:
    """`act(recording)` for every id the user may see, each in its own savepoint; it returns
    what it did (Chinese) or raises a refusal, whose reason becomes the item's."""
    shown, hidden = split_visible(user, ids)
    by_pk = {r.pk: r for r in shown}
    outcomes = []
    for pk in ids:
        recording = by_pk.get(pk)
        if recording is None:
            outcomes.append(Outcome(pk, "", False, NOT_VISIBLE))
            continue
        try:
            with transaction.atomic():
                message = act(recording)
        except (Refusal, PermissionDenied) as exc:
            reason = str(getattr(exc, "message", "") or exc) or "不能办理"
            outcomes.append(Outcome(pk, recording.original_name, False, reason))
        else:
            outcomes.append(Outcome(pk, recording.original_name, True, message))
    return outcomes


def assign_each(
    user,
    ids: list[int],
    *,
    officer_id: int | None,
    device_id: int | None,
    by_custody: bool = False,
    ip: str = "",
):
    """指派 for each recording waiting for assignment (`assignment.assign`: its rules, its
    audit entry); the others are refused with its reason. `by_custody` (按各自时间匹配领用人):
    each to whoever held the device (chosen, or the one its name names) at its own start
    time, as it stands now (a time corrected by hand included; issue 19 §5)."""

    def act(recording: Recording) -> str:
        done = assignment.assign(
            user,
            recording.pk,
            officer_id=None if by_custody else officer_id,
            device_id=device_id,
            by_custody=by_custody,
            ip=ip,
        )
        device = f"（设备 {done.device.serial}）" if done.device_id else ""
        return f"已指派给 {done.officer.display_name}{device}"

    return apply(user, ids, act)
