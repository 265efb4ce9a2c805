"""The demo's spot check (S2): 何平 has drawn yesterday's activities of 执法一中队, so his
score sheets are one click away and show, beside the checklist's notice item, what the
notice check heard in each first recording (U5, 000§12): found at 0:05 in 张伟's inspection,
nothing in 王芳's sampling. The system only offers it; the verdict stays his."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from avrecords.org.models import Unit, User
from avrecords.supervision import campaigns
from avrecords.supervision.models import CampaignKind


def load(squads: list[Unit]) -> None:
    supervisor = User.objects.filter(username="jiandu").first()
    if supervisor is None:
        return
    today = timezone.localdate()
    campaign = campaigns.create_campaign(
        supervisor,
        campaigns.CampaignInput(
            kind=CampaignKind.SPOT_CHECK,
            title="执法一中队现场执法音像记录抽查（演示）",
            period_start=today - dt.timedelta(days=1),
            period_end=today,
            units=[squads[0]],
            ratio=1.0,
            note="演示数据：昨日全部执法活动，含告知检查的系统结果",
        ),
    )
    campaigns.draw_sample(supervisor, campaign)
