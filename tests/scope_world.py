"""The world of tests/test_scope_rule.py: one row of every scoped model in each squad,
marked rows of 王芳 in squad 1, and the people who look at them (issue 16 §4, X2, M9)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from avrecords.access.models import AccessRequest, RegisterEntry
from avrecords.cases.models import Case
from avrecords.compliance.models import Activity, Finding
from avrecords.equipment.models import Clearance, ClockFlag, Device, PreUseCheck, Station
from avrecords.fixity.models import FixityCheck
from avrecords.org.models import Role, Unit, User
from avrecords.recordings.models import IngestBatch, QuarantinedFile, Recording
from avrecords.redaction.models import Redaction
from avrecords.retention.models import (
    DestructionRecord,
    DisposalItem,
    DisposalList,
    LegalHold,
    RetentionChange,
)
from avrecords.supervision.models import Accountability, Campaign, Sample, ViolationCandidate
from tests.conftest import Org
from tests.rows import make

SECRET = "commercial_secret"
AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 20)
SRC = Path(__file__).resolve().parent.parent / "src" / "avrecords"

# Who looks: Org's people, a supervisor assigned to squad 2 only, a leader cleared for
# commercial secrets. (王芳 is the officer of every marked row.)
VIEWERS = ("officer", "officer2", "admin", "head2", "leader", "supervisor", "sysadmin", "cleared")


class World:
    def __init__(self, org: Org) -> None:
        self.org = org
        self.supervisor = org._user("jiandu", "监督员", Role.SUPERVISOR, org.bureau)
        self.supervisor.supervised_units.set([org.squad2])
        self.cleared = org._user(
            "shemi", "涉密领导", Role.LEADER, org.bureau, secrecy_clearances=[SECRET]
        )
        self.rows: dict[type, dict[str, object]] = {}
        o, s1, s2 = org, org.squad1, org.squad2
        mine, theirs, hers = o.officer, o.other_officer, o.officer2

        self.add(Unit, bureau=o.bureau, squad1=s1, squad2=s2)
        self.add(User, **{u.username: u for u in self.people()})
        self.add(Device, d1=o.camera, d2=o.camera2)
        self.add(
            Station,
            st1=Station.objects.create(name="一中队东楼采集站", unit=s1, location="东楼值班室"),
            st2=Station.objects.create(name="二中队东楼采集站", unit=s2, location="东楼值班室"),
        )
        self.add(
            PreUseCheck,
            **{name: self.check(device) for name, device in (("k1", o.camera), ("k2", o.camera2))},
        )

        cases = {
            "c1": self.case("C1", s1),
            "c2": self.case("C2", s2),
            "c_secret": self.case("C3", s1, secrecy=SECRET),
        }
        self.add(Case, **cases)
        recordings = {
            "r1": make(o, "R1.MP4", officer=mine, case=cases["c1"]),
            "r2": make(o, "R2.MP4", officer=theirs, case=cases["c2"]),
            "r_secret": make(o, "R3.MP4", officer=hers, secrecy=SECRET, case=cases["c_secret"]),
        }
        self.add(Recording, **recordings)
        self.add(
            Redaction,
            **{f"rd{name[1:]}": self.redaction(r) for name, r in recordings.items()},
        )
        self.add(
            ClockFlag,
            f1=self.flag(o.camera, recordings["r_secret"]),
            f2=self.flag(o.camera2, recordings["r2"]),
        )
        self.add(Clearance, cl1=self.clearance(mine, s1), cl2=self.clearance(theirs, s2))

        batches = {
            "b1": IngestBatch.objects.create(source="upload", unit=s1),
            "b2": IngestBatch.objects.create(source="upload", unit=s2),
        }
        self.add(IngestBatch, **batches)
        self.add(
            QuarantinedFile,
            q1=self.quarantined(batches["b1"], s1),
            q2=self.quarantined(batches["b2"], s2),
        )
        self.add(
            FixityCheck,
            **{f"x{name[1:]}": self.fixity(r) for name, r in recordings.items()},
        )

        activities = {
            "a1": self.activity(s1, mine),
            "a2": self.activity(s2, theirs),
            "a_secret": self.activity(s1, hers, secrecy=SECRET),
        }
        self.add(Activity, **activities)
        self.add(
            Finding,
            n1=self.finding("n1", s1, mine, recordings["r_secret"]),
            n2=self.finding("n2", s2, theirs, recordings["r2"]),
        )

        requests = {
            "q1": self.request("Q1", mine, s1, recordings["r1"]),
            "q2": self.request("Q2", theirs, s2, recordings["r2"]),
            "q_secret": self.request("Q3", hers, s1, recordings["r_secret"]),
        }
        self.add(AccessRequest, **requests)
        self.add(
            RegisterEntry,
            e1=self.entry(requests["q1"], o.admin, s1),
            e2=self.entry(requests["q2"], o.other_admin, s2),
        )

        self.add(
            LegalHold,
            h1=self.hold("H1", s1, activities["a1"]),
            h2=self.hold("H2", s2, activities["a2"]),
        )
        self.add(
            RetentionChange,
            **{f"rc{name[1:]}": self.change(r) for name, r in recordings.items()},
        )
        lists = {"l1": self.disposal("L1", s1), "l2": self.disposal("L2", s2)}
        self.add(DisposalList, **lists)
        purged = {
            "p1": make(o, "P1.MP4", officer=mine),
            "p2": make(o, "P2.MP4", officer=theirs),
            "p_secret": make(o, "P3.MP4", officer=hers, secrecy=SECRET),
            "p_running": make(o, "P4.MP4", officer=mine),
        }
        self.add(
            DestructionRecord,
            **{
                name: self.destroyed(lists["l1" if r.unit == s1 else "l2"], r, name)
                for name, r in purged.items()
            },
        )

        campaigns = {
            "g1": self.campaign("G1", s1),
            "g2": self.campaign("G2", s2),
            "g_bureau": self.campaign("G3", o.bureau),
        }
        self.add(Campaign, **campaigns)
        self.add(
            Sample,
            s1=Sample.objects.create(
                campaign=campaigns["g1"], activity=activities["a1"], unit=s1, order=1
            ),
            s2=Sample.objects.create(
                campaign=campaigns["g2"], activity=activities["a2"], unit=s2, order=1
            ),
            s_secret=Sample.objects.create(
                campaign=campaigns["g1"], activity=activities["a_secret"], unit=s1, order=2
            ),
        )
        violations = {"v1": self.violation(s1, mine), "v2": self.violation(s2, theirs)}
        self.add(ViolationCandidate, **violations)
        self.add(
            Accountability,
            y1=self.decision(violations["v1"], mine),
            y2=self.decision(violations["v2"], theirs),
        )

    # --- the rows --------------------------------------------------------------------------

    def add(self, model, **rows) -> None:
        self.rows[model] = rows

    def people(self) -> list[User]:
        o = self.org
        return [
            o.officer,
            o.officer2,
            o.other_officer,
            o.admin,
            o.other_admin,
            o.bureau_admin,
            o.leader,
            o.head2,
            o.sysadmin,
            self.supervisor,
            self.cleared,
        ]

    def viewer(self, name: str):
        return {"supervisor": self.supervisor, "cleared": self.cleared}.get(name) or getattr(
            self.org, name
        )

    def check(self, device):
        return PreUseCheck.objects.create(
            device=device,
            checked_by=self.org.admin,
            checked_on=DAY,
            checked_at=AT,
            works=True,
            battery_ok=True,
            storage_ok=True,
            clock_ok=True,
        )

    def redaction(self, recording):
        return Redaction.objects.create(
            recording=recording,
            requested_by=self.org.admin,
            purpose="提供给当事人",
            targets=["faces"],
            style="blur",
            original_sha256=recording.sha256,
        )

    def flag(self, device, recording):
        return ClockFlag.objects.create(
            device=device,
            kind=ClockFlag.Kind.AHEAD,
            recording=recording,
            device_time=AT,
            station_time=AT,
            offset_seconds=600,
            tolerance_seconds=60,
        )

    def clearance(self, person, unit):
        return Clearance.objects.create(
            person=person,
            kind="leave",
            successor=self.org.admin,
            unit=unit,
            started_by=self.org.admin,
            started_at=AT,
            due_at=AT + dt.timedelta(days=7),
        )

    def case(self, number, unit, **fields):
        return Case.objects.create(
            number=number,
            title=f"案卷 {number}",
            case_type="penalty",
            unit=unit,
            opened_on=DAY,
            created_by=self.org.admin,
            **fields,
        )

    def quarantined(self, batch, unit):
        return QuarantinedFile.objects.create(
            sha256="0" * 64,
            size_bytes=1,
            storage_key="quarantine/x",
            original_name="x.mp4",
            relative_path="x.mp4",
            error="损坏",
            batch=batch,
            unit=unit,
        )

    def fixity(self, recording):
        return FixityCheck.objects.create(
            recording=recording,
            checked_at=AT,
            outcome="ok",
            storage_key=recording.storage_key,
            expected_sha256=recording.sha256,
        )

    def activity(self, unit, officer, **fields):
        activity = Activity.objects.create(
            unit=unit,
            kind="inspection",
            kind_name="现场检查",
            must_record=True,
            started_at=AT,
            ended_at=AT + dt.timedelta(hours=1),
            source="web",
            **fields,
        )
        activity.officers.set([officer])
        return activity

    def finding(self, key, unit, officer, recording):
        return Finding.objects.create(
            key=key, kind="gap", unit=unit, officer=officer, recording=recording, summary="中断"
        )

    def request(self, number, requester, unit, recording):
        request = AccessRequest.objects.create(
            number=number,
            kind="view",
            requester=requester,
            unit=unit,
            reason="复核",
            profile_code="test",
        )
        request.recordings.set([recording])
        return request

    def entry(self, request, actor, unit):
        return RegisterEntry.objects.create(
            register="view", act="播放", request=request, item="播放", actor=actor, unit=unit
        )

    def hold(self, number, unit, activity):
        return LegalHold.objects.create(
            number=number,
            kind="complaint",
            unit=unit,
            activity=activity,
            reason="投诉",
            placed_by=self.org.admin,
        )

    def change(self, recording):
        return RetentionChange.objects.create(
            recording=recording, reason="撤回", requested_by=self.org.admin
        )

    def disposal(self, number, unit):
        return DisposalList.objects.create(number=number, unit=unit, profile_code="test")

    def destroyed(self, disposal, recording, number):
        item = DisposalItem.objects.create(
            disposal=disposal, recording=recording, keep_until=DAY, category_name="一般"
        )
        return DestructionRecord.objects.create(
            recording=recording,
            item=item,
            number=number,
            original_name=recording.original_name,
            size_bytes=recording.size_bytes,
            storage_key=recording.storage_key,
            started_at=recording.started_at,
            ended_at=recording.ended_at,
            ingested_at=AT,
            unit_name=recording.unit.name,
            category_name="一般",
            keep_until=DAY,
            reviewed_by="档案员",
            approved_by="郑国华",
            begun_at=AT,
            purged_at=None if number == "p_running" else AT,
        )

    def campaign(self, number, unit):
        campaign = Campaign.objects.create(
            number=number,
            kind="spot_check",
            title=f"抽查 {number}",
            period_start=DAY,
            period_end=DAY,
            ratio=0.1,
            seed=1,
            profile_code="test",
            created_by=self.org.sysadmin,
        )
        campaign.units.set([unit])
        return campaign

    def violation(self, unit, person):
        return ViolationCandidate.objects.create(
            kind="manual", kind_name="手工录入", unit=unit, person=person, summary="违规"
        )

    def decision(self, violation, person):
        return Accountability.objects.create(
            violation=violation,
            person=person,
            decision="warning",
            decision_name="批评教育",
            reason="认定",
            proposed_by=self.supervisor,
        )

    def seen(self, model, user) -> set[str]:
        """The world's rows of `model` that `user` sees."""
        pks = set(model.objects.visible_to(user).values_list("pk", flat=True))
        return {name for name, row in self.rows[model].items() if row.pk in pks}
