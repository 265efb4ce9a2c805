"""The world's records beyond the recordings: cases, requests at every stage, retention (holds,
disposal lists, a destruction record), violations and spot-check campaigns. Each builder fills
in the World's ids of what it makes (tests/permissions/world.py calls them in this order)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from avrecords.access import grants
from avrecords.access import requests as access
from avrecords.access.models import PreserveGround, RequestKind
from avrecords.cases import services as cases
from avrecords.evidence.models import Disc
from avrecords.recordings.models import Recording

if TYPE_CHECKING:
    from tests.permissions.world import World

CASE_NUMBERS = {"squad1": "桐市监罚〔2026〕7号", "squad2": "桐市监罚〔2026〕8号"}
OLD = (2023, 1, 5, 9, 0)  # tongbai: a general recording is kept 2 years, to 2025-01-05


def _case(actor, number: str, unit, opened_on: dt.date, recordings=()):
    case = cases.open_case(
        actor,
        cases.CaseInput(
            number=number,
            title="华兴贸易销售过期食品案",
            case_type="penalty",
            unit=unit,
            opened_on=opened_on,
            party="桐城市华兴贸易有限公司",
        ),
    )
    cases.link_recordings(actor, case, list(recordings))
    return case


def build_cases(world: World, org) -> None:
    """An open case per squad holding that squad's recording; a closed squad-1 case."""
    rec = Recording.objects.filter(pk__in=world.recording.values()).in_bulk()
    one = _case(
        org.admin,
        CASE_NUMBERS["squad1"],
        org.squad1,
        dt.date(2026, 11, 20),
        [rec[world.recording["squad1"]]],
    )
    two = _case(
        org.other_admin,
        CASE_NUMBERS["squad2"],
        org.squad2,
        dt.date(2026, 11, 20),
        [rec[world.recording["squad2"]]],
    )
    closed = _case(org.admin, "桐市监罚〔2026〕5号", org.squad1, dt.date(2026, 11, 2))
    cases.close_case(org.admin, closed)
    world.case, world.case2, world.closed = one.pk, two.pk, closed.pk


def build_requests(world: World, org) -> None:
    """Requests on the squad-1 recording through the real chain (tongbai: the unit head
    陈刚 approves, an administrator carries it out, an archivist for preservation)."""
    rec = Recording.objects.get(pk=world.recording["squad1"])
    users = world.users
    head = users["head1"]

    def ask(user, kind, **extra):
        reason = extra.pop("reason", "案件办理需要")
        return access.submit(user, access.Ask(kind=kind, reason=reason, recordings=[rec], **extra))

    def granted(user, kind, executor=org.bureau_admin, **extra):
        req = access.approve(head, ask(user, kind, **extra), "同意")
        return access.execute(executor, req)

    # Live grants: copies for 林海 (admin) and the leader, a view for the supervisor.
    copy = granted(users["admin"], RequestKind.COPY, reason="移送司法机关需要复制")
    granted(users["leader"], RequestKind.COPY, executor=org.admin)
    view = granted(users["supervisor"], RequestKind.VIEW, executor=org.admin, reason="执法监督")
    # 张伟's own requests, one at each stage.
    world.request = ask(org.officer, RequestKind.COPY, reason="当事人申请复议，需提交复制件").pk
    world.approved = access.approve(head, ask(org.officer, RequestKind.COPY), "同意").pk
    export = granted(org.officer, RequestKind.EXPORT, executor=org.admin, place="执法一中队")
    preserve = granted(
        org.officer,
        RequestKind.PRESERVE,
        executor=users["archivist"],
        ground=PreserveGround.DISPUTE,
        reason="当事人对现场执法有异议",
    )
    world.export, world.package = export.pk, export.package.pk
    world.preserve = preserve.pk
    world.disc = Disc.objects.get(package=preserve.package, copy_no=1).pk
    # 张伟's request for a signed-off redacted copy, carried out (issue 21 §3); the copy's
    # file is not on a test's own disk, so the download gets as far as 409.
    world.redacted_copy = _signed_off_copy(rec, head).pk
    redacted = access.submit(
        org.officer,
        access.Ask(
            kind=RequestKind.REDACTED,
            reason="当事人申请提供执法过程录像",
            recipient="party",
            redactions=[world.redacted_copy],
        ),
    )
    world.redacted_request = access.execute(org.admin, access.approve(head, redacted, "同意")).pk
    # The registers: the supervisor played the recording, 林海 downloaded it.
    grants.register_playback(view, users["supervisor"], rec)
    grants.register_download(copy, users["admin"], rec)


def _signed_off_copy(rec, by):
    """A redacted copy of the recording signed off by `by` (rendered and reviewed elsewhere)."""
    from django.utils import timezone

    from avrecords.redaction.models import Redaction, State

    return Redaction.objects.create(
        recording=rec,
        requested_by=by,
        purpose="向当事人提供",
        targets=["faces"],
        style="blur",
        state=State.SIGNED_OFF,
        original_sha256=rec.sha256,
        output_path="redacted/world.mp4",
        output_sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        output_size=0,
        rendered_at=timezone.now(),
        signed_off_by=by,
        signed_off_at=timezone.now(),
    )


def build_retention(world: World, org) -> None:
    """Holds, disposal lists at each stage and a destruction record (M5, S1). The recordings
    that come and go belong to the bureau itself, so no squad's lists change."""
    from avrecords.cases.models import Case
    from avrecords.compliance.models import Activity
    from avrecords.retention import disposal, facts, holds
    from avrecords.retention.models import (
        DestructionRecord,
        DisposalItem,
        DisposalList,
        DisposalStatus,
        ItemDecision,
        ItemOutcome,
    )
    from avrecords.retention.services import reclassify
    from tests.rows import make, make_stored

    users = world.users
    world.hold = holds.place(
        org.admin,
        kind="complaint",
        case=Case.objects.get(pk=world.case),
        reason="当事人投诉现场执法态度",
        reference="桐市监投〔2026〕3号",
    ).pk
    held = holds.place(
        org.admin,
        kind="litigation",
        activity=Activity.objects.get(pk=world.activity),
        reason="当事人对查封决定提起行政诉讼",
    )
    world.held = holds.request_release(org.admin, held, "诉讼已终结").pk

    def due(name: str):
        rec = make_stored(org, name, officer=False, unit=org.bureau, at=OLD)
        reclassify([rec], why="首次确定保存期限")
        [made] = disposal.make_lists()
        return rec, made

    rec, review = due("3501000_000000_20230105090000_0001.MP4")
    world.due, world.disposal, world.item = rec.pk, review.pk, review.items.get().pk
    _, submitted = due("3501000_000000_20230105090000_0002.MP4")
    world.submitted = disposal.submit(users["archivist"], submitted).pk
    world.change = facts.ask_to_shorten(
        org.other_admin,
        Recording.objects.get(pk=world.recording["squad2"]),
        reason="案件已撤销，不再作为证据使用",
    ).pk
    # What a purge leaves (the purge itself is tests/test_retention_purge.py's): a done list,
    # its item purged, the record, the recording a tombstone.
    gone = make(
        org, "3501000_000000_20230105090000_0003.MP4", officer=False, unit=org.bureau, at=OLD
    )
    now = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
    done = DisposalList.objects.create(
        number="QC-20261125-001",
        unit=org.bureau,
        profile_code="tongbai",
        status=DisposalStatus.DONE,
        reviewed_by=users["archivist"],
        approved_by=users["leader"],
        finished_at=now,
    )
    item = DisposalItem.objects.create(
        disposal=done,
        recording=gone,
        keep_until=dt.date(2025, 1, 5),
        category_name="一般执法记录",
        decision=ItemDecision.PURGE,
        outcome=ItemOutcome.PURGED,
    )
    world.record = DestructionRecord.objects.create(
        recording=gone,
        item=item,
        number=f"{done.number}-{item.pk}",
        original_name=gone.original_name,
        sha256=gone.sha256,
        size_bytes=gone.size_bytes,
        storage_key=gone.storage_key,
        started_at=gone.started_at,
        ended_at=gone.ended_at,
        ingested_at=gone.ingested_at,
        unit_name=org.bureau.name,
        category_name="一般执法记录",
        cite="000§18",
        keep_until=dt.date(2025, 1, 5),
        reviewed_by="档案员（dangan）",
        approved_by="郑国华（lingdao）",
        begun_at=now,
        purged_at=now,
    ).pk
    Recording.objects.filter(pk=gone.pk).update(purged_at=now)


# --- violations and accountability (S4, S5) -----------------------------------------------


def build_violations(world: World, org) -> None:
    """The supervisor's entries about 张伟 (tongbai): one open, one confirmed, one confirmed
    with a decision pending with the leader."""
    from avrecords.supervision import accountability, violations

    supervisor = world.users["supervisor"]

    def entry(summary: str):
        data = violations.ViolationInput(
            kind="not_recorded", unit=org.squad1, person=org.officer, summary=summary
        )
        return violations.report(supervisor, data)

    def confirmed(summary: str):
        made = entry(summary)
        return violations.decide(supervisor, made, confirm=True, reason="经核查属实")

    world.violation = entry("巡查时未开启执法记录仪").pk
    world.confirmed_violation = confirmed("检查时中途关闭执法记录仪").pk
    world.decision = accountability.propose(
        supervisor,
        confirmed("送达时未记录"),
        decision="written_self_examination",
        reason="再次违规",
    ).pk


# --- spot-check campaigns and scoring (S2, S3) ------------------------------------------


def build_campaigns(world: World, org) -> None:
    """The supervisor's spot check of squad 1 over September at 100%, drawn (its one sample
    is the seizure), and a draft over the same period."""
    from avrecords.supervision import campaigns

    supervisor = world.users["supervisor"]

    def made(title: str):
        data = campaigns.CampaignInput(
            kind="spot_check",
            title=title,
            period_start=dt.date(2026, 9, 1),
            period_end=dt.date(2026, 9, 30),
            units=[org.squad1],
            ratio=1.0,
        )
        return campaigns.create_campaign(supervisor, data)

    drawn = made("2026年9月音像记录抽查")
    campaigns.draw_sample(supervisor, drawn)
    world.campaign, world.sample = drawn.pk, drawn.samples.get().pk
    world.draft_campaign = made("2026年9月音像记录复查").pk
