"""Spot-check campaigns and scoring (S2, S3). Objects: a spot check of squad 1 over September,
drawn at 100%: one sample, the seizure (CAMPAIGN, SAMPLE: scoring, nothing scored yet); a draft
over the same period (DRAFT_CAMP: its draw succeeds). NEW_CAMP: the campaign an API call makes.
Campaigns are read by supervisors, unit heads, leaders and system administrators; anyone else
is refused (403) before any campaign is looked up, so only a reader outside squad 1 (孙立)
meets a 404."""

from __future__ import annotations

from tests.permissions.rules import HEADS, POLICY_MANAGERS, USERS, Endpoint, Target, api_post, post

CAMPAIGN_SCOPE = frozenset(USERS) - {"head2"}
CAMPAIGN = Target(
    "campaign",
    CAMPAIGN_SCOPE,
    audited_as="supervision.campaign",
    audited_id=lambda w: w.campaign,
)
DRAFT_CAMP = Target(
    "draft_campaign",
    CAMPAIGN_SCOPE,
    audited_as="supervision.campaign",
    audited_id=lambda w: w.draft_campaign,
)
SAMPLE = Target(
    "sample", CAMPAIGN_SCOPE, audited_as="supervision.sample", audited_id=lambda w: w.sample
)
NEW_CAMP = Target("new_campaign", audited_as="supervision.campaign", audited_id=None)
CAMPAIGN_READERS = POLICY_MANAGERS | HEADS | {"leader", "supervisor"}
CAMPAIGN_MANAGERS = POLICY_MANAGERS | {"supervisor"}  # create, draw, close
SCORERS = frozenset(["supervisor"])  # reviewers are supervisors only
# tongbai's checklist, every item passed
CHECKLIST = [
    "recorded_as_required",
    "continuous",
    "notice_and_credentials",
    "times_match_documents",
    "stored_in_time",
]
CLOSE = {"reason": "人员调整，提前结束"}

ROWS = [
    Endpoint("page-campaigns", "/supervision/campaigns/", CAMPAIGN_READERS),
    Endpoint("page-campaign-new", "/supervision/campaigns/new", CAMPAIGN_MANAGERS),
    Endpoint("page-campaign", "/supervision/campaigns/{campaign}/", CAMPAIGN_READERS, CAMPAIGN),
    post(
        "page-campaign-draw",
        "/supervision/campaigns/{draft}/draw",
        CAMPAIGN_MANAGERS,
        DRAFT_CAMP,
        audit="supervision.draw",
    ),
    post(
        "page-campaign-recheck",
        "/supervision/campaigns/{campaign}/recheck",
        CAMPAIGN_READERS,
        CAMPAIGN,
        audit="supervision.recheck",
    ),
    post(
        "page-campaign-close",
        "/supervision/campaigns/{campaign}/close",
        CAMPAIGN_MANAGERS,
        CAMPAIGN,
        audit="supervision.close",
        body=lambda w: CLOSE,
    ),
    Endpoint("page-sample", "/supervision/samples/{sample}/", CAMPAIGN_READERS, SAMPLE),
    post(
        "page-sample-score",
        "/supervision/samples/{sample}/score",
        SCORERS,
        SAMPLE,
        audit="supervision.score",
        body=lambda w: {f"item_{code}": "pass" for code in CHECKLIST},
    ),
    Endpoint("api-campaigns", "/api/v1/campaigns", CAMPAIGN_READERS),
    api_post(
        "api-campaign-create",
        "/api/v1/campaigns",
        CAMPAIGN_MANAGERS,
        NEW_CAMP,
        audit="supervision.create",
        ok=201,
        body=lambda w: {
            "kind": "spot_check",
            "title": "2026年10月音像记录抽查",
            "period_start": "2026-10-01",
            "period_end": "2026-10-31",
            "units": ["T350200-01"],
        },
    ),
    Endpoint("api-campaign", "/api/v1/campaigns/{campaign}", CAMPAIGN_READERS, CAMPAIGN),
    api_post(
        "api-campaign-draw",
        "/api/v1/campaigns/{draft}/draw",
        CAMPAIGN_MANAGERS,
        DRAFT_CAMP,
        audit="supervision.draw",
    ),
    api_post(
        "api-campaign-recheck",
        "/api/v1/campaigns/{campaign}/recheck",
        CAMPAIGN_READERS,
        CAMPAIGN,
        audit="supervision.recheck",
    ),
    api_post(
        "api-campaign-close",
        "/api/v1/campaigns/{campaign}/close",
        CAMPAIGN_MANAGERS,
        CAMPAIGN,
        audit="supervision.close",
        body=lambda w: CLOSE,
    ),
    Endpoint("api-sample", "/api/v1/samples/{sample}", CAMPAIGN_READERS, SAMPLE),
    api_post(
        "api-sample-score",
        "/api/v1/samples/{sample}/score",
        SCORERS,
        SAMPLE,
        audit="supervision.score",
        body=lambda w: {"items": [{"code": code, "passed": True} for code in CHECKLIST]},
    ),
]
