"""Issue 15 row 1 (M1, E2, X2): an upload is bound to the person who uploads it.

A file whose name names another person's camera, a camera nobody held, an unregistered
camera or another person's officer number is kept but waits (待指派) for an administrator,
the conflict said in Chinese; its uploader still sees it, the person named does not, and
nobody gets a finding or a violation candidate until an administrator binds it. A station
import binds by the custody records, as before; an administrator's upload binds by custody
but never to a person the records contradict.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import Finding, FindingKind
from avrecords.equipment.custody import issue_device
from avrecords.equipment.models import Device
from avrecords.jobs import services as jobs
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from avrecords.supervision.models import ViolationCandidate
from tests import media as m
from tests.conftest import PASSWORD, client_for

URL = "/api/v1/recordings/uploads"
WANG_CAMERA = "3501005"  # 王芳's (officer2, squad 1, officer no 350212)
IDLE_CAMERA = "3501006"  # registered in squad 1, never issued
UNKNOWN_CAMERA = "3509999"  # not registered
WHEN = "20261120093000"  # long past the deadline: a bound upload is late


@pytest.fixture(autouse=True)
def upload_tmp(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")


@pytest.fixture
def world(org):
    """张伟 holds 3501001 (conftest); 王芳 holds 3501005; 3501006 is on the shelf. Squad 1
    follows the tongbai profile, so the engine evaluates what is bound there."""
    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    org.wang_camera = Device.objects.create(serial=WANG_CAMERA, unit=org.squad1)
    issue_device(org.wang_camera, org.officer2, when=since)
    Device.objects.create(serial=IDLE_CAMERA, unit=org.squad1)
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    return org


def named(serial: str, officer_no: str, seq: int = 1) -> str:
    return f"{serial}_{officer_no}_{WHEN}_{seq:04d}.JPG"


def page_upload(user, name: str, data: bytes):
    """What the upload page sends: the session, and the CSRF token the page carries."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/upload/")
    token = client.cookies["csrftoken"].value
    files = {"files": SimpleUploadedFile(name, data)}
    return client.post(URL, files, HTTP_X_CSRFTOKEN=token)


def api_upload(user, name: str, data: bytes):
    """What a script sends: HTTP Basic, no session."""
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    files = {"files": SimpleUploadedFile(name, data)}
    return Client().post(URL, files, HTTP_AUTHORIZATION=f"Basic {token}")


UPLOADS = [pytest.param(page_upload, id="page"), pytest.param(api_upload, id="api")]


def uploaded(response) -> tuple[Recording, dict]:
    assert response.status_code == 201, response.content
    [result] = response.json()["files"]
    assert result["outcome"] == "imported"
    return Recording.objects.get(pk=result["recording_id"]), result


def sees(user, rec: Recording) -> bool:
    client = client_for(user)
    listed = [r["id"] for r in client.get("/api/v1/recordings").json()["results"]]
    page = client.get(f"/recordings/{rec.pk}/")
    assert (rec.pk in listed) == (page.status_code == 200)
    return page.status_code == 200


def raised_against_anyone(rec: Recording) -> bool:
    return (
        Finding.objects.filter(recording=rec).exists()
        or ViolationCandidate.objects.filter(recordings=rec).exists()
    )


# --- an officer's upload ------------------------------------------------------------------

CONFLICTS = [
    pytest.param(
        named(WANG_CAMERA, "350212"),
        "文件名中的设备 3501005 录制时由 王芳 领用，不在上传人 张伟 名下；"
        "文件名中的人员编号 350212 属于 王芳，不是上传人 张伟",
        id="another-officers-camera-and-number",
    ),
    pytest.param(
        named(WANG_CAMERA, "350211"),
        "文件名中的设备 3501005 录制时由 王芳 领用，不在上传人 张伟 名下",
        id="another-officers-camera",
    ),
    pytest.param(
        named(IDLE_CAMERA, "350211"),
        "文件名中的设备 3501006 录制时无人领用，不在上传人 张伟 名下",
        id="camera-nobody-held",
    ),
    pytest.param(
        named(UNKNOWN_CAMERA, "350211"),
        "文件名中的设备 3509999 未登记，无法确认由上传人 张伟 领用",
        id="unregistered-camera",
    ),
    pytest.param(
        named("3501001", "350212"),
        "文件名中的人员编号 350212 属于 王芳，不是上传人 张伟",
        id="another-officers-number",
    ),
    pytest.param(
        named("3501001", "359999"),
        "文件名中的人员编号 359999 与上传人 张伟 的人员编号 350211 不一致",
        id="unregistered-number",
    ),
]


@pytest.mark.parametrize("send", UPLOADS)
@pytest.mark.parametrize(("name", "conflict"), CONFLICTS)
def test_an_officers_upload_naming_someone_else_waits_for_an_administrator(
    world, library, send, name, conflict
):
    rec, result = uploaded(send(world.officer, name, (library / m.PHOTO).read_bytes()))
    assert result["reason"] == f"待指派：{conflict}"
    assert (rec.officer, rec.device, rec.needs_assignment) == (None, None, True)
    assert rec.assignment_note == conflict
    assert (rec.uploaded_by, rec.unit) == (world.officer, world.squad1)
    # the uploader keeps sight of it, with the reason; the person named has none
    assert sees(world.officer, rec)
    page = client_for(world.officer).get(f"/recordings/{rec.pk}/").content.decode()
    assert "待指派" in page and conflict in page
    assert not sees(world.officer2, rec)
    assert sees(world.admin, rec)  # squad 1's records administrator, who may bind it
    # the original is stored whole
    assert rec.sha256 == result["sha256"] and rec.size_bytes == (library / m.PHOTO).stat().st_size
    jobs.run_pending()
    assert not raised_against_anyone(rec)
    assert not ViolationCandidate.objects.exists()
    assert not Finding.objects.filter(officer__in=[world.officer, world.officer2]).exists()


@pytest.mark.parametrize("send", UPLOADS)
def test_an_officers_upload_of_his_own_camera_is_his_and_evaluated(world, library, send):
    rec, result = uploaded(
        send(world.officer, named("3501001", "350211"), (library / m.PHOTO).read_bytes())
    )
    assert (rec.officer, rec.device, rec.needs_assignment) == (world.officer, world.camera, False)
    assert result["reason"] == ""
    assert sees(world.officer, rec) and not sees(world.officer2, rec)
    jobs.run_pending()
    late = Finding.objects.get(recording=rec, kind=FindingKind.LATE_INGEST)
    assert late.officer == world.officer
    assert ViolationCandidate.objects.get(finding=late).person == world.officer


@pytest.mark.parametrize("send", UPLOADS)
@pytest.mark.parametrize(
    ("source", "time_source"),
    [
        pytest.param(m.PNG, "mtime", id="no-parseable-name"),
        pytest.param(m.CHINESE, "container", id="time-from-container-metadata"),
    ],
)
def test_an_officers_upload_naming_nobody_is_his(world, library, send, source, time_source):
    """The container's metadata gives a start time and names no device or person (the probe
    reads nothing else), so nothing contradicts the uploader."""
    rec, result = uploaded(send(world.officer, source, (library / source).read_bytes()))
    assert (rec.officer, rec.device, rec.time_source) == (world.officer, None, time_source)
    assert rec.needs_assignment and rec.assignment_note == "文件名中没有设备序号"  # no device
    assert result["reason"] == "文件名中没有设备序号"
    assert sees(world.officer, rec) and not sees(world.officer2, rec)


# --- an administrator binds it ------------------------------------------------------------


@pytest.fixture
def waiting(world, library) -> Recording:
    """张伟 uploaded a file named for 王芳's camera and number."""
    data = (library / m.PHOTO).read_bytes()
    rec, _ = uploaded(api_upload(world.officer, named(WANG_CAMERA, "350212"), data))
    jobs.run_pending()
    return rec


def assign_api(user, rec: Recording, **body):
    return client_for(user).post(
        f"/api/v1/recordings/{rec.pk}/assignment", body, content_type="application/json"
    )


def test_an_administrator_binds_it_and_the_engine_then_evaluates_it(world, waiting):
    response = assign_api(world.admin, waiting, officer_id=world.officer2.pk)
    assert response.status_code == 200
    body = response.json()
    assert (body["officer_name"], body["needs_assignment"], body["assignment_note"]) == (
        "王芳",
        False,
        "",
    )
    waiting.refresh_from_db()
    # the camera the name names comes with her: she held it then
    assert (waiting.officer, waiting.device, waiting.unit) == (
        world.officer2,
        world.wang_camera,
        world.squad1,
    )
    entry = AuditEntry.objects.get(action="recording.assign")
    assert entry.actor_id == world.admin.pk and entry.object_id == str(waiting.pk)
    assert entry.detail["before"]["officer"] is None
    assert entry.detail["after"]["officer"] == world.officer2.pk
    jobs.run_pending()
    late = Finding.objects.get(recording=waiting, kind=FindingKind.LATE_INGEST)
    assert late.officer == world.officer2
    assert ViolationCandidate.objects.get(finding=late).person == world.officer2
    # now hers; the uploader no longer sees someone else's recording
    assert sees(world.officer2, waiting)
    assert not sees(world.officer, waiting)


def test_an_administrator_binds_it_on_the_recording_page(world, waiting):
    client = client_for(world.admin)
    page = client.get(f"/recordings/{waiting.pk}/").content.decode()
    assert f'action="/recordings/{waiting.pk}/assign"' in page
    response = client.post(f"/recordings/{waiting.pk}/assign", {"officer": world.officer.pk})
    assert response.status_code == 302
    waiting.refresh_from_db()
    # bound to the uploader; not to 王芳's camera, which he did not hold
    assert (waiting.officer, waiting.device, waiting.needs_assignment) == (
        world.officer,
        None,
        False,
    )
    assert "已指派给 张伟" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("who", ["officer", "officer2"])
def test_an_officer_cannot_bind_it(world, waiting, who):
    user = getattr(world, who)
    api = assign_api(user, waiting, officer_id=world.officer.pk)
    page = client_for(user).post(f"/recordings/{waiting.pk}/assign", {"officer": world.officer.pk})
    if who == "officer":  # he sees it, and is refused
        assert api.status_code == 403 and api.json()["detail"] == "无权指派音像记录"
        assert page.status_code == 403
    else:  # she does not even see it
        assert api.status_code == page.status_code == 404
    waiting.refresh_from_db()
    assert waiting.officer is None and waiting.needs_assignment
    assert not AuditEntry.objects.filter(action="recording.assign").exists()


def test_the_page_offers_the_assign_form_to_administrators_only(world, waiting):
    form = f'action="/recordings/{waiting.pk}/assign"'
    assert form in client_for(world.admin).get(f"/recordings/{waiting.pk}/").content.decode()
    assert form not in client_for(world.officer).get(f"/recordings/{waiting.pk}/").content.decode()


def test_an_administrator_of_another_unit_does_not_see_it(world, waiting):
    response = assign_api(world.other_admin, waiting, officer_id=world.other_officer.pk)
    assert response.status_code == 404


def test_an_administrator_cannot_bind_it_to_someone_outside_his_units(world, waiting):
    response = assign_api(world.admin, waiting, officer_id=world.other_officer.pk)
    assert response.status_code == 422
    assert response.json()["detail"] == "所选执法人员不存在、已停用或不在您的管辖范围内"
    waiting.refresh_from_db()
    assert waiting.officer is None


def test_a_system_administrator_may_bind_it(world, waiting):
    response = assign_api(
        world.sysadmin, waiting, officer_id=world.officer.pk, device_id=world.camera.pk
    )
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert (waiting.officer, waiting.device) == (world.officer, world.camera)


def test_a_bound_recording_is_not_reassigned(world, library):
    rec, _ = uploaded(
        api_upload(world.officer, named("3501001", "350211"), (library / m.PHOTO).read_bytes())
    )
    response = assign_api(world.admin, rec, officer_id=world.officer2.pk)
    assert response.status_code == 409
    assert response.json()["detail"] == "该音像记录已确定执法人员和设备，无需指派"
    rec.refresh_from_db()
    assert rec.officer == world.officer


# --- an administrator's upload ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "officer", "note"),
    [
        pytest.param(named(WANG_CAMERA, "350212"), "officer2", "", id="consistent"),
        pytest.param(
            named(WANG_CAMERA, "350211"),
            None,
            "文件名中的人员编号 350211 属于 张伟，不是领用人 王芳",
            id="number-is-not-the-holders",
        ),
        pytest.param(
            named(IDLE_CAMERA, "350212"),
            None,
            "设备 3501006 在录制时没有领用人；不按文件名中的人员编号 350212 指派给 王芳，须管理员确认",
            id="camera-nobody-held",
        ),
    ],
)
def test_an_administrators_upload_binds_by_custody_but_never_to_a_contradiction(
    world, library, name, officer, note
):
    rec, _ = uploaded(api_upload(world.admin, name, (library / m.PHOTO).read_bytes()))
    expected = getattr(world, officer) if officer else None
    assert rec.officer == expected and rec.uploaded_by == world.admin
    assert rec.assignment_note == note
    assert rec.needs_assignment == (expected is None)
    jobs.run_pending()
    assert raised_against_anyone(rec) == (expected is not None)
    if expected is None:
        assert not sees(world.officer, rec) and not sees(world.officer2, rec)


def test_an_administrators_upload_of_an_unregistered_camera_binds_by_number(world, library):
    """As a station does: nothing on record contradicts the number, so the device alone waits."""
    rec, _ = uploaded(
        api_upload(world.admin, named(UNKNOWN_CAMERA, "350212"), (library / m.PHOTO).read_bytes())
    )
    assert (rec.officer, rec.device, rec.needs_assignment) == (world.officer2, None, True)
    assert rec.assignment_note == "未登记的设备 3509999"


# --- a station import ---------------------------------------------------------------------


def test_a_station_import_binds_by_the_custody_records(world, library, tmp_path):
    dump = tmp_path / "CAMERA" / "DCIM"
    dump.mkdir(parents=True)
    files = {
        named(WANG_CAMERA, "350212", 1): m.PHOTO,
        named(WANG_CAMERA, "350211", 2): m.PNG,  # the holder wins, with a note
        named(UNKNOWN_CAMERA, "359999", 3): m.WAV,
    }
    for as_name, source in files.items():
        shutil.copyfile(library / source, dump / (Path(as_name).stem + Path(source).suffix))
    out = io.StringIO()
    call_command("ingest", str(dump.parent), "--station", world.station.name, "--json", stdout=out)
    by_seq = {
        f["path"].rsplit("_", 1)[1][:4]: Recording.objects.get(pk=f["recording_id"])
        for f in json.loads(out.getvalue())["files"]
    }
    first, second, third = by_seq["0001"], by_seq["0002"], by_seq["0003"]
    assert (first.officer, first.device, first.needs_assignment) == (
        world.officer2,
        world.wang_camera,
        False,
    )
    assert (second.officer, second.device) == (world.officer2, world.wang_camera)
    assert second.assignment_note == "文件名中的人员编号 350211 属于 张伟，不是领用人 王芳"
    assert (third.officer, third.needs_assignment) == (None, True)
    assert all(r.uploaded_by is None for r in (first, second, third))
    jobs.run_pending()
    assert Finding.objects.get(recording=first, kind=FindingKind.LATE_INGEST).officer == (
        world.officer2
    )
    assert not raised_against_anyone(third)  # bound to nobody: nothing until it is bound
