"""The recordings list's bulk actions that belong to apps above recordings (issue 17 §6):
加入案卷 (cases) and 关联执法活动 (compliance). Each item goes through the service the
single-item page uses, through `recordings.bulk.apply` (a savepoint per item, per-item
reasons); the permission and the case or activity are checked once, as those pages do."""

from __future__ import annotations

from avrecords.cases import services as cases
from avrecords.cases.models import Case
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Activity, ActivityRecording
from avrecords.lib.refusals import Invalid, NotFound, require
from avrecords.org.scope import can_record_activity
from avrecords.recordings import bulk


def can_add_to_case(user) -> bool:
    return cases.can_manage_cases(user)


def can_link_activity(user) -> bool:
    return can_record_activity(user)


def add_to_case(user, ids: list[int], case_id: int | None) -> tuple[Case, list[bulk.Outcome]]:
    require(can_add_to_case(user), "您无权把音像记录加入案卷")
    if case_id is None:
        raise Invalid("请选择案卷")
    try:
        case = Case.objects.get_visible(user, case_id)
    except NotFound:
        raise NotFound("案卷不存在或不在您的权限范围内") from None

    def act(recording) -> str:
        if recording.case_id == case.pk:
            return "已在本案卷中"
        cases.link_recordings(user, case, [recording])
        return f"已加入案卷 {case.number}"

    return case, bulk.apply(user, ids, act)


def link_activity(
    user, ids: list[int], activity_id: int | None
) -> tuple[Activity, list[bulk.Outcome]]:
    require(can_link_activity(user), "您无权关联执法活动")
    if activity_id is None:
        raise Invalid("请选择执法活动")
    try:
        activity = Activity.objects.select_related("unit").get_visible(user, activity_id)
    except NotFound:
        raise NotFound("执法活动不存在或不在您的权限范围内") from None
    linked = set(
        ActivityRecording.objects.filter(
            activity=activity, recording_id__in=ids, excluded=False
        ).values_list("recording_id", flat=True)
    )

    def act(recording) -> str:
        if recording.pk in linked:
            return "原已关联"
        acts.link(user, activity, recording)
        return f"已关联执法活动 {activity.kind_name}"

    outcomes = bulk.apply(user, ids, act)
    if any(o.done for o in outcomes):
        evaluate_activity(activity)  # as the activity page does after a link (U1–U7)
    return activity, outcomes
