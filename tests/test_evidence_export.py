"""M7, M6: an approved export becomes an evidence package through a background job; the
requester downloads each artifact once; a tampered original stops the export naming the file;
a preservation request registers two discs with labels and storage places."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import bagit
import pytest

from avrecords.access import requests as svc
from avrecords.access.models import RegisterEntry
from avrecords.audit.models import AuditEntry
from avrecords.evidence.iso import read_back
from avrecords.evidence.models import Package, PackageState
from avrecords.jobs import services as jobs
from avrecords.org.models import Role, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import PASSWORD, client_for
from tests.rows import make_stored


@pytest.fixture
def setup(org, settings, tmp_path):
    settings.AVRECORDS_EXPORT_PATH = tmp_path / "exports"
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    head = User(username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1)
    head.set_password(PASSWORD)
    head.save()
    archivist = User(username="dangan", full_name="刘洋", role=Role.ARCHIVIST, unit=org.bureau)
    archivist.set_password(PASSWORD)
    archivist.save()
    recs = [
        make_stored(org, "3501001_350211_20261120100000_0001.MP4", officer=org.officer),
        make_stored(org, "3501001_350211_20261120101000_0002.MP4", officer=org.officer),
    ]
    return head, archivist, recs


def _approved(org, head, requester, kind, recs, executor=None, **extra):
    req = svc.submit(requester, svc.Ask(kind=kind, reason="移送公安机关", recordings=recs, **extra))
    req = svc.approve(head, req)
    return svc.execute(executor or org.admin, req)


def _build(req) -> Package:
    package = Package.objects.get(request=req)
    assert jobs.run(package.job_id) == "done"
    package.refresh_from_db()
    return package


def test_an_export_is_built_downloaded_once_and_validates(org, setup, tmp_path):
    head, _, recs = setup
    req = _approved(org, head, org.leader, "export", recs, place="执法一中队办公室")
    package = _build(req)
    assert package.state == PackageState.READY and package.bytes_done == package.bytes_total
    leader = client_for(org.leader)
    page = leader.get(f"/access/{req.pk}/").content.decode()
    assert "可下载" in page
    assert client_for(org.admin).get(f"/evidence/{package.pk}/download/bag").status_code == 403
    got = leader.get(f"/evidence/{package.pk}/download/bag")
    assert got.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(got.streaming_content))) as zf:
        zf.extractall(tmp_path / "out")
    bag = bagit.Bag(str(tmp_path / "out" / package.number))
    assert bag.is_valid()
    assert bag.info["External-Identifier"] == package.number
    data = sorted(p.name for p in (tmp_path / "out" / package.number / "data").iterdir())
    assert "文字说明材料.pdf" in data and any("张伟" in name for name in data)
    # byte-for-byte: the bag's manifest holds the hashes recorded at ingest
    manifest = (tmp_path / "out" / package.number / "manifest-sha256.txt").read_text()
    assert all(r.sha256 in manifest for r in recs)
    again = leader.get(f"/evidence/{package.pk}/download/bag")
    assert again.status_code == 302  # refused with a message: once only
    iso = leader.get(f"/evidence/{package.pk}/download/iso")
    image = tmp_path / "disc.iso"
    image.write_bytes(b"".join(iso.streaming_content))
    back = read_back(image)
    assert all(any(h == r.sha256 for h in back.values()) for r in recs)
    copies = RegisterEntry.objects.filter(request=req, register="copy")
    assert (
        copies.count() == 2
        and not Path(package.directory).joinpath(f"{package.number}.zip").exists()
    )


def test_a_tampered_original_fails_the_export_naming_the_file(org, setup):
    head, _, recs = setup
    from avrecords.lib.storage import get_store

    path = Path(get_store().local_path(recs[1].storage_key))
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-4] + b"XXXX")  # someone altered the stored file
    req = _approved(org, head, org.leader, "export", recs, place="一中队")
    package = _build(req)
    assert package.state == PackageState.FAILED
    assert recs[1].original_name in package.error and "哈希值不一致" in package.error
    assert not Path(package.directory).exists() or not any(Path(package.directory).iterdir())
    assert AuditEntry.objects.filter(action="evidence.tampered").exists()
    assert "哈希值不一致" in client_for(org.leader).get(f"/access/{req.pk}/").content.decode()


def test_preservation_registers_two_discs_with_labels_and_places(org, setup):
    head, archivist, recs = setup
    # fuzhou: the unit head approves, the archivist burns and keeps the discs
    req = _approved(org, head, archivist, "preserve", recs, executor=archivist, ground="litigation")
    package = _build(req)
    discs = list(package.discs.all())
    assert [d.copy_no for d in discs] == [1, 2]
    c = client_for(archivist)
    label = c.get(f"/evidence/discs/{discs[0].pk}/label.pdf")
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    assert c.post(f"/evidence/discs/{discs[0].pk}", {"location": ""}).status_code == 302
    c.post(f"/evidence/discs/{discs[0].pk}", {"location": "档案室3号柜第2层"})
    discs[0].refresh_from_db()
    assert discs[0].location == "档案室3号柜第2层" and discs[0].recorded_by == archivist
    assert (
        client_for(org.leader).post(f"/evidence/discs/{discs[1].pk}", {"location": "x"}).status_code
        == 403
    )


def test_a_revoked_export_cannot_be_downloaded(org, setup):
    head, _, recs = setup
    req = _approved(org, head, org.leader, "export", recs, place="一中队")
    package = _build(req)
    svc.revoke(head, req, "案件已撤销")
    refused = client_for(org.leader).get(f"/evidence/{package.pk}/download/bag")
    assert refused.status_code == 302 and not package.downloads.exists()
