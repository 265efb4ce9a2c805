"""`POST /recordings/bulk/`: the recordings list's action on the ticked rows (issue 17 §6).

加入案卷, 关联执法活动 and 指派 apply item by item and show what was done and each refused
item with its reason; 申请查阅/复制/导出 open the request form with the recordings filled in
(the request itself is one, for all of them, as the access pages make it)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from avrecords.lib.http import client_ip, int_or_none
from avrecords.lib.refusals import Invalid, require
from avrecords.recordings import assignment, bulk
from avrecords.web import bulk_actions

REQUEST_KINDS = {"view": "查阅", "copy": "复制", "export": "导出"}
TITLES = {
    "case": "加入案卷",
    "activity": "关联执法活动",
    "assign": "指派执法人员/设备",
    "assign_custody": "按各自时间匹配领用人",
}


def _request_form(request, kind: str, ids: list[int]):
    shown, hidden = bulk.split_visible(request.user, ids)
    if hidden:
        messages.warning(
            request,
            f"{len(hidden)} 条音像记录不存在或无权查看，未列入申请："
            + "、".join(f"#{pk}" for pk in hidden),
        )
    if not shown:
        messages.error(request, "所选音像记录都不能申请。")
        return redirect("recordings:list")
    query = urlencode([("kind", kind), *(("recording", r.pk) for r in shown)])
    return redirect(f"{reverse('access:new')}?{query}")


@login_required
@require_POST
def recordings_bulk(request):
    post = request.POST
    action = post.get("action", "")
    ids = bulk.parse_ids(post.getlist("recording"))
    if not ids:
        messages.error(request, "请先勾选音像记录。")
        return redirect("recordings:list")
    if action in REQUEST_KINDS:
        return _request_form(request, action, ids)
    subject = ""
    if action == "case":
        case, outcomes = bulk_actions.add_to_case(request.user, ids, int_or_none(post.get("case")))
        subject = f"案卷 {case.number} {case.title}"
    elif action == "activity":
        activity, outcomes = bulk_actions.link_activity(
            request.user, ids, int_or_none(post.get("activity"))
        )
        subject = f"执法活动 {activity.kind_name}（{activity.started_at:%Y-%m-%d}）"
    elif action in ("assign", "assign_custody"):
        require(assignment.can_assign(request.user), "您无权指派音像记录")
        by_custody = action == "assign_custody"  # 按各自时间匹配领用人 (issue 19 §5)
        officer_id = None if by_custody else int_or_none(post.get("officer"))
        if officer_id is None and not by_custody:
            raise Invalid("请选择执法人员，或按各自时间匹配领用人")
        outcomes = bulk.assign_each(
            request.user,
            ids,
            officer_id=officer_id,
            device_id=int_or_none(post.get("device")),
            by_custody=by_custody,
            ip=client_ip(request),
        )
    else:
        raise Invalid("请选择要办理的操作")
    done = [o for o in outcomes if o.done]
    refused = [o for o in outcomes if not o.done]
    return render(
        request,
        "web/bulk_result.html",
        {
            "nav": "recordings",
            "title": TITLES[action],
            "subject": subject,
            "done": done,
            "refused": refused,
        },
    )
