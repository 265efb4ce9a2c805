"""X1: changes made by a system administrator in the Django admin are audited too; M9 and
X2: the admin shows recordings through the same scope and clearance as every page."""

from __future__ import annotations

import json

import pytest

from avrecords.access.secrecy import apply_mark
from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Device
from avrecords.jobs.models import Job
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from avrecords.retention.services import reclassify
from tests.conftest import client_for
from tests.rows import make


@pytest.fixture(autouse=True)
def writable_admin(settings):
    """The admin is read-only unless the operator opens it for an emergency (issue 18 §1)."""
    settings.AVRECORDS_ADMIN_WRITABLE = True


def test_adding_and_changing_a_device_in_the_admin_is_audited(org):
    org.sysadmin.is_staff = org.sysadmin.is_superuser = True
    org.sysadmin.save()
    client = client_for(org.sysadmin)
    resp = client.post(
        "/admin/equipment/device/add/",
        {
            "serial": "3501099",
            "kind": "body_camera",
            "unit": org.squad1.pk,
            "status": "in_service",
            "custodies-TOTAL_FORMS": "0",
            "custodies-INITIAL_FORMS": "0",
        },
    )
    assert resp.status_code == 302, resp.content[:500]
    device = Device.objects.get(serial="3501099")
    added = AuditEntry.objects.get(action="admin.add", object_id=str(device.pk))
    assert added.actor == org.sysadmin and "3501099" in added.summary

    client.post(
        f"/admin/equipment/device/{device.pk}/change/",
        {
            "serial": "3501099",
            "kind": "body_camera",
            "unit": org.squad1.pk,
            "status": "repair",
            "custodies-TOTAL_FORMS": "0",
            "custodies-INITIAL_FORMS": "0",
        },
    )
    changed = AuditEntry.objects.get(action="admin.change", object_id=str(device.pk))
    assert changed.detail["changed"]["status"] == ["in_service", "repair"]


def test_changing_a_unit_in_the_admin_is_audited(org):
    """Units and people are registered in the web face (org sits below audit): still audited."""
    _superuser(org)
    response = client_for(org.sysadmin).post(
        f"/admin/org/unit/{org.squad1.pk}/change/",
        {"name": "执法第一中队", "code": org.squad1.code, "parent": org.bureau.pk},
    )
    assert response.status_code == 302, response.content[:500]
    changed = AuditEntry.objects.get(action="admin.change", object_id=str(org.squad1.pk))
    assert changed.actor == org.sysadmin
    assert changed.detail["changed"]["name"] == ["执法一中队", "执法第一中队"]


# --- recordings: scoped, read-only, each look audited (issue 15, row 11) ------------------

SECRET = "3501001_350212_20261120110000_0042.MP4"


def _superuser(org, clearances=()):
    root = org.sysadmin
    root.is_staff = root.is_superuser = True
    root.secrecy_clearances = list(clearances)
    root.save()
    return root


def _secret_and_plain(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    plain = make(org, "3501001_350211_20261120100000_0001.MP4")
    secret = make(org, SECRET, officer=org.officer2)
    apply_mark(secret, "privacy")
    reclassify([plain, secret], why="首次确定保存期限")
    return plain, secret


def test_the_admin_shows_an_uncleared_superuser_no_confidential_recording(org):
    """M9 in the admin too: neither the recordings nor the retention lists name it, and its
    page is not there (the admin says it does not exist); nothing was looked at, nothing
    audited."""
    plain, secret = _secret_and_plain(org)
    client = client_for(_superuser(org))
    for path in ("/admin/recordings/recording/", "/admin/retention/recordingretention/"):
        listing = client.get(path).content.decode()
        assert plain.original_name in listing and SECRET not in listing, path
    opened = client.get(f"/admin/recordings/recording/{secret.pk}/change/", follow=True)
    assert SECRET not in opened.content.decode()
    assert not AuditEntry.objects.filter(action="recording.view", object_id=str(secret.pk))


def test_the_admin_audits_each_look_at_a_recording_as_a_view(org):
    _, secret = _secret_and_plain(org)
    client = client_for(_superuser(org, clearances=["privacy"]))
    assert SECRET in client.get("/admin/recordings/recording/").content.decode()
    page = client.get(f"/admin/recordings/recording/{secret.pk}/change/")
    assert page.status_code == 200 and SECRET in page.content.decode()
    [viewed] = AuditEntry.objects.filter(action="recording.view", object_id=str(secret.pk))
    assert viewed.actor == org.sysadmin and viewed.detail == {"via": "admin"}
    assert "管理后台" in viewed.summary


def test_the_admin_cannot_add_change_or_delete_a_recording(org):
    plain, _ = _secret_and_plain(org)
    client = client_for(_superuser(org, clearances=["privacy"]))
    assert client.get("/admin/recordings/recording/add/").status_code == 403
    url = f"/admin/recordings/recording/{plain.pk}/"
    assert client.post(url + "change/", {"original_name": "改名.MP4"}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert Recording.objects.get(pk=plain.pk).original_name == plain.original_name


# --- jobs: every change audited with before and after (issue 15, row 11) ---------------------


def _job_form(job: Job, **changes) -> dict:
    form = {
        "kind": job.kind,
        "subject_type": job.subject_type,
        "subject_id": job.subject_id,
        "payload": json.dumps(job.payload),
        "state": job.state,
        "attempts": str(job.attempts),
        "max_attempts": str(job.max_attempts),
        "worker": job.worker,
        "error": job.error,
    }
    for moment in ("lease_until", "heartbeat_at", "sent_at", "started_at", "finished_at"):
        form[f"{moment}_0"] = form[f"{moment}_1"] = ""
    return form | changes


def test_requeueing_a_job_in_the_admin_is_audited_with_before_and_after(org):
    job = Job.objects.create(
        kind="media.proxy",
        subject_type="recordings.recording",
        subject_id="12",
        payload={"recording": 12},
        state="failed",
        attempts=5,
        error="转码失败",
    )
    client = client_for(_superuser(org))
    url = f"/admin/jobs/job/{job.pk}/change/"
    resp = client.post(url, _job_form(job, state="queued", attempts="0", error=""))
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    assert Job.objects.get(pk=job.pk).state == "queued"
    [changed] = AuditEntry.objects.filter(action="admin.change", object_id=str(job.pk))
    assert changed.actor == org.sysadmin
    assert changed.detail["changed"] == {
        "state": ["failed", "queued"],
        "attempts": ["5", "0"],
        "error": ["转码失败", ""],
    }


def test_deleting_a_job_in_the_admin_is_audited_with_what_it_was(org):
    job = Job.objects.create(
        kind="media.thumbnail", subject_type="recordings.recording", subject_id="7"
    )
    client = client_for(_superuser(org))
    resp = client.post(f"/admin/jobs/job/{job.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302 and not Job.objects.filter(pk=job.pk).exists()
    [deleted] = AuditEntry.objects.filter(action="admin.delete", object_id=str(job.pk))
    assert deleted.detail["before"]["kind"] == "media.thumbnail"
