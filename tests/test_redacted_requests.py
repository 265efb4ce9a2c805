"""Issue 21 §3: a redacted copy leaves only through an approved request of the kind 提供脱敏副本
(M3), registered in the 复制登记簿 with the copy's SHA-256 (M8: 001§22, 004§21), delivered
audited; only signed-off copies of recordings the requester may see can be asked for (X2,
M9; 000§19, 001§25, 003§14, 004§21); the evidence package carries the copies beside the
originals only where the requester asks (M2: derived copies are separate files).

The copies here are made directly as signed-off rows with a file under the derived path (the
detection, rendering and review are tested in redaction's own tests).
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.utils import timezone

from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused
from avrecords.access.models import RegisterEntry, RequestKind, RequestStatus
from avrecords.audit.models import AuditEntry
from avrecords.evidence.models import Package
from avrecords.jobs import services as jobs
from avrecords.org.models import Role, Secrecy, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.policies.schema import ApprovalChain, Approvals
from avrecords.redaction.models import Redaction, State
from tests.conftest import PASSWORD, client_for
from tests.rows import make_stored

COPY_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"redacted copy " * 400


def _person(username, name, role, unit) -> User:
    user = User(username=username, full_name=name, role=role, unit=unit)
    user.set_password(PASSWORD)
    user.save()
    return user


def _copy(rec, by, *, state=State.SIGNED_OFF, data=COPY_BYTES) -> Redaction:
    """A redacted copy of `rec` with its file under the derived path."""
    from django.conf import settings

    redaction = Redaction.objects.create(
        recording=rec,
        requested_by=by,
        purpose="向当事人提供",
        targets=["faces", "text"],
        style="blur",
        state=state,
        original_sha256=rec.sha256,
    )
    relative = f"redacted/{redaction.pk}.mp4"
    path = settings.AVRECORDS_DERIVED_PATH / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    Redaction.objects.filter(pk=redaction.pk).update(
        output_path=relative,
        output_sha256=hashlib.sha256(data).hexdigest(),
        output_size=len(data),
        rendered_at=timezone.now(),
        signed_off_by=by if state == State.SIGNED_OFF else None,
        signed_off_at=timezone.now() if state == State.SIGNED_OFF else None,
    )
    redaction.refresh_from_db()
    return redaction


@pytest.fixture
def world(org, settings, tmp_path):
    """fuzhou 004§20: the unit head approves, the administrator carries out."""
    settings.AVRECORDS_EXPORT_PATH = tmp_path / "exports"
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    org.head = _person("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)
    org.rec = make_stored(org, "3501001_350211_20261120100000_0001.MP4", officer=org.officer)
    org.copy = _copy(org.rec, org.head)
    return org


def test_the_redacted_chain_is_the_profiles_own_or_else_the_copy_chain(world):
    profile = PolicyProfile.objects.get(code="fuzhou").profile
    assert profile.approvals.chain(RequestKind.REDACTED) == profile.approvals.chain("copy")
    own = ApprovalChain(steps=["unit_head", "leader"], cite="004§21")
    approvals = Approvals(view=profile.approvals.view, copy=profile.approvals.copy_, redacted=own)
    assert approvals.chain("redacted") == own and own in approvals.all_chains()


def test_a_redacted_copy_is_asked_approved_carried_out_downloaded_and_registered(world):
    org, copy = world, world.copy
    officer = client_for(org.officer)
    form = officer.get(f"/access/new?kind=redacted&redaction={copy.pk}").content.decode()
    assert "提交提供脱敏副本申请" in form and "提供对象" in form and "人民法院" in form
    assert f'name="redaction" value="{copy.pk}" checked' in form
    missing = officer.post(
        "/access/new",
        {"kind": "redacted", "recording": org.rec.pk, "redaction": copy.pk, "reason": "当事人申请"},
    )
    assert missing.status_code == 400 and "请选择提供对象" in missing.content.decode()
    sent = officer.post(
        "/access/new",
        {
            "kind": "redacted",
            "recording": org.rec.pk,
            "redaction": copy.pk,
            "recipient": "party",
            "reason": "当事人申请复制执法过程录像",
            "days": 3,
        },
    )
    assert sent.status_code == 302
    req = org.officer.access_requests.get()
    assert req.kind == RequestKind.REDACTED and req.number.startswith("TM-")
    assert list(req.redactions.all()) == [copy] and list(req.recordings.all()) == [org.rec]
    assert req.chain == ["unit_head"] and req.recipient == "party"
    # the approvals engine decides: not the requester, the unit head
    with pytest.raises(RequestRefused):
        svc.approve(org.officer, req)
    req = svc.approve(org.head, req, "同意提供")
    detail = officer.get(f"/access/{req.pk}/")
    assert "提供对象" in detail.content.decode() and "当事人" in detail.content.decode()
    assert officer.get(f"/access/{req.pk}/redacted/{copy.pk}").status_code == 403
    with pytest.raises(RequestRefused):
        svc.execute(org.officer, req)  # nobody carries out his own request for a copy
    req = svc.execute(org.admin, req)
    assert req.status == RequestStatus.ACTIVE
    given = RegisterEntry.objects.get(request=req)
    assert (given.register, given.act) == ("copy", "提供脱敏副本（当事人）")
    assert given.redaction == copy and given.sha256 == copy.output_sha256
    assert "脱敏副本" in given.item and copy.output_sha256 in given.item
    page = officer.get(f"/access/{req.pk}/").content.decode()
    assert f"/access/{req.pk}/redacted/{copy.pk}" in page and copy.output_sha256 in page
    # the download: the copy's bytes, one audit row, one more register row
    audits = AuditEntry.objects.count()
    got = officer.get(f"/access/{req.pk}/redacted/{copy.pk}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == COPY_BYTES
    assert "attachment" in got["Content-Disposition"]
    assert AuditEntry.objects.count() == audits + 1
    assert AuditEntry.objects.latest("pk").action == "redaction.deliver"
    assert RegisterEntry.objects.filter(request=req, act="下载脱敏副本").count() == 1
    # nobody else downloads it under this request; the original still needs a copy request
    assert client_for(org.admin).get(f"/access/{req.pk}/redacted/{copy.pk}").status_code == 403
    assert officer.get(f"/recordings/{org.rec.pk}/original").status_code == 403
    register = client_for(org.admin).get("/registers/copy/").content.decode()
    assert "提供脱敏副本（当事人）" in register and "下载脱敏副本" in register
    assert copy.output_sha256 in register


def test_a_revoked_grant_downloads_nothing(world):
    org, copy = world, world.copy
    req = svc.submit(
        org.officer,
        svc.Ask(kind="redacted", reason="法院调取", recipient="court", redactions=[copy]),
    )
    req = svc.execute(org.admin, svc.approve(org.head, req))
    svc.revoke(org.head, req, "已改为当面提供")
    entries = RegisterEntry.objects.count()
    assert client_for(org.officer).get(f"/access/{req.pk}/redacted/{copy.pk}").status_code == 403
    assert RegisterEntry.objects.count() == entries


def test_only_signed_off_copies_the_requester_may_see_can_be_asked_for(world):
    org = world
    ask = dict(kind="redacted", reason="当事人申请", recipient="party")
    ready = _copy(org.rec, org.head, state=State.READY)
    with pytest.raises(RequestRefused, match="尚未经复核确认可提供"):
        svc.submit(org.officer, svc.Ask(**ask, redactions=[ready]))
    # another unit's recording: its copy is as missing as the recording itself (X2)
    with pytest.raises(RequestRefused, match="不存在或不在您的权限范围内"):
        svc.submit(org.head2, svc.Ask(**ask, redactions=[org.copy]))
    # a recording marked for a secrecy the requester is not cleared for (M9)
    marked = make_stored(org, "3501001_350211_20261120110000_0003.MP4", officer=org.officer2)
    marked.secrecy = Secrecy.PRIVACY
    marked.save(update_fields=["secrecy"])
    with pytest.raises(RequestRefused, match="不存在或不在您的权限范围内"):
        svc.submit(org.head, svc.Ask(**ask, redactions=[_copy(marked, org.admin)]))
    with pytest.raises(RequestRefused, match="请选择要提供的脱敏副本"):
        svc.submit(org.officer, svc.Ask(**ask, recordings=[org.rec]))
    assert not org.officer.access_requests.exists() and not org.head.access_requests.exists()
    # the form offers only the signed-off copy
    form = client_for(org.officer).get(f"/access/new?kind=redacted&recording={org.rec.pk}")
    assert f'value="{org.copy.pk}"' in form.content.decode()
    assert f'value="{ready.pk}"' not in form.content.decode()


def test_a_copy_no_longer_signed_off_is_not_given_out(world):
    org, copy = world, world.copy
    req = svc.submit(
        org.officer,
        svc.Ask(kind="redacted", reason="复议", recipient="review_body", redactions=[copy]),
    )
    req = svc.approve(org.head, req)
    Redaction.objects.filter(pk=copy.pk).update(state=State.REVIEW)
    with pytest.raises(RequestRefused, match="已不是确认可提供的状态"):
        svc.execute(org.admin, req)
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert not RegisterEntry.objects.filter(request=req).exists()


def _package_files(org, *, with_redacted: bool):
    req = svc.submit(
        org.leader,
        svc.Ask(
            kind="export",
            reason="移送人民法院",
            recordings=[org.rec],
            place="执法一中队",
            with_redacted=with_redacted,
        ),
    )
    req = svc.execute(org.admin, svc.approve(org.head, req))
    package = Package.objects.get(request=req)
    assert jobs.run(package.job_id) == "done"
    package.refresh_from_db()
    got = client_for(org.leader).get(f"/evidence/{package.pk}/download/bag")
    with zipfile.ZipFile(io.BytesIO(b"".join(got.streaming_content))) as zf:
        names = [n.split("/data/", 1)[1] for n in zf.namelist() if "/data/" in n]
        manifest = zf.read(f"{package.number}/manifest-sha256.txt").decode()
    return names, manifest, package


def test_the_evidence_package_carries_the_redacted_copy_only_when_asked(world):
    org = world
    _copy(org.rec, org.head, state=State.READY)  # not signed off: never goes in
    names, manifest, package = _package_files(org, with_redacted=True)
    copies = [n for n in names if "脱敏副本" in n]
    assert copies == [f"001_张伟_3501001_350211_20261120100000_0001_脱敏副本{org.copy.pk}.mp4"]
    assert org.copy.output_sha256 in manifest and org.rec.sha256 in manifest
    assert package.files == 2
    names, manifest, package = _package_files(org, with_redacted=False)
    assert not [n for n in names if "脱敏副本" in n] and org.copy.output_sha256 not in manifest
    assert package.files == 1


def test_a_script_asks_for_a_redacted_copy_through_the_api(world):
    org, copy = world, world.copy
    api = client_for(org.officer)
    body = {"kind": "redacted", "reason": "法院调取", "redaction_ids": [copy.pk]}
    refused = api.post("/api/v1/access-requests", body, content_type="application/json")
    assert refused.status_code == 400 and "请选择提供对象" in refused.json()["detail"]
    body["recipient"] = "court"
    made = api.post("/api/v1/access-requests", body, content_type="application/json")
    assert made.status_code == 201
    shown = made.json()
    assert shown["kind"] == "redacted" and shown["recipient"] == "court"
    assert shown["redaction_ids"] == [copy.pk] and shown["recording_ids"] == [org.rec.pk]
