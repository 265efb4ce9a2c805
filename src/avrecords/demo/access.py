"""The demo's cases and requests (M3, M8, M10): a case with yesterday's inspection filed in it,
a request to view it granted and used once, and an officer's copy request waiting for the
squad leader, so the 查阅复制 pages, the registers and the 待办 have something to show."""

from __future__ import annotations

from django.utils import timezone

from avrecords.access import grants
from avrecords.access import requests as access
from avrecords.access.models import RegisterKind
from avrecords.cases import services as cases
from avrecords.cases.models import CaseType
from avrecords.compliance.models import Activity
from avrecords.org.models import Unit, User
from avrecords.recordings.models import Recording


def load(squads: list[Unit]) -> None:
    people = {u.username: u for u in User.objects.all()}
    admin, head, leader = people["guanli"], people["zhongdui1"], people["lingdao"]
    inspection = Activity.objects.filter(unit=squads[0], kind="on_site_inspection").first()
    case = cases.open_case(
        admin,
        cases.CaseInput(
            number="桐市监罚〔2026〕18号",
            title="桐柏县华兴食品有限公司超范围经营案",
            case_type=CaseType.PENALTY,
            unit=squads[0],
            opened_on=timezone.localdate(),
            party="桐柏县华兴食品有限公司",
            leader=leader,
        ),
    )
    if inspection is not None:
        cases.link_activity(admin, case, inspection)
    view = access.submit(
        leader,
        access.Ask(kind="view", reason="案情研判，查看现场检查过程", days=7, case=case),
    )
    view = access.execute(admin, access.approve(head, view, "同意查阅"))
    first = view.recordings.order_by("started_at").first()
    if first is not None:
        grants.register(view, register=RegisterKind.VIEW, act="播放", actor=leader, recording=first)
    own = Recording.objects.filter(officer=people["zhangwei"]).order_by("started_at").first()
    if own is not None:
        access.submit(
            people["zhangwei"],
            access.Ask(kind="copy", reason="复议答复需要提交现场录像", days=3, recordings=[own]),
        )
