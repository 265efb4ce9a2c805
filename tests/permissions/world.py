"""The world of the permission matrix (tests/test_permissions.py): two squads, each with a
recording, an import batch, a quarantined file, a fixity alarm and a case; an
administrator-made policy profile; the squad-1 officer's unrecorded seizure, its finding and
his exemption; requests for his recording at every stage, live grants and register entries.

Built once per test module inside a transaction rolled back at the module's end; each test
runs in a savepoint inside it (as Django's TestCase.setUpTestData does)."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from avrecords.compliance import activities as acts
from avrecords.compliance import clearance, workflows
from avrecords.compliance.engine import evaluate_activity
from avrecords.equipment import events
from avrecords.equipment.custody import issue_device, return_device
from avrecords.equipment.models import ClockFlag, Device, EventKind
from avrecords.fixity.models import Outcome
from avrecords.fixity.services import record_check
from avrecords.fixity.sweep import ReadResult
from avrecords.jobs import services as jobs
from avrecords.lib.storage import get_store
from avrecords.notices.models import Notice
from avrecords.org.models import Role, User
from avrecords.policies import services
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from avrecords.stations import cameras
from avrecords.stations import services as stations
from tests import media as m
from tests.conftest import PASSWORD, Org
from tests.permissions import world_notice, world_redaction
from tests.permissions import world_records as records

CUSTOM = "xianju"  # the administrator-made profile of the world


def custom_profile_source() -> str:
    source = PolicyProfile.objects.get(code="tongbai").source
    return source.replace("code: tongbai", f"code: {CUSTOM}").replace(
        "name: 桐柏县市场监督管理局", "name: 某县局执法策略"
    )


# --- the data: one recording, one batch and one quarantined file per squad ----------------

SQUAD1_NAME = m.H264  # camera 3501001, issued to 张伟 (执法一中队)
SQUAD2_NAME = "3501004_350221_20261120093000_0001.MP4"  # camera 3501004, issued to 杨军 (二中队)
SQUAD1_BROKEN = "3501001_350211_20261120100000_0009.MP4"
SQUAD2_BROKEN = "3501004_350221_20261120100000_0009.MP4"
NO_SUCH_ID = 999_999
SIGNED_IN_FOR_SECONDS = 24 * 3600


@dataclass
class World:
    users: dict[str, User]
    recording: dict[str, int]  # squad → recording id
    batch: dict[str, int]  # squad → ingest batch id
    alarm: dict[str, int]  # squad → open fixity alarm on that squad's recording
    photo: bytes  # something to upload
    activity: int = 0  # the squad-1 officer's activity (nothing recorded: a finding)
    finding: int = 0  # its missing-recording finding
    exemption: int = 0  # his pending exemption for it
    device: int = 0  # squad 1's camera, held by 张伟
    loss_event: int = 0  # a squad-1 spare reported lost, waiting for acknowledgement
    custody: int = 0  # its last custody, returned without the charger
    clearance: int = 0  # 王芳's open departure clearance
    clock_flag: int = 0  # an open clock flag on the camera
    person: int = 0  # 张伟
    case: int = 0  # squad 1's open case, holding 张伟's recording
    closed: int = 0  # a squad-1 case closed and waiting to be filed (no recordings)
    case2: int = 0  # squad 2's case, holding 杨军's recording
    request: int = 0  # 张伟's copy request, pending with the unit head (陈刚)
    approved: int = 0  # 张伟's copy request, approved, waiting for the administrator
    export: int = 0  # 张伟's evidence export, carried out: its package is being built
    package: int = 0  # that package
    disc: int = 0  # the first disc of 张伟's carried-out preservation request
    redacted_request: int = 0  # 张伟's carried-out request for a redacted copy (issue 21)
    redacted_copy: int = 0  # the signed-off redacted copy it gives out
    preserve: int = 0  # that preservation request
    hold: int = 0  # a complaint's legal hold on squad 1's case (gathers 张伟's recording)
    held: int = 0  # a litigation hold on the seizure, its release asked by 林海
    due: int = 0  # a bureau recording past its date, on the list in review
    disposal: int = 0  # the bureau's disposal list in review (one item: `due`)
    item: int = 0  # that item
    submitted: int = 0  # a second list, reviewed by the archivist, waiting for the leader
    record: int = 0  # the destruction record of a third bureau recording, purged
    change: int = 0  # 周敏's pending request to shorten 杨军's recording's retention
    # violations and accountability (S4, S5)
    violation: int = 0  # the supervisor's open entry about 张伟
    confirmed_violation: int = 0  # a confirmed violation of his, no decision yet
    decision: int = 0  # a decision on a third, pending with the leader
    # spot-check campaigns and scoring (S2, S3)
    campaign: int = 0  # squad 1's September spot check, drawn: one sample, the seizure
    draft_campaign: int = 0  # a draft over the same period, not drawn yet
    sample: int = 0  # the drawn campaign's sample
    notice: int = 0  # a 站内消息 to 张伟 (issue 17 §3)
    station: int = 0  # 一中队采集站, 林海 its 负责人 (issue 19 §1)
    refusal: int = 0  # a camera it refused, not handled yet (issue 19 §4)
    notice_reference: int = 0  # a reference recording of the notice (U5)
    no_notice: int = 0  # the seizure's 未检测到告知语 finding, open (U5)
    redaction: int = 0  # a redacted copy of 张伟's recording in review (issue 21 §3)
    redaction_track: int = 0  # its detected face
    redaction_ready: int = 0  # another, rendered and waiting for sign-off
    sessions: dict[str, str] = field(default_factory=dict)  # user → his signed-in session

    def sign_in_everyone(self) -> None:
        """A session per user, made once with the world (signing in is audited, and costs a
        chain entry per test otherwise). It outlasts the idle time: a module of the matrix may
        run longer than that on a busy machine."""
        for who, user in self.users.items():
            client = Client()
            client.force_login(user)
            session = client.session
            session.set_expiry(SIGNED_IN_FOR_SECONDS)
            session.save()
            self.sessions[who] = session.session_key

    def client(self, who: str) -> Client:
        """A client signed in as `who`, through the session made with the world."""
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[who]
        return client

    def ids(self, squad: str = "squad1") -> dict[str, int]:
        return {
            "rec": self.recording[squad],
            "batch": self.batch[squad],
            "alarm": self.alarm[squad],
            "act": self.activity,
            "finding": self.finding,
            "exemption": self.exemption,
            "dev": self.device,
            "evt": self.loss_event,
            "cust": self.custody,
            "clr": self.clearance,
            "flag": self.clock_flag,
            "person": self.person,
            # the squad's own unit (执法一中队, or 二中队 for squad2): the 单位 pages and API
            "unit": self.users["officer" if squad == "squad1" else "other_officer"].unit_id,
            "case": self.case,
            "closed": self.closed,
            "req": self.request,
            "approved": self.approved,
            "export": self.export,
            "pkg": self.package,
            "disc": self.disc,
            "redacted_req": self.redacted_request,
            "redacted_copy": self.redacted_copy,
            "hold": self.hold,
            "held": self.held,
            "disposal": self.disposal,
            "item": self.item,
            "submitted": self.submitted,
            "record": self.record,
            "change": self.change,
            "violation": self.violation,
            "confirmed_violation": self.confirmed_violation,
            "decision": self.decision,
            "campaign": self.campaign,
            "draft": self.draft_campaign,
            "sample": self.sample,
            "notice": self.notice,
            "station": self.station,
            "refusal": self.refusal,
            "ref": self.notice_reference,
            "no_notice": self.no_notice,
            "redaction": self.redaction,
            "redaction_track": self.redaction_track,
            "redaction_ready": self.redaction_ready,
        }


def _ingest(tmp_path: Path, station: str, files: dict[str, bytes]) -> dict:
    media_dir = tmp_path / station / "DCIM" / "100MEDIA"
    media_dir.mkdir(parents=True)
    for name, data in files.items():
        (media_dir / name).write_bytes(data)
    out = io.StringIO()
    call_command("ingest", str(tmp_path / station), "--station", station, "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["counts"]["imported"] == 1 and report["counts"]["quarantined"] == 1, report
    return report


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("permissions-world")


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, library, world_dir):
    """The world, built once for the module inside a transaction rolled back at its end.

    Each test's own transaction (pytest-django's `db`) is then a savepoint inside it, rolled
    back after the test, as Django's TestCase.setUpTestData does: every test starts from the
    same world, and building it (real ingests) is paid once instead of 800 times."""
    from django.db import transaction
    from django.test import override_settings

    paths = override_settings(
        AVRECORDS_STORE_PATH=world_dir / "store", AVRECORDS_DERIVED_PATH=world_dir / "derived"
    )
    with django_db_blocker.unblock(), paths:
        get_store.cache_clear()
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world(Org(), library, world_dir / "dumps")
            world.sign_in_everyone()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            get_store.cache_clear()


@pytest.fixture
def world(module_world, db) -> World:
    return module_world


def build_world(org, library, tmp_path) -> World:
    users = {
        "officer": org.officer,  # 张伟, 一中队: the squad-1 recording is his
        "officer2": org.officer2,  # 王芳, 一中队: same squad, not her recording
        "other_officer": org.other_officer,  # 杨军, 二中队
        "admin": org.admin,  # 一中队
        "other_admin": org.other_admin,  # 二中队
        "bureau_admin": org.bureau_admin,  # the whole bureau
        "leader": org.leader,  # the whole bureau
        "head1": org._user("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1),  # decides requests
        "head2": org.head2,  # unit head of 二中队
        "supervisor": org._user("jiandu", "监督员", Role.SUPERVISOR, org.squad1),
        "archivist": org._user("dangan", "档案员", Role.ARCHIVIST, org.bureau),
        "sysadmin": org.sysadmin,
        "superuser": User.objects.create_superuser("root", password=PASSWORD),
    }
    one = _ingest(
        tmp_path,
        "一中队采集站",
        {SQUAD1_NAME: (library / m.H264).read_bytes(), SQUAD1_BROKEN: b"not media (squad 1)"},
    )
    two = _ingest(
        tmp_path,
        "二中队采集站",
        {SQUAD2_NAME: (library / m.H264_B).read_bytes(), SQUAD2_BROKEN: b"not media (squad 2)"},
    )
    jobs.run_pending()  # thumbnails
    recording = {
        squad: next(f["recording_id"] for f in report["files"] if f["outcome"] == "imported")
        for squad, report in (("squad1", one), ("squad2", two))
    }
    assert Recording.objects.get(pk=recording["squad1"]).officer == org.officer
    assert Recording.objects.get(pk=recording["squad2"]).officer == org.other_officer
    # A fixity alarm per squad, recorded as a sweep would (tests/test_fixity.py damages real
    # stored objects; here only the alarm rows matter).
    alarm = {
        squad: record_check(
            Recording.objects.get(pk=rec_id), ReadResult(Outcome.MISSING, error="gone")
        ).pk
        for squad, rec_id in recording.items()
    }
    # A profile an administrator made (built-in ones are read-only): the edit and PUT targets.
    services.save_profile(None, custom_profile_source())
    # The squad-1 officer's seizure that nothing recorded, his finding and exemption (U1, U4).
    services.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    seizure = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="seal_seizure",
            started_at=dt.datetime(2026, 9, 30, 14, tzinfo=dt.UTC),
            ended_at=dt.datetime(2026, 9, 30, 15, tzinfo=dt.UTC),
            officers=[org.officer],
        ),
    )
    [finding] = evaluate_activity(seizure)
    exemption = workflows.submit_exemption(org.officer, seizure, "device_fault", "设备故障无法开机")
    spare = Device.objects.create(serial="350S001", unit=org.squad1, status="spare")
    issue_device(spare, org.officer2, accessories=["充电器"])
    custody = return_device(spare, returned_accessories=[])
    loss = events.record_event(org.admin, spare, EventKind.LOSS, note="库房盘点发现遗失")
    leaving = clearance.start(org.admin, org.officer2, "leave", org.officer, reason="辞职")
    flag = ClockFlag.objects.create(
        device=org.camera,
        kind=ClockFlag.Kind.AHEAD,
        device_time=dt.datetime(2026, 11, 20, 10, 10, tzinfo=dt.UTC),
        station_time=dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC),
        offset_seconds=600,
        tolerance_seconds=120,
    )
    world = World(
        users,
        recording,
        {"squad1": one["batch_id"], "squad2": two["batch_id"]},
        alarm,
        (library / m.PHOTO).read_bytes(),
        seizure.pk,
        finding.pk,
        exemption.pk,
        org.camera.pk,
        loss.pk,
        custody.pk,
        leaving.pk,
        flag.pk,
        org.officer.pk,
    )
    records.build_cases(world, org)
    records.build_requests(world, org)
    records.build_retention(world, org)
    records.build_violations(world, org)
    records.build_campaigns(world, org)
    world.notice = Notice.objects.create(
        recipient=org.officer, title="您的复制申请已批准", url="/access/"
    ).pk
    build_stations(world, org)
    world_notice.build_notice(world, org)
    world_redaction.build_redaction(world, org)
    return world


def build_stations(world: World, org: Org) -> None:
    """一中队采集站 with 林海 responsible for it, and a camera it refused (issue 19)."""
    stations.update(org.sysadmin, org.station, responsible=org.admin)
    stations.rotate_token(org.sysadmin, org.station)  # a live token, for revoking it
    cameras.check_camera(org.station, "9999001")
    world.station = org.station.pk
    world.refusal = org.station.camera_refusals.get().pk
